/*
 * fcgi/http.h: parsing the HTTP headers a registry negotiates on.
 *
 * accept_choose() picks among stored media types (in preference order,
 * newest push first) the one an Accept header likes best: the highest
 * q-value wins, ties go to the earlier entry, "*" wildcards and
 * parameters are understood, q=0 excludes.  An absent or empty Accept
 * accepts anything.  Returns the index, or -1 if nothing is acceptable.
 *
 * range_parse() reads a single-range "bytes=" Range header against an
 * object of "size" bytes: 1 with [*off, *off + *len) filled, 0 when the
 * header is to be ignored (absent, malformed or several ranges, as RFC
 * 9110 allows), -1 when it is unsatisfiable (416).
 *
 * content_range_parse() reads an upload chunk's "start-end" (an
 * optional "bytes " prefix allowed): 0 and the inclusive bounds, or -1.
 *
 * All pure: no allocation, no I/O.
 */
#ifndef SPECREG_FCGI_HTTP_H
#define SPECREG_FCGI_HTTP_H

#include <stddef.h>
#include <stdint.h>

int	accept_choose(const char *accept, const char *const *types, size_t n);
int	range_parse(const char *range, uint64_t size, uint64_t *off,
	    uint64_t *len);
int	content_range_parse(const char *, uint64_t *start, uint64_t *end);

#endif
