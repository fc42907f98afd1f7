/*
 * storage/store_cache.c: the pull-through cache's records (store.h,
 * layout.c: repos/<name>/_cache/, upstream/<host>/).
 *
 * A cached tag is one line, "<digest> <confirmed> <media-type>\n"; a
 * cached manifest is "<media-type>\n" followed by the manifest's exact
 * bytes; a cached tags list "<confirmed>\n" and then a tag a line.  Both are small and replaced whole by stor_put(), so readers
 * see the old record or the new one and no lock is needed.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/digest.h"
#include "common/log.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "storage/driver.h"
#include "storage/layout.h"
#include "storage/store.h"

#define CACHE_TAG_MAX	(DIGEST_STR_MAX + 32 + MEDIA_TYPE_MAX + 2)
#define RETRY_MAX	32
/* A list of the longest tags, 128 bytes each, 64 Ki of them. */
#define CACHE_TAGS_MAX	(8 * 1024 * 1024)

/* "<word> " at "*pp" into "out" (size bytes); -1 if missing or long. */
static int
cache_word(const char **pp, const char *end, char *out, size_t size)
{
	const char	*p = *pp, *sp;
	size_t		 n;

	if ((sp = memchr(p, ' ', (size_t)(end - p))) == NULL ||
	    (n = (size_t)(sp - p)) == 0 || n >= size)
		return (-1);
	memcpy(out, p, n);
	out[n] = '\0';
	*pp = sp + 1;
	return (0);
}

static int
cache_tag_decode(const struct buf *b, struct cache_tag *ct)
{
	const char	*p = b->buf, *end = b->buf + b->len, *nl;
	char		 dg[DIGEST_STR_MAX], when[32];
	uint64_t	 t;
	size_t		 n;

	memset(ct, 0, sizeof(*ct));
	if (cache_word(&p, end, dg, sizeof(dg)) == -1 ||
	    digest_parse(dg, strlen(dg), &ct->digest) == -1 ||
	    cache_word(&p, end, when, sizeof(when)) == -1 ||
	    parse_u64(when, 0, INT64_MAX, &t) == -1 ||
	    (nl = memchr(p, '\n', (size_t)(end - p))) == NULL ||
	    (n = (size_t)(nl - p)) == 0 || n > MEDIA_TYPE_MAX)
		return (-1);
	memcpy(ct->media_type, p, n);
	ct->media_type[n] = '\0';
	ct->confirmed = (time_t)t;
	return (0);
}

enum reg_err
store_cache_tag_get(struct store *st, const char *name, const char *tag,
    struct cache_tag *ct)
{
	struct buf	path = BUF_INIT, b = BUF_INIT;
	enum reg_err	rc;

	layout_cache_tag(&path, name, tag);
	if ((rc = stor_get(st->sd, path.buf, CACHE_TAG_MAX, &b)) == REG_OK &&
	    cache_tag_decode(&b, ct) == -1) {
		log_warnx("store: %s: malformed, ignored", path.buf);
		rc = REG_E_NOENT;
	}
	buf_release(&path);
	buf_release(&b);
	return (rc);
}

enum reg_err
store_cache_tag_put(struct store *st, const char *name, const char *tag,
    const struct cache_tag *ct)
{
	struct buf	path = BUF_INIT, b = BUF_INIT;
	enum reg_err	rc;

	layout_cache_tag(&path, name, tag);
	buf_addf(&b, "%s %lld %s\n", ct->digest.str, (long long)ct->confirmed,
	    ct->media_type);
	rc = stor_put(st->sd, path.buf, b.buf, b.len);
	buf_release(&path);
	buf_release(&b);
	return (rc);
}

enum reg_err
store_cache_manifest_put(struct store *st, const char *name,
    const struct digest *d, const char *media_type, const void *body,
    size_t len)
{
	struct buf	path = BUF_INIT, b = BUF_INIT;
	enum reg_err	rc;

	layout_cache_manifest(&path, name, d);
	buf_addf(&b, "%s\n", media_type);
	buf_add(&b, body, len);
	rc = stor_put(st->sd, path.buf, b.buf, b.len);
	buf_release(&path);
	buf_release(&b);
	return (rc);
}

enum reg_err
store_cache_manifest_get(struct store *st, const char *name,
    const struct digest *d, struct buf *body,
    char media_type[MEDIA_TYPE_MAX + 1])
{
	struct buf	 path = BUF_INIT, b = BUF_INIT;
	const char	*nl;
	size_t		 n;
	enum reg_err	 rc;

	layout_cache_manifest(&path, name, d);
	rc = stor_get(st->sd, path.buf, MANIFEST_MAX + MEDIA_TYPE_MAX + 1, &b);
	if (rc == REG_OK && ((nl = memchr(b.buf, '\n', b.len)) == NULL ||
	    (n = (size_t)(nl - b.buf)) == 0 || n > MEDIA_TYPE_MAX)) {
		log_warnx("store: %s: malformed, ignored", path.buf);
		rc = REG_E_NOENT;
	} else if (rc == REG_OK) {
		memcpy(media_type, b.buf, n);
		media_type[n] = '\0';
		buf_add(body, nl + 1, b.len - n - 1);
	}
	buf_release(&path);
	buf_release(&b);
	return (rc);
}

