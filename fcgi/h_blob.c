/*
 * fcgi/h_blob.c: GET, HEAD and DELETE /v2/<name>/blobs/<digest>.
 *
 * A blob exists only for the repositories that hold it (store.h): any
 * other answers BLOB_UNKNOWN, as if nobody had pushed it.  A DELETE
 * takes the blob from this repository only, and is refused (405
 * UNSUPPORTED) while a manifest of the repository references it.
 * With [registry] redirect, a GET that passed those checks is sent to
 * the store (blob_redirect), a HEAD never: it is answered here.
 */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include "common/digest.h"
#include "fcgi/handlers.h"
#include "fcgi/http.h"
#include "fcgi/pull.h"
#include "fcgi/response.h"
#include "storage/store.h"

static enum reg_err
blob_digest(struct request *req, struct digest *d)
{
	if (digest_parse(req->args.arg.p, req->args.arg.len, d) == -1)
		return (req_fail(req, REG_E_DIGEST_INVALID, "invalid digest"));
	return (REG_OK);
}

/*
 * Hand the file to the web server: X-Sendfile names the file,
 * X-Accel-Redirect an internal nginx location that aliases the storage
 * root.  Only for a GET without Range, so that the web server never
 * applies a Range its own way (see h_blob_get).  REG_E_NOENT when the
 * driver has no local file: the caller streams it instead.
 */
static enum reg_err
blob_sendfile(struct request *req, const struct digest *d)
{
	struct buf	 path = BUF_INIT;
	const char	*prefix = req->conf->x_accel_prefix;
	size_t		 plen = strlen(prefix);
	enum reg_err	 err;

	if (req->conf->sendfile == SENDFILE_X_ACCEL) {
		while (plen > 0 && prefix[plen - 1] == '/')
			plen--;
		buf_add(&path, prefix, plen);
		buf_addch(&path, '/');
		err = store_blob_relpath(req->store, d, &path);
	} else
		err = store_blob_local_path(req->store, d, &path);
	if (err == REG_OK) {
		/* nginx adds its own to what it serves, and would repeat ours. */
		if (req->conf->sendfile == SENDFILE_X_SENDFILE)
			resp_header(req, "Accept-Ranges", "bytes");
		resp_status(req, 200);
		resp_header(req, req->conf->sendfile == SENDFILE_X_ACCEL ?
		    "X-Accel-Redirect" : "X-Sendfile", path.buf);
		err = resp_end(req);
	}
	buf_release(&path);
	return (err);
}

/*
 * Send the client to the store for the bytes: 307 to a URL the driver
 * signs (REG_E_NOENT if it has none: the caller serves the blob).  A
 * Range goes along, and the store serves it by its own rules (Swift:
 * 206, or 416 when unsatisfiable).
 */
static enum reg_err
blob_redirect(struct request *req, const struct digest *d)
{
	struct buf	url = BUF_INIT;
	enum reg_err	err;

	if ((err = store_blob_url(req->store, d, &url)) == REG_OK) {
		resp_status(req, 307);
		resp_header(req, "Location", url.buf);
		resp_header(req, "Docker-Content-Digest", d->str);
		resp_length(req, 0);
		err = resp_end(req);
	}
	buf_release(&url);
	return (err);
}

enum reg_err
h_blob_get(struct request *req)
{
	struct digest	d;
	uint64_t	size, off = 0, len;
	enum reg_err	err;
	int		r, arrived;

	if ((err = blob_digest(req, &d)) != REG_OK)
		return (err);
	err = store_blob_stat(req->store, req->name, &d, &size);
	if (err == REG_E_NOENT) {
		/* Not in this repository: upstream's, if there is one. */
		if ((err = pull_blob(req, &d, &arrived)) == REG_E_NOENT)
			err = req_fail(req, REG_E_BLOB_UNKNOWN, "%s", d.str);
		if (err != REG_OK || !arrived)
			return (err);
		err = store_blob_stat(req->store, req->name, &d, &size);
	}
	if (err != REG_OK)
		return (err);
	if (req->method == M_GET && req->conf->redirect &&
	    (err = blob_redirect(req, &d)) != REG_E_NOENT)
		return (err);
	/* Range applies to GET only (RFC 9110 14.2): HEAD ignores it. */
	len = size;
	r = 0;
	if (req->method == M_GET &&
	    (r = range_parse(req->range, size, &off, &len)) == -1) {
		resp_error_headerf(req, "Content-Range", "bytes */%" PRIu64,
		    size);
		return (req_fail(req, REG_E_RANGE_INVALID,
		    "blob has %" PRIu64 " bytes", size));
	}
	resp_header(req, "Content-Type", "application/octet-stream");
	resp_header(req, "Docker-Content-Digest", d.str);
	resp_header(req, "Cache-Control", "max-age=31536000");
	/*
	 * Every request with a Range, served or ignored, is answered here,
	 * by range_parse()'s rule: handed to the web server, it would be
	 * parsed again by other rules (nginx: multipart, 416 on overflow;
	 * If-Range).  The shipped configurations turn the web servers' own
	 * Range handling off for what specreg answers (deploy/).
	 */
	if (req->method == M_GET && req->range == NULL &&
	    req->conf->sendfile != SENDFILE_OFF &&
	    (err = blob_sendfile(req, &d)) != REG_E_NOENT)
		return (err);
	resp_header(req, "Accept-Ranges", "bytes");
	resp_status(req, r == 1 ? 206 : 200);
	if (r == 1)
		resp_headerf(req, "Content-Range", "bytes %" PRIu64 "-%"
		    PRIu64 "/%" PRIu64, off, off + len - 1, size);
	resp_length(req, len);
	if (req->method == M_HEAD || len == 0)
		return (resp_end(req));
	err = store_blob_read(req->store, &d, off, len, resp_sink, req);
	return (err == REG_E_NOENT ? req_fail(req, REG_E_BLOB_UNKNOWN, "%s",
	    d.str) : err);
}

enum reg_err
h_blob_delete(struct request *req)
{
	struct digest	d;
	enum reg_err	err;

	if ((err = blob_digest(req, &d)) != REG_OK)
		return (err);
	err = store_blob_delete(req->store, req->name, &d, &req->detail);
	if (err == REG_E_NOENT)
		return (req_fail(req, REG_E_BLOB_UNKNOWN, "%s", d.str));
	if (err != REG_OK)
		return (err);
	resp_status(req, 202);
	resp_length(req, 0);
	return (resp_end(req));
}
