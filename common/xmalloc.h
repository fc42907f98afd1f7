/*
 * common/xmalloc.h: allocation that never fails.
 *
 * Every function here either returns usable memory or calls fatalx():
 * a worker that runs out of memory dies and is replaced by its
 * supervisor or web server.  Callers never check for NULL.
 */
#ifndef SPECREG_COMMON_XMALLOC_H
#define SPECREG_COMMON_XMALLOC_H

#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
char	*xasprintf(const char *, ...)
	    __attribute__((__format__(__printf__, 1, 2)));

#endif
