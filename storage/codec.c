/*
 * storage/codec.c: the store's small on-disk formats (see codec.h).
 */
#include "config.h"

#include <string.h>

#include "common/buf.h"
#include "common/digest.h"
#include "common/util.h"
#include "storage/codec.h"
#include "storage/store.h"

#define UPLOAD_MAGIC	"specreg-upload 1\n"

/* Tag files. */

void
codec_tag_encode(const struct tag_entry *te, size_t n, struct buf *out)
{
	size_t	i;

	for (i = 0; i < n; i++)
		buf_addf(out, "%s %s\n", te[i].digest.str, te[i].media_type);
}

/* One line without its newline: "<digest> <media type>". */
static int
tag_line_decode(const char *p, size_t len, struct tag_entry *te)
{
	const char	*sp;
	size_t		 mtlen;

	if ((sp = memchr(p, ' ', len)) == NULL ||
	    digest_parse(p, (size_t)(sp - p), &te->digest) == -1)
		return (-1);
	mtlen = len - (size_t)(sp - p) - 1;
	if (mtlen == 0 || mtlen > MEDIA_TYPE_MAX ||
	    memchr(sp + 1, '\0', mtlen) != NULL)
		return (-1);
	memcpy(te->media_type, sp + 1, mtlen);
	te->media_type[mtlen] = '\0';
	return (0);
}

int
codec_tag_next(const char **p, const char *end, struct tag_entry *te)
{
	const char	*line = *p, *nl;

	if (line >= end)
		return (1);
	if ((nl = memchr(line, '\n', (size_t)(end - line))) == NULL)
		nl = end;
	*p = nl < end ? nl + 1 : end;
	return (tag_line_decode(line, (size_t)(nl - line), te));
}

/* Referrer file names. */

int
codec_link_decode(struct buf *b)
{
	while (b->len > 0 && (b->buf[b->len - 1] == '\n' ||
	    b->buf[b->len - 1] == ' '))
		buf_setlen(b, b->len - 1);
	return (b->len == 0 || strlen(b->buf) != b->len ? -1 : 0);
}

void
codec_referrer_encode(const struct digest *d, struct buf *out)
{
	buf_addf(out, "%s-%s", digest_alg_name(d->alg), d->hex);
}

int
codec_referrer_decode(const char *name, struct digest *d)
{
	struct buf	 s = BUF_INIT;
	char		*dash;
	int		 rv = -1;

	buf_addstr(&s, name);
	if ((dash = strchr(s.buf, '-')) != NULL) {
		*dash = ':';
		rv = digest_parse(s.buf, s.len, d);
	}
	buf_release(&s);
	return (rv);
}

/* Upload state. */

void
codec_upload_encode(const char *name, uint64_t offset, const struct hasher *h,
    struct buf *out)
{
	buf_addstr(out, UPLOAD_MAGIC);
	buf_addf(out, "%s\n%llu\n", name, (unsigned long long)offset);
	hasher_save(h, out);
}

int
codec_upload_decode(const void *data, size_t len, struct buf *name,
    uint64_t *offset, struct hasher *h)
{
	const char	*p = data, *end = p + len, *nl;
	size_t		 mlen = strlen(UPLOAD_MAGIC);

	if (len < mlen || memcmp(p, UPLOAD_MAGIC, mlen) != 0)
		return (-1);
	p += mlen;
	if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL ||
	    (size_t)(nl - p) > NAME_MAX_LEN || !name_valid(p, (size_t)(nl - p)))
		return (-1);
	buf_add(name, p, (size_t)(nl - p));
	p = nl + 1;
	if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL ||
	    parse_u64n(p, (size_t)(nl - p), 0, UINT64_MAX, offset) == -1)
		return (-1);
	p = nl + 1;
	return (hasher_load(h, p, (size_t)(end - p)));
}
