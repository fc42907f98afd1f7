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
enum reg_err	store_catalog(struct store *, const char *last, size_t n,
		    char ***, size_t *, int *more);
void		store_strv_free(char **, size_t);

/*
 * The referrers of "subject" in a repository, as an OCI image index
 * JSON document appended to "out".  "artifact_type" filters (NULL: no
 * filter).
 */
enum reg_err	store_referrers(struct store *, const char *name,
		    const struct digest *subject, const char *artifact_type,
		    struct buf *out);

#endif
