/*
 * tests/fuzz/fuzz_grammar.c: digests, queries, percent and base64
 * decoding.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/digest.h"
#include "common/util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct digest	 d;
	struct buf	 b = BUF_INIT;
	char		*s;

	if (digest_parse((const char *)data, len, &d) == 0 &&
	    strlen(d.str) != len)
		abort();
	s = malloc(len + 1);
	memcpy(s, data, len);
	s[len] = '\0';
	(void)query_get(s, "digest", &b);
	buf_reset(&b);
	if (pct_decode(s, strlen(s), &b) == 0 && memchr(b.buf, '\0', b.len) != NULL)
		abort();	/* %00 must be refused */
	buf_reset(&b);
	(void)base64_decode(s, len, &b);
	buf_reset(&b);
	(void)base64url_decode(s, len, &b);
	buf_release(&b);
	free(s);
	return (0);
}
