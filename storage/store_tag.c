/*
 * storage/store_tag.c: tags, the tag and repository listings, and the
 * referrers index.
 *
 * A tag file (layout_tag(), its lines codec.h's) holds a line per
 * manifest, newest push first and at most one per media type: as in
 * zuul-registry, one tag can name a Docker schema 2 manifest and an OCI
 * manifest at once and the handler picks one with Accept.  Tag files
 * are replaced atomically, so readers take no lock.  Writers hold the
 * repository's tag lock: deletes, prune and fsck exclusively; pushes
 * shared, and the slot of that lock that the tag's name hashes to
 * exclusively, so that pushes to different tags do not wait for each
 * other's syncs (two tags on one slot only wait).
 *
 * A directory below repos/ is a repository when it has a "_manifests"
 * child; repository names nest ("a/b" and "a/b/c" can both exist).
 * Listings are sorted with strcmp() and paged with "last" (exclusive)
 * and "n" (0: all).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/buf.h"
#include "common/digest.h"
#include "common/log.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "storage/codec.h"
#include "storage/driver.h"
#include "storage/layout.h"
#include "storage/manifest.h"
#include "storage/store.h"
#include "storage/store_int.h"

/* Longest tag file: one line per media type, a few in practice. */
#define TAG_FILE_MAX	(64 * 1024)

/* A growable array of strings. */
struct strv {
	char	**v;
	size_t	  n;
	size_t	  alloc;
};

static void
strv_add(struct strv *sv, const char *s)
{
	if (sv->n == sv->alloc) {
		sv->alloc = sv->alloc == 0 ? 16 : sv->alloc * 2;
		sv->v = xreallocarray(sv->v, sv->alloc, sizeof(*sv->v));
	}
	sv->v[sv->n++] = xstrdup(s);
}

static int
strv_cmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/* Drop the repeats of a sorted "sv". */
static void
strv_uniq(struct strv *sv)
{
	size_t	i, n = 0;

	for (i = 0; i < sv->n; i++) {
		if (n > 0 && strcmp(sv->v[n - 1], sv->v[i]) == 0)
			free(sv->v[i]);
		else
			sv->v[n++] = sv->v[i];
	}
	sv->n = n;
}

/*
 * Sort "sv", each string once, and hand the page after "last" of at most "n" entries to
 * the caller; "sv" is consumed.
 */
static void
strv_page(struct strv *sv, const char *last, size_t n, char ***out,
    size_t *nout, int *more)
{
	size_t	first = 0, count, i;

	if (sv->n > 0)
		qsort(sv->v, sv->n, sizeof(*sv->v), strv_cmp);
	strv_uniq(sv);
	if (last != NULL)
		while (first < sv->n && strcmp(sv->v[first], last) <= 0)
			first++;
	count = sv->n - first;
	*more = n != 0 && count > n;
	if (*more)
		count = n;
	*out = xcalloc(count == 0 ? 1 : count, sizeof(**out));
	for (i = 0; i < sv->n; i++) {
		if (i >= first && i < first + count)
			(*out)[i - first] = sv->v[i];
		else
			free(sv->v[i]);
	}
	*nout = count;
	free(sv->v);
	memset(sv, 0, sizeof(*sv));
}

/* Tag files. */

/* Read a tag file; NOENT if it is missing or holds no valid line. */
static enum reg_err
tag_read(struct store *st, const char *name, const char *tag,
    struct tag_entry **out, size_t *nout)
{
	struct buf		 path = BUF_INIT, b = BUF_INIT;
	struct tag_entry	*te = NULL;
	const char		*p;
	size_t			 n = 0;
	int			 rv;
	enum reg_err		 rc;

	layout_tag(&path, name, tag);
	if ((rc = stor_get(st->sd, path.buf, TAG_FILE_MAX, &b)) != REG_OK)
		goto out;
	p = b.buf;
	for (;;) {
		te = xreallocarray(te, n + 1, sizeof(*te));
		if ((rv = codec_tag_next(&p, b.buf + b.len, &te[n])) == 1)
			break;
		if (rv == 0)
			n++;
		else
			log_warnx("store: %s: skipping a malformed line",
			    path.buf);
	}
	if (n == 0) {
		free(te);
		te = NULL;
		rc = REG_E_NOENT;
	}
out:
	*out = te;
	*nout = n;
	buf_release(&path);
	buf_release(&b);
	return (rc);
}

