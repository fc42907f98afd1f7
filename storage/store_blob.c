/*
 * storage/store_blob.c: content-addressed blobs.
 *
 * A blob is visible once it exists at layout_blob(): it got there
 * complete and durable, atomically (the driver's stage_finish(), or a
 * put() of a manifest's bytes), so its size and bytes never change
 * while it exists.
 *
 * A blob belongs to the repositories that hold it (blob_held()), and
 * only they serve, mount from or delete it: a repository that never
 * had it answers as if it did not exist, whoever else pushed it.  A
 * delete takes the repository's hold away; the bytes stay while
 * anything references them, and prune removes them once nothing does.
 */
#include "config.h"

#include "common/buf.h"
#include "common/digest.h"
#include "common/log.h"
#include "storage/driver.h"
#include "storage/layout.h"
#include "storage/store.h"
#include "storage/store_int.h"

static enum reg_err
blob_file_stat(struct store *st, const struct digest *d,
    struct stor_stat *ss)
{
	struct buf	path = BUF_INIT;
	enum reg_err	rc;

	layout_blob(&path, d);
	rc = stor_stat(st->sd, path.buf, ss);
	buf_release(&path);
	if (rc == REG_OK && ss->is_dir)
		rc = REG_E_NOENT;
	return (rc);
}

enum reg_err
store_blob_size(struct store *st, const struct digest *d, uint64_t *size)
{
	struct stor_stat	ss;
	enum reg_err		rc;

	if ((rc = blob_file_stat(st, d, &ss)) == REG_OK)
		*size = ss.size;
	return (rc);
}

static enum reg_err
path_exists(struct store *st, const struct buf *path)
{
	struct stor_stat	ss;

	return (stor_stat_object(st->sd, path->buf, &ss));
}

enum reg_err
store_blob_link(struct store *st, const char *name, const struct digest *d)
{
	struct buf	path = BUF_INIT;
	enum reg_err	rc;

	layout_blob_link(&path, name, d);
	if ((rc = stor_put(st->sd, path.buf, "", 0, STOR_PUT_EXCL)) ==
	    REG_E_EXISTS)
		rc = REG_OK;
	buf_release(&path);
	return (rc);
}

/*
 * Does "name" hold the existing blob "d": a blob link, a manifest link
 * (a manifest's bytes are a blob of its repository), or a manifest of
 * the repository that references it.  The last needs every manifest of
 * the repository read; it answers for stores written before blob links
 * existed, and writes the link it finds missing.
 */
static enum reg_err
blob_held(struct store *st, const char *name, const struct digest *d)
{
	struct buf	path = BUF_INIT;
	struct digest	by;
	enum reg_err	rc;

	layout_blob_link(&path, name, d);
	if ((rc = path_exists(st, &path)) == REG_E_NOENT) {
		layout_manifest_link(&path, name, d);
		rc = path_exists(st, &path);
	}
	buf_release(&path);
	if (rc != REG_E_NOENT)
		return (rc);
	if ((rc = store_manifest_using(st, name, d, &by)) != REG_OK)
		return (rc);
	log_info("store: %s holds %s through manifest %s; linked", name,
	    d->str, by.str);
	return (store_blob_link(st, name, d));
}

static enum reg_err
blob_stat(struct store *st, const char *name, const struct digest *d,
    enum reg_err (*use)(struct stor_driver *, const char *,
    struct stor_stat *), uint64_t *size)
{
	struct stor_stat	 ss;
	struct buf		 path = BUF_INIT;
	enum reg_err		 rc;

	layout_blob(&path, d);
	rc = use(st->sd, path.buf, &ss);
	buf_release(&path);
	if (rc != REG_OK || (rc = blob_held(st, name, d)) != REG_OK)
		return (rc);
	*size = ss.size;
	return (REG_OK);
}

/*
 * A client that saw a blob here may push a manifest naming it up to
 * prune's grace period later: the blob is marked used (stor_use()),
 * which also looks again that it is there, since a prune that decided
 * before may have removed it meanwhile (after the mark it keeps it).
 */
enum reg_err
store_blob_stat(struct store *st, const char *name, const struct digest *d,
    uint64_t *size)
{
	return (blob_stat(st, name, d, stor_use, size));
}

