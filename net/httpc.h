/*
 * net/httpc.h: the one HTTP client (libcurl), for the clients specreg
 * is of other services: upstream registries (net/upstream.c) and object
 * stores (storage/swift.c).
 *
 * One request is one struct httpc: make it with httpc_new(), add
 * request headers and a body, then httpc_start() sends it and waits for
 * the final response's status and headers (redirects that it follows
 * are not the answer).  The response body then goes into a buffer of a
 * bounded size (httpc_finish(), httpc_body()) or is pulled a chunk at a
 * time by the caller (httpc_read(), a store_source_fn), never both.
 * Only the body of a 2xx response is kept; of others the first
 * HTTPC_ERROR_MAX bytes go to httpc_error_body() (S3's error codes).
 *
 * A request body is either in memory (httpc_body_mem(): the caller
 * keeps it alive until httpc_free()) or pushed by the caller in pieces
 * (httpc_body_push(), then httpc_write() for each piece, then
 * httpc_start()): the transfer is paused between pieces, so that no
 * more than the caller's one buffer is held, whatever the size.
 *
 * Retries: a request with retries > 0 whose method is idempotent (GET,
 * HEAD, PUT, DELETE, COPY) and whose body is not pushed is sent again,
 * after 100 ms, 200 ms, 400 ms ... (at most 3.2 s), when the connection
 * failed or the answer was a 5xx; the last answer stands.  A pushed body
 * is gone once sent, so the caller decides.
 *
 * Connections: the requests of a process share a cache of kept-alive
 * connections to the servers it talks to (at most a few idle ones); a
 * forked child makes its own.  A request of another thread than the one
 * that makes all others (the readiness probe) says "alone": it gets a
 * connection for itself, closed at httpc_free().
 *
 * Protocols: http and https only, redirects included.  Results are 0 or
 * -1; httpc_error() says why in words for the caller's log line.
 */
#ifndef SPECREG_NET_HTTPC_H
#define SPECREG_NET_HTTPC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/buf.h"

/* Bytes a pulled response holds at most (plus one libcurl write). */
#define HTTPC_CHUNK		(64 * 1024)
/* Bytes of an error answer's body kept (after httpc_finish()). */
#define HTTPC_ERROR_MAX		4096

struct httpc_opts {
	long	 connect_timeout;	/* seconds; 0: libcurl's */
	long	 timeout;		/* seconds for the whole; 0: none */
	long	 stall;			/* seconds under 1 byte/s; 0: none */
	int	 follow;		/* follow up to 5 redirects */
	int	 retries;		/* see above */
	int	 alone;			/* no connection kept: see above */
};

struct httpc;

/* Once per process, before fork(). */
void		 httpc_init(void);

struct httpc	*httpc_new(const char *method, const char *url,
		    const struct httpc_opts *);
void		 httpc_free(struct httpc *);
/* A request header, "Name: value". */
void		 httpc_header(struct httpc *, const char *);
/* Basic credentials, sent to the request's own host only. */
void		 httpc_basic(struct httpc *, const char *user,
		    const char *password);
void		 httpc_body_mem(struct httpc *, const void *, size_t);
/* "len" bytes will be pushed; -1: unknown, chunked encoding. */
void		 httpc_body_push(struct httpc *, int64_t len);
/* Keep at most "max" bytes of the body; "pull": httpc_read() them. */
void		 httpc_recv(struct httpc *, size_t max, int pull);

/*
 * Push "len" bytes of the body; 0 once all are sent, -1 if the transfer
 * failed or the server answered first (httpc_start() tells which).
 */
int		 httpc_write(struct httpc *, const void *, size_t len);
/* Send (the rest), wait for the answer's headers: 0, or -1. */
int		 httpc_start(struct httpc *);
/* Run to the end (the body into httpc_body()): 0, or -1. */
int		 httpc_finish(struct httpc *);
/* httpc_start() and httpc_finish(). */
int		 httpc_run(struct httpc *);
/* A store_source_fn over the body: bytes, 0 at the clean end, -1. */
ssize_t		 httpc_read(void *, size_t, void *);

long		 httpc_status(const struct httpc *);
/* The answer's header "name" (trimmed), NULL if absent. */
const char	*httpc_get(const struct httpc *, const char *name);
/* The Content-Length, -1 if none. */
int64_t		 httpc_length(const struct httpc *);
const struct buf *httpc_body(const struct httpc *);
const struct buf *httpc_error_body(const struct httpc *);
const char	*httpc_error(const struct httpc *);

/* Percent-encode "s" into "out": all but A-Z a-z 0-9 -._~ and "keep". */
void		 httpc_escape(struct buf *out, const char *s,
		    const char *keep);

#endif
