/*
 * tests/unit/fake_io.c: the I/O of one request, from memory.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/util.h"
#include "tests/unit/fake_io.h"

static const char *
fake_io_get(void *arg, const char *name)
{
	struct fake_io	*f = arg;
	size_t		 i;

	for (i = 0; i < f->nparams; i++)
		if (strcmp(f->params[i][0], name) == 0)
			return (f->params[i][1]);
	return (NULL);
}

static ssize_t
fake_io_read(void *arg, void *data, size_t len)
{
	struct fake_io	*f = arg;
	size_t		 n = strlen(f->body + f->off);

	if (n > len)
		n = len;
	memcpy(data, f->body + f->off, n);
	f->off += n;
	return ((ssize_t)n);
}

static int
fake_io_write(void *arg, const void *data, size_t len)
{
	buf_add(&((struct fake_io *)arg)->out, data, len);
	return (0);
}

static int
fake_io_body_error(void *arg)
{
	(void)arg;
	return (0);
}

void
fake_io_param(struct fake_io *f, const char *name, const char *value)
{
	if (f->nparams == nitems(f->params))
		return;
	f->params[f->nparams][0] = name;
	f->params[f->nparams++][1] = value;
}

void
fake_io_init(struct fake_io *f, struct request_io *io, const char *method,
    const char *uri, const char *body)
{
	memset(f, 0, sizeof(*f));
	buf_init(&f->out);
	f->body = body;
	(void)snprintf(f->length, sizeof(f->length), "%zu", strlen(body));
	fake_io_param(f, "REQUEST_METHOD", method);
	fake_io_param(f, "REQUEST_URI", uri);
	fake_io_param(f, "CONTENT_TYPE", "application/x-www-form-urlencoded");
	fake_io_param(f, "CONTENT_LENGTH", f->length);
	io->param = fake_io_get;
	io->read = fake_io_read;
	io->write = fake_io_write;
	io->body_error = fake_io_body_error;
	io->arg = f;
}

void
fake_io_release(struct fake_io *f)
{
	buf_release(&f->out);
}
