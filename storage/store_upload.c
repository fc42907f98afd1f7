/*
 * storage/store_upload.c: blob uploads, chunk by chunk, any worker.
 *
 * An upload is a directory (layout.c): "lock", "data" and "state".
 * Every request on an upload takes the lock exclusively, then loads the
 * state: the repository the upload was started in, the committed
 * offset and the saved SHA-256 of the committed bytes.  An append opens
 * "data" at the committed offset (dropping any tail a killed worker
 * left), streams the body through one fixed buffer into the file and the
 * hasher, syncs the file and only then replaces "state".  A failure
 * before that leaves the upload as it was: the writer's abort cuts
 * "data" back to the committed offset, so a client that gives up in
 * the middle of a PATCH leaves no tail on disk.
 *
 * Finishing appends the last chunk the same way, compares digests
 * (SHA-256 from the saved state; SHA-512 by reading "data" again),
 * removes "state" (from then on the upload is unknown: a worker killed
 * after the rename leaves no state claiming bytes that are gone, only
 * debris for prune) and renames "data" into the blob store under the
 * shared gc lock.  The
 * rename is atomic and blobs are content-addressed, so when several
 * uploads of the same blob finish at once each rename replaces an
 * identical file and every one of them can report success.
 *
 * The state file's format is codec.h's.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/digest.h"
#include "common/log.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "storage/codec.h"
#include "storage/driver.h"
#include "storage/layout.h"
#include "storage/store.h"
#include "storage/store_int.h"

#define UPLOAD_CHUNK		(256 * 1024)

struct upload {
	struct store		*st;
	const char		*uuid;
	struct stor_lock	*lock;
	uint64_t		 offset;
	struct hasher		 hasher;
};

static enum reg_err
upload_state_save(struct upload *u, const char *name)
{
	struct buf	path = BUF_INIT, state = BUF_INIT;
	enum reg_err	rc;

	layout_upload_state(&path, u->uuid);
	codec_upload_encode(name, u->offset, &u->hasher, &state);
	rc = stor_put(u->st->sd, path.buf, state.buf, state.len);
	buf_release(&state);
	buf_release(&path);
	return (rc);
}

/* Load the state of a locked upload; NOENT unless it belongs to "name". */
static enum reg_err
upload_state_load(struct upload *u, const char *name)
{
	struct buf	path = BUF_INIT, state = BUF_INIT, owner = BUF_INIT;
	enum reg_err	rc;

	layout_upload_state(&path, u->uuid);
	rc = stor_get(u->st->sd, path.buf, CODEC_UPLOAD_MAX, &state);
	if (rc == REG_OK && codec_upload_decode(state.buf, state.len, &owner,
	    &u->offset, &u->hasher) == -1) {
		log_warnx("upload %s: corrupt state", u->uuid);
		rc = REG_E_IO;
	}
	if (rc == REG_OK && strcmp(owner.buf, name) != 0) {
		log_debug("upload %s belongs to %s, not %s", u->uuid,
		    owner.buf, name);
		rc = REG_E_NOENT;
	}
	buf_release(&owner);
	buf_release(&state);
	buf_release(&path);
	return (rc);
}

/* Lock an upload of repository "name" and load its state. */
static enum reg_err
upload_open(struct store *st, const char *name, const char *uuid,
    struct upload *u)
{
	struct buf	path = BUF_INIT;
	enum reg_err	rc;

	memset(u, 0, sizeof(*u));
	u->st = st;
	u->uuid = uuid;
	layout_upload_lock(&path, uuid);
	rc = stor_lock(st->sd, path.buf, STOR_LOCK_EX, 0, &u->lock);
	buf_release(&path);
	if (rc != REG_OK)
		return (rc);
	if ((rc = upload_state_load(u, name)) != REG_OK) {
		stor_unlock(st->sd, u->lock);
		u->lock = NULL;
	}
	return (rc);
}

static void
upload_close(struct upload *u)
{
	stor_unlock(u->st->sd, u->lock);
	u->lock = NULL;
}

/* Remove a locked upload's directory. */
static enum reg_err
upload_remove(struct upload *u)
{
	struct buf	path = BUF_INIT;
	enum reg_err	rc;

	layout_upload_dir(&path, u->uuid);
	rc = stor_remove(u->st->sd, path.buf);
	buf_release(&path);
	return (rc);
}

