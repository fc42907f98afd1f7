/*
 * fcgi/h_manifest.c: /v2/<name>/manifests/<reference> and
 * /v2/<name>/referrers/<digest>.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/digest.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "fcgi/handlers.h"
#include "fcgi/http.h"
#include "fcgi/metrics.h"
#include "fcgi/pull.h"
#include "fcgi/response.h"
#include "storage/store.h"

#define MT_OCI_INDEX_REF	"application/vnd.oci.image.index.v1+json"

/*
 * A reference is a digest if it has a ':', else it must be a tag.  A
 * tag that cannot exist fails with "bad_tag": TAG_INVALID for a push,
 * MANIFEST_UNKNOWN for a read or a delete (distribution's router has
 * no route for it: 404 whatever the method).
 */
static enum reg_err
manifest_ref(struct request *req, enum reg_err bad_tag, struct digest *d,
    char *tag, int *is_tag)
{
	struct slice	a = req->args.arg;

	*is_tag = memchr(a.p, ':', a.len) == NULL;
	if (!*is_tag) {
		if (digest_parse(a.p, a.len, d) == -1)
			return (req_fail(req, REG_E_DIGEST_INVALID,
			    "invalid digest"));
		return (REG_OK);
	}
	if (!tag_valid(a.p, a.len))
		return (req_fail(req, bad_tag, "invalid tag"));
	memcpy(tag, a.p, a.len);
	tag[a.len] = '\0';
	return (REG_OK);
}

/*
 * Resolve a tag to the entry the client's Accept header likes best;
 * REG_E_NOENT if the tag is not here.
 */
static enum reg_err
manifest_resolve(struct request *req, const char *tag,
    struct tag_entry *out)
{
	struct tag_entry	*te = NULL;
	const char		**types;
	size_t			 n, i;
	enum reg_err		 err;
	int			 pick;

	err = store_tag_get(req->store, req->name, tag, &te, &n);
	if (err == REG_E_NOENT || (err == REG_OK && n == 0)) {
		free(te);
		return (REG_E_NOENT);
	}
	if (err != REG_OK)
		return (err);
	types = xreallocarray(NULL, n, sizeof(*types));
	for (i = 0; i < n; i++)
		types[i] = te[i].media_type;
	/* Nothing acceptable: the newest is still better than a 404. */
	if ((pick = accept_choose(req->accept, types, n)) == -1)
		pick = 0;
	*out = te[pick];
	free(types);
	free(te);
	return (REG_OK);
}

enum reg_err
h_manifest_get(struct request *req)
{
	struct manifest_meta	 meta;
	struct buf		 body = BUF_INIT;
	struct tag_entry	 te;
	struct digest		 d;
	char			 tag[TAG_MAX_LEN + 1];
	enum reg_err		 err;
	int			 is_tag;

	if ((err = manifest_ref(req, REG_E_MANIFEST_UNKNOWN, &d, tag,
	    &is_tag)) != REG_OK)
		return (err);
	if (is_tag && (err = manifest_resolve(req, tag, &te)) == REG_OK)
		err = store_manifest_get_tagged(req->store, req->name, &te,
		    &body, &meta);
	else if (!is_tag)
		err = store_manifest_get(req->store, req->name, &d, &body,
		    &meta);
	/* Not here: upstream's, if there is an upstream. */
	if (err == REG_E_NOENT)
		err = pull_manifest(req, is_tag ? tag : NULL,
		    is_tag ? NULL : &d, &body, &meta);
	if (err == REG_E_NOENT)
		err = req_fail(req, REG_E_MANIFEST_UNKNOWN, "%s%s%s",
		    req->name, is_tag ? ":" : "@", is_tag ? tag : d.str);
	if (err == REG_OK) {
		resp_status(req, 200);
		resp_header(req, "Docker-Content-Digest", meta.digest.str);
		resp_headerf(req, "Etag", "\"%s\"", meta.digest.str);
		err = resp_body(req, meta.media_type, body.buf, body.len);
	}
	buf_release(&body);
	return (err);
}

enum reg_err
h_manifest_put(struct request *req)
{
	struct manifest_meta	 meta;
	struct buf		 body = BUF_INIT;
	struct digest		 d;
	char			 tag[TAG_MAX_LEN + 1];
	enum reg_err		 err;
	int			 is_tag;

	if ((err = manifest_ref(req, REG_E_TAG_INVALID, &d, tag,
	    &is_tag)) != REG_OK)
		return (err);
	if ((err = req_read_all(req, MANIFEST_MAX, &body)) == REG_OK)
		err = store_manifest_put(req->store, req->name,
		    is_tag ? tag : NULL, is_tag ? NULL : &d,
		    req->content_type, body.buf, body.len, &meta,
		    &req->detail);
	buf_release(&body);
	if (err != REG_OK)
		return (err);
	metrics_add(MET_MANIFESTS_PUSHED, 1);
	resp_status(req, 201);
	resp_headerf(req, "Location", "/v2/%s/manifests/%s", req->name,
	    meta.digest.str);
	resp_header(req, "Docker-Content-Digest", meta.digest.str);
	if (meta.has_subject)
		resp_header(req, "OCI-Subject", meta.subject.str);
	resp_length(req, 0);
	return (resp_end(req));
}

enum reg_err
h_manifest_delete(struct request *req)
{
	struct digest	d;
	char		tag[TAG_MAX_LEN + 1];
	enum reg_err	err;
	int		is_tag;

	if ((err = manifest_ref(req, REG_E_MANIFEST_UNKNOWN, &d, tag,
	    &is_tag)) != REG_OK)
		return (err);
	if (is_tag)
		err = store_tag_delete(req->store, req->name, tag);
	else
		err = store_manifest_delete(req->store, req->name, &d,
		    &req->detail);
	if (err == REG_E_NOENT)
		return (req_fail(req, REG_E_MANIFEST_UNKNOWN, "%s",
		    req->args.arg.p));
	if (err != REG_OK)
		return (err);
	resp_status(req, 202);
	resp_length(req, 0);
	return (resp_end(req));
}

enum reg_err
h_referrers(struct request *req)
{
	struct buf	index = BUF_INIT, filter = BUF_INIT;
	struct digest	d;
	enum reg_err	err;
	int		filtered;

	if (digest_parse(req->args.arg.p, req->args.arg.len, &d) == -1)
		return (req_fail(req, REG_E_DIGEST_INVALID, "invalid digest"));
	if ((filtered = query_get(req->query, "artifactType", &filter)) == -1)
		err = req_fail(req, REG_E_BAD_REQUEST, "bad artifactType");
	else
		err = store_referrers(req->store, req->name, &d,
		    filtered ? filter.buf : NULL, &index);
	if (err == REG_OK) {
		resp_status(req, 200);
		if (filtered)
			resp_header(req, "OCI-Filters-Applied", "artifactType");
		err = resp_body(req, MT_OCI_INDEX_REF, index.buf, index.len);
	}
	buf_release(&index);
	buf_release(&filter);
	return (err);
}