/* The same, for a section that references the blob now (stor_hold()). */
enum reg_err
store_blob_hold(struct store *st, const char *name, const struct digest *d,
    uint64_t *size)
{
	return (blob_stat(st, name, d, stor_hold, size));
}

enum reg_err
store_blob_read(struct store *st, const struct digest *d, uint64_t off,
    uint64_t len, stor_sink_fn sink, void *arg)
{
	struct buf	path = BUF_INIT;
	enum reg_err	rc;

	layout_blob(&path, d);
	rc = stor_read(st->sd, path.buf, off, len, sink, arg);
	buf_release(&path);
	return (rc);
}

enum reg_err
store_blob_local_path(struct store *st, const struct digest *d,
    struct buf *out)
{
	struct buf	path = BUF_INIT;
	enum reg_err	rc;

	layout_blob(&path, d);
	rc = stor_local_path(st->sd, path.buf, out);
	buf_release(&path);
	return (rc);
}

enum reg_err
store_blob_url(struct store *st, const struct digest *d, struct buf *out)
{
	struct buf	path = BUF_INIT;
	enum reg_err	rc;

	layout_blob(&path, d);
	rc = stor_url(st->sd, path.buf, STORE_URL_TTL, out);
	buf_release(&path);
	return (rc);
}

/*
 * The blob's path under the storage root (X-Accel-Redirect), only when
 * the driver keeps local files: REG_E_NOENT otherwise.
 */
enum reg_err
store_blob_relpath(struct store *st, const struct digest *d,
    struct buf *out)
{
	struct buf	path = BUF_INIT, abs = BUF_INIT;
	enum reg_err	rc;

	layout_blob(&path, d);
	if ((rc = stor_local_path(st->sd, path.buf, &abs)) == REG_OK)
		buf_add(out, path.buf, path.len);
	buf_release(&abs);
	buf_release(&path);
	return (rc);
}

/*
 * Only the repository's link goes, under its tag lock, which manifest
 * pushes hold shared: no push can name the blob meanwhile.  The bytes
 * stay for prune to weigh.
 */
enum reg_err
store_blob_delete(struct store *st, const char *name, const struct digest *d,
    struct buf *detail)
{
	struct buf		 path = BUF_INIT;
	struct stor_lock	*lk;
	struct digest		 by;
	enum reg_err		 rc;

	if ((rc = store_tags_lock(st, name, STOR_LOCK_EX, 1, &lk)) != REG_OK)
		return (rc);
	layout_manifest_link(&path, name, d);
	if ((rc = path_exists(st, &path)) == REG_OK) {
		if (detail != NULL)
			buf_addf(detail, "%s is a manifest: delete it as one",
			    d->str);
		rc = REG_E_UNSUPPORTED;
	} else if (rc == REG_E_NOENT &&
	    (rc = store_manifest_using(st, name, d, &by)) == REG_OK) {
		if (detail != NULL)
			buf_addf(detail, "manifest %s references %s: delete "
			    "the manifest first", by.str, d->str);
		rc = REG_E_UNSUPPORTED;
	} else if (rc == REG_E_NOENT) {
		layout_blob_link(&path, name, d);
		rc = stor_remove(st->sd, path.buf);
	}
	stor_unlock(st->sd, lk);
	buf_release(&path);
	return (rc);
}

/*
 * Under the shared gc lock, so a running prune cannot take the blob
 * away between the check and the link.
 */
enum reg_err
store_blob_mount(struct store *st, const char *from, const char *to,
    const struct digest *d)
{
	struct stor_lock	*gc;
	struct stor_stat	 ss;
	struct buf		 path = BUF_INIT;
	enum reg_err		 rc;

	if ((rc = store_gc_lock(st, STOR_LOCK_SH, &gc)) != REG_OK)
		return (rc);
	layout_blob(&path, d);
	if ((rc = blob_file_stat(st, d, &ss)) == REG_OK &&
	    (rc = blob_held(st, from, d)) == REG_OK &&
	    (rc = stor_hold(st->sd, path.buf, NULL)) == REG_OK)
		rc = store_blob_link(st, to, d);
	buf_release(&path);
	stor_unlock(st->sd, gc);
	return (rc);
}
