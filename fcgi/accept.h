/*
 * fcgi/accept.h: content negotiation for manifests.
 *
 * accept_choose() picks among stored media types (in preference order,
 * newest push first) the one an Accept header likes best: the highest
 * q-value wins, ties go to the earlier entry, "*" wildcards and
 * parameters are understood, q=0 excludes.  An absent or empty Accept
 * accepts anything.  Returns the index, or -1 if nothing is acceptable.
 * Pure: no allocation, no I/O.
 */
#ifndef SPECREG_FCGI_ACCEPT_H
#define SPECREG_FCGI_ACCEPT_H

#include <stddef.h>

int	accept_choose(const char *accept, const char *const *types, size_t n);

#endif
