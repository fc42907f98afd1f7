/*
 * fcgi/request.h: one request, from CGI parameters to the response.
 *
 * struct request is the first argument of every function in fcgi/.
 * request_parse() is the only reader of CGI parameters; it absorbs the
 * web servers' differences (REQUEST_URI is the raw path and query on
 * all of them, CONTENT_LENGTH may be absent, empty or computed).
 * Everything a request allocates hangs off it and is freed by
 * request_release().  Bodies are read through req_read() and responses
 * written through the resp_* functions in response.h only.
 * exchange_run() (exchange.h) runs a request from start to end.
 */
#ifndef SPECREG_FCGI_REQUEST_H
#define SPECREG_FCGI_REQUEST_H

#include <sys/types.h>

#include <stdint.h>

#include "common/buf.h"
#include "common/conf.h"
#include "common/errors.h"
#include "common/util.h"
#include "storage/store.h"

struct FCGX_Stream;

#define M_GET		0x01
#define M_HEAD		0x02
#define M_POST		0x04
#define M_PUT		0x08
#define M_PATCH		0x10
#define M_DELETE	0x20
#define M_OPTIONS	0x40
#define M_OTHER		0x80

/* The I/O seam: production wraps libfcgi, unit tests wrap buffers. */
struct request_io {
	const char	*(*param)(void *, const char *);
	ssize_t		 (*read)(void *, void *, size_t);
	int		 (*write)(void *, const void *, size_t);
	int		 (*body_error)(void *);	/* 0: body ended cleanly */
	void		 *arg;
};

struct route_args {
	struct slice	 name;
	struct slice	 arg;
};

struct request {
	const struct conf	*conf;
	struct store		*store;
	struct request_io	 io;

	/* Parsed parameters. */
	unsigned		 method;
	const char		*method_name;
	char			*uri;		/* REQUEST_URI, owned */
	const char		*path;		/* points into uri */
	const char		*query;		/* after '?', or "" */
	int64_t			 content_length;	/* -1: unknown */
	const char		*content_type;
	const char		*accept;
	const char		*authorization;
	const char		*range;
	const char		*content_range;
	const char		*cookie;
	char			 reqid[17];

	/* Routing. */
	struct route_args	 args;
	char			 name[NAME_MAX_LEN + 1];
	unsigned		 allow;		/* methods, for 405 */
	unsigned		 route;		/* enum route_id */

	/* Authentication outcome. */
	int			 operator;	/* a command on the host (prefetch):
						   HTTP auth does not apply */
	char			*user;		/* NULL: anonymous */
	struct buf		 challenge;	/* WWW-Authenticate value */

	/* Body accounting. */
	uint64_t		 body_read;
	int			 body_failed;

	/* Response state. */
	int			 status;
	struct buf		 headers;
	struct buf		 err_headers;	/* kept on errors */
	uint64_t		 body_sent;	/* by resp_write() */
	int			 resp_started;
	int			 client_gone;	/* the web server hung up */
	int			 resp_has_length;
	struct buf		 detail;
};

void		request_init(struct request *, const struct conf *,
		    struct store *, const struct request_io *);
void		request_release(struct request *);
enum reg_err	request_parse(struct request *);
const char	*req_param(struct request *, const char *);
/*
 * Record why a client-visible failure happened and return its code, so
 * a handler fails in one line: return (req_fail(req, REG_E_..., ...)).
 */
enum reg_err	req_fail(struct request *, enum reg_err, const char *, ...)
		    __attribute__((__format__(__printf__, 3, 4)));
/* store_source_fn over the request body. */
ssize_t		req_read(void *, size_t, void *);
/*
 * After reading to EOF: 0 if the body arrived whole (FastCGI stdin
 * ended cleanly and matched a numeric CONTENT_LENGTH), else -1.
 */
int		req_body_complete(struct request *);
/* Read the whole body, at most "max" bytes: REG_E_TOO_LARGE beyond. */
enum reg_err	req_read_all(struct request *, size_t, struct buf *);

#endif
