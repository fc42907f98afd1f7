/*
 * storage/store_walk.c: walking the blob and link trees, and sweeping
 * temporary files, for store_prune.c and store_fsck.c.
 *
 * The trees end in "<alg>/.../<hex>" (layout.c): blobs at
 * blobs/<alg>/<hex[0:2]>/<hex>, links at
 * repos/<name>/_manifests/<alg>/<hex> and repos/<name>/_blobs/<alg>/<hex>.  Each directory is listed whole
 * before anything in it is handed on, so callbacks may remove entries;
 * a directory that vanished meanwhile (another prune, a DELETE) is
 * simply empty.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/digest.h"
#include "common/log.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "storage/driver.h"
#include "storage/layout.h"
#include "storage/prune.h"
#include "storage/store.h"

struct ent {
	char			*name;
	struct stor_stat	 ss;
};

struct ents {
	struct ent	*v;
	size_t		 n;
	size_t		 alloc;
};

static enum reg_err
ents_add(const char *name, const struct stor_stat *ss, void *arg)
{
	struct ents	*es = arg;

	if (es->n == es->alloc) {
		es->alloc = es->alloc == 0 ? 64 : es->alloc * 2;
		es->v = xreallocarray(es->v, es->alloc, sizeof(*es->v));
	}
	es->v[es->n].name = xstrdup(name);
	es->v[es->n].ss = *ss;
	es->n++;
	return (REG_OK);
}

static void
ents_free(struct ents *es)
{
	size_t	i;

	for (i = 0; i < es->n; i++)
		free(es->v[i].name);
	free(es->v);
	memset(es, 0, sizeof(*es));
}

/* The entries of "path"; none if it is gone. */
static enum reg_err
ents_list(struct store *st, const char *path, struct ents *es)
{
	enum reg_err	rc;

	memset(es, 0, sizeof(*es));
	rc = stor_list(st->sd, path, ents_add, es);
	if (rc == REG_E_NOENT)
		rc = REG_OK;
	if (rc != REG_OK)
		ents_free(es);
	return (rc);
}

/* "<alg>:<hex>" if it is a digest of algorithm directory "alg". */
static int
walk_digest(const char *alg, const char *hex, struct digest *d)
{
	struct buf	s = BUF_INIT;
	int		rv;

	buf_addf(&s, "%s:%s", alg, hex);
	rv = digest_parse(s.buf, s.len, d);
	buf_release(&s);
	return (rv);
}

struct walk {
	struct store	*st;
	store_walk_fn	 fn;
	void		*arg;
	int		 fanout;	/* blobs: a <hex[0:2]> level */
};

/* The files of one leaf directory "dir" of algorithm "alg". */
static enum reg_err
walk_leaf(struct walk *w, const char *dir, const char *alg,
    const char *prefix)
{
	struct ents	 es;
	struct digest	 d;
	struct buf	 path = BUF_INIT;
	size_t		 i;
	int		 ok;
	enum reg_err	 rc;

	if ((rc = ents_list(w->st, dir, &es)) != REG_OK)
		return (rc);
	for (i = 0; i < es.n && rc == REG_OK; i++) {
		buf_reset(&path);
		buf_addf(&path, "%s/%s", dir, es.v[i].name);
		ok = !es.v[i].ss.is_dir &&
		    walk_digest(alg, es.v[i].name, &d) == 0 &&
		    (prefix == NULL || strncmp(d.hex, prefix, 2) == 0);
		rc = w->fn(path.buf, ok ? &d : NULL, &es.v[i].ss, w->arg);
	}
	ents_free(&es);
	buf_release(&path);
	return (rc);
}

/* "<top>/<alg>/[<xx>/]<hex>". */
static enum reg_err
walk_tree(struct walk *w, const char *top)
{
	struct ents	 algs, fan;
	struct buf	 dir = BUF_INIT, sub = BUF_INIT;
	size_t		 i, j;
	enum reg_err	 rc;

	if ((rc = ents_list(w->st, top, &algs)) != REG_OK)
		return (rc);
	for (i = 0; i < algs.n && rc == REG_OK; i++) {
		buf_reset(&dir);
		buf_addf(&dir, "%s/%s", top, algs.v[i].name);
		if (!algs.v[i].ss.is_dir) {
			rc = w->fn(dir.buf, NULL, &algs.v[i].ss, w->arg);
			continue;
		}
		if (!w->fanout) {
			rc = walk_leaf(w, dir.buf, algs.v[i].name, NULL);
			continue;
		}
		if ((rc = ents_list(w->st, dir.buf, &fan)) != REG_OK)
			break;
		for (j = 0; j < fan.n && rc == REG_OK; j++) {
			buf_reset(&sub);
			buf_addf(&sub, "%s/%s", dir.buf, fan.v[j].name);
			if (!fan.v[j].ss.is_dir || strlen(fan.v[j].name) != 2)
				rc = w->fn(sub.buf, NULL, &fan.v[j].ss, w->arg);
			else
				rc = walk_leaf(w, sub.buf, algs.v[i].name,
				    fan.v[j].name);
		}
		ents_free(&fan);
	}
	ents_free(&algs);
	buf_release(&dir);
	buf_release(&sub);
	return (rc);
}

