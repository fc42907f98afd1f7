/*
 * storage/layout.h: the only place names, digests, tags and upload ids
 * become storage paths.  The tree is documented at the top of layout.c.
 *
 * Every function appends a relative path to "out" (which it resets
 * first).  Callers pass values already validated against the OCI
 * grammars; layout functions do not validate again, stor_path_valid()
 * in the driver wrappers is the last line of defence.
 */
#ifndef SPECREG_STORAGE_LAYOUT_H
#define SPECREG_STORAGE_LAYOUT_H

#include "common/buf.h"
#include "common/digest.h"

void	layout_blob(struct buf *, const struct digest *);
void	layout_blobs_root(struct buf *);
void	layout_upload_dir(struct buf *, const char *uuid);
void	layout_upload_data(struct buf *, const char *uuid);
void	layout_upload_state(struct buf *, const char *uuid);
void	layout_upload_lock(struct buf *, const char *uuid);
void	layout_uploads_root(struct buf *);
void	layout_repos_root(struct buf *);
void	layout_repo(struct buf *, const char *name);
void	layout_manifest_link(struct buf *, const char *name,
	    const struct digest *);
void	layout_manifest_links(struct buf *, const char *name);
void	layout_blob_link(struct buf *, const char *name,
	    const struct digest *);
void	layout_blob_links(struct buf *, const char *name);
void	layout_tags(struct buf *, const char *name);
void	layout_tag(struct buf *, const char *name, const char *tag);
void	layout_tags_lock(struct buf *, const char *name);
void	layout_referrers(struct buf *, const char *name,
	    const struct digest *subject);
void	layout_referrer(struct buf *, const char *name,
	    const struct digest *subject, const struct digest *referrer);
void	layout_cache_tag(struct buf *, const char *name, const char *tag);
void	layout_cache_manifest(struct buf *, const char *name,
	    const struct digest *);
void	layout_cache_dir(struct buf *, const char *name);
void	layout_cache_manifests(struct buf *, const char *name);
void	layout_cache_tag_dir(struct buf *, const char *name);
void	layout_cache_tags(struct buf *, const char *name);
void	layout_pull_lease(struct buf *, const struct digest *);
void	layout_upstream_retry(struct buf *, const char *host);
void	layout_gc_lock(struct buf *);
void	layout_prune_record(struct buf *);

#endif
