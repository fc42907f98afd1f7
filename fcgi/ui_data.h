/*
 * fcgi/ui_data.h: what the UI's pages show, gathered through store.h.
 *
 * Sizes are compressed sizes as pushed: an image's is its manifest,
 * config and layers; an index's adds up its child manifests' images.
 * A repository's size counts each blob its manifests reference once;
 * ui_repo_stats() reads every manifest of the repository (not their
 * configs) to add it up, so it costs what the repository holds.
 * Results are REG_OK, REG_E_NOENT or REG_E_IO, as in store.h.
 */
#ifndef SPECREG_FCGI_UI_DATA_H
#define SPECREG_FCGI_UI_DATA_H

#include <stdint.h>
#include <time.h>

#include <json-c/json.h>

#include "common/buf.h"
#include "common/digest.h"
#include "common/errors.h"
#include "fcgi/ui_html.h"
#include "storage/manifest.h"
#include "storage/store.h"

struct ui_image {
	struct manifest_meta	 meta;
	struct manifest_parsed	 mp;
	int			 parsed;	/* "mp" is valid */
	struct buf		 body;
	uint64_t		 total;
	time_t			 created;	/* from the config, or UI_TIME_NONE */
	struct buf		 platforms;	/* "linux/amd64, linux/arm64" */
};

/*
 * Load manifest "d" of repository "name" with its sizes and platforms
 * (reading an image's config, an index's children).  On failure there
 * is nothing to release.
 */
enum reg_err	ui_image_load(struct store *, const char *name,
		    const struct digest *, struct ui_image *);
void		ui_image_release(struct ui_image *);
/* The newest manifest "tag" names, or "ref" itself if it is a digest. */
enum reg_err	ui_resolve(struct store *, const char *name, const char *ref,
		    struct digest *);
/* A config blob as JSON ("*out" NULL if it is not JSON or too large). */
enum reg_err	ui_config_load(struct store *, const struct manifest_desc *,
		    struct json_object **out);
/* Append "os/architecture[/variant]" of an index entry's platform. */
void		ui_platform(struct json_object *entry, struct buf *out);

struct ui_repo_stats {
	size_t		 tags;
	time_t		 pushed;	/* newest tag push, or UI_TIME_NONE */
	uint64_t	 manifests;
	uint64_t	 bytes;
};

enum reg_err	ui_repo_stats(struct store *, const char *name,
		    struct ui_repo_stats *);

#endif
