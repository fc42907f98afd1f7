/*
 * storage/store_prune.c: garbage collection while clients push and pull.
 *
 * The protocol, in the order store_prune() runs it:
 *
 *  1. Barrier.  Take the gc lock exclusively for a moment and read the
 *     store's clock (stor_clock(): the fs driver sets the root's mtime
 *     to now and reads it back): that is the run's epoch, on the
 *     storage's own clock (the one blob mtimes come from).  Every
 *     shared-lock section (manifest PUT, upload finish, mount) either
 *     ended before the barrier, so what it wrote is there for the mark
 *     to read, or starts after it, so every blob it checks, creates or
 *     keeps gets an mtime >= epoch.
 *  2. Uploads whose last activity (the driver's stage_list(): for fs
 *     the newest of the upload's directory, data and state) is older
 *     than upload_expiration are removed by stor_stage_remove(), which
 *     looks again after any session in progress (fs: under the
 *     upload's lock, which a request in flight holds).
 *  3. With an expiration, tag files older than it are removed under the
 *     repository's tag lock after a second look: a push rewrites the tag
 *     file, so a tag pushed meanwhile is fresh and stays.
 *  4. Mark, without locks.  Every remaining tag line of every repository
 *     is a root, and so is every manifest link, unless unreachable links
 *     are to go (--untagged, or an expiration): then a link is a root
 *     only if it or its manifest blob is newer than the link cutoff, and
 *     an older one becomes a candidate.  From a root the mark follows
 *     the manifest blob, the config and layers of an image, the children
 *     of a list or index (recursively) and the manifests whose subject
 *     it is (referrers).  A missing or unparsable manifest is logged and
 *     counted; an I/O error stops the run before anything is swept.
 *     Then the blob tree is listed: a blob neither marked nor younger
 *     than epoch - grace is a candidate.
 *  5. Sweep, under the exclusive gc lock, at most PRUNE_BATCH removals
 *     per hold so that pushes wait for one batch at most.  Every
 *     candidate is looked at again under the lock:
 *      - a link candidate whose link or manifest blob has become fresh
 *        is kept and marked from (a push of the manifest, or of an index
 *        naming it, touches the blob); the others that the marks of
 *        this hold do not reach are removed with store_manifest_drop();
 *      - a blob is removed only if it is still unmarked and, by the
 *        driver's second look (stor_remove_unused()), not used since
 *        epoch - grace;
 *      - a repository that lost tags or links in this run and has
 *        neither left is removed.
 *  6. Blob links (a repository's hold on a blob, store_blob.c) whose
 *     blob is gone are removed, each looked at again under the
 *     exclusive gc lock: uploads and mounts link a blob under the
 *     shared one, after making sure it exists.  Links do not keep a
 *     blob: an unreferenced blob goes after the grace, held or not.
 *  7. Temporary files older than the grace (and STORE_TMP_MIN_AGE) are
 *     removed (what the driver's stage_list() names as debris), and
 *     so is, on a shared driver, its trash (the trash and the
 *     liveness records of blobs that are gone, see below).
 *
 * Why a blob in use survives.  Whatever makes a blob referenced does so
 * inside a shared-lock section that checks the blob exists and marks it
 * used (stor_hold(); fs: a touch, unless its mtime is in the current
 * second already, then a stat): store_manifest_put() uses the manifest
 * blob, the config, the layers and the child manifest blobs of an
 * index; store_blob_mount() and store_upload_finish() use what they
 * keep.  A HEAD or GET (store_blob_stat()) uses the blob too, which
 * looks again that it is there, so a client that was told a blob
 * exists has the grace to push the manifest that names it.  Take a blob that is
 * referenced when a deletion runs.  Either the reference was written
 * before the barrier: then the mark read it, since tags and links are
 * removed only by the rules above, which drop their reference too.  Or
 * it was written by a section that started after the barrier: that
 * section touched the blob, so its mtime is >= epoch > epoch - grace
 * (or found it younger than half the grace: > epoch - grace/2, see
 * below), and the second look under the exclusive lock keeps it.
 * Sections and deletions exclude each other (shared against
 * exclusive), so a section that runs after the deletion finds the blob
 * missing and fails: a manifest PUT never succeeds pointing at a
 * removed blob.  mtimes have a one-second resolution and the
 * comparisons are strict, so a touch in the epoch's own second counts
 * as fresh.
 *
 * The grace is for what is not referenced yet: a layer uploaded for a
 * manifest that the client pushes later.  It must exceed the time a
 * client takes from its first blob upload to its manifest PUT.
 * Lock order, as everywhere: upload, then gc, then tag.
 *
 * On a shared driver (driver.h) the locks exclude nothing, and the
 * argument rests on use() and remove_unused() instead.  A push section
 * does use() (writes the blob's liveness record, then stats the blob,
 * bringing it back from the trash if it is there), then writes its
 * reference; the sweep does remove_unused() (moves a blob whose
 * liveness record is older than the cutoff to the trash, reads the
 * record again and moves the blob back if it became fresh).  If the
 * push's liveness write comes before the sweep's second read, the sweep
 * puts the blob back; if after, the push's stat comes after the move to
 * the trash and the push rescues the blob.  Either way the blob is in
 * place when the reference is written, provided a section takes less
 * than the grace: the trash is emptied only of entries older than it
 * (phase 7, STOR_STAGE_TRASH; fsck leaves the trash alone), so every
 * entry this run or a recent one made is there for the sweep to move
 * back and for a push to rescue; a push that comes later finds
 * neither and fails, as after a removal here.
 * Phase 7 also removes the liveness records older than the grace whose
 * blob is neither in place nor in the trash when it lists them.  A
 * push's use() of such a blob fails, so no section relies on the
 * record; and a blob that appears meanwhile (an upload's finish) has
 * its own mtime, as fresh as the record, which the sweep's second look
 * reads when the record is gone.  Uploads whose state is gone (a
 * finish that died) are listed as uploads: their parts go with phase 2.
 * The mark lists tags and links after the epoch; it needs the store's
 * listings to show every object written before the listing started.
 *
 * Manifest links go the way blobs do: the sweep removes a link
 * candidate with store_manifest_expire(), which is remove_unused() on
 * the link (to the trash, a second look, back if used), and a push that
 * needs a link uses it: a manifest PUT touches its own link (link_put()),
 * and the PUT of an index use()s each child's link, then the child's
 * blob.  So an index pushed while a sweep takes a child never names a
 * missing link, by the argument above.  What the child references
 * needs the same care, as the sweep of this run may take it next: when
 * the child's use() took its link back from the trash (stor_stat's
 * "revived"), the PUT checks and uses the child's own references as a
 * push of the child would (child_revive()), each one rescued from the
 * trash or kept by its liveness record.  A child whose link the sweep
 * kept (a use before its second look) is marked from, in the same hold,
 * before any blob of the run is removed.  The tags and referrer
 * descriptor of a removed link go after it, unless a push put the link
 * back meanwhile.
 *
 * A young object needs no mark in a section that writes its reference
 * at once.  Such a section (a manifest PUT, a mount, an upload's
 * finish) uses stor_hold(): with a grace of STOR_FRESH_MIN_GRACE or
 * more, an object whose mtime is less than half the grace old by this
 * host's clock is only stat'ed (driver.h, "fresh"): the layers a client
 * pushed a moment ago cost one request each, not a record written and
 * a stat.  Safe: the sweep takes an object only if its last use is
 * before epoch - grace, so for an object of mtime m > now - grace/2
 * only a sweep whose epoch is after m + grace > now + grace/2, half a
 * grace after the look; the section, which takes less than that, is
 * over by then.  Skew between this host's clock and the store's eats
 * into that half grace, as it does into the TempURLs' lifetime.  A
 * HEAD or GET still marks (stor_use()): its client has the whole grace
 * from then on to push the manifest.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/digest.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "storage/codec.h"
#include "storage/driver.h"
#include "storage/layout.h"
#include "storage/manifest.h"
#include "storage/prune.h"
#include "storage/store.h"
#include "storage/store_int.h"

#define PRUNE_BATCH		256
#define PRUNE_DEFAULT_AGE	3600

/* A set of strings: open addressing, linear probing. */
struct sset {
	char	**slot;
	size_t	  cap;		/* a power of two, or 0 */
	size_t	  n;
};

