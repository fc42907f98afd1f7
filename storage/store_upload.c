/*
 * storage/store_upload.c: blob uploads, chunk by chunk, any worker.
 *
 * An upload is staged by the driver (driver.h): every request on an
 * upload opens a session on it (a local driver excludes the others
 * meanwhile) and reads its state back: the repository the upload was
 * started in, the committed offset and the saved SHA-256 of the
 * committed bytes.  An append streams the body through one fixed
 * buffer into the stage and the hasher, then commits the bytes and the
 * new state together, state last.  A failure before that leaves the
 * upload as it was: closing the session drops what was appended, so a
 * client that gives up in the middle of a PATCH leaves no tail.
 *
 * Finishing appends the last chunk the same way, compares digests
 * (SHA-256 from the saved state; SHA-512 by reading the bytes again)
 * and, under the shared gc lock, has the driver forget the state and
 * make the bytes the blob, then marks the blob used and gives it to
 * the upload's repository.  Blobs are content-addressed, so when
 * several uploads of the same blob finish at once every one of them
 * can report success.
 *
 * The state's format is codec.h's.
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
	struct stor_stage	*stage;
	uint64_t		 offset;
	struct hasher		 hasher;
};

/* Open a session on an upload of repository "name" and load its state. */
static enum reg_err
upload_open(struct store *st, const char *name, const char *uuid,
    struct upload *u)
{
	struct buf	state = BUF_INIT, owner = BUF_INIT;
	enum reg_err	rc;

	memset(u, 0, sizeof(*u));
	u->st = st;
	u->uuid = uuid;
	rc = stor_stage_open(st->sd, uuid, &u->stage, &state);
	/* A crash right after the start may leave it empty (fs.c). */
	if (rc == REG_OK && state.len == 0) {
		log_warnx("upload %s: empty state: unknown", uuid);
		rc = REG_E_NOENT;
	} else if (rc == REG_OK && codec_upload_decode(state.buf, state.len,
	    &owner, &u->offset, &u->hasher) == -1) {
		log_warnx("upload %s: corrupt state", uuid);
		rc = REG_E_IO;
	}
	if (rc == REG_OK && strcmp(owner.buf, name) != 0) {
		log_debug("upload %s belongs to %s, not %s", uuid, owner.buf,
		    name);
		rc = REG_E_NOENT;
	}
	if (rc != REG_OK) {
		stor_stage_close(u->stage);
		u->stage = NULL;
	}
	buf_release(&owner);
	buf_release(&state);
	return (rc);
}

static void
upload_close(struct upload *u)
{
	stor_stage_close(u->stage);
	u->stage = NULL;
}

/* Pull the body through "chunk" into the stage and the hasher. */
static enum reg_err
upload_pump(struct upload *u, uint64_t limit, store_source_fn src,
    void *arg, char *chunk)
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
		if ((rc = stor_stage_write(u->stage, u->offset, chunk,
		    (size_t)n)) != REG_OK)
			return (rc);
		hasher_update(&u->hasher, chunk, (size_t)n);
		u->offset += (uint64_t)n;
	}
}

/*
 * Append the body from "src" (may be NULL) at the committed offset.
 * On success u->offset and u->hasher describe the new data; on failure
 * the caller must not commit them.
 */
static enum reg_err
upload_write(struct upload *u, uint64_t limit, store_source_fn src,
    void *arg)
{
	char		*chunk;
	enum reg_err	 rc;

	if (src == NULL)
		return (REG_OK);
	chunk = xmalloc(UPLOAD_CHUNK);
	rc = upload_pump(u, limit, src, arg, chunk);
	free(chunk);
	return (rc);
}

static enum reg_err
upload_commit(struct upload *u, const char *name)
{
	struct buf	state = BUF_INIT;
	enum reg_err	rc;

	codec_upload_encode(name, u->offset, &u->hasher, &state);
	rc = stor_stage_commit(u->stage, state.buf, state.len);
	buf_release(&state);
	return (rc);
}

enum reg_err
store_upload_start(struct store *st, const char *name,
    char uuid[UUID_LEN + 1])
{
	struct hasher	h;
	struct buf	state = BUF_INIT;
	enum reg_err	rc;

	uuid_generate(uuid);
	hasher_init(&h);
	codec_upload_encode(name, 0, &h, &state);
	rc = stor_stage_create(st->sd, uuid, state.buf, state.len);
	buf_release(&state);
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
		rc = upload_commit(&u, name);
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
	enum reg_err		 rc;

	if (want->alg == DIGEST_SHA256) {
		hasher_final(&u->hasher, got);
		return (REG_OK);
	}
	h = hasher512_new();
	rc = stor_stage_read(u->stage, 0, u->offset, upload_sink512, h);
	if (rc == REG_OK)
		hasher512_final(h, got);
	hasher512_free(h);
	return (rc);
}

/*
 * Under the shared gc lock: the bytes become the blob, which is marked
 * used, and the upload's repository gets it.
 */
static enum reg_err
upload_commit_blob(struct upload *u, const char *name, const struct digest *d)
{
	struct stor_driver	*sd = u->st->sd;
	struct stor_lock	*gc;
	struct buf		 to = BUF_INIT;
	enum reg_err		 rc;

	if ((rc = store_gc_lock(u->st, STOR_LOCK_SH, &gc)) != REG_OK)
		return (rc);
	layout_blob(&to, d);
	if ((rc = stor_stage_finish(u->stage, u->offset, to.buf)) == REG_OK &&
	    (rc = stor_hold(sd, to.buf, NULL)) == REG_OK)
		rc = store_blob_link(u->st, name, d);
	stor_unlock(sd, gc);
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
		(void)stor_stage_remove(st->sd, uuid, 0);
		rc = REG_E_DIGEST_INVALID;
		goto out;
	}
	/* Without its state the upload is unknown, whatever happens next. */
	if ((rc = upload_commit_blob(&u, name, want)) != REG_OK)
		goto out;
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
	rc = stor_stage_remove(st->sd, uuid, 0);
	upload_close(&u);
	return (rc);
}
