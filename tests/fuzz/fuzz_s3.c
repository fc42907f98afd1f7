/*
 * tests/fuzz/fuzz_s3.c: the bounded XML reader of storage/s3.c never
 * reads outside the answer it is given, whatever S3 (or anyone between)
 * sends: a listing page, an error, any element.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "storage/s3.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static enum reg_err
count(const struct s3_entry *e, void *arg)
{
	(*(size_t *)arg) += strlen(e->name) + (size_t)e->subdir;
	return (REG_OK);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const char	*const tags[] = {
		"Code", "Message", "Key", "UploadId", "ETag", "Upload"
	};
	struct buf		 out = BUF_INIT, next = BUF_INIT;
	enum reg_err		 err;
	size_t			 i, n = 0, pos = 0, a, b;
	char			*p;

	/* Not NUL-terminated: a read past "len" is an overflow. */
	p = malloc(len > 0 ? len : 1);
	memcpy(p, data, len);
	(void)s3_list_parse(p, len, len % 5, count, &n, &next, &err);
	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		buf_reset(&out);
		(void)s3_xml_get(p, len, tags[i], &out);
	}
	while (s3_xml_find(p, len, "Contents", &pos, &a, &b) == 0)
		if (a > b || b > len || pos > len)
			abort();
	free(p);
	buf_release(&out);
	buf_release(&next);
	return (0);
}
