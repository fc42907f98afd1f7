/*
 * fcgi/request.c: CGI parameters in, the body read, failures recorded.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "fcgi/request.h"

static const struct {
	const char	*name;
	unsigned	 bit;
} req_methods[] = {
	{ "GET", M_GET },
	{ "HEAD", M_HEAD },
	{ "POST", M_POST },
	{ "PUT", M_PUT },
	{ "PATCH", M_PATCH },
	{ "DELETE", M_DELETE },
	{ "OPTIONS", M_OPTIONS },
};

void
request_init(struct request *req, const struct conf *conf,
    struct store *store, const struct request_io *io)
{
	unsigned char	raw[8];

	memset(req, 0, sizeof(*req));
	req->conf = conf;
	req->store = store;
	req->io = *io;
	req->method_name = "?";
	req->path = req->query = "";
	req->content_length = -1;
	buf_init(&req->challenge);
	buf_init(&req->headers);
	buf_init(&req->err_headers);
	buf_init(&req->detail);
	random_bytes(raw, sizeof(raw));
	hex_encode(req->reqid, raw, sizeof(raw));
}

void
request_release(struct request *req)
{
	free(req->uri);
	free(req->user);
	buf_release(&req->challenge);
	buf_release(&req->headers);
	buf_release(&req->err_headers);
	buf_release(&req->detail);
	log_setreqid(NULL);
	memset(req, 0, sizeof(*req));
}

const char *
req_param(struct request *req, const char *name)
{
	const char	*v;

	v = req->io.param(req->io.arg, name);
	return (v != NULL && *v != '\0' ? v : NULL);
}

enum reg_err
req_fail(struct request *req, enum reg_err err, const char *fmt, ...)
{
	va_list	ap;

	buf_reset(&req->detail);
	va_start(ap, fmt);
	buf_vaddf(&req->detail, fmt, ap);
	va_end(ap);
	return (err);
}

static void
request_method(struct request *req)
{
	const char	*m;
	size_t		 i;

	req->method = M_OTHER;
	if ((m = req_param(req, "REQUEST_METHOD")) == NULL)
		return;
	req->method_name = m;
	for (i = 0; i < nitems(req_methods); i++)
		if (strcmp(m, req_methods[i].name) == 0)
			req->method = req_methods[i].bit;
}

enum reg_err
request_parse(struct request *req)
{
	const char	*uri, *cl;
	char		*q;
	uint64_t	 len;

	log_setreqid(req->reqid);
	request_method(req);
	if ((uri = req_param(req, "REQUEST_URI")) == NULL || uri[0] != '/')
		return (req_fail(req, REG_E_BAD_REQUEST, "no REQUEST_URI"));
	req->uri = xstrdup(uri);
	req->path = req->uri;
	if ((q = strchr(req->uri, '?')) != NULL) {
		*q = '\0';
		req->query = q + 1;
	}
	/* CONTENT_LENGTH is advisory: absent, empty or computed. */
	if ((cl = req_param(req, "CONTENT_LENGTH")) != NULL) {
		if (parse_u64(cl, 0, INT64_MAX, &len) == -1)
			return (req_fail(req, REG_E_BAD_REQUEST,
			    "bad Content-Length"));
		req->content_length = (int64_t)len;
	}
	req->content_type = req_param(req, "CONTENT_TYPE");
	req->accept = req_param(req, "HTTP_ACCEPT");
	if ((req->authorization = req_param(req, "HTTP_AUTHORIZATION")) == NULL)
		req->authorization = req_param(req, "Authorization");
	req->range = req_param(req, "HTTP_RANGE");
	req->content_range = req_param(req, "HTTP_CONTENT_RANGE");
	req->cookie = req_param(req, "HTTP_COOKIE");
	return (REG_OK);
}

ssize_t
req_read(void *data, size_t len, void *arg)
{
	struct request	*req = arg;
	ssize_t		 n;

	if (req->body_failed)
		return (-1);
	n = req->io.read(req->io.arg, data, len);
	if (n < 0) {
		req->body_failed = 1;
		return (-1);
	}
	if (n == 0)
		return (req_body_complete(req) == 0 ? 0 : -1);
	req->body_read += (uint64_t)n;
	if (req->content_length >= 0 &&
	    req->body_read > (uint64_t)req->content_length) {
		req->body_failed = 1;
		return (-1);
	}
	return (n);
}

int
req_body_complete(struct request *req)
{
	if (req->body_failed || req->io.body_error(req->io.arg) != 0)
		return (-1);
	if (req->content_length >= 0 &&
	    req->body_read != (uint64_t)req->content_length)
		return (-1);
	return (0);
}

enum reg_err
req_read_all(struct request *req, size_t max, struct buf *out)
{
	char	chunk[65536];
	ssize_t	n;

	if (req->content_length > (int64_t)max)
		return (req_fail(req, REG_E_TOO_LARGE, "body over %zu bytes",
		    max));
	while ((n = req_read(chunk, sizeof(chunk), req)) > 0) {
		if (out->len + (size_t)n > max)
			return (req_fail(req, REG_E_TOO_LARGE,
			    "body over %zu bytes", max));
		buf_add(out, chunk, (size_t)n);
	}
	if (n < 0)
		return (req_fail(req, REG_E_BODY_INCOMPLETE,
		    "request body ended early"));
	return (REG_OK);
}
