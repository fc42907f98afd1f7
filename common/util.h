/*
 * common/util.h: small pure helpers shared by every layer.
 *
 * Parsers return 0 on success and -1 on failure and fill their output
 * only on success; predicates (*_valid) return 1 or 0.  Nothing here
 * allocates except query_get() and the base64 encoders, which append to
 * a struct buf.
 */
#ifndef SPECREG_COMMON_UTIL_H
#define SPECREG_COMMON_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

/* Longest repository name, tag and upload id we accept. */
#define NAME_MAX_LEN	255
#define TAG_MAX_LEN	128
#define UUID_LEN	32

/* A view into someone else's bytes; not NUL-terminated. */
struct slice {
	const char	*p;
	size_t		 len;
};

int	slice_eq(struct slice, const char *);

/* OpenBSD strtonum semantics on unsigned 64-bit: decimal digits only. */
int	parse_u64(const char *, uint64_t, uint64_t, uint64_t *);
int	parse_u64n(const char *, size_t, uint64_t, uint64_t, uint64_t *);

/* The OCI distribution grammars. */
int	name_valid(const char *, size_t);
int	tag_valid(const char *, size_t);
int	uuid_valid(const char *, size_t);
void	uuid_generate(char [UUID_LEN + 1]);
void	random_bytes(void *, size_t);

/*
 * Find "key" in an application/x-www-form-urlencoded query string and
 * append its percent-decoded value to "out".  Returns 1 if found, 0 if
 * not, -1 if the value is badly encoded or decodes to a NUL.
 * query_each() calls "fn" for every value of "key" in order.
 */
int	query_get(const char *, const char *, struct buf *);
int	query_each(const char *, const char *,
	    int (*)(const char *, void *), void *);
int	pct_decode(const char *, size_t, struct buf *);
void	pct_encode(struct buf *, const char *);

/* Base64 (standard, padded) and base64url (no padding). */
void	base64_encode(struct buf *, const void *, size_t);
void	base64url_encode(struct buf *, const void *, size_t);
int	base64_decode(const char *, size_t, struct buf *);
int	base64url_decode(const char *, size_t, struct buf *);

void	hex_encode(char *, const unsigned char *, size_t);

/* Constant-time comparison of two byte strings; 1 if equal. */
int	ct_equal(const void *, size_t, const void *, size_t);

#endif