/* Replace a tag file with "te", or remove it when "n" is 0. */
static enum reg_err
tag_write(struct store *st, const char *name, const char *tag,
    const struct tag_entry *te, size_t n, int flags)
{
	struct buf	path = BUF_INIT, b = BUF_INIT;
	enum reg_err	rc;

	layout_tag(&path, name, tag);
	codec_tag_encode(te, n, &b);
	if (n == 0) {
		rc = stor_remove(st->sd, path.buf);
		if (rc == REG_E_NOENT)
			rc = REG_OK;
	} else
		rc = stor_put(st->sd, path.buf, b.buf, b.len, flags);
	buf_release(&path);
	buf_release(&b);
	return (rc);
}

/* FNV-1a: which slot of the repository's tag lock guards "tag". */
static uint64_t
tag_slot(const char *tag)
{
	uint64_t	h = 0xcbf29ce484222325ULL;

	for (; *tag != '\0'; tag++)
		h = (h ^ (unsigned char)*tag) * 0x100000001b3ULL;
	return (h);
}

enum reg_err
store_tag_set_locked(struct store *st, struct stor_lock *lk,
    const char *name, const char *tag, const struct tag_entry *te)
{
	struct tag_entry	*old, *nw;
	size_t			 nold, n = 0, i;
	enum reg_err		 rc;

	if ((rc = stor_lock_slot(st->sd, lk, tag_slot(tag))) != REG_OK)
		return (rc);
	if (store_create_first(st) &&
	    (rc = tag_write(st, name, tag, te, 1, STOR_PUT_EXCL)) !=
	    REG_E_EXISTS)
		return (rc);
	rc = tag_read(st, name, tag, &old, &nold);
	if (rc == REG_E_NOENT)
		rc = REG_OK;
	if (rc != REG_OK)
		return (rc);
	nw = xreallocarray(NULL, nold + 1, sizeof(*nw));
	nw[n++] = *te;
	for (i = 0; i < nold; i++)
		if (strcmp(old[i].media_type, te->media_type) != 0)
			nw[n++] = old[i];
	rc = tag_write(st, name, tag, nw, n, 0);
	free(old);
	free(nw);
	return (rc);
}

/* Drop the lines that point at "d" from one tag file. */
static enum reg_err
tag_drop(struct store *st, const char *name, const char *tag,
    const struct digest *d)
{
	struct tag_entry	*te;
	size_t			 n, kept = 0, i;
	enum reg_err		 rc;

	if ((rc = tag_read(st, name, tag, &te, &n)) != REG_OK)
		return (rc == REG_E_NOENT ? REG_OK : rc);
	for (i = 0; i < n; i++)
		if (!digest_equal(&te[i].digest, d))
			te[kept++] = te[i];
	if (kept != n)
		rc = tag_write(st, name, tag, te, kept, 0);
	free(te);
	return (rc);
}

static enum reg_err
collect_files(const char *entry, const struct stor_stat *ss, void *arg)
{
	if (!ss->is_dir)
		strv_add(arg, entry);
	return (REG_OK);
}

/* Every tag file name of a repository (none if it has no tags). */
static enum reg_err
tags_collect(struct store *st, const char *name, struct strv *sv)
{
	struct buf	path = BUF_INIT;
	enum reg_err	rc;

	layout_tags(&path, name);
	rc = stor_list(st->sd, path.buf, collect_files, sv);
	buf_release(&path);
	return (rc == REG_E_NOENT ? REG_OK : rc);
}