struct prune_repo {
	char	*name;
	size_t	 tags;		/* tag files left */
	size_t	 links;		/* links that stay */
	int	 changed;	/* lost a tag or a link in this run */
};

struct link_cand {
	size_t		 repo;
	struct digest	 d;
	int		 done;
};

struct blob_cand {
	struct digest	 d;
};

struct prune {
	struct store		*st;
	const struct prune_opts	*opts;
	struct prune_stats	*stats;
	const char		*verb;
	time_t			 epoch;
	int			 drop_links;
	time_t			 link_before;	/* older: candidates */
	time_t			 blob_before;
	struct sset		 marked;	/* reachable blob digests */
	struct sset		 kept;		/* "<repo>@<digest>" */
	struct prune_repo	*repos;
	size_t			 nrepos;
	struct link_cand	*links;
	size_t			 nlinks;
	struct blob_cand	*blobs;
	size_t			 nblobs;
};

static enum reg_err	mark_manifest(struct prune *, size_t,
			    const struct digest *);

/* String sets. */

static uint64_t
sset_hash(const char *s)
{
	uint64_t	h = 14695981039346656037ULL;	/* FNV-1a */

	while (*s != '\0') {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return (h);
}

static char **
sset_slot(const struct sset *ss, const char *s)
{
	size_t	i, mask = ss->cap - 1;

	for (i = sset_hash(s) & mask; ss->slot[i] != NULL; i = (i + 1) & mask)
		if (strcmp(ss->slot[i], s) == 0)
			break;
	return (&ss->slot[i]);
}

static int
sset_has(const struct sset *ss, const char *s)
{
	return (ss->cap != 0 && *sset_slot(ss, s) != NULL);
}

static void
sset_grow(struct sset *ss)
{
	struct sset	nw;
	size_t		i;

	nw.cap = ss->cap == 0 ? 1024 : ss->cap * 2;
	nw.n = ss->n;
	nw.slot = xcalloc(nw.cap, sizeof(*nw.slot));
	for (i = 0; i < ss->cap; i++)
		if (ss->slot[i] != NULL)
			*sset_slot(&nw, ss->slot[i]) = ss->slot[i];
	free(ss->slot);
	*ss = nw;
}

/* Add "s"; 1 if it was not there yet. */
static int
sset_add(struct sset *ss, const char *s)
{
	char	**slot;

	if (2 * (ss->n + 1) > ss->cap)
		sset_grow(ss);
	if (*(slot = sset_slot(ss, s)) != NULL)
		return (0);
	*slot = xstrdup(s);
	ss->n++;
	return (1);
}

static void
sset_free(struct sset *ss)
{
	size_t	i;

	for (i = 0; i < ss->cap; i++)
		free(ss->slot[i]);
	free(ss->slot);
	memset(ss, 0, sizeof(*ss));
}

/* Small storage helpers. */

static void
kept_key(const char *name, const struct digest *d, struct buf *key)
{
	buf_reset(key);
	buf_addf(key, "%s@%s", name, d->str);
}

/* The mtime of "path"; NOENT if it is not there. */
static enum reg_err
path_mtime(struct prune *p, const struct buf *path, time_t *mtime,
    uint64_t *size)
{
	struct stor_stat	ss;
	enum reg_err		rc;

	if ((rc = stor_stat(p->st->sd, path->buf, &ss)) != REG_OK)
		return (rc);
	*mtime = ss.mtime;
	if (size != NULL)
		*size = ss.size;
	return (REG_OK);
}

/* Take "path" (a lock that must exist) exclusively; NULL if it does not. */
static enum reg_err
lock_existing(struct prune *p, const struct buf *path, struct stor_lock **lk)
{
	enum reg_err	rc;

	*lk = NULL;
	rc = stor_lock(p->st->sd, path->buf, STOR_LOCK_EX, 0, lk);
	return (rc == REG_E_NOENT ? REG_OK : rc);
}

static void
unlock_maybe(struct prune *p, struct stor_lock *lk)
{
	if (lk != NULL)
		stor_unlock(p->st->sd, lk);
}

/* Phase 1: the barrier. */

static enum reg_err
prune_barrier(struct prune *p)
{
	struct stor_lock	*lk;
	enum reg_err		 rc;

	if ((rc = store_gc_lock(p->st, STOR_LOCK_EX, &lk)) != REG_OK)
		return (rc);
	rc = stor_clock(p->st->sd, &p->epoch);
	stor_unlock(p->st->sd, lk);
	return (rc);
}

/* Phase 2: uploads. */

struct upload_seen {
	char			*uuid;
	struct stor_stat	 ss;	/* newest activity, bytes held */
};

struct uploads_seen {
	struct upload_seen	*v;
	size_t			 n;
};

static enum reg_err
prune_upload(struct prune *p, const struct upload_seen *u)
{
	time_t		before;
	enum reg_err	rc = REG_OK;

	before = p->epoch - (time_t)p->opts->upload_expiration;
	if (u->ss.mtime >= before)
		return (REG_OK);
	/* The driver looks again, after any session in progress. */
	if (!p->opts->dry_run &&
	    (rc = stor_stage_remove(p->st->sd, u->uuid, before)) != REG_OK)
		return (rc == REG_E_NOENT || rc == REG_E_BUSY ? REG_OK : rc);
	log_info("prune: %s upload %s (%llu bytes, idle %llds)", p->verb,
	    u->uuid, (unsigned long long)u->ss.size,
	    (long long)(p->epoch - u->ss.mtime));
	p->stats->uploads++;
	p->stats->bytes += u->ss.size;
	return (REG_OK);
}

static enum reg_err
prune_upload_seen(const char *entry, const struct stor_stat *ss, void *arg)
{
	struct uploads_seen	*us = arg;

	if (!ss->is_dir || !uuid_valid(entry, strlen(entry))) {
		log_warnx("prune: uploads/%s is not an upload; left alone",
		    entry);
		return (REG_OK);
	}
	us->v = xreallocarray(us->v, us->n + 1, sizeof(*us->v));
	us->v[us->n].uuid = xstrdup(entry);
	us->v[us->n++].ss = *ss;
	return (REG_OK);
}

static enum reg_err
prune_uploads(struct prune *p)
{
	struct uploads_seen	us = { NULL, 0 };
	size_t			i;
	enum reg_err		rc;

	rc = stor_stage_list(p->st->sd, STOR_STAGE_UPLOADS, prune_upload_seen,
	    &us);
	for (i = 0; i < us.n && rc == REG_OK; i++)
		rc = prune_upload(p, &us.v[i]);
	log_info("prune: %zu uploads, %llu stale", us.n,
	    (unsigned long long)p->stats->uploads);
	for (i = 0; i < us.n; i++)
		free(us.v[i].uuid);
	free(us.v);
	return (rc);
}

/* Phase 3: tags. */

/* 1 if the tag expired (and is gone, unless this is a dry run). */
static enum reg_err
tag_expire(struct prune *p, struct prune_repo *r, const char *tag,
    int *expired)
{
	struct stor_lock	*lk = NULL;
	struct buf		 path = BUF_INIT;
	time_t			 before, mtime;
	enum reg_err		 rc;

	*expired = 0;
	if (p->opts->expiration == 0)
		return (REG_OK);
	before = p->epoch - (time_t)p->opts->expiration;
	layout_tag(&path, r->name, tag);
	if ((rc = path_mtime(p, &path, &mtime, NULL)) != REG_OK ||
	    mtime >= before)
		goto out;
	if (!p->opts->dry_run) {
		layout_tags_lock(&path, r->name);
		if ((rc = lock_existing(p, &path, &lk)) != REG_OK)
			goto out;
		layout_tag(&path, r->name, tag);
		if ((rc = path_mtime(p, &path, &mtime, NULL)) != REG_OK ||
		    mtime >= before ||
		    (rc = stor_remove(p->st->sd, path.buf)) != REG_OK)
			goto out;
	}
	log_info("prune: %s tag %s:%s (pushed %llds ago)", p->verb, r->name,
	    tag, (long long)(p->epoch - mtime));
	p->stats->tags++;
	r->changed = 1;
	*expired = 1;
out:
	unlock_maybe(p, lk);
	buf_release(&path);
	return (rc == REG_E_NOENT ? REG_OK : rc);
}

/* Phase 4: mark. */

/* The media type a link holds, "" if there is no link. */
static enum reg_err
link_type(struct prune *p, const char *name, const struct digest *d,
    struct buf *mt)
{
	struct buf	path = BUF_INIT;
	enum reg_err	rc;

	buf_reset(mt);
	layout_manifest_link(&path, name, d);
	rc = stor_get(p->st->sd, path.buf, MEDIA_TYPE_MAX, mt);
	buf_release(&path);
	/* Trimmed; a bad one is handed on, and manifest_parse() judges. */
	(void)codec_link_decode(mt);
	if (rc == REG_E_NOENT) {
		buf_reset(mt);
		rc = REG_OK;
	}
	return (rc);
}

static void
missing(struct prune *p, const char *name, const struct digest *d,
    const char *why)
{
	log_warnx("prune: %s@%s: %s", name, d->str, why);
	p->stats->missing++;
}

/* Mark what a parsed manifest refers to. */
static enum reg_err
mark_refs(struct prune *p, size_t ri, const struct manifest_parsed *mp)
{
	size_t		i;
	enum reg_err	rc = REG_OK;

	if (mp->kind == MANIFEST_IMAGE && mp->has_config)
		sset_add(&p->marked, mp->config.digest.str);
	for (i = 0; i < mp->nrefs && rc == REG_OK; i++) {
		if (mp->kind == MANIFEST_IMAGE)
			sset_add(&p->marked, mp->refs[i].digest.str);
		else
			rc = mark_manifest(p, ri, &mp->refs[i].digest);
	}
	return (rc);
}

static enum reg_err
referrer_seen(const char *entry, const struct stor_stat *ss, void *arg)
{
	struct sset	*names = arg;

	if (!ss->is_dir)
		sset_add(names, entry);
	return (REG_OK);
}

/* Keep the manifests of the repository whose subject is "subject". */
static enum reg_err
mark_referrers(struct prune *p, size_t ri, const struct digest *subject)
{
	struct sset	 names = { NULL, 0, 0 };
	struct buf	 path = BUF_INIT;
	struct digest	 d;
	time_t		 mtime;
	size_t		 i;
	enum reg_err	 rc;

	layout_referrers(&path, p->repos[ri].name, subject);
	rc = stor_list(p->st->sd, path.buf, referrer_seen, &names);
	if (rc == REG_E_NOENT)
		rc = REG_OK;
	for (i = 0; i < names.cap && rc == REG_OK; i++) {
		if (names.slot[i] == NULL ||
		    codec_referrer_decode(names.slot[i], &d) == -1)
			continue;
		/* A descriptor without a link is left over: skip it. */
		layout_manifest_link(&path, p->repos[ri].name, &d);
		if ((rc = path_mtime(p, &path, &mtime, NULL)) == REG_OK)
			rc = mark_manifest(p, ri, &d);
		else if (rc == REG_E_NOENT)
			rc = REG_OK;
	}
	sset_free(&names);
	buf_release(&path);
	return (rc);
}

/* Keep manifest "d" of repository "ri" and everything it reaches. */
static enum reg_err
mark_manifest(struct prune *p, size_t ri, const struct digest *d)
{
	struct manifest_parsed	 mp;
	const char		*name = p->repos[ri].name;
	struct buf		 key = BUF_INIT, mt = BUF_INIT;
	struct buf		 body = BUF_INIT, path = BUF_INIT;
	struct buf		 detail = BUF_INIT;
	enum reg_err		 rc;

	kept_key(name, d, &key);
	rc = REG_OK;
	if (!sset_add(&p->kept, key.buf))
		goto out;
	if ((rc = link_type(p, name, d, &mt)) != REG_OK)
		goto out;
	layout_blob(&path, d);
	if ((rc = stor_get(p->st->sd, path.buf, MANIFEST_MAX, &body)) ==
	    REG_E_NOENT) {
		missing(p, name, d, "the manifest blob is missing");
		rc = REG_OK;
		goto out;
	}
	if (rc != REG_OK)
		goto out;
	/* Marked once read, so that only blobs that exist are marked. */
	sset_add(&p->marked, d->str);
	if (manifest_parse(body.buf, body.len, mt.len > 0 ? mt.buf : NULL,
	    &mp, &detail) != REG_OK) {
		buf_addstr(&detail, " (the manifest does not parse)");
		missing(p, name, d, detail.buf);
		goto out;
	}
	rc = mark_refs(p, ri, &mp);
	manifest_parsed_release(&mp);
	if (rc == REG_OK)
		rc = mark_referrers(p, ri, d);
out:
	buf_release(&key);
	buf_release(&path);
	buf_release(&mt);
	buf_release(&body);
	buf_release(&detail);
	return (rc);
}

static enum reg_err
mark_tag(struct prune *p, size_t ri, const char *tag)
{
	struct tag_entry	*te;
	size_t			 n, i;
	enum reg_err		 rc;

	rc = store_tag_get(p->st, p->repos[ri].name, tag, &te, &n);
	if (rc == REG_E_NOENT)
		return (REG_OK);	/* deleted meanwhile, or empty */
	if (rc != REG_OK)
		return (rc);
	p->repos[ri].tags++;
	for (i = 0; i < n && rc == REG_OK; i++)
		rc = mark_manifest(p, ri, &te[i].digest);
	free(te);
	return (rc);
}

/* Is a link, or the manifest blob it names, newer than the cutoff? */
static enum reg_err
link_fresh(struct prune *p, const char *name, const struct digest *d,
    int *fresh)
{
	struct buf	path = BUF_INIT;
	time_t		lm, bm = 0;
	enum reg_err	rc;

	*fresh = 0;
	layout_manifest_link(&path, name, d);
	if ((rc = path_mtime(p, &path, &lm, NULL)) == REG_OK) {
		layout_blob(&path, d);
		if ((rc = path_mtime(p, &path, &bm, NULL)) == REG_E_NOENT) {
			bm = 0;	/* no blob: the link alone decides */
			rc = REG_OK;
		}
		*fresh = lm >= p->link_before || bm >= p->link_before;
	}
	buf_release(&path);
	return (rc);
}

struct link_walk {
	struct prune	*p;
	size_t		 ri;
};

static enum reg_err
prune_link_seen(const char *path, const struct digest *d,
    const struct stor_stat *ss, void *arg)
{
	struct link_walk	*lw = arg;
	struct prune		*p = lw->p;
	int			 fresh = 1;
	enum reg_err		 rc;

	(void)ss;
	if (d == NULL) {
		log_warnx("prune: %s: not a manifest link; left alone", path);
		return (REG_OK);
	}
	if (p->drop_links &&
	    (rc = link_fresh(p, p->repos[lw->ri].name, d, &fresh)) != REG_OK)
		return (rc == REG_E_NOENT ? REG_OK : rc);
	if (fresh) {
		p->repos[lw->ri].links++;
		return (mark_manifest(p, lw->ri, d));
	}
	p->links = xreallocarray(p->links, p->nlinks + 1, sizeof(*p->links));
	p->links[p->nlinks].repo = lw->ri;
	p->links[p->nlinks].d = *d;
	p->links[p->nlinks].done = 0;
	p->nlinks++;
	return (REG_OK);
}

/* Expire the tags of a repository, then mark from what is left. */
static enum reg_err
prune_repo(struct prune *p, size_t ri)
{
	struct link_walk	 lw = { p, ri };
	char			**tags;
	size_t			 ntags, i;
	int			 more, expired;
	enum reg_err		 rc;

	rc = store_tags_list(p->st, p->repos[ri].name, NULL, 0, &tags, &ntags,
	    &more);
	if (rc == REG_E_NOENT)
		return (REG_OK);	/* removed meanwhile */
	if (rc != REG_OK)
		return (rc);
	for (i = 0; i < ntags && rc == REG_OK; i++)
		if ((rc = tag_expire(p, &p->repos[ri], tags[i],
		    &expired)) == REG_OK && !expired)
			rc = mark_tag(p, ri, tags[i]);
	store_strv_free(tags, ntags);
	if (rc == REG_OK)
		rc = store_walk_links(p->st, p->repos[ri].name,
		    prune_link_seen, &lw);
	return (rc);
}

static enum reg_err
prune_repos(struct prune *p)
{
	char		**names;
	size_t		  n, i;
	int		  more;
	enum reg_err	  rc;

	if ((rc = store_catalog(p->st, NULL, 0, &names, &n, &more)) !=
	    REG_OK)
		return (rc);
	p->repos = xcalloc(n == 0 ? 1 : n, sizeof(*p->repos));
	for (i = 0; i < n; i++)
		p->repos[i].name = names[i];
	free(names);
	p->nrepos = n;
	for (i = 0; i < n && rc == REG_OK; i++)
		rc = prune_repo(p, i);
	log_info("prune: %zu repositories, %llu tags expired, %zu manifests "
	    "marked, %zu blobs reachable, %zu old unreachable manifests",
	    n, (unsigned long long)p->stats->tags, p->kept.n, p->marked.n,
	    p->nlinks);
	return (rc);
}

/* Keep what a manifest of the pull-through cache references. */
static void
cache_mark(const struct manifest_parsed *mp, void *arg)
{
	struct prune	*p = arg;
	size_t		 i;

	if (mp->kind != MANIFEST_IMAGE)
		return;		/* the children are cached on their own */
	if (mp->has_config)
		sset_add(&p->marked, mp->config.digest.str);
	for (i = 0; i < mp->nrefs; i++)
		sset_add(&p->marked, mp->refs[i].digest.str);
}

/*
 * The pull-through cache (store_cache.c): what was not pulled for
 * cache_expiration goes, the rest keeps its blobs.  A manifest cached
 * after this walk keeps only the blobs the grace keeps.
 */
static enum reg_err
prune_cache(struct prune *p)
{
	uint64_t	n;
	enum reg_err	rc;

	rc = store_cache_prune(p->st, p->opts->cache_expiration == 0 ? 0 :
	    p->epoch - (time_t)p->opts->cache_expiration, p->opts->dry_run,
	    cache_mark, p, &n);
	if (rc == REG_OK && n > 0)
		log_info("prune: %s %llu cached manifests", p->verb,
		    (unsigned long long)n);
	return (rc);
}

/* Phase 5: sweep. */

/* A link candidate stays after all: marked from, as a root. */
static enum reg_err
link_keep(struct prune *p, struct link_cand *lc)
{
	lc->done = 1;
	p->repos[lc->repo].links++;
	return (mark_manifest(p, lc->repo, &lc->d));
}

/* Under the gc lock: keep the link candidates that became fresh. */
static enum reg_err
links_rescue(struct prune *p)
{
	struct link_cand	*lc;
	size_t			 i;
	int			 fresh;
	enum reg_err		 rc = REG_OK;

	for (i = 0; i < p->nlinks && rc == REG_OK; i++) {
		lc = &p->links[i];
		if (lc->done)
			continue;
		rc = link_fresh(p, p->repos[lc->repo].name, &lc->d, &fresh);
		if (rc == REG_E_NOENT) {
			lc->done = 1;	/* deleted meanwhile */
			rc = REG_OK;
		} else if (rc == REG_OK && fresh)
			rc = link_keep(p, lc);
	}
	return (rc);
}

/* Under the gc lock: remove up to a batch of unreachable links. */
static enum reg_err
links_remove(struct prune *p, size_t *left)
{
	struct link_cand	*lc;
	struct buf		 key = BUF_INIT;
	size_t			 i, batch = 0;
	enum reg_err		 rc = REG_OK;

	for (i = 0; i < p->nlinks && rc == REG_OK; i++) {
		lc = &p->links[i];
		if (lc->done)
			continue;
		kept_key(p->repos[lc->repo].name, &lc->d, &key);
		if (sset_has(&p->kept, key.buf)) {
			lc->done = 1;
			p->repos[lc->repo].links++;
			continue;
		}
		if (batch == PRUNE_BATCH) {
			(*left)++;
			continue;
		}
		lc->done = 1;
		batch++;
		if (!p->opts->dry_run)
			rc = store_manifest_expire(p->st,
			    p->repos[lc->repo].name, &lc->d, p->link_before);
		if (rc == REG_E_NOENT) {
			rc = REG_OK;
			continue;
		}
		if (rc == REG_E_BUSY) {	/* used since the mark */
			rc = link_keep(p, lc);
			continue;
		}
		if (rc != REG_OK)
			break;
		log_info("prune: %s manifest %s@%s", p->verb,
		    p->repos[lc->repo].name, lc->d.str);
		p->stats->manifests++;
		p->repos[lc->repo].changed = 1;
	}
	buf_release(&key);
	return (rc);
}

static enum reg_err
prune_links(struct prune *p)
{
	struct stor_lock	*lk;
	size_t			 left = 1;
	enum reg_err		 rc = REG_OK;

	while (p->nlinks > 0 && left > 0 && rc == REG_OK) {
		left = 0;
		if ((rc = store_gc_lock(p->st, STOR_LOCK_EX, &lk)) != REG_OK)
			break;
		if ((rc = links_rescue(p)) == REG_OK)
			rc = links_remove(p, &left);
		stor_unlock(p->st->sd, lk);
	}
	return (rc);
}

static enum reg_err
prune_blob_seen(const char *path, const struct digest *d,
    const struct stor_stat *ss, void *arg)
{
	struct prune	*p = arg;

	if (d == NULL) {
		log_warnx("prune: %s: not a blob; left alone", path);
		return (REG_OK);
	}
	if (sset_has(&p->marked, d->str))
		p->stats->kept++;
	else if (ss->mtime < p->blob_before) {
		p->blobs = xreallocarray(p->blobs, p->nblobs + 1,
		    sizeof(*p->blobs));
		p->blobs[p->nblobs++].d = *d;
	}
	return (REG_OK);
}

static void
blob_removed(struct prune *p, const struct digest *d, uint64_t size)
{
	log_info("prune: %s blob %s (%llu bytes)", p->verb, d->str,
	    (unsigned long long)size);
	p->stats->blobs++;
	p->stats->bytes += size;
}

/*
 * Under the gc lock: one batch of blobs, each looked at again by the
 * driver's remove_unused().
 */
static enum reg_err
blobs_remove(struct prune *p, size_t from, size_t to)
{
	struct stor_stat	ss;
	struct buf		path = BUF_INIT;
	size_t			i;
	enum reg_err		rc = REG_OK;

	for (i = from; i < to && rc == REG_OK; i++) {
		if (sset_has(&p->marked, p->blobs[i].d.str))
			continue;
		layout_blob(&path, &p->blobs[i].d);
		if (!p->opts->dry_run)
			rc = stor_remove_unused(p->st->sd, path.buf,
			    p->blob_before, &ss);
		else if ((rc = stor_stat(p->st->sd, path.buf, &ss)) ==
		    REG_OK && ss.mtime >= p->blob_before)
			rc = REG_E_BUSY;
		if (rc == REG_OK)
			blob_removed(p, &p->blobs[i].d, ss.size);
		else if (rc == REG_E_NOENT || rc == REG_E_BUSY)
			rc = REG_OK;	/* removed or used meanwhile */
	}
	buf_release(&path);
	return (rc);
}

/* The blobs that are not marked and older than the grace. */
static enum reg_err
prune_blobs_collect(struct prune *p)
{
	enum reg_err	rc;

	rc = store_walk_blobs(p->st, prune_blob_seen, p);
	log_info("prune: %llu blobs reachable, %zu unreachable and older "
	    "than the grace", (unsigned long long)p->stats->kept, p->nblobs);
	/* Marked blobs the walk did not find: configs and layers. */
	if (rc == REG_OK && p->marked.n > p->stats->kept) {
		p->stats->missing_blobs = p->marked.n - p->stats->kept;
		p->stats->missing += p->stats->missing_blobs;
		log_warnx("prune: %llu referenced blobs are missing (specreg "
		    "fsck names them)",
		    (unsigned long long)p->stats->missing_blobs);
	}
	return (rc);
}

static enum reg_err
prune_blobs(struct prune *p)
{
	struct stor_lock	*lk;
	size_t			 i, end;
	enum reg_err		 rc = REG_OK;

	for (i = 0; i < p->nblobs && rc == REG_OK; i = end) {
		end = i + PRUNE_BATCH < p->nblobs ? i + PRUNE_BATCH :
		    p->nblobs;
		if ((rc = store_gc_lock(p->st, STOR_LOCK_EX, &lk)) != REG_OK)
			break;
		rc = blobs_remove(p, i, end);
		stor_unlock(p->st->sd, lk);
	}
	return (rc);
}

/*
 * Blob links whose blob is gone: the repository held what no longer
 * exists, and would hold it again if someone else pushed it.
 */
struct stale {
	char		*path;
	struct digest	 d;
};

struct stale_links {
	struct prune	*p;
	struct stale	*v;
	size_t		 n;
};

static enum reg_err
blob_link_seen(const char *path, const struct digest *d,
    const struct stor_stat *ss, void *arg)
{
	struct stale_links	*sl = arg;
	uint64_t		 size;
	enum reg_err		 rc;

	(void)ss;
	if (d == NULL) {
		log_warnx("prune: %s: not a blob link; left alone", path);
		return (REG_OK);
	}
	if ((rc = store_blob_size(sl->p->st, d, &size)) != REG_E_NOENT)
		return (rc);
	sl->v = xreallocarray(sl->v, sl->n + 1, sizeof(*sl->v));
	sl->v[sl->n].path = xstrdup(path);
	sl->v[sl->n++].d = *d;
	return (REG_OK);
}

/*
 * Under the gc lock, which uploads and mounts hold shared while they
 * link a blob they made sure exists: a link whose blob is still
 * missing is stale.
 */
static enum reg_err
stale_remove(struct prune *p, const struct stale *s)
{
	uint64_t	size;
	enum reg_err	rc;

	if ((rc = store_blob_size(p->st, &s->d, &size)) != REG_E_NOENT)
		return (rc);
	if (!p->opts->dry_run &&
	    (rc = stor_remove(p->st->sd, s->path)) != REG_OK)
		return (rc == REG_E_NOENT ? REG_OK : rc);
	log_info("prune: %s %s", p->verb, s->path);
	p->stats->links++;
	return (REG_OK);
}

static enum reg_err
prune_blob_links(struct prune *p)
{
	struct stale_links	 sl = { p, NULL, 0 };
	struct stor_lock	*lk;
	size_t			 i, j, end;
	enum reg_err		 rc;

	rc = store_walk_blob_links(p->st, blob_link_seen, &sl);
	/* A batch per hold of the lock, as prune_blobs() does. */
	for (i = 0; i < sl.n && rc == REG_OK; i = end) {
		end = i + PRUNE_BATCH < sl.n ? i + PRUNE_BATCH : sl.n;
		if ((rc = store_gc_lock(p->st, STOR_LOCK_EX, &lk)) != REG_OK)
			break;
		for (j = i; j < end && rc == REG_OK; j++)
			rc = stale_remove(p, &sl.v[j]);
		stor_unlock(p->st->sd, lk);
	}
	for (i = 0; i < sl.n; i++)
		free(sl.v[i].path);
	free(sl.v);
	return (rc);
}

/* Count the visible entries of a directory. */
static enum reg_err
count_entry(const char *entry, const struct stor_stat *ss, void *arg)
{
	(void)entry;
	(void)ss;
	(*(size_t *)arg)++;
	return (REG_OK);
}

static enum reg_err
dir_entries(struct prune *p, const struct buf *path, size_t *n)
{
	enum reg_err	rc;

	*n = 0;
	rc = stor_list(p->st->sd, path->buf, count_entry, n);
	return (rc == REG_E_NOENT ? REG_OK : rc);
}

static enum reg_err
link_count(const char *path, const struct digest *d,
    const struct stor_stat *ss, void *arg)
{
	(void)path;
	(void)d;
	(void)ss;
	(*(size_t *)arg)++;
	return (REG_OK);
}

/* Remove "name" below repos/ and its parents while they are empty. */
static enum reg_err
repo_dir_remove(struct prune *p, const char *name)
{
	struct buf	path = BUF_INIT, sub = BUF_INIT;
	size_t		n, len = strlen(name);
	enum reg_err	rc = REG_OK;

	while (len > 0 && rc == REG_OK) {
		buf_reset(&sub);
		buf_add(&sub, name, len);
		layout_repo(&path, sub.buf);
		if ((rc = dir_entries(p, &path, &n)) != REG_OK || n > 0)
			break;
		if ((rc = stor_remove_tree(p->st->sd, path.buf)) ==
		    REG_E_NOENT)
			rc = REG_OK;
		while (len > 0 && name[len - 1] != '/')
			len--;
		if (len > 0)
			len--;	/* the slash */
	}
	buf_release(&path);
	buf_release(&sub);
	return (rc);
}

static enum reg_err
own_dir_seen(const char *entry, const struct stor_stat *ss, void *arg)
{
	if (ss->is_dir && entry[0] == '_')
		sset_add(arg, entry);
	return (REG_OK);
}

/*
 * Remove the repository's own directories: those whose names start
 * with '_' (_tags, _manifests, _referrers), which no repository name
 * component can.
 */
static enum reg_err
repo_own_remove(struct prune *p, const char *name)
{
	struct sset	own = { NULL, 0, 0 };
	struct buf	path = BUF_INIT, sub = BUF_INIT;
	size_t		i;
	enum reg_err	rc;

	layout_repo(&path, name);
	rc = stor_list(p->st->sd, path.buf, own_dir_seen, &own);
	if (rc == REG_E_NOENT)
		rc = REG_OK;
	for (i = 0; i < own.cap && rc == REG_OK; i++) {
		if (own.slot[i] == NULL)
			continue;
		buf_reset(&sub);
		buf_addf(&sub, "%s/%s", path.buf, own.slot[i]);
		if ((rc = stor_remove_tree(p->st->sd, sub.buf)) ==
		    REG_E_NOENT)
			rc = REG_OK;
	}
	sset_free(&own);
	buf_release(&path);
	buf_release(&sub);
	return (rc);
}

/* Under the gc lock: remove a repository that has no tag and no link. */
static enum reg_err
repo_remove_empty(struct prune *p, struct prune_repo *r)
{
	struct buf	path = BUF_INIT;
	size_t		n = 0;
	enum reg_err	rc;

	layout_tags(&path, r->name);
	if ((rc = dir_entries(p, &path, &n)) != REG_OK || n > 0 ||
	    (rc = store_walk_links(p->st, r->name, link_count, &n)) !=
	    REG_OK || n > 0)
		goto out;
	if ((rc = repo_own_remove(p, r->name)) == REG_OK)
		rc = repo_dir_remove(p, r->name);
	if (rc == REG_OK) {
		log_info("prune: removed repository %s", r->name);
		p->stats->repos++;
	}
out:
	buf_release(&path);
	return (rc);
}

static enum reg_err
prune_empty_repos(struct prune *p)
{
	struct stor_lock	*lk;
	struct prune_repo	*r;
	size_t			 i;
	enum reg_err		 rc = REG_OK;

	for (i = 0; i < p->nrepos && rc == REG_OK; i++) {
		r = &p->repos[i];
		if (!r->changed || r->tags > 0 || r->links > 0)
			continue;
		if (p->opts->dry_run) {
			log_info("prune: would remove repository %s", r->name);
			p->stats->repos++;
			continue;
		}
		if ((rc = store_gc_lock(p->st, STOR_LOCK_EX, &lk)) != REG_OK)
			break;
		rc = repo_remove_empty(p, r);
		stor_unlock(p->st->sd, lk);
	}
	return (rc);
}

/* The run. */

void
prune_opts_init(struct prune_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->upload_expiration = PRUNE_DEFAULT_AGE;
	o->grace = PRUNE_DEFAULT_AGE;
}

static void
prune_release(struct prune *p)
{
	size_t	i;

	sset_free(&p->marked);
	sset_free(&p->kept);
	for (i = 0; i < p->nrepos; i++)
		free(p->repos[i].name);
	free(p->repos);
	free(p->links);
	free(p->blobs);
}

static void
prune_summary(const struct prune *p, enum reg_err rc)
{
	const struct prune_stats	*s = p->stats;

	log_info("prune: %s%s %llu uploads, %llu tags, %llu manifests, "
	    "%llu repositories, %llu blobs, %llu blob links, %llu temporary "
	    "files; %llu bytes %s; %llu blobs kept; %llu missing objects "
	    "(%llu blobs)",
	    rc == REG_OK ? "" : "stopped by an error: ",
	    p->opts->dry_run ? "would remove" : "removed",
	    (unsigned long long)s->uploads, (unsigned long long)s->tags,
	    (unsigned long long)s->manifests, (unsigned long long)s->repos,
	    (unsigned long long)s->blobs, (unsigned long long)s->links,
	    (unsigned long long)s->tmp, (unsigned long long)s->bytes,
	    p->opts->dry_run ? "to free" : "freed", (unsigned long long)s->kept,
	    (unsigned long long)s->missing,
	    (unsigned long long)s->missing_blobs);
}

/* The fields of the record, in its order. */
#define PRUNE_RECORD_FIELDS(s) { &(s)->uploads, &(s)->tags, \
	&(s)->manifests, &(s)->repos, &(s)->blobs, &(s)->links, &(s)->tmp, \
	&(s)->bytes }
