/*
 * storage/store.h: registry semantics over a storage driver.
 *
 * This is what handlers call; they never call a driver op.  Names, tags,
 * digests and upload ids must already be valid (common/util.h,
 * common/digest.h).  Results:
 *   REG_OK, REG_E_NOENT (what was asked for is not there; the handler
 *   knows which OCI code that is), REG_E_IO, REG_E_NOSPC, and where
 *   noted the OCI code itself with a human-readable reason appended to
 *   "detail".
 *
 * Concurrency: any worker process may run any call at any time.
 *  - Blobs are content-addressed and immutable; they become visible
 *    atomically, complete and durable (the driver's stage_finish()).
 *  - An upload's requests are sessions on the driver's stage of it
 *    (serialised on a local driver); its committed offset and SHA-256
 *    state live in the store, so any worker can take its next chunk.
 *  - A tag is rewritten atomically under the repository's tag lock.
 *  - Garbage collection (store_prune.c) takes the store's gc lock
 *    exclusively while it deletes; store_manifest_put() and
 *    store_upload_finish() hold it shared while they check or create
 *    what a manifest refers to, and mark used (stor_use()) what they
 *    keep.  On a shared driver the locks exclude nothing and
 *    driver.h says what is given up.
 *
 * Blobs are stored once, but belong to repositories: the ones that
 * pushed or mounted them, and the ones whose manifests reference them
 * (store_blob.c).  Through any other repository a blob does not exist.
 * Manifests and tags belong to one repository.
 */
#ifndef SPECREG_STORAGE_STORE_H
#define SPECREG_STORAGE_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "common/buf.h"
#include "common/conf.h"
#include "common/digest.h"
#include "common/errors.h"
#include "common/util.h"
#include "storage/driver.h"

#define MANIFEST_MAX		(4 * 1024 * 1024)
#define MEDIA_TYPE_MAX		255

struct catalog_cache;

struct store {
	struct stor_driver	*sd;
	uint64_t		 upload_expiration;
	struct catalog_cache	*catalog;	/* store_tag.c */
};

/*
 * Pulls request body bytes: returns the number of bytes put into the
 * buffer, 0 at the clean end of the body, -1 if the body ended early or
 * the connection failed (nothing of the current request is committed).
 */
typedef ssize_t (*store_source_fn)(void *, size_t, void *);

/* The store of the configured driver ([storage]); NULL after logging. */
struct store	*store_open(const struct conf *);
void		 store_close(struct store *);
/*
 * Whether the store answers (GET /readyz): REG_OK, or REG_E_IO with a
 * one-line reason appended to "why".  Safe to call from another thread.
 */
enum reg_err	 store_check(struct store *, struct buf *why);

/*
 * Blobs.  store_blob_stat() answers for the blob as repository "name"
 * sees it (REG_E_NOENT if the repository does not hold it) and keeps it
 * from prune for its grace period; read it after that.
 */
enum reg_err	store_blob_stat(struct store *, const char *name,
		    const struct digest *, uint64_t *);
enum reg_err	store_blob_read(struct store *, const struct digest *,
		    uint64_t, uint64_t, stor_sink_fn, void *);
/* Absolute file name for X-Sendfile; REG_E_NOENT if the driver has none. */
enum reg_err	store_blob_local_path(struct store *, const struct digest *,
		    struct buf *);
/*
 * A URL that serves the blob for STORE_URL_TTL seconds (a redirect);
 * REG_E_NOENT if the driver has none.
 */
#define STORE_URL_TTL	300
enum reg_err	store_blob_url(struct store *, const struct digest *,
		    struct buf *);
/* Path under the root for X-Accel-Redirect; REG_E_NOENT as above. */
enum reg_err	store_blob_relpath(struct store *, const struct digest *,
		    struct buf *);
/*
 * Take the blob away from repository "name": REG_E_NOENT if it does
 * not hold it, REG_E_UNSUPPORTED (reason in "detail") while a manifest
 * of the repository references it or it is one.
 */
enum reg_err	store_blob_delete(struct store *, const char *name,
		    const struct digest *, struct buf *detail);
/*
 * Cross-repository mount: "to" holds the blob too, kept from gc as if
 * pushed; REG_E_NOENT if "from" does not hold it.
 */