enum reg_err
store_tags_drop_locked(struct store *st, const char *name,
    const struct digest *d)
{
	struct strv	sv = { NULL, 0, 0 };
	size_t		i;
	enum reg_err	rc;

	rc = tags_collect(st, name, &sv);
	for (i = 0; i < sv.n; i++) {
		if (rc == REG_OK)
			rc = tag_drop(st, name, sv.v[i], d);
		free(sv.v[i]);
	}
	free(sv.v);
	return (rc);
}

enum reg_err
store_tag_get(struct store *st, const char *name, const char *tag,
    struct tag_entry **out, size_t *n)
{
	return (tag_read(st, name, tag, out, n));
}

enum reg_err
store_tag_mtime(struct store *st, const char *name, const char *tag,
    time_t *mtime)
{
	struct buf		path = BUF_INIT;
	struct stor_stat	ss;
	enum reg_err		rc;

	layout_tag(&path, name, tag);
	if ((rc = stor_stat(st->sd, path.buf, &ss)) == REG_OK)
		*mtime = ss.mtime;
	buf_release(&path);
	return (rc);
}

enum reg_err
store_tags_lock(struct store *st, const char *name, enum stor_lock_mode mode,
    int create, struct stor_lock **lk)
{
	struct buf	path = BUF_INIT;
	enum reg_err	rc;

	layout_tags_lock(&path, name);
	rc = stor_lock(st->sd, path.buf, mode, create, lk);
	buf_release(&path);
	return (rc);
}

enum reg_err
store_tag_delete(struct store *st, const char *name, const char *tag)
{
	struct buf		 path = BUF_INIT;
	struct stor_lock	*lk;
	enum reg_err		 rc;

	/* Tags are only written under the lock: no lock file, no tag. */
	rc = store_tags_lock(st, name, STOR_LOCK_EX, 0, &lk);
	if (rc == REG_OK) {
		layout_tag(&path, name, tag);
		rc = stor_remove(st->sd, path.buf);
		stor_unlock(st->sd, lk);
	}
	buf_release(&path);
	return (rc);
}

/* Does "name" exist: does it have a _manifests directory? */
static enum reg_err
repo_exists(struct store *st, const char *name)
{
	struct buf		path = BUF_INIT;
	struct stor_stat	ss;
	enum reg_err		rc;

	layout_manifest_links(&path, name);
	rc = stor_stat(st->sd, path.buf, &ss);
	buf_release(&path);
	if (rc == REG_OK && !ss.is_dir)
		rc = REG_E_NOENT;
	return (rc);
}

enum reg_err
store_tags_list(struct store *st, const char *name, const char *last,
    size_t n, char ***out, size_t *nout, int *more)
{
	return (store_tags_list_with(st, name, NULL, 0, last, n, out, nout,
	    more));
}

enum reg_err
store_tags_list_with(struct store *st, const char *name, char *const *extra,
    size_t nextra, const char *last, size_t n, char ***out, size_t *nout,
    int *more)
{
	struct strv	sv = { NULL, 0, 0 };
	size_t		i;
	enum reg_err	rc;

	*out = NULL;
	*nout = 0;
	*more = 0;
	rc = repo_exists(st, name);
	if (rc == REG_OK)
		rc = tags_collect(st, name, &sv);
	else if (rc == REG_E_NOENT && nextra > 0)
		rc = REG_OK;
	if (rc != REG_OK) {
		store_strv_free(sv.v, sv.n);
		return (rc);
	}
	for (i = 0; i < nextra; i++)
		strv_add(&sv, extra[i]);
	strv_page(&sv, last, n, out, nout, more);
	return (REG_OK);
}

/*
 * The catalog: a walk of repos/ in the byte order of the full names
 * that skips what sorts up to "last" and stops once it has the page.
 * Child "c" of a directory stands at two places of that order: the
 * repository "c" at key "c", everything below it at key "c/".  Sorting
 * both keys of every child sorts the subtree, since no other name
 * starts with "c/": "a" < "a-b" < "a.b" < "a/b" < "a0".
 *
 * A page then costs the directories on the way to it and those of its
 * own repositories, but a directory is listed whole (its order on disk
 * is not ours): at 10,000 repositories side by side that alone is tens
 * of milliseconds, and each repository of the page is a listing too.
 * So a worker keeps what it listed: per directory its sorted keys and
 * whether it is a repository, with the directory's mtime, which adding
 * or removing a child changes.  A page costs a stat per directory it
 * goes through.  mtimes count seconds: a listing is trusted again only
 * if the mtime read before it was CATALOG_SETTLE seconds old, so that a
 * child added during the listing's own second is never missed.
 */

