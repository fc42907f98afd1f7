/*
 * tests/fuzz/fuzz_jwt.c: token verification never accepts a token it
 * did not sign.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/jwt.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct json_object	*claims = NULL;
	char			*s;

	s = malloc(len + 1);
	memcpy(s, data, len);
	s[len] = '\0';
	if (jwt_verify("fuzzing-secret-0123456789", s, 1700000000,
	    &claims) == 0)
		abort();	/* a forged token got through */
	free(s);
	return (0);
}
