/*
 * storage/store_blob.c: content-addressed blobs.
 *
 * A blob is visible once its file exists at layout_blob(): it got there
 * by an atomic rename of a complete, synced file (store_upload.c), so
 * its size and bytes never change while it exists.
 */
#include "config.h"

#include "common/buf.h"
#include "common/digest.h"
#include "storage/driver.h"
#include "storage/layout.h"
#include "storage/store.h"
#include "storage/store_int.h"

enum reg_err
store_blob_stat(struct store *st, const struct digest *d, uint64_t *size)
{
	struct buf		path = BUF_INIT;
	struct stor_stat	ss;
	enum reg_err		rc;

	layout_blob(&path, d);
	rc = stor_stat(st->sd, path.buf, &ss);
	buf_release(&path);
	if (rc == REG_OK && ss.is_dir)
		rc = REG_E_NOENT;
	if (rc == REG_OK)
		*size = ss.size;
	return (rc);
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

enum reg_err
store_blob_delete(struct store *st, const struct digest *d)
{
	struct buf	path = BUF_INIT;
	enum reg_err	rc;

	layout_blob(&path, d);
	rc = stor_remove(st->sd, path.buf);
	buf_release(&path);
	return (rc);
}

/* Under the shared gc lock, so a running prune cannot take it away. */
enum reg_err
store_blob_mount(struct store *st, const struct digest *d)
{
	struct buf		 path = BUF_INIT;
	struct stor_lock	*gc;
	uint64_t		 size;
	enum reg_err		 rc;

	if ((rc = store_gc_lock(st, STOR_LOCK_SH, &gc)) != REG_OK)
		return (rc);
	if ((rc = store_blob_stat(st, d, &size)) == REG_OK) {
		layout_blob(&path, d);
		rc = stor_touch(st->sd, path.buf);
		buf_release(&path);
	}
	stor_unlock(st->sd, gc);
	return (rc);
}
