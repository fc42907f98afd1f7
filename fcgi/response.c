/*
 * fcgi/response.c: the only code that writes a response.
 */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "common/log.h"
#include "fcgi/request.h"
#include "fcgi/response.h"

static const struct {
	int		 status;
	const char	*reason;
} resp_reasons[] = {
	{ 200, "OK" }, { 201, "Created" }, { 202, "Accepted" },
	{ 204, "No Content" }, { 206, "Partial Content" },
	{ 303, "See Other" }, { 307, "Temporary Redirect" },
	{ 400, "Bad Request" }, { 401, "Unauthorized" },
	{ 403, "Forbidden" }, { 404, "Not Found" },
	{ 405, "Method Not Allowed" }, { 409, "Conflict" },
	{ 411, "Length Required" },
	{ 413, "Payload Too Large" }, { 416, "Range Not Satisfiable" },
	{ 429, "Too Many Requests" }, { 500, "Internal Server Error" },
	{ 503, "Service Unavailable" }, { 507, "Insufficient Storage" },
};

static const char *
resp_reason(int status)
{
	size_t	i;

	for (i = 0; i < sizeof(resp_reasons) / sizeof(resp_reasons[0]); i++)
		if (resp_reasons[i].status == status)
			return (resp_reasons[i].reason);
	return ("Unknown");
}

void
resp_status(struct request *req, int status)
{
	req->status = status;
}

/* Values never carry CR or LF: a header cannot smuggle another. */
void
resp_header(struct request *req, const char *name, const char *value)
{
	buf_addstr(&req->headers, name);
	buf_addstr(&req->headers, ": ");
	for (; *value != '\0'; value++)
		buf_addch(&req->headers,
		    (*value == '\r' || *value == '\n') ? ' ' : *value);
	buf_addstr(&req->headers, "\r\n");
}

void
resp_headerf(struct request *req, const char *name, const char *fmt, ...)
{
	struct buf	v = BUF_INIT;
	va_list		ap;

	va_start(ap, fmt);
	buf_vaddf(&v, fmt, ap);
	va_end(ap);
	resp_header(req, name, v.buf);
	buf_release(&v);
}

void
resp_error_headerf(struct request *req, const char *name, const char *fmt,
    ...)
{
	va_list	ap;

	buf_addstr(&req->err_headers, name);
	buf_addstr(&req->err_headers, ": ");
	va_start(ap, fmt);
	buf_vaddf(&req->err_headers, fmt, ap);
	va_end(ap);
	buf_addstr(&req->err_headers, "\r\n");
}

void
resp_length(struct request *req, uint64_t len)
{
	resp_headerf(req, "Content-Length", "%" PRIu64, len);
	/*
	 * Apache's mod_proxy_fcgi drops Content-Length (re-chunking GET
	 * bodies, leaving HEAD without one); its config restores it from
	 * this with mod_headers (deploy/apache-proxy-fcgi.conf).
	 */
	resp_headerf(req, "X-Blob-Length", "%" PRIu64, len);
	req->resp_has_length = 1;
}

static enum reg_err
resp_start(struct request *req)
{
	struct buf	h = BUF_INIT;
	int		rc;

	if (req->status == 0)
		req->status = 200;
	buf_addf(&h, "Status: %d %s\r\n", req->status,
	    resp_reason(req->status));
	buf_addstr(&h, "Docker-Distribution-API-Version: registry/2.0\r\n");
	buf_add(&h, req->headers.buf, req->headers.len);
	buf_addstr(&h, "\r\n");
	req->resp_started = 1;
	rc = req->io.write(req->io.arg, h.buf, h.len);
	buf_release(&h);
	return (rc == 0 ? REG_OK : REG_E_IO);
}

enum reg_err
resp_write(struct request *req, const void *data, size_t len)
{
	enum reg_err	err;

	if (!req->resp_started && (err = resp_start(req)) != REG_OK)
		return (err);
	if (req->method == M_HEAD || len == 0)
		return (REG_OK);
	if (req->io.write(req->io.arg, data, len) != 0) {
		req->client_gone = 1;
		return (REG_E_IO);
	}
	req->body_sent += len;
	return (REG_OK);
}

enum reg_err
resp_sink(const void *data, size_t len, void *arg)
{
	return (resp_write(arg, data, len));
}

enum reg_err
resp_end(struct request *req)
{
	if (!req->resp_started)
		return (resp_start(req));
	return (REG_OK);
}

enum reg_err
resp_body(struct request *req, const char *type, const void *data,
    size_t len)
{
	if (type != NULL)
		resp_header(req, "Content-Type", type);
	resp_length(req, len);
	return (resp_write(req, data, len));
}

enum reg_err
resp_json(struct request *req, struct json_object *obj)
{
	const char	*s;
	enum reg_err	 err;

	s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	err = resp_body(req, "application/json", s, strlen(s));
	json_object_put(obj);
	return (err);
}

void
resp_error(struct request *req, enum reg_err err)
{
	const struct reg_err_info	*ei;
	struct json_object		*root, *errs, *e;

	ei = reg_err_info(err);
	if (ei->status >= 500)
		log_warnx("%s %s: %s: %s", req->method_name, req->path,
		    ei->code, req->detail.buf);
	buf_reset(&req->headers);
	buf_add(&req->headers, req->err_headers.buf, req->err_headers.len);
	req->resp_has_length = 0;
	if (ei->status == 401 && req->challenge.len > 0)
		resp_header(req, "WWW-Authenticate", req->challenge.buf);
	if (ei->status == 405 && req->allow != 0)
		resp_allow(req);
	e = json_object_new_object();
	json_object_object_add(e, "code", json_object_new_string(ei->code));
	json_object_object_add(e, "message",
	    json_object_new_string(ei->message));
	if (ei->status < 500 && req->detail.len > 0)
		json_object_object_add(e, "detail",
		    json_object_new_string(req->detail.buf));
	errs = json_object_new_array();
	json_object_array_add(errs, e);
	root = json_object_new_object();
	json_object_object_add(root, "errors", errs);
	resp_status(req, ei->status);
	resp_json(req, root);
}

void
resp_allow(struct request *req)
{
	static const struct {
		unsigned	 bit;
		const char	*name;
	} m[] = {
		{ M_GET, "GET" }, { M_HEAD, "HEAD" }, { M_POST, "POST" },
		{ M_PUT, "PUT" }, { M_PATCH, "PATCH" },
		{ M_DELETE, "DELETE" },
	};
	struct buf	v = BUF_INIT;
	size_t		i;

	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		if ((req->allow & m[i].bit) == 0)
			continue;
		if (v.len > 0)
			buf_addstr(&v, ", ");
		buf_addstr(&v, m[i].name);
	}
	resp_header(req, "Allow", v.buf);
	buf_release(&v);
}
