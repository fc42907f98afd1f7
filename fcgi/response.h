/*
 * fcgi/response.h: the only code that writes a response.
 *
 * Every response carries Docker-Distribution-API-Version; a HEAD
 * response never carries body bytes.  resp_error() is the one renderer
 * of {"errors":[{"code","message","detail"}]}.  Headers are buffered
 * until the first body byte or resp_end().
 */
#ifndef SPECREG_FCGI_RESPONSE_H
#define SPECREG_FCGI_RESPONSE_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "common/errors.h"
#include "fcgi/request.h"

void		resp_status(struct request *, int);
void		resp_header(struct request *, const char *, const char *);
/* A header sent with the response whether it succeeds or fails. */
void		resp_error_headerf(struct request *, const char *,
		    const char *, ...)
		    __attribute__((__format__(__printf__, 3, 4)));
void		resp_headerf(struct request *, const char *, const char *, ...)
		    __attribute__((__format__(__printf__, 3, 4)));
/* Content-Length (and X-Blob-Length, for Apache's mod_proxy_fcgi). */
void		resp_length(struct request *, uint64_t);
enum reg_err	resp_write(struct request *, const void *, size_t);
/* stor_sink_fn that writes to the response body; "arg" is the request. */
enum reg_err	resp_sink(const void *, size_t, void *);
enum reg_err	resp_end(struct request *);
/* Send a JSON document (consumes "obj") with its Content-Length. */
enum reg_err	resp_json(struct request *, struct json_object *);
/* Send bytes with a Content-Type and Content-Length. */
enum reg_err	resp_body(struct request *, const char *, const void *,
		    size_t);
void		resp_error(struct request *, enum reg_err);
/* Allow: the methods in req->allow. */
void		resp_allow(struct request *);

#endif
