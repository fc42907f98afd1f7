/*
 * tests/fuzz/fuzz_upstream.c: WWW-Authenticate parsing and repository
 * name mapping (net/upstream.c) stay in bounds and keep their
 * promises: NUL-terminated fields, a mapped name never empty.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/conf.h"
#include "net/upstream.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct conf	conf;
static int		loaded;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct upstream_challenge	 ch;
	struct upstream_ref		 r;
	char				*s;

	if (!loaded) {
		conf_init(&conf);
		if (conf_load_string(&conf, "fuzz.ini", "[storage]\n"
		    "root = /nonexistent\n[upstream]\n"
		    "docker.io = http://127.0.0.1:1\n"
		    "quay.io = http://127.0.0.1:2\n") != 0)
			abort();
		loaded = 1;
	}
	s = malloc(len + 1);
	memcpy(s, data, len);
	s[len] = '\0';
	if (upstream_challenge_parse(s, &ch) == 0 &&
	    (strlen(ch.realm) >= sizeof(ch.realm) ||
	    strlen(ch.scope) >= sizeof(ch.scope)))
		abort();
	if (upstream_map(&conf, s, &r) == 0 &&
	    (r.name[0] == '\0' || r.up == NULL))
		abort();
	free(s);
	return (0);
}