/*
 * Forget a locked upload's state before its data moves into the blob
 * store: killed after the move, it must not claim bytes it lost.
 */
static enum reg_err
upload_state_drop(struct upload *u)
{
	struct buf	path = BUF_INIT;
	enum reg_err	rc;

	layout_upload_state(&path, u->uuid);
	rc = stor_remove(u->st->sd, path.buf);
	buf_release(&path);
	return (rc);
}

/* Pull the body through "chunk" into the writer and the hasher. */
static enum reg_err
upload_pump(struct upload *u, struct stor_writer *w, uint64_t limit,
    store_source_fn src, void *arg, char *chunk)
{
	uint64_t	got = 0;
	ssize_t		n;
	enum reg_err	rc;

	for (;;) {
		if ((n = src(chunk, UPLOAD_CHUNK, arg)) == -1)
			return (REG_E_BODY_INCOMPLETE);
		if (n == 0)
			/* A chunk shorter than its Content-Range is cut. */
			return (limit == UINT64_MAX || got == limit ? REG_OK :
			    REG_E_SIZE_INVALID);
		if (n < 0 || (size_t)n > UPLOAD_CHUNK) {
			log_warnx("upload %s: source returned %zd", u->uuid,
			    n);
			return (REG_E_IO);
		}
		got += (uint64_t)n;
		if (limit != UINT64_MAX && got > limit)
			return (REG_E_SIZE_INVALID);
		if ((rc = stor_write(w, chunk, (size_t)n)) != REG_OK)
			return (rc);
		hasher_update(&u->hasher, chunk, (size_t)n);
		u->offset += (uint64_t)n;
	}
}

/*
 * Append the body from "src" (may be NULL) at the committed offset and
 * make it durable.  On success u->offset and u->hasher describe the new
 * data; on failure the caller must not save them.
 */
static enum reg_err
upload_write(struct upload *u, uint64_t limit, store_source_fn src,
    void *arg)
{
	struct stor_writer	*w;
	struct buf		 path = BUF_INIT;
	char			*chunk;
	enum reg_err		 rc;

	layout_upload_data(&path, u->uuid);
	rc = stor_writer(u->st->sd, path.buf, u->offset, &w);
	buf_release(&path);
	if (rc != REG_OK)
		return (rc);
	if (src != NULL) {
		chunk = xmalloc(UPLOAD_CHUNK);
		rc = upload_pump(u, w, limit, src, arg, chunk);
		free(chunk);
		if (rc != REG_OK) {
			stor_abort(w);
			return (rc);
		}
	}
	return (stor_commit(w));
}

/*
 * Create the empty data file along with the first state: saving the
 * state syncs the upload directory, which makes the data file's name
 * durable too, so that the append or finish that fills it needs no
 * directory sync of its own (the writer syncs the directory only for a
 * file it creates).  One fsync less per blob.
 */
static enum reg_err
upload_create_data(struct upload *u)
{
	struct stor_writer	*w;
	struct buf		 path = BUF_INIT;
	enum reg_err		 rc;

	layout_upload_data(&path, u->uuid);
	rc = stor_writer(u->st->sd, path.buf, 0, &w);
	buf_release(&path);
	if (rc == REG_OK)
		stor_abort(w);
	return (rc);
}

enum reg_err
store_upload_start(struct store *st, const char *name,
    char uuid[UUID_LEN + 1])
{
	struct upload	u;
	struct buf	path = BUF_INIT;
	enum reg_err	rc;

	memset(&u, 0, sizeof(u));
	uuid_generate(uuid);
	u.st = st;
	u.uuid = uuid;
	hasher_init(&u.hasher);
	layout_upload_lock(&path, uuid);
	rc = stor_lock(st->sd, path.buf, STOR_LOCK_EX, 1, &u.lock);
	buf_release(&path);
	if (rc != REG_OK)
		return (rc);
	if ((rc = upload_create_data(&u)) != REG_OK ||
	    (rc = upload_state_save(&u, name)) != REG_OK)
		(void)upload_remove(&u);
	upload_close(&u);
	return (rc);
}

enum reg_err
store_upload_status(struct store *st, const char *name, const char *uuid,
    uint64_t *offset)
{
	struct upload	u;
	enum reg_err	rc;

	if ((rc = upload_open(st, name, uuid, &u)) != REG_OK)
		return (rc);
	*offset = u.offset;
	upload_close(&u);
	return (REG_OK);
}

