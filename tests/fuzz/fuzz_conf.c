/*
 * tests/fuzz/fuzz_conf.c: configuration parsing.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/conf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct conf	 c;
	char		*s;

	if (memchr(data, '\0', len) != NULL)
		return (0);
	s = malloc(len + 1);
	memcpy(s, data, len);
	s[len] = '\0';
	conf_init(&c);
	(void)conf_load_string(&c, "fuzz.ini", s);
	conf_release(&c);
	free(s);
	return (0);
}