#define CATALOG_CACHE_MAX	65536	/* directories kept, a few MB */
#define CATALOG_SETTLE		2		/* seconds */

struct catalog_dir {
	char		*prefix;	/* "" for repos/ itself */
	time_t		 mtime;
	int		 settled;	/* may be used while mtime holds */
	unsigned long	 seen;		/* the walk that last checked it */
	int		 is_repo;
	struct strv	 keys;		/* sorted */
};

/* What a store handle listed: open addressing on the prefix. */
struct catalog_cache {
	struct catalog_dir	**slot;
	size_t			  cap;	/* a power of two, or 0 */
	size_t			  n;
	unsigned long		  walks;
};

struct catalog {
	struct store		*st;
	struct catalog_cache	*cc;
	const char		*last;		/* NULL: from the start */
	size_t			 n;		/* 0: all */
	unsigned long		 walk;
	struct strv		 page;		/* ends with one more than "n" */
};

static void
catalog_dir_free(struct catalog_dir *cd)
{
	if (cd == NULL)
		return;
	free(cd->prefix);
	store_strv_free(cd->keys.v, cd->keys.n);
	free(cd);
}

static void
catalog_cache_clear(struct catalog_cache *cc)
{
	size_t	i;

	for (i = 0; i < cc->cap; i++)
		catalog_dir_free(cc->slot[i]);
	free(cc->slot);
	cc->slot = NULL;
	cc->cap = cc->n = 0;
}

void
store_catalog_release(struct store *st)
{
	if (st->catalog == NULL)
		return;
	catalog_cache_clear(st->catalog);
	free(st->catalog);
	st->catalog = NULL;
}

/* The slot of "prefix": its entry, or the empty slot it would take. */
static struct catalog_dir **
catalog_cache_slot(struct catalog_cache *cc, const char *prefix)
{
	struct catalog_dir	**old;
	size_t			  i, ocap;

	if (cc->n * 2 >= cc->cap) {
		old = cc->slot;
		ocap = cc->cap;
		cc->cap = ocap == 0 ? 64 : ocap * 2;
		cc->slot = xcalloc(cc->cap, sizeof(*cc->slot));
		for (i = 0; i < ocap; i++)
			if (old[i] != NULL)
				*catalog_cache_slot(cc, old[i]->prefix) =
				    old[i];
		free(old);
	}
	i = tag_slot(prefix) & (cc->cap - 1);
	while (cc->slot[i] != NULL && strcmp(cc->slot[i]->prefix, prefix) != 0)
		i = (i + 1) & (cc->cap - 1);
	return (&cc->slot[i]);
}

/* Both keys of a child directory whose full name is a valid name. */
static enum reg_err
catalog_entry(const char *entry, const struct stor_stat *ss, void *arg)
{
	struct catalog_dir	*cd = arg;
	struct buf		 key = BUF_INIT;

	if (!ss->is_dir)
		return (REG_OK);
	if (strcmp(entry, "_manifests") == 0)
		cd->is_repo = 1;
	if (entry[0] == '_')
		return (REG_OK);
	if (*cd->prefix != '\0')
		buf_addf(&key, "%s/", cd->prefix);
	buf_addstr(&key, entry);
	if (key.len <= NAME_MAX_LEN && name_valid(key.buf, key.len)) {
		strv_add(&cd->keys, key.buf);
		buf_addch(&key, '/');
		strv_add(&cd->keys, key.buf);
	}
	buf_release(&key);
	return (REG_OK);
}

