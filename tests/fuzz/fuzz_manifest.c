/*
 * tests/fuzz/fuzz_manifest.c: manifest validation.  The first line of
 * the input is the Content-Type, the rest the body.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "storage/manifest.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct manifest_parsed	 mp;
	struct buf		 detail = BUF_INIT;
	const uint8_t		*nl;
	char			*ct = NULL;
	size_t			 i;

	if ((nl = memchr(data, '\n', len)) != NULL) {
		ct = malloc((size_t)(nl - data) + 1);
		memcpy(ct, data, (size_t)(nl - data));
		ct[nl - data] = '\0';
		len -= (size_t)(nl - data) + 1;
		data = nl + 1;
	}
	memset(&mp, 0, sizeof(mp));
	if (manifest_parse(data, len, ct, &mp, &detail) == REG_OK) {
		for (i = 0; i < mp.nrefs; i++)
			if (strlen(mp.refs[i].digest.str) < 71)
				abort();
		manifest_parsed_release(&mp);
	}
	buf_release(&detail);
	free(ct);
	return (0);
}
