/*
 * fcgi/h_upload.c: /v2/<name>/blobs/uploads/[<uuid>].
 *
 * Every request on an upload may land on a different worker: the
 * upload's state lives in the store, never in the process.
 */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include "common/digest.h"
#include "common/util.h"
#include "fcgi/handlers.h"
#include "fcgi/http.h"
#include "fcgi/metrics.h"
#include "fcgi/response.h"
#include "storage/store.h"

/* Location, Docker-Upload-UUID and Range of an upload in progress. */
static enum reg_err
upload_reply(struct request *req, int status, const char *uuid,
    uint64_t offset)
{
	resp_status(req, status);
	resp_headerf(req, "Location", "/v2/%s/blobs/uploads/%s", req->name,
	    uuid);
	resp_header(req, "Docker-Upload-UUID", uuid);
	resp_headerf(req, "Range", "0-%" PRIu64, offset > 0 ? offset - 1 : 0);
	resp_length(req, 0);
	return (resp_end(req));
}

static enum reg_err
upload_blob_created(struct request *req, const struct digest *d)
{
	resp_status(req, 201);
	resp_headerf(req, "Location", "/v2/%s/blobs/%s", req->name, d->str);
	resp_header(req, "Docker-Content-Digest", d->str);
	resp_length(req, 0);
	return (resp_end(req));
}

static enum reg_err
upload_uuid(struct request *req, char uuid[UUID_LEN + 1])
{
	if (!uuid_valid(req->args.arg.p, req->args.arg.len))
		return (req_fail(req, REG_E_BLOB_UPLOAD_UNKNOWN,
		    "no such upload"));
	memcpy(uuid, req->args.arg.p, UUID_LEN);
	uuid[UUID_LEN] = '\0';
	return (REG_OK);
}

/* The ?digest= parameter, or -1 after recording the failure. */
static enum reg_err
upload_query_digest(struct request *req, const char *key, struct digest *d,
    int *found)
{
	struct buf	v = BUF_INIT;
	int		r;

	r = query_get(req->query, key, &v);
	*found = r == 1;
	if (r == 1 && digest_parse(v.buf, v.len, d) == -1)
		r = -1;
	buf_release(&v);
	if (r == -1)
		return (req_fail(req, REG_E_DIGEST_INVALID, "bad %s", key));
	return (REG_OK);
}

static enum reg_err
upload_translate(struct request *req, enum reg_err err)
{
	if (err == REG_E_NOENT)
		return (req_fail(req, REG_E_BLOB_UPLOAD_UNKNOWN,
		    "no such upload"));
	if (err == REG_E_UPLOAD_RANGE && req->detail.len == 0)
		return (req_fail(req, err, "chunk out of order"));
	if (err == REG_E_BODY_INCOMPLETE && req->detail.len == 0)
		return (req_fail(req, err, "request body ended early"));
	return (err);
}

/* Finish "uuid" with the request body as its last chunk. */
static enum reg_err
upload_complete(struct request *req, const char *uuid,
    const struct digest *d, uint64_t expect, uint64_t limit)
{
	enum reg_err	err;
	uint64_t	size;

	err = store_upload_finish(req->store, req->name, uuid, d, expect,
	    limit, req_read, req, &size, &req->detail);
	if (err != REG_OK) {
		metrics_add(MET_UPLOADS_FAILED, 1);
		return (upload_translate(req, err));
	}
	metrics_add(MET_UPLOADS_FINISHED, 1);
	metrics_add(MET_BLOBS_PUSHED, 1);
	return (upload_blob_created(req, d));
}

/*
 * ?mount=<digest>&from=<name>: only from a repository that holds the
 * blob (and, with auth, that the client may pull: auth.c).  Without a
 * "from" the blob would have to be looked for in every repository,
 * which would let a writer read what others pushed; the client gets a
 * normal upload instead, as the spec allows.
 */
