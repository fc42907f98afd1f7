/*
 * common/buf.c: the one growable byte buffer.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/xmalloc.h"

char buf_empty[1];

void
buf_init(struct buf *b)
{
	b->buf = buf_empty;
	b->len = b->alloc = 0;
}

void
buf_release(struct buf *b)
{
	if (b->alloc != 0)
		free(b->buf);
	buf_init(b);
}

void
buf_reset(struct buf *b)
{
	buf_setlen(b, 0);
}

/* Make room for "extra" more bytes plus the terminator. */
void
buf_grow(struct buf *b, size_t extra)
{
	size_t	 want;
	int	 fresh = b->alloc == 0;

	if (extra > (size_t)-1 - b->len - 1)
		fatalx("buf_grow: %zu + %zu overflows", b->len, extra);
	want = b->len + extra + 1;
	if (want <= b->alloc)
		return;
	if (want < b->alloc + b->alloc / 2)
		want = b->alloc + b->alloc / 2;
	if (want < 64)
		want = 64;
	b->buf = xreallocarray(fresh ? NULL : b->buf, want, 1);
	if (fresh)
		b->buf[0] = '\0';
	b->alloc = want;
}

void
buf_setlen(struct buf *b, size_t len)
{
	if (b->alloc == 0) {
		if (len != 0)
			fatalx("buf_setlen: %zu on an empty buffer", len);
		return;
	}
	if (len >= b->alloc)
		fatalx("buf_setlen: %zu beyond %zu", len, b->alloc);
	b->len = len;
	b->buf[len] = '\0';
}

void
buf_add(struct buf *b, const void *data, size_t len)
{
	if (len == 0)
		return;
	buf_grow(b, len);
	memcpy(b->buf + b->len, data, len);
	buf_setlen(b, b->len + len);
}

void
buf_addstr(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_addch(struct buf *b, int c)
{
	buf_grow(b, 1);
	b->buf[b->len] = (char)c;
	buf_setlen(b, b->len + 1);
}

void
buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	buf_vaddf(b, fmt, ap);
	va_end(ap);
}

void
buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list	cp;
	int	n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		fatalx("buf_vaddf: bad format");
	buf_grow(b, (size_t)n);
	vsnprintf(b->buf + b->len, (size_t)n + 1, fmt, ap);
	buf_setlen(b, b->len + (size_t)n);
}

char *
buf_detach(struct buf *b, size_t *lenp)
{
	char	*p;

	if (b->alloc == 0)
		buf_grow(b, 0);
	p = b->buf;
	if (lenp != NULL)
		*lenp = b->len;
	buf_init(b);
	return (p);
}