enum reg_err	store_blob_mount(struct store *, const char *from,
		    const char *to, const struct digest *);

/* Uploads.  "name" is the repository the upload was started in. */
enum reg_err	store_upload_start(struct store *, const char *name,
		    char uuid[UUID_LEN + 1]);
enum reg_err	store_upload_status(struct store *, const char *name,
		    const char *uuid, uint64_t *);
/*
 * Append a chunk.  "expect" is the offset the chunk claims to start at
 * (Content-Range), or UINT64_MAX for a streamed chunk.  A different
 * offset is REG_E_UPLOAD_RANGE; a body that ends early is
 * REG_E_BODY_INCOMPLETE and leaves the committed offset unchanged.
 * "limit" is the chunk's length from Content-Range (UINT64_MAX: not
 * known): a body longer or shorter than that is REG_E_SIZE_INVALID and
 * commits nothing.  On REG_OK "*offset" is the new committed size.
 */
enum reg_err	store_upload_append(struct store *, const char *name,
		    const char *uuid, uint64_t expect, uint64_t limit,
		    store_source_fn, void *, uint64_t *offset);
/*
 * Append a last chunk (source may be NULL; "expect" and "limit" as for
 * store_upload_append()), check the whole upload
 * against "want" (REG_E_DIGEST_INVALID, after which the upload is gone)
 * and move it into the blob store.  Returns only when the blob is
 * complete and visible; concurrent finishes of the same digest all
 * succeed.  "*size" is the blob's size.
 */
enum reg_err	store_upload_finish(struct store *, const char *name,
		    const char *uuid, const struct digest *want,
		    uint64_t expect, uint64_t limit, store_source_fn, void *,
		    uint64_t *size, struct buf *detail);
enum reg_err	store_upload_cancel(struct store *, const char *name,
		    const char *uuid);

/* Manifests and tags. */
struct tag_entry {
	struct digest	 digest;
	char		 media_type[MEDIA_TYPE_MAX + 1];
};

struct manifest_meta {
	struct digest	 digest;
	uint64_t	 size;
	char		 media_type[MEDIA_TYPE_MAX + 1];
	int		 has_subject;
	struct digest	 subject;
};

/*
 * Validate and store a manifest exactly as received, then point "tag"
 * at it (tag may be NULL when pushed by digest).  "content_type" is the
 * request's Content-Type (may be NULL).  Fails with
 * REG_E_MANIFEST_INVALID, REG_E_MANIFEST_BLOB_UNKNOWN,
 * REG_E_TOO_LARGE, REG_E_DIGEST_INVALID (digest reference that does not
 * match), with the reason in "detail".  Fills "meta" on success.
 */
enum reg_err	store_manifest_put(struct store *, const char *name,
		    const char *tag, const struct digest *ref,
		    const char *content_type, const void *, size_t,
		    struct manifest_meta *, struct buf *detail);
/* Read a manifest of this repository by digest: body and media type. */
enum reg_err	store_manifest_get(struct store *, const char *name,
		    const struct digest *, struct buf *body,
		    struct manifest_meta *);
/* The same for the manifest an entry of one of its tags names. */
enum reg_err	store_manifest_get_tagged(struct store *, const char *name,
		    const struct tag_entry *, struct buf *body,
		    struct manifest_meta *);
/*
 * Remove a manifest from a repository, with every tag pointing at it;
 * REG_E_UNSUPPORTED (reason in "detail", which may be NULL) while an
 * index of the repository references it.
 */
enum reg_err	store_manifest_delete(struct store *, const char *name,
		    const struct digest *, struct buf *detail);

/* The tag's manifests, newest push first (one per media type). */
enum reg_err	store_tag_get(struct store *, const char *name,
		    const char *tag, struct tag_entry **, size_t *);
enum reg_err	store_tag_delete(struct store *, const char *name,
		    const char *tag);
/* When "tag" was last pushed (its tag file was last written). */
enum reg_err	store_tag_mtime(struct store *, const char *name,
		    const char *tag, time_t *);
/*
 * Sorted tags of a repository after "last" (NULL: from the start), at
 * most "n" (0: all).  "*more" says whether tags were left out.
 * REG_E_NOENT when the repository does not exist.
 */