#define PRUNE_RECORD_MAGIC	"specreg-prune-1"

/* Write layout_prune_record(): magic, time, then the counts. */
static void
prune_record(struct store *st, const struct prune_stats *stats)
{
	const uint64_t	*f[] = PRUNE_RECORD_FIELDS(stats);
	struct buf	 path = BUF_INIT, b = BUF_INIT;
	size_t		 i;

	buf_addf(&b, PRUNE_RECORD_MAGIC " %lld", (long long)time(NULL));
	for (i = 0; i < nitems(f); i++)
		buf_addf(&b, " %llu", (unsigned long long)*f[i]);
	buf_addch(&b, '\n');
	layout_prune_record(&path);
	if (stor_put(st->sd, path.buf, b.buf, b.len, 0) != REG_OK)
		log_warnx("prune: could not record the run in %s", path.buf);
	buf_release(&path);
	buf_release(&b);
}

enum reg_err
store_prune(struct store *st, const struct prune_opts *opts,
    struct prune_stats *stats)
{
	struct prune	p;
	uint64_t	tmp_age;
	enum reg_err	rc;

	memset(&p, 0, sizeof(p));
	memset(stats, 0, sizeof(*stats));
	p.st = st;
	p.opts = opts;
	p.stats = stats;
	p.verb = opts->dry_run ? "would remove" : "removed";
	if ((rc = prune_barrier(&p)) == REG_OK) {
		log_info("prune: %sstarting; grace %llus, expiration %llus%s",
		    opts->dry_run ? "dry run, " : "",
		    (unsigned long long)opts->grace,
		    (unsigned long long)opts->expiration,
		    opts->untagged ? ", untagged manifests go" : "");
		p.blob_before = p.epoch - (time_t)opts->grace;
		p.drop_links = opts->untagged || opts->expiration > 0;
		p.link_before = p.epoch - (time_t)(opts->untagged ?
		    opts->grace : opts->expiration > opts->grace ?
		    opts->expiration : opts->grace);
		rc = prune_uploads(&p);
	}
	if (rc == REG_OK && (rc = prune_repos(&p)) == REG_OK &&
	    (rc = prune_cache(&p)) == REG_OK &&
	    (rc = prune_blobs_collect(&p)) == REG_OK &&
	    opts->after_mark != NULL)
		opts->after_mark(opts->after_mark_arg);
	if (rc == REG_OK && (rc = prune_links(&p)) == REG_OK &&
	    (rc = prune_blobs(&p)) == REG_OK &&
	    (rc = prune_blob_links(&p)) == REG_OK &&
	    (rc = prune_empty_repos(&p)) == REG_OK) {
		tmp_age = opts->grace > STORE_TMP_MIN_AGE ? opts->grace :
		    STORE_TMP_MIN_AGE;
		rc = store_tmp_sweep(st, STOR_STAGE_DEBRIS,
		    p.epoch - (time_t)tmp_age, opts->dry_run, &stats->tmp,
		    &stats->bytes);
		if (rc == REG_OK)
			rc = store_tmp_sweep(st, STOR_STAGE_TRASH,
			    p.epoch - (time_t)tmp_age, opts->dry_run,
			    &stats->tmp, &stats->bytes);
	}
	prune_summary(&p, rc);
	if (!opts->dry_run)
		prune_record(st, stats);
	prune_release(&p);
	return (rc);
}