enum reg_err
store_upload_append(struct store *st, const char *name, const char *uuid,
    uint64_t expect, uint64_t limit, store_source_fn src, void *arg,
    uint64_t *offset)
{
	struct upload	u;
	enum reg_err	rc;

	if ((rc = upload_open(st, name, uuid, &u)) != REG_OK)
		return (rc);
	if (expect != UINT64_MAX && expect != u.offset)
		rc = REG_E_UPLOAD_RANGE;
	else if ((rc = upload_write(&u, limit, src, arg)) == REG_OK)
		rc = upload_state_save(&u, name);
	if (rc == REG_OK)
		*offset = u.offset;
	upload_close(&u);
	return (rc);
}

static enum reg_err
upload_sink512(const void *data, size_t len, void *arg)
{
	hasher512_update(arg, data, len);
	return (REG_OK);
}

/* The digest of the upload's data in the algorithm of "want". */
static enum reg_err
upload_digest(struct upload *u, const struct digest *want,
    struct digest *got)
{
	struct hasher512	*h;
	struct buf		 path = BUF_INIT;
	enum reg_err		 rc;

	if (want->alg == DIGEST_SHA256) {
		hasher_final(&u->hasher, got);
		return (REG_OK);
	}
	h = hasher512_new();
	layout_upload_data(&path, u->uuid);
	rc = stor_read(u->st->sd, path.buf, 0, u->offset, upload_sink512, h);
	buf_release(&path);
	if (rc == REG_OK)
		hasher512_final(h, got);
	hasher512_free(h);
	return (rc);
}

/*
 * Rename the data into the blob store and give it to the upload's
 * repository, under the shared gc lock.
 */
static enum reg_err
upload_commit_blob(struct upload *u, const char *name, const struct digest *d)
{
	struct stor_driver	*sd = u->st->sd;
	struct stor_lock	*gc;
	struct buf		 from = BUF_INIT, to = BUF_INIT;
	enum reg_err		 rc;

	if ((rc = store_gc_lock(u->st, STOR_LOCK_SH, &gc)) != REG_OK)
		goto out;
	layout_upload_data(&from, u->uuid);
	layout_blob(&to, d);
	if ((rc = stor_move(sd, from.buf, to.buf)) == REG_OK &&
	    (rc = stor_touch(sd, to.buf)) == REG_OK)
		rc = store_blob_link(u->st, name, d);
	stor_unlock(sd, gc);
out:
	buf_release(&from);
	buf_release(&to);
	return (rc);
}

enum reg_err
store_upload_finish(struct store *st, const char *name, const char *uuid,
    const struct digest *want, uint64_t expect, uint64_t limit,
    store_source_fn src, void *arg, uint64_t *size, struct buf *detail)
{
	struct upload	u;
	struct digest	got;
	enum reg_err	rc;

	if ((rc = upload_open(st, name, uuid, &u)) != REG_OK)
		return (rc);
	if (expect != UINT64_MAX && expect != u.offset) {
		rc = REG_E_UPLOAD_RANGE;
		goto out;
	}
	if ((rc = upload_write(&u, limit, src, arg)) != REG_OK ||
	    (rc = upload_digest(&u, want, &got)) != REG_OK)
		goto out;
	if (!digest_equal(&got, want)) {
		if (detail != NULL)
			buf_addf(detail, "upload has digest %s, not %s",
			    got.str, want->str);
		(void)upload_remove(&u);
		rc = REG_E_DIGEST_INVALID;
		goto out;
	}
	/* Without its state the upload is unknown, whatever happens next. */
	if ((rc = upload_state_drop(&u)) != REG_OK ||
	    (rc = upload_commit_blob(&u, name, want)) != REG_OK)
		goto out;
	(void)upload_remove(&u);
	*size = u.offset;
out:
	upload_close(&u);
	return (rc);
}

enum reg_err
store_upload_cancel(struct store *st, const char *name, const char *uuid)
{
	struct upload	u;
	enum reg_err	rc;

	if ((rc = upload_open(st, name, uuid, &u)) != REG_OK)
		return (rc);
	rc = upload_remove(&u);
	upload_close(&u);
	return (rc);
}