enum reg_err	store_tags_list(struct store *, const char *name,
		    const char *last, size_t n, char ***, size_t *,
		    int *more);
/*
 * store_tags_list() of the repository's tags and "extra" (tags held
 * elsewhere: an upstream's), each listed once.  REG_E_NOENT only when
 * the repository does not exist and "extra" is empty.
 */
enum reg_err	store_tags_list_with(struct store *, const char *name,
		    char *const *extra, size_t nextra, const char *last,
		    size_t n, char ***, size_t *, int *more);
enum reg_err	store_catalog(struct store *, const char *last, size_t n,
		    char ***, size_t *, int *more);
void		store_strv_free(char **, size_t);

/*
 * Pull-through cache (store_cache.c): what an upstream sent, kept apart
 * from what was pushed, so that a local tag or manifest always wins and
 * prune can tell the two apart.  Records are replaced atomically; the
 * last writer wins, which is right for "what the upstream says now".
 */
struct cache_tag {
	struct digest	 digest;
	char		 media_type[MEDIA_TYPE_MAX + 1];
	time_t		 confirmed;	/* when the upstream last said so */
};

/* The upstream's tag as last seen; REG_E_NOENT if none is held. */
enum reg_err	store_cache_tag_get(struct store *, const char *name,
		    const char *tag, struct cache_tag *);
enum reg_err	store_cache_tag_put(struct store *, const char *name,
		    const char *tag, const struct cache_tag *);
/*
 * A manifest the upstream sent, whose digest the caller checked: kept
 * by put, read back by get (body and media type); REG_E_NOENT if none.
 */
enum reg_err	store_cache_manifest_put(struct store *, const char *name,
		    const struct digest *, const char *media_type,
		    const void *, size_t);
enum reg_err	store_cache_manifest_get(struct store *, const char *name,
		    const struct digest *, struct buf *body,
		    char media_type[MEDIA_TYPE_MAX + 1]);
/* Whether the cache holds anything of repository "name". */
int		store_cache_held(struct store *, const char *name);
/*
 * The upstream's tags list of the repository as last fetched, and
 * when ("*confirmed"); REG_E_NOENT if none is held.  Free the list
 * with store_strv_free().  Tags that are not valid are dropped.
 */
enum reg_err	store_cache_tags_get(struct store *, const char *name,
		    char ***, size_t *, time_t *confirmed);
enum reg_err	store_cache_tags_put(struct store *, const char *name,
		    char *const *, size_t, time_t confirmed);
/*
 * Pull-through: the pull lease (store_pull.c), one upstream fetch of
 * blob "d" into repository "name" at a time across the workers and
 * hosts of the store.
 * store_pull_lease() waits until no one else fetches the blob and
 * answers REG_OK with the lease in "*ls": the caller then looks
 * whether the blob arrived meanwhile and fetches it if not, calls
 * store_pull_lease_renew() as it goes (cheap: it writes only every
 * ttl / 3 s) and store_pull_lease_end().  The lease outlives a holder
 * that stops renewing it by at most "ttl" seconds.  REG_E_EXISTS: the
 * blob is in the store, no lease is held.  REG_E_BUSY: another holder
 * kept renewing for longer than a waiter waits (10 minutes; only on a
 * driver without locks).  Anything else: the
 * store failed, no lease is held.
 */
struct store_lease;
enum reg_err	store_pull_lease(struct store *, const char *name,
		    const struct digest *, time_t ttl, struct store_lease **ls);
void		store_pull_lease_renew(struct store *, struct store_lease *);
/* Remove the lease and free it; "ls" may be NULL. */
void		store_pull_lease_end(struct store *, struct store_lease *);
/*
 * Until when the upstream "host" asked not to be asked (a 429's
 * Retry-After): 0 if it did not, or that time passed.
 */
time_t		store_upstream_retry_get(struct store *, const char *host);
enum reg_err	store_upstream_retry_set(struct store *, const char *host,
		    time_t until);

/*
 * The referrers of "subject" in a repository, as an OCI image index
 * JSON document appended to "out".  "artifact_type" filters (NULL: no
 * filter).
 */
enum reg_err	store_referrers(struct store *, const char *name,
		    const struct digest *subject, const char *artifact_type,
		    struct buf *out);

#endif