enum reg_err
store_prune_last(struct store *st, time_t *when, struct prune_stats *stats)
{
	uint64_t	*f[] = PRUNE_RECORD_FIELDS(stats);
	struct buf	 path = BUF_INIT, b = BUF_INIT;
	char		*tok, *save = NULL;
	uint64_t	 t;
	size_t		 i;
	enum reg_err	 rc;

	memset(stats, 0, sizeof(*stats));
	layout_prune_record(&path);
	rc = stor_get(st->sd, path.buf, 4096, &b);
	buf_release(&path);
	if (rc != REG_OK) {
		buf_release(&b);
		return (rc);
	}
	tok = strtok_r(b.buf, " \n", &save);
	if (tok == NULL || strcmp(tok, PRUNE_RECORD_MAGIC) != 0 ||
	    (tok = strtok_r(NULL, " \n", &save)) == NULL ||
	    parse_u64(tok, 0, INT64_MAX, &t) == -1)
		rc = REG_E_NOENT;
	for (i = 0; i < nitems(f) && rc == REG_OK; i++)
		if ((tok = strtok_r(NULL, " \n", &save)) == NULL ||
		    parse_u64(tok, 0, UINT64_MAX, f[i]) == -1)
			rc = REG_E_NOENT;
	if (rc == REG_OK)
		*when = (time_t)t;
	else
		log_warnx("prune: the record of the last run does not parse");
	buf_release(&b);
	return (rc);
}