static enum reg_err
upload_mount(struct request *req, const struct digest *d)
{
	struct buf	from = BUF_INIT;
	enum reg_err	err = REG_E_NOENT;

	if (query_get(req->query, "from", &from) == 1 &&
	    name_valid(from.buf, from.len))
		err = store_blob_mount(req->store, from.buf, req->name, d);
	buf_release(&from);
	return (err);
}

enum reg_err
h_upload_start(struct request *req)
{
	struct digest	d;
	char		uuid[UUID_LEN + 1];
	enum reg_err	err;
	int		mount, monolithic;

	if ((err = upload_query_digest(req, "mount", &d, &mount)) != REG_OK)
		return (err);
	if (mount && upload_mount(req, &d) == REG_OK) {
		metrics_add(MET_BLOBS_PUSHED, 1);
		return (upload_blob_created(req, &d));
	}
	if ((err = upload_query_digest(req, "digest", &d, &monolithic)) !=
	    REG_OK)
		return (err);
	if ((err = store_upload_start(req->store, req->name, uuid)) != REG_OK)
		return (err);
	metrics_add(MET_UPLOADS_STARTED, 1);
	if (monolithic)
		return (upload_complete(req, uuid, &d, UINT64_MAX,
		    UINT64_MAX));
	return (upload_reply(req, 202, uuid, 0));
}

enum reg_err
h_upload_status(struct request *req)
{
	char		uuid[UUID_LEN + 1];
	uint64_t	offset;
	enum reg_err	err;

	if ((err = upload_uuid(req, uuid)) != REG_OK)
		return (err);
	err = store_upload_status(req->store, req->name, uuid, &offset);
	if (err != REG_OK)
		return (upload_translate(req, err));
	return (upload_reply(req, 204, uuid, offset));
}

/* Content-Range: the offset a chunk claims and how long it may be. */
static enum reg_err
upload_chunk_range(struct request *req, uint64_t *expect, uint64_t *limit)
{
	uint64_t	start, end;

	*expect = *limit = UINT64_MAX;
	if (req->content_range == NULL)
		return (REG_OK);
	/* Offsets past 2^63 fit no off_t (and no disk). */
	if (content_range_parse(req->content_range, &start, &end) == -1 ||
	    end >= INT64_MAX)
		return (req_fail(req, REG_E_UPLOAD_RANGE,
		    "bad Content-Range"));
	*expect = start;
	*limit = end - start + 1;
	return (REG_OK);
}

enum reg_err
h_upload_chunk(struct request *req)
{
	char		uuid[UUID_LEN + 1];
	uint64_t	expect, limit, offset;
	enum reg_err	err;

	if ((err = upload_uuid(req, uuid)) != REG_OK ||
	    (err = upload_chunk_range(req, &expect, &limit)) != REG_OK)
		return (err);
	err = store_upload_append(req->store, req->name, uuid, expect, limit,
	    req_read, req, &offset);
	if (err != REG_OK) {
		metrics_add(MET_UPLOADS_FAILED, 1);
		return (upload_translate(req, err));
	}
	return (upload_reply(req, 202, uuid, offset));
}

enum reg_err
h_upload_finish(struct request *req)
{
	struct digest	d;
	char		uuid[UUID_LEN + 1];
	uint64_t	expect, limit;
	enum reg_err	err;
	int		found;

	if ((err = upload_uuid(req, uuid)) != REG_OK ||
	    (err = upload_chunk_range(req, &expect, &limit)) != REG_OK ||
	    (err = upload_query_digest(req, "digest", &d, &found)) != REG_OK)
		return (err);
	if (!found)
		return (req_fail(req, REG_E_DIGEST_INVALID,
		    "digest parameter required"));
	return (upload_complete(req, uuid, &d, expect, limit));
}

enum reg_err
h_upload_cancel(struct request *req)
{
	char		uuid[UUID_LEN + 1];
	enum reg_err	err;

	if ((err = upload_uuid(req, uuid)) != REG_OK)
		return (err);
	err = store_upload_cancel(req->store, req->name, uuid);
	if (err != REG_OK)
		return (upload_translate(req, err));
	resp_status(req, 204);
	return (resp_end(req));
}
