/*
 * common/buf.h: the one growable byte buffer (git's strbuf semantics).
 *
 * Invariants: "buf" is never NULL and always NUL-terminated, so it can
 * be used as a C string, but it may hold NUL bytes; "len" excludes the
 * terminator.  A buffer initialised with BUF_INIT points at a shared
 * empty string and allocates on the first write.  buf_release() frees
 * the memory and leaves the buffer reusable; buf_detach() hands the
 * memory to the caller.  Allocation never fails (see xmalloc.h).
 */
#ifndef SPECREG_COMMON_BUF_H
#define SPECREG_COMMON_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char	*buf;
	size_t	 len;
	size_t	 alloc;
};

extern char buf_empty[];
#define BUF_INIT { buf_empty, 0, 0 }

void	 buf_init(struct buf *);
void	 buf_release(struct buf *);
void	 buf_reset(struct buf *);
void	 buf_grow(struct buf *, size_t);
void	 buf_setlen(struct buf *, size_t);
void	 buf_add(struct buf *, const void *, size_t);
void	 buf_addstr(struct buf *, const char *);
void	 buf_addch(struct buf *, int);
void	 buf_addf(struct buf *, const char *, ...)
	    __attribute__((__format__(__printf__, 2, 3)));
void	 buf_vaddf(struct buf *, const char *, va_list)
	    __attribute__((__format__(__printf__, 2, 0)));
char	*buf_detach(struct buf *, size_t *);

#endif
