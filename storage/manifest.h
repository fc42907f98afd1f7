/*
 * storage/manifest.h: parse and check an image manifest or index.
 *
 * manifest_parse() accepts Docker schema 2 manifests and manifest
 * lists, OCI image manifests (artifacts included) and OCI image
 * indexes, given as the exact bytes received.  It refuses schema 1,
 * malformed JSON, unknown media types, a mediaType field that disagrees
 * with the Content-Type, and descriptors without a valid digest or
 * size.  It does not look at storage: store_manifest_put() checks that
 * what the manifest references exists with the declared size.
 */
#ifndef SPECREG_STORAGE_MANIFEST_H
#define SPECREG_STORAGE_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/digest.h"
#include "common/errors.h"

#define MT_DOCKER_V2	"application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_LIST	\
	"application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_V1	"application/vnd.docker.distribution.manifest.v1+json"
#define MT_DOCKER_V1S	\
	"application/vnd.docker.distribution.manifest.v1+prettyjws"
#define MT_OCI_MANIFEST	"application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_INDEX	"application/vnd.oci.image.index.v1+json"

enum manifest_kind {
	MANIFEST_IMAGE,		/* config + layers */
	MANIFEST_INDEX		/* child manifests */
};

struct manifest_desc {
	struct digest	 digest;
	uint64_t	 size;
	char		 media_type[256];
};

struct manifest_parsed {
	enum manifest_kind	 kind;
	char			 media_type[256];
	char			 artifact_type[256];	/* "" if none */
	int			 has_config;
	struct manifest_desc	 config;
	struct manifest_desc	*refs;		/* layers or manifests */
	size_t			 nrefs;
	int			 has_subject;
	struct manifest_desc	 subject;
	char			*annotations;	/* JSON object or NULL */
};

/* REG_OK or REG_E_MANIFEST_INVALID with the reason in "detail". */
enum reg_err	manifest_parse(const void *, size_t, const char *content_type,
		    struct manifest_parsed *, struct buf *detail);
void		manifest_parsed_release(struct manifest_parsed *);
int		manifest_type_known(const char *);

#endif
