/*
 * fcgi/pull.h: server-side pull-through for the manifest and blob
 * handlers ([upstream] in the configuration, net/upstream.h).
 *
 * The handlers look in the store first and call these only on a local
 * miss, so whatever was pushed here always wins.  Both return
 * REG_E_NOENT when the repository has no upstream or the upstream has
 * no such object (the handler renders its usual 404), and fail with
 * REG_E_UNAVAILABLE (503) for upstream trouble they cannot cover.
 * Upstream bytes are checked against their digest.  What the upstream
 * sent is kept in the store's pull-through cache (store.h), apart from
 * pushed content: manifests by digest, and the tags they were pulled
 * by with the time the upstream last confirmed them.
 */
#ifndef SPECREG_FCGI_PULL_H
#define SPECREG_FCGI_PULL_H

#include "common/buf.h"
#include "common/digest.h"
#include "common/errors.h"
#include "fcgi/request.h"
#include "storage/store.h"

/*
 * Fetch a manifest by "tag" (d NULL) or by digest "d" (tag NULL) into
 * "body" and "meta" (digest, media type).  A digest the cache holds is
 * served from it.  A tag is served from it while younger than
 * [upstream] tag-ttl; after that the upstream is asked with a HEAD and
 * the manifest fetched again only when its digest changed.  When the
 * upstream times out, refuses, answers 429 (remembered until its
 * Retry-After, store_upstream_retry_set()) or 5xx, a tag held in the
 * cache is served while younger than stale-limit.  A manifest fetched
 * by digest is also kept in the store when everything it references
 * is there.
 */
enum reg_err	pull_manifest(struct request *, const char *tag,
		    const struct digest *d, struct buf *body,
		    struct manifest_meta *meta);
/*
 * Answer GET or HEAD of blob "d" from upstream.  A GET streams the blob
 * to the client and into an upload, which becomes the local blob only
 * if its digest matches.  The upstream must send a Content-Length
 * (503 otherwise), and the upload takes no byte past it.  One GET per
 * blob runs at a time, across workers and hosts (store_pull_lease(),
 * lasting 3 upstream timeouts past its last renewal): a request that
 * waited for another's finds the blob kept, answers nothing and sets
 * "*arrived", and the caller serves the blob from the store.  One that
 * waited 10 minutes for a fetch still going on answers 503.
 */
enum reg_err	pull_blob(struct request *, const struct digest *d,
		    int *arrived);

/*
 * The upstream's tags of the repository, for a repository that does
 * not exist here or that the cache holds something of (a repository
 * only pushed to never asks the upstream): fresh for tag-ttl, then
 * fetched again, the cached list while the upstream is out (up to
 * stale-limit).  Free "*tags" with store_strv_free().  REG_E_NOENT when
 * there is no upstream or it has no such repository.
 */
enum reg_err	pull_tags(struct request *, char ***tags, size_t *n);

#endif