/* List directory "path" of "prefix" into a new entry. */
static enum reg_err
catalog_dir_list(struct catalog *c, const char *path, const char *prefix,
    const struct stor_stat *ss, time_t now, struct catalog_dir **out)
{
	struct catalog_dir	*cd;
	enum reg_err		 rc;

	cd = xcalloc(1, sizeof(*cd));
	cd->prefix = xstrdup(prefix);
	cd->mtime = ss->mtime;
	cd->settled = ss->mtime <= now - CATALOG_SETTLE;
	cd->seen = c->walk;
	if ((rc = stor_list(c->st->sd, path, catalog_entry, cd)) != REG_OK) {
		catalog_dir_free(cd);
		return (rc);
	}
	if (cd->keys.n > 0)
		qsort(cd->keys.v, cd->keys.n, sizeof(*cd->keys.v), strv_cmp);
	*out = cd;
	return (REG_OK);
}

/*
 * Directory "prefix" as it is now: the kept entry if its mtime says it
 * did not change, else a new listing.  "*out" is NULL if it is gone.
 */
static enum reg_err
catalog_dir_get(struct catalog *c, const char *prefix,
    struct catalog_dir **out)
{
	struct catalog_dir	**slot, *cd;
	struct stor_stat	  ss;
	struct buf		  path = BUF_INIT;
	time_t			  now = time(NULL);
	enum reg_err		  rc;

	*out = NULL;
	slot = catalog_cache_slot(c->cc, prefix);
	if ((*out = *slot) != NULL && (*slot)->seen == c->walk)
		return (REG_OK);
	if (*prefix == '\0')
		layout_repos_root(&path);
	else
		layout_repo(&path, prefix);
	rc = stor_stat(c->st->sd, path.buf, &ss);
	if (rc == REG_OK && *slot != NULL && (*slot)->settled &&
	    (*slot)->mtime == ss.mtime)
		(*slot)->seen = c->walk;
	else if (rc == REG_OK &&
	    (rc = catalog_dir_list(c, path.buf, prefix, &ss, now, &cd)) ==
	    REG_OK) {
		if (*slot == NULL)
			c->cc->n++;
		catalog_dir_free(*slot);
		*slot = cd;
	}
	buf_release(&path);
	*out = rc == REG_OK ? *slot : NULL;
	return (rc == REG_E_NOENT ? REG_OK : rc);
}

static int
catalog_full(const struct catalog *c)
{
	return (c->n != 0 && c->page.n > c->n);
}

static enum reg_err	catalog_walk(struct catalog *, const char *);

/* Visit one key of a directory: a repository, or what is below one. */
static enum reg_err
catalog_key(struct catalog *c, const char *key)
{
	struct catalog_dir	*cd;
	struct buf		 prefix = BUF_INIT;
	size_t			 len = strlen(key);
	enum reg_err		 rc;

	if (key[len - 1] != '/') {
		if (c->last != NULL && strcmp(key, c->last) <= 0)
			return (REG_OK);
		if ((rc = catalog_dir_get(c, key, &cd)) == REG_OK &&
		    cd != NULL && cd->is_repo)
			strv_add(&c->page, key);
		return (rc);
	}
	/* Everything below sorts up to "last" unless "last" is in it. */
	if (c->last != NULL && strcmp(key, c->last) < 0 &&
	    strncmp(key, c->last, len) != 0)
		return (REG_OK);
	buf_add(&prefix, key, len - 1);
	rc = catalog_walk(c, prefix.buf);
	buf_release(&prefix);
	return (rc);
}

/*
 * Add the repositories below "prefix" to the page, in order.  Entries
 * stay where they are while the walk runs (the table holds pointers,
 * and a directory is listed again only once per walk).
 */
static enum reg_err
catalog_walk(struct catalog *c, const char *prefix)
{
	struct catalog_dir	*cd;
	size_t			 i;
	enum reg_err		 rc;

	if ((rc = catalog_dir_get(c, prefix, &cd)) != REG_OK || cd == NULL)
		return (rc);
	for (i = 0; i < cd->keys.n && rc == REG_OK && !catalog_full(c); i++)
		rc = catalog_key(c, cd->keys.v[i]);
	return (rc);
}

