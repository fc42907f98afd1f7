/*
 * fcgi/ui_html.h: HTML for the web UI, escaped in one place.
 *
 * ui_esc() is the one escaping function: it appends a string with
 * & < > " ' replaced by entities, which is safe in element content and
 * in quoted attribute values.  ui_addf() is printf for HTML: markup
 * comes only from its format string (a literal), and every %s argument
 * goes through ui_esc(), so a page cannot forget to escape what a
 * pusher chose (repository names, labels, annotations).  It knows %s,
 * %d, %u and %x with the h, l, ll and z modifiers, and %%; anything
 * else is a bug caught by fatalx().  A NULL %s prints nothing.
 *
 * The other helpers format values for people and never allocate.
 */
#ifndef SPECREG_FCGI_UI_HTML_H
#define SPECREG_FCGI_UI_HTML_H

#include <stdarg.h>
#include <stdint.h>
#include <time.h>

#include "common/buf.h"

#define UI_SIZE_LEN	16	/* "1023.9 KiB" */
#define UI_TIME_LEN	24	/* "2026-12-05 01:02 UTC" */
#define UI_TIME_NONE	((time_t)-1)	/* not known */

void		 ui_esc(struct buf *, const char *);
void		 ui_addf(struct buf *, const char *, ...)
		    __attribute__((__format__(__printf__, 2, 3)));
void		 ui_vaddf(struct buf *, const char *, va_list)
		    __attribute__((__format__(__printf__, 2, 0)));
/* "512 B", "1.5 KiB", "12.0 MiB": binary units, one decimal. */
const char	*ui_size(uint64_t, char [UI_SIZE_LEN]);
/* "2026-12-05 01:02 UTC", or "-" for UI_TIME_NONE. */
const char	*ui_time(time_t, char [UI_TIME_LEN]);
/* A short name for a manifest media type, or the type itself. */
const char	*ui_media_type(const char *);
/*
 * Width in pixels of a bar of "value" when "max" fills "width": at
 * least 1 for a non-zero value, 0 for zero, never more than "width".
 */
unsigned	 ui_bar_width(uint64_t value, uint64_t max, unsigned width);

#endif
