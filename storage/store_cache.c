/*
 * storage/store_cache.c: the pull-through cache's records (store.h,
 * layout.c: repos/<name>/_cache/, upstream/<host>/).
 *
 * A cached tag is one line, "<digest> <confirmed> <media-type>\n"; a
 * cached manifest is "<media-type>\n" followed by the manifest's exact
 * bytes; a cached tags list "<confirmed>\n" and then a tag a line.  All
 * are small and replaced whole by stor_put(), so readers see the old
 * record or the new one and no lock is needed.  Prune's pass over them
 * (store_cache_prune()) is at the end.
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
#include "storage/manifest.h"
#include "storage/store.h"
#include "storage/store_int.h"

#define CACHE_TAG_MAX	(DIGEST_STR_MAX + 32 + MEDIA_TYPE_MAX + 2)
#define RETRY_MAX	32
/* Seconds between two touches of a cached manifest that is read. */
#define CACHE_TOUCH	3600
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
	rc = stor_put(st->sd, path.buf, b.buf, b.len, 0);
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
	rc = stor_put(st->sd, path.buf, b.buf, b.len, 0);
	buf_release(&path);
	buf_release(&b);
	return (rc);
}

/* A cached manifest's body and media type, without counting a use. */
static enum reg_err
cache_manifest_read(struct store *st, const char *name,
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

/* A read is a use: touch the record, at most once per CACHE_TOUCH. */
static void
cache_manifest_used(struct store *st, const char *name,
    const struct digest *d)
{
	struct buf		path = BUF_INIT;
	struct stor_stat	ss;

	layout_cache_manifest(&path, name, d);
	if (stor_stat(st->sd, path.buf, &ss) == REG_OK &&
	    ss.mtime < time(NULL) - CACHE_TOUCH)
		(void)stor_touch(st->sd, path.buf);
	buf_release(&path);
}

enum reg_err
store_cache_manifest_get(struct store *st, const char *name,
    const struct digest *d, struct buf *body,
    char media_type[MEDIA_TYPE_MAX + 1])
{
	enum reg_err	rc;

	if ((rc = cache_manifest_read(st, name, d, body, media_type)) ==
	    REG_OK)
		cache_manifest_used(st, name, d);
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
	rc = stor_put(st->sd, path.buf, b.buf, b.len, 0);
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
	rc = stor_put(st->sd, path.buf, b.buf, b.len, 0);
	buf_release(&path);
	buf_release(&b);
	return (rc);
}

/* Prune's pass (store_int.h). */

struct cache_ent {
	char	*name;
	time_t	 mtime;
};

struct cache_ents {
	struct cache_ent	*v;
	size_t			 n;
	int			 dirs;	/* list directories, else files */
};

struct cache_prune {
	struct store		*st;
	time_t			 before;
	int			 dry_run;
	store_cache_mark_fn	 mark;
	void			*arg;
	uint64_t		*removed;
};

static enum reg_err
cache_ent_seen(const char *entry, const struct stor_stat *ss, void *arg)
{
	struct cache_ents	*ce = arg;

	if ((ss->is_dir != 0) != ce->dirs)
		return (REG_OK);
	ce->v = xreallocarray(ce->v, ce->n + 1, sizeof(*ce->v));
	ce->v[ce->n].name = xstrdup(entry);
	ce->v[ce->n].mtime = ss->mtime;
	ce->n++;
	return (REG_OK);
}

/* The directories or files in "path"; none if it is missing. */
static enum reg_err
cache_ents_list(struct store *st, const char *path, int dirs,
    struct cache_ents *ce)
{
	enum reg_err	rc;

	memset(ce, 0, sizeof(*ce));
	ce->dirs = dirs;
	rc = stor_list(st->sd, path, cache_ent_seen, ce);
	return (rc == REG_E_NOENT ? REG_OK : rc);
}

static void
cache_ents_free(struct cache_ents *ce)
{
	size_t	i;

	for (i = 0; i < ce->n; i++)
		free(ce->v[i].name);
	free(ce->v);
	memset(ce, 0, sizeof(*ce));
}

/* Remove one record (or say it would go). */
static enum reg_err
cache_drop(struct cache_prune *cp, const struct buf *path)
{
	enum reg_err	rc = REG_OK;

	log_info("prune: %s %s", cp->dry_run ? "would remove" : "removed",
	    path->buf);
	if (!cp->dry_run && (rc = stor_remove(cp->st->sd, path->buf)) ==
	    REG_E_NOENT)
		rc = REG_OK;
	return (rc);
}

/* Mark what cached manifest "d" of "name" references. */
static enum reg_err
cache_mark(struct cache_prune *cp, const char *name, const struct digest *d)
{
	struct manifest_parsed	 mp;
	struct buf		 body = BUF_INIT, detail = BUF_INIT;
	char			 mt[MEDIA_TYPE_MAX + 1];
	enum reg_err		 rc;

	rc = cache_manifest_read(cp->st, name, d, &body, mt);
	if (rc == REG_OK && manifest_parse(body.buf, body.len, mt, &mp,
	    &detail) == REG_OK) {
		cp->mark(&mp, cp->arg);
		manifest_parsed_release(&mp);
	}
	buf_release(&body);
	buf_release(&detail);
	return (rc == REG_E_NOENT ? REG_OK : rc);
}

/* The cached manifests of "name" with algorithm directory "alg". */
static enum reg_err
cache_prune_alg(struct cache_prune *cp, const char *name, const char *alg)
{
	struct cache_ents	 ce;
	struct buf		 path = BUF_INIT, ds = BUF_INIT;
	struct digest		 d;
	size_t			 i;
	enum reg_err		 rc;

	layout_cache_manifests(&path, name);
	buf_addf(&path, "/%s", alg);
	rc = cache_ents_list(cp->st, path.buf, 0, &ce);
	for (i = 0; i < ce.n && rc == REG_OK; i++) {
		buf_reset(&ds);
		buf_addf(&ds, "%s:%s", alg, ce.v[i].name);
		if (digest_parse(ds.buf, ds.len, &d) == -1)
			continue;
		if (cp->before != 0 && ce.v[i].mtime < cp->before) {
			layout_cache_manifest(&path, name, &d);
			if ((rc = cache_drop(cp, &path)) == REG_OK)
				(*cp->removed)++;
		} else
			rc = cache_mark(cp, name, &d);
	}
	cache_ents_free(&ce);
	buf_release(&path);
	buf_release(&ds);
	return (rc);
}

/* Cached tags whose manifest is gone, and an expired tags list. */
static enum reg_err
cache_prune_tags(struct cache_prune *cp, const char *name)
{
	struct cache_ents	 ce;
	struct cache_tag	 ct;
	struct stor_stat	 ss;
	struct buf		 path = BUF_INIT;
	size_t			 i;
	enum reg_err		 rc;

	layout_cache_tag_dir(&path, name);
	rc = cache_ents_list(cp->st, path.buf, 0, &ce);
	for (i = 0; i < ce.n && rc == REG_OK; i++) {
		if (!tag_valid(ce.v[i].name, strlen(ce.v[i].name)) ||
		    store_cache_tag_get(cp->st, name, ce.v[i].name, &ct) !=
		    REG_OK)
			continue;
		layout_cache_manifest(&path, name, &ct.digest);
		if (stor_stat(cp->st->sd, path.buf, &ss) != REG_E_NOENT &&
		    !(cp->dry_run && cp->before != 0 && ss.mtime < cp->before))
			continue;
		layout_cache_tag(&path, name, ce.v[i].name);
		rc = cache_drop(cp, &path);
	}
	cache_ents_free(&ce);
	layout_cache_tags(&path, name);
	if (rc == REG_OK && cp->before != 0 &&
	    stor_stat(cp->st->sd, path.buf, &ss) == REG_OK &&
	    ss.mtime < cp->before)
		rc = cache_drop(cp, &path);
	buf_release(&path);
	return (rc);
}

static enum reg_err
cache_prune_repo(struct cache_prune *cp, const char *name)
{
	struct cache_ents	 ce;
	struct buf		 path = BUF_INIT;
	size_t			 i;
	enum reg_err		 rc;

	layout_cache_manifests(&path, name);
	rc = cache_ents_list(cp->st, path.buf, 1, &ce);
	for (i = 0; i < ce.n && rc == REG_OK; i++)
		rc = cache_prune_alg(cp, name, ce.v[i].name);
	cache_ents_free(&ce);
	buf_release(&path);
	return (rc == REG_OK ? cache_prune_tags(cp, name) : rc);
}

/* Every repository at or below "prefix" ("" for all) with a cache. */
static enum reg_err
cache_prune_walk(struct cache_prune *cp, const char *prefix)
{
	struct cache_ents	 ce;
	struct buf		 path = BUF_INIT, child = BUF_INIT;
	size_t			 i;
	enum reg_err		 rc;

	if (*prefix == '\0')
		layout_repos_root(&path);
	else
		layout_repo(&path, prefix);
	rc = cache_ents_list(cp->st, path.buf, 1, &ce);
	for (i = 0; i < ce.n && rc == REG_OK; i++) {
		if (strcmp(ce.v[i].name, "_cache") == 0 && *prefix != '\0')
			rc = cache_prune_repo(cp, prefix);
		else if (ce.v[i].name[0] != '_') {
			buf_reset(&child);
			buf_addf(&child, "%s%s%s", prefix,
			    *prefix != '\0' ? "/" : "", ce.v[i].name);
			if (name_valid(child.buf, child.len))
				rc = cache_prune_walk(cp, child.buf);
		}
	}
	cache_ents_free(&ce);
	buf_release(&path);
	buf_release(&child);
	return (rc);
}

enum reg_err
store_cache_prune(struct store *st, time_t before, int dry_run,
    store_cache_mark_fn mark, void *arg, uint64_t *removed)
{
	struct cache_prune	cp = { st, before, dry_run, mark, arg,
				    removed };

	*removed = 0;
	return (cache_prune_walk(&cp, ""));
}
