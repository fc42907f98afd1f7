/*
 * tests/fuzz/fuzz_route.c: route matching and the name grammar.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "fcgi/route.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const tails[] = {
	"/tags/list", "/manifests/*", "/blobs/uploads/", "/blobs/uploads/*",
	"/blobs/*", "/referrers/*",
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct route_args	 a;
	char			*path;
	size_t			 i;

	path = malloc(len + 1);
	memcpy(path, data, len);
	path[len] = '\0';
	for (i = 0; i < nitems(tails); i++) {
		if (route_match(tails[i], path, &a) != 0)
			continue;
		if (a.name.p < path || a.name.p + a.name.len > path + len)
			abort();
		/* A valid name never holds "..", "//" or a leading '/'. */
		if (name_valid(a.name.p, a.name.len) &&
		    (memmem(a.name.p, a.name.len, "..", 2) != NULL ||
		    memmem(a.name.p, a.name.len, "//", 2) != NULL ||
		    a.name.p[0] == '/'))
			abort();
		(void)tag_valid(a.arg.p, a.arg.len);
		(void)uuid_valid(a.arg.p, a.arg.len);
	}
	free(path);
	return (0);
}