/* One valid tag a line after "<confirmed>\n"; -1 if malformed. */
static int
cache_tags_decode(const struct buf *b, char ***out, size_t *nout,
    time_t *confirmed)
{
	const char	*p, *end = b->buf + b->len, *nl;
	uint64_t	 t;
	size_t		 n = 0;

	if ((nl = memchr(b->buf, '\n', b->len)) == NULL ||
	    parse_u64n(b->buf, (size_t)(nl - b->buf), 0, INT64_MAX, &t) == -1)
		return (-1);
	*confirmed = (time_t)t;
	*out = NULL;
	for (p = nl + 1; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (!tag_valid(p, (size_t)(nl - p)))
			continue;
		*out = xreallocarray(*out, n + 1, sizeof(**out));
		(*out)[n++] = xstrndup(p, (size_t)(nl - p));
	}
	*nout = n;
	return (0);
}

enum reg_err
store_cache_tags_get(struct store *st, const char *name, char ***out,
    size_t *nout, time_t *confirmed)
{
	struct buf	path = BUF_INIT, b = BUF_INIT;
	enum reg_err	rc;

	*out = NULL;
	*nout = 0;
	layout_cache_tags(&path, name);
	if ((rc = stor_get(st->sd, path.buf, CACHE_TAGS_MAX, &b)) == REG_OK &&
	    cache_tags_decode(&b, out, nout, confirmed) == -1) {
		log_warnx("store: %s: malformed, ignored", path.buf);
		rc = REG_E_NOENT;
	}
	buf_release(&path);
	buf_release(&b);
	return (rc);
}

enum reg_err
store_cache_tags_put(struct store *st, const char *name, char *const *tags,
    size_t n, time_t confirmed)
{
	struct buf	path = BUF_INIT, b = BUF_INIT;
	size_t		i;
	enum reg_err	rc;

	layout_cache_tags(&path, name);
	buf_addf(&b, "%lld\n", (long long)confirmed);
	for (i = 0; i < n; i++)
		buf_addf(&b, "%s\n", tags[i]);
	rc = stor_put(st->sd, path.buf, b.buf, b.len);
	buf_release(&path);
	buf_release(&b);
	return (rc);
}

int
store_cache_held(struct store *st, const char *name)
{
	struct buf		path = BUF_INIT;
	struct stor_stat	ss;
	int			held;

	layout_cache_dir(&path, name);
	held = stor_stat(st->sd, path.buf, &ss) == REG_OK && ss.is_dir;
	buf_release(&path);
	return (held);
}

enum reg_err
store_pull_lock(struct store *st, const struct digest *d,
    struct stor_lock **lk)
{
	struct buf	path = BUF_INIT;
	enum reg_err	rc;

	layout_pull_lock(&path, d);
	rc = stor_lock(st->sd, path.buf, STOR_LOCK_EX, 1, lk);
	buf_release(&path);
	return (rc);
}

void
store_pull_unlock(struct store *st, const struct digest *d,
    struct stor_lock *lk)
{
	struct buf	path = BUF_INIT;

	layout_pull_lock(&path, d);
	(void)stor_remove(st->sd, path.buf);
	stor_unlock(st->sd, lk);
	buf_release(&path);
}

time_t
store_upstream_retry_get(struct store *st, const char *host)
{
	struct buf	path = BUF_INIT, b = BUF_INIT;
	uint64_t	until = 0;

	layout_upstream_retry(&path, host);
	if (stor_get(st->sd, path.buf, RETRY_MAX, &b) == REG_OK &&
	    parse_u64(b.buf, 0, INT64_MAX, &until) == -1)
		until = 0;
	buf_release(&path);
	buf_release(&b);
	return ((time_t)until > time(NULL) ? (time_t)until : 0);
}

enum reg_err
store_upstream_retry_set(struct store *st, const char *host, time_t until)
{
	struct buf	path = BUF_INIT, b = BUF_INIT;
	enum reg_err	rc;

	layout_upstream_retry(&path, host);
	buf_addf(&b, "%lld", (long long)until);
	rc = stor_put(st->sd, path.buf, b.buf, b.len);
	buf_release(&path);
	buf_release(&b);
	return (rc);
}