enum reg_err
store_walk_blobs(struct store *st, store_walk_fn fn, void *arg)
{
	struct walk	w = { st, fn, arg, 1 };
	struct buf	top = BUF_INIT;
	enum reg_err	rc;

	layout_blobs_root(&top);
	rc = walk_tree(&w, top.buf);
	buf_release(&top);
	return (rc);
}

enum reg_err
store_walk_links(struct store *st, const char *name, store_walk_fn fn,
    void *arg)
{
	struct walk	w = { st, fn, arg, 0 };
	struct buf	top = BUF_INIT;
	enum reg_err	rc;

	layout_manifest_links(&top, name);
	rc = walk_tree(&w, top.buf);
	buf_release(&top);
	return (rc);
}

/*
 * The blob links below "dir", a directory of repos/: its own, if it is
 * a repository, then those of the repositories nested in it.
 */
static enum reg_err
walk_blob_links(struct walk *w, const char *dir)
{
	struct ents	 es;
	struct buf	 sub = BUF_INIT;
	size_t		 i;
	enum reg_err	 rc;

	if ((rc = ents_list(w->st, dir, &es)) != REG_OK)
		return (rc);
	for (i = 0; i < es.n && rc == REG_OK; i++) {
		if (!es.v[i].ss.is_dir)
			continue;
		buf_reset(&sub);
		buf_addf(&sub, "%s/%s", dir, es.v[i].name);
		if (strcmp(es.v[i].name, "_blobs") == 0)
			rc = walk_tree(w, sub.buf);
		else if (es.v[i].name[0] != '_')
			rc = walk_blob_links(w, sub.buf);
	}
	ents_free(&es);
	buf_release(&sub);
	return (rc);
}

enum reg_err
store_walk_blob_links(struct store *st, store_walk_fn fn, void *arg)
{
	struct walk	w = { st, fn, arg, 0 };
	struct buf	top = BUF_INIT;
	enum reg_err	rc;

	layout_repos_root(&top);
	rc = walk_blob_links(&w, top.buf);
	buf_release(&top);
	return (rc);
}

/* Temporary files: the driver's debris, listed whole first. */

struct tmp_sweep {
	struct store	*st;
	time_t		 before;
	int		 dry_run;
	const char	*what;
	uint64_t	*count;
	uint64_t	*bytes;
};

static enum reg_err
tmp_sweep_one(struct tmp_sweep *ts, const struct ent *e)
{
	enum reg_err	rc;

	if (e->ss.mtime >= ts->before)
		return (REG_OK);
	if (!ts->dry_run && (rc = stor_remove(ts->st->sd, e->name)) !=
	    REG_OK)
		return (rc == REG_E_NOENT ? REG_OK : rc);
	log_info("store: %s %s %s (%llu bytes)",
	    ts->dry_run ? "stale" : "removed stale", ts->what, e->name,
	    (unsigned long long)e->ss.size);
	(*ts->count)++;
	*ts->bytes += e->ss.size;
	return (REG_OK);
}

enum reg_err
store_tmp_sweep(struct store *st, enum stor_stage_what what, time_t before,
    int dry_run, uint64_t *count, uint64_t *bytes)
{
	struct tmp_sweep	 ts = { st, before, dry_run,
	    what == STOR_STAGE_TRASH ? "trash" : "temporary file", count,
	    bytes };
	struct ents		 es;
	size_t			 i;
	enum reg_err		 rc;

	memset(&es, 0, sizeof(es));
	rc = stor_stage_list(st->sd, what, ents_add, &es);
	for (i = 0; i < es.n && rc == REG_OK; i++)
		rc = tmp_sweep_one(&ts, &es.v[i]);
	ents_free(&es);
	return (rc);
}