enum reg_err
store_catalog(struct store *st, const char *last, size_t n, char ***out,
    size_t *nout, int *more)
{
	struct catalog	c = { st, NULL, last, n, 0, { NULL, 0, 0 } };
	enum reg_err	rc;

	*out = NULL;
	*nout = 0;
	*more = 0;
	if (st->catalog == NULL)
		st->catalog = xcalloc(1, sizeof(*st->catalog));
	c.cc = st->catalog;
	/* Too much kept: start again (between walks, nothing points in). */
	if (c.cc->n >= CATALOG_CACHE_MAX)
		catalog_cache_clear(c.cc);
	c.walk = ++c.cc->walks;
	if ((rc = catalog_walk(&c, "")) != REG_OK) {
		store_strv_free(c.page.v, c.page.n);
		return (rc);
	}
	/* Already sorted, and after "last": only the extra one goes. */
	strv_page(&c.page, NULL, n, out, nout, more);
	return (REG_OK);
}

/* Referrers. */

/*
 * Add the descriptor stored for referrer "entry" to "arr", unless the
 * filter rejects it or the referrer left the repository meanwhile.
 */
static enum reg_err
referrer_add(struct store *st, const char *name, const struct digest *subj,
    const char *entry, const char *artifact_type, struct json_object *arr)
{
	struct buf		 path = BUF_INIT, b = BUF_INIT;
	struct stor_stat	 ss;
	struct json_object	*desc, *at;
	struct digest		 d;
	enum reg_err		 rc;

	if (codec_referrer_decode(entry, &d) == -1)
		return (REG_OK);
	layout_manifest_link(&path, name, &d);
	if ((rc = stor_stat(st->sd, path.buf, &ss)) == REG_OK) {
		layout_referrer(&path, name, subj, &d);
		rc = stor_get(st->sd, path.buf, MANIFEST_MAX, &b);
	}
	buf_release(&path);
	if (rc != REG_OK) {
		buf_release(&b);
		return (rc == REG_E_NOENT ? REG_OK : rc);
	}
	desc = json_tokener_parse(b.buf);
	buf_release(&b);
	if (desc == NULL || !json_object_is_type(desc, json_type_object)) {
		log_warnx("store: %s: bad referrer descriptor %s", name, entry);
		json_object_put(desc);
		return (REG_OK);
	}
	if (artifact_type != NULL &&
	    (!json_object_object_get_ex(desc, "artifactType", &at) ||
	    strcmp(json_object_get_string(at), artifact_type) != 0)) {
		json_object_put(desc);
		return (REG_OK);
	}
	json_object_array_add(arr, desc);
	return (REG_OK);
}

enum reg_err
store_referrers(struct store *st, const char *name,
    const struct digest *subject, const char *artifact_type,
    struct buf *out)
{
	struct json_object	*root, *arr;
	struct strv		 sv = { NULL, 0, 0 };
	struct buf		 path = BUF_INIT;
	size_t			 i;
	enum reg_err		 rc;

	layout_referrers(&path, name, subject);
	rc = stor_list(st->sd, path.buf, collect_files, &sv);
	buf_release(&path);
	if (rc == REG_E_NOENT)
		rc = REG_OK;
	if (sv.n > 0)
		qsort(sv.v, sv.n, sizeof(*sv.v), strv_cmp);
	arr = json_object_new_array();
	for (i = 0; i < sv.n && rc == REG_OK; i++)
		rc = referrer_add(st, name, subject, sv.v[i], artifact_type,
		    arr);
	store_strv_free(sv.v, sv.n);
	if (rc != REG_OK) {
		json_object_put(arr);
		return (rc);
	}
	root = json_object_new_object();
	json_object_object_add(root, "schemaVersion", json_object_new_int(2));
	json_object_object_add(root, "mediaType",
	    json_object_new_string(MT_OCI_INDEX));
	json_object_object_add(root, "manifests", arr);
	buf_addstr(out, json_object_to_json_string_ext(root,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return (REG_OK);
}
