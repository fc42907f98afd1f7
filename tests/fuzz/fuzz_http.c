/*
 * tests/fuzz/fuzz_http.c: Accept, Range and Content-Range parsing.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "fcgi/http.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const types[] = {
	"application/vnd.oci.image.manifest.v1+json",
	"application/vnd.docker.distribution.manifest.v2+json",
	"application/vnd.oci.image.index.v1+json",
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	uint64_t	 off, n, a, b;
	char		*s;
	int		 r;

	s = malloc(len + 1);
	memcpy(s, data, len);
	s[len] = '\0';
	r = accept_choose(s, types, nitems(types));
	if (r < -1 || r >= (int)nitems(types))
		abort();
	if (range_parse(s, 1000, &off, &n) == 1 &&
	    (n == 0 || off >= 1000 || off + n > 1000))
		abort();
	if (content_range_parse(s, &a, &b) == 0 && b < a)
		abort();
	free(s);
	return (0);
}
