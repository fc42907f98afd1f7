/*
 * tests/unit/fake_io.h: the I/O of one request (fcgi/request.h), for
 * unit tests that run whole requests through exchange_run().
 */
#ifndef SPECREG_TESTS_FAKE_IO_H
#define SPECREG_TESTS_FAKE_IO_H

#include <stddef.h>

#include "common/buf.h"
#include "fcgi/request.h"

struct fake_io {
	const char	*params[8][2];	/* name and value */
	size_t		 nparams;
	char		 length[32];	/* CONTENT_LENGTH's value */
	const char	*body;
	size_t		 off;
	struct buf	 out;		/* all the request wrote */
};

/*
 * Point "io" at "f": a request METHOD URI whose body is "body" as a
 * form (CONTENT_TYPE and CONTENT_LENGTH).  Release "f" after the run.
 */
void	fake_io_init(struct fake_io *f, struct request_io *io,
	    const char *method, const char *uri, const char *body);
/* One more parameter (HTTP_AUTHORIZATION, HTTP_COOKIE, ...). */
void	fake_io_param(struct fake_io *, const char *, const char *);
void	fake_io_release(struct fake_io *);

#endif
