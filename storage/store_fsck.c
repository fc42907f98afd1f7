/*
 * storage/store_fsck.c: check, and optionally repair, the whole store.
 *
 * Four walks, each reading the store as a client would, without locks:
 *  - blobs: every file below blobs/ must be named by the digest of its
 *    content, in the place layout.c puts that digest;
 *  - manifest links: the manifest blob must exist and parse with the
 *    link's media type, and what it references must be there: config
 *    and layers as blobs of the declared size, children of an index as
 *    manifests of the repository (link and blob of the declared size);
 *  - tags: every line must decode (codec.h) and name a manifest link
 *    of the repository;
 *  - uploads: a state file that decodes (codec.h) and says an offset
 *    the data file holds.
 * The store may change while fsck runs; something that disappears
 * between listing and checking was removed by someone else and is not
 * a problem.
 *
 * Repairs look again under the lock that the writers of the object
 * take, so a repair never removes what a concurrent push has just made
 * good: a corrupt blob is re-hashed and removed under the exclusive gc
 * lock (an upload finishing meanwhile renames a good copy over it under
 * the shared one); a broken link is checked again and removed with
 * store_manifest_drop(), also under the gc lock, which drops the tag
 * lines that point at it; a tag file is rewritten under the
 * repository's tag lock; an upload is removed under its own lock.
 * Removing a link can break an index that names it, so with repair the
 * link walk runs again until it finds nothing more.
 */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/digest.h"
#include "common/log.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "storage/codec.h"
#include "storage/driver.h"
#include "storage/layout.h"
#include "storage/manifest.h"
#include "storage/prune.h"
#include "storage/store.h"
#include "storage/store_int.h"

#define FSCK_LINK_PASSES	8
#define FSCK_TAG_MAX		(64 * 1024)

struct fsck {
	struct store		*st;
	int			 repair;
	fsck_report_fn		 report;
	void			*arg;
	struct fsck_stats	*stats;
	time_t			 stale_before;
	const char		*repo;		/* the link walk's */
	int			 again;		/* a link went */
};

static void __attribute__((__format__(__printf__, 3, 4)))
say(struct fsck *f, uint64_t *counter, const char *fmt, ...)
{
	struct buf	line = BUF_INIT;
	va_list		ap;

	va_start(ap, fmt);
	buf_vaddf(&line, fmt, ap);
	va_end(ap);
	if (f->report != NULL)
		f->report(line.buf, f->arg);
	else
		log_warnx("fsck: %s", line.buf);
	if (counter != NULL)
		(*counter)++;
	buf_release(&line);
}

/* Blobs. */

struct rehash {
	enum digest_alg		 alg;
	struct hasher		 h;
	struct hasher512	*h512;
};

static enum reg_err
rehash_sink(const void *data, size_t len, void *arg)
{
	struct rehash	*rh = arg;

	if (rh->alg == DIGEST_SHA256)
		hasher_update(&rh->h, data, len);
	else
		hasher512_update(rh->h512, data, len);
	return (REG_OK);
}

/* The digest of the content of blob "d", in its algorithm. */
static enum reg_err
blob_hash(struct fsck *f, const char *path, const struct digest *d,
    struct digest *got)
{
	struct rehash	rh;
	enum reg_err	rc;

	memset(&rh, 0, sizeof(rh));
	rh.alg = d->alg;
	if (d->alg == DIGEST_SHA256)
		hasher_init(&rh.h);
	else
		rh.h512 = hasher512_new();
	rc = stor_read(f->st->sd, path, 0, UINT64_MAX, rehash_sink, &rh);
	if (rc == REG_OK && d->alg == DIGEST_SHA256)
		hasher_final(&rh.h, got);
	else if (rc == REG_OK)
		hasher512_final(rh.h512, got);
	if (rh.h512 != NULL)
		hasher512_free(rh.h512);
	return (rc);
}

/* Under the gc lock: hash again, and remove if it is still wrong. */
static enum reg_err
blob_repair(struct fsck *f, const char *path, const struct digest *d)
{
	struct stor_lock	*lk;
	struct digest		 got;
	enum reg_err		 rc;

	if ((rc = store_gc_lock(f->st, STOR_LOCK_EX, &lk)) != REG_OK)
		return (rc);
	if ((rc = blob_hash(f, path, d, &got)) == REG_OK &&
	    !digest_equal(&got, d) &&
	    (rc = stor_remove(f->st->sd, path)) == REG_OK)
		f->stats->repaired++;
	stor_unlock(f->st->sd, lk);
	return (rc == REG_E_NOENT ? REG_OK : rc);
}

static enum reg_err
fsck_blob_seen(const char *path, const struct digest *d,
    const struct stor_stat *ss, void *arg)
{
	struct fsck	*f = arg;
	struct digest	 got;
	enum reg_err	 rc;

	(void)ss;
	if (d == NULL) {
		say(f, &f->stats->problems, "stray entry in the blob tree: %s",
		    path);
		return (REG_OK);
	}
	f->stats->blobs++;
	if ((rc = blob_hash(f, path, d, &got)) != REG_OK)
		return (rc == REG_E_NOENT ? REG_OK : rc);
	if (digest_equal(&got, d))
		return (REG_OK);
	say(f, &f->stats->problems, "corrupt blob %s: its content hashes to "
	    "%s", d->str, got.str);
	return (f->repair ? blob_repair(f, path, d) : REG_OK);
}

/* Manifest links. */

/* A referenced blob must exist with the declared size. */
static enum reg_err
ref_check(struct fsck *f, const struct manifest_desc *desc,
    const char *what, struct buf *why)
{
	uint64_t	size;
	enum reg_err	rc;

	rc = store_blob_size(f->st, &desc->digest, &size);
	if (rc == REG_E_NOENT)
		buf_addf(why, "%s %s is missing", what, desc->digest.str);
	else if (rc == REG_OK && size != desc->size)
		buf_addf(why, "%s %s is %llu bytes, not %llu", what,
		    desc->digest.str, (unsigned long long)size,
		    (unsigned long long)desc->size);
	return (rc == REG_E_NOENT ? REG_OK : rc);
}

static enum reg_err
fsck_child_check(struct fsck *f, const struct manifest_desc *desc,
    struct buf *why)
{
	struct buf		path = BUF_INIT;
	struct stor_stat	ss;
	enum reg_err		rc;

	layout_manifest_link(&path, f->repo, &desc->digest);
	rc = stor_stat(f->st->sd, path.buf, &ss);
	buf_release(&path);
	if (rc == REG_E_NOENT) {
		buf_addf(why, "child manifest %s is not in the repository",
		    desc->digest.str);
		return (REG_OK);
	}
	if (rc != REG_OK)
		return (rc);
	return (ref_check(f, desc, "child manifest", why));
}

static enum reg_err
fsck_refs_check(struct fsck *f, const struct manifest_parsed *mp,
    struct buf *why)
{
	size_t		i;
	enum reg_err	rc = REG_OK;

	if (mp->kind == MANIFEST_IMAGE && mp->has_config)
		rc = ref_check(f, &mp->config, "config", why);
	for (i = 0; i < mp->nrefs && rc == REG_OK && why->len == 0; i++) {
		if (mp->kind == MANIFEST_IMAGE)
			rc = ref_check(f, &mp->refs[i], "layer", why);
		else
			rc = fsck_child_check(f, &mp->refs[i], why);
	}
	return (rc);
}

/*
 * What is wrong with link "d" of f->repo, in "why" (empty if nothing);
 * NOENT if the link is gone.
 */
static enum reg_err
link_check(struct fsck *f, const struct digest *d, struct buf *why)
{
	struct manifest_parsed	 mp;
	struct buf		 path = BUF_INIT, mt = BUF_INIT;
	struct buf		 body = BUF_INIT;
	enum reg_err		 rc;
	int			 link_ok;

	buf_reset(why);
	layout_manifest_link(&path, f->repo, d);
	if ((rc = stor_get(f->st->sd, path.buf, MEDIA_TYPE_MAX, &mt)) !=
	    REG_OK)
		goto out;
	link_ok = codec_link_decode(&mt) == 0;
	layout_blob(&path, d);
	rc = stor_get(f->st->sd, path.buf, MANIFEST_MAX, &body);
	if (rc == REG_E_NOENT) {
		buf_addstr(why, "the manifest blob is missing");
		rc = REG_OK;
	}
	if (rc != REG_OK || why->len > 0)
		goto out;
	if (!link_ok)
		buf_addstr(why, "the link holds no media type");
	else if (manifest_parse(body.buf, body.len, mt.buf, &mp, why) ==
	    REG_OK) {
		rc = fsck_refs_check(f, &mp, why);
		manifest_parsed_release(&mp);
	}
out:
	buf_release(&path);
	buf_release(&mt);
	buf_release(&body);
	return (rc);
}

/* Under the gc lock: check again, and remove the link if still broken. */
static enum reg_err
link_repair(struct fsck *f, const struct digest *d)
{
	struct stor_lock	*lk;
	struct buf		 why = BUF_INIT;
	enum reg_err		 rc;

	if ((rc = store_gc_lock(f->st, STOR_LOCK_EX, &lk)) != REG_OK)
		return (rc);
	if ((rc = link_check(f, d, &why)) == REG_OK && why.len > 0 &&
	    (rc = store_manifest_drop(f->st, f->repo, d)) == REG_OK) {
		f->stats->repaired++;
		f->again = 1;
	}
	stor_unlock(f->st->sd, lk);
	buf_release(&why);
	return (rc == REG_E_NOENT ? REG_OK : rc);
}

static enum reg_err
fsck_link_seen(const char *path, const struct digest *d,
    const struct stor_stat *ss, void *arg)
{
	struct fsck	*f = arg;
	struct buf	 why = BUF_INIT;
	enum reg_err	 rc;

	(void)ss;
	if (d == NULL) {
		say(f, &f->stats->problems, "stray entry among the manifest "
		    "links: %s", path);
		return (REG_OK);
	}
	f->stats->manifests++;
	if ((rc = link_check(f, d, &why)) == REG_OK && why.len > 0) {
		say(f, &f->stats->problems, "broken manifest %s@%s: %s",
		    f->repo, d->str, why.buf);
		if (f->repair)
			rc = link_repair(f, d);
	}
	buf_release(&why);
	return (rc == REG_E_NOENT ? REG_OK : rc);
}

/* Tags. */

/*
 * Check a tag file's lines: append the good ones to "good", count the
 * others in "bad" and report them unless "quiet".
 */
static enum reg_err
tag_lines(struct fsck *f, const char *tag, const struct buf *b,
    struct buf *good, int quiet, size_t *bad)
{
	struct buf		 path = BUF_INIT;
	struct stor_stat	 ss;
	struct tag_entry	 te;
	const char		*p = b->buf;
	size_t			 lineno = 0;
	int			 rv;
	enum reg_err		 rc = REG_OK;

	*bad = 0;
	while (rc == REG_OK &&
	    (rv = codec_tag_next(&p, b->buf + b->len, &te)) != 1) {
		lineno++;
		if (rv == -1) {
			if (!quiet)
				say(f, &f->stats->problems, "tag %s:%s: line "
				    "%zu is malformed", f->repo, tag, lineno);
			(*bad)++;
			continue;
		}
		layout_manifest_link(&path, f->repo, &te.digest);
		if ((rc = stor_stat(f->st->sd, path.buf, &ss)) == REG_OK)
			codec_tag_encode(&te, 1, good);
		else if (rc == REG_E_NOENT) {
			if (!quiet)
				say(f, &f->stats->problems, "tag %s:%s points "
				    "at %s, which is not in the repository",
				    f->repo, tag, te.digest.str);
			(*bad)++;
			rc = REG_OK;
		}
	}
	if (rc == REG_OK && lineno == 0) {
		if (!quiet)
			say(f, &f->stats->problems, "tag %s:%s is empty",
			    f->repo, tag);
		(*bad)++;
	}
	buf_release(&path);
	return (rc);
}

/* Under the tag lock: rewrite the tag with its good lines only. */
static enum reg_err
tag_repair(struct fsck *f, const char *tag)
{
	struct stor_lock	*lk;
	struct buf		 path = BUF_INIT, b = BUF_INIT;
	struct buf		 good = BUF_INIT;
	size_t			 bad;
	enum reg_err		 rc;

	layout_tags_lock(&path, f->repo);
	if ((rc = stor_lock(f->st->sd, path.buf, STOR_LOCK_EX, 1, &lk)) !=
	    REG_OK)
		goto out;
	layout_tag(&path, f->repo, tag);
	if ((rc = stor_get(f->st->sd, path.buf, FSCK_TAG_MAX, &b)) ==
	    REG_OK &&
	    (rc = tag_lines(f, tag, &b, &good, 1, &bad)) == REG_OK &&
	    bad > 0) {
		if (good.len == 0)
			rc = stor_remove(f->st->sd, path.buf);
		else
			rc = stor_put(f->st->sd, path.buf, good.buf, good.len, 0);
		if (rc == REG_OK)
			f->stats->repaired += bad;
	}
	stor_unlock(f->st->sd, lk);
out:
	buf_release(&path);
	buf_release(&b);
	buf_release(&good);
	return (rc == REG_E_NOENT ? REG_OK : rc);
}

static enum reg_err
tag_check(struct fsck *f, const char *tag)
{
	struct buf	path = BUF_INIT, b = BUF_INIT, good = BUF_INIT;
	size_t		bad = 0;
	enum reg_err	rc;

	f->stats->tags++;
	layout_tag(&path, f->repo, tag);
	rc = stor_get(f->st->sd, path.buf, FSCK_TAG_MAX, &b);
	if (rc == REG_OK)
		rc = tag_lines(f, tag, &b, &good, 0, &bad);
	if (rc == REG_OK && bad > 0 && f->repair)
		rc = tag_repair(f, tag);
	buf_release(&path);
	buf_release(&b);
	buf_release(&good);
	return (rc == REG_E_NOENT ? REG_OK : rc);
}

static enum reg_err
fsck_repo(struct fsck *f, const char *name)
{
	char		**tags;
	size_t		  ntags, i, pass;
	int		  more;
	enum reg_err	  rc = REG_OK;

	f->repo = name;
	for (pass = 0; pass < FSCK_LINK_PASSES && rc == REG_OK; pass++) {
		f->again = 0;
		rc = store_walk_links(f->st, name, fsck_link_seen, f);
		if (!f->again)
			break;
	}
	if (rc != REG_OK)
		return (rc);
	rc = store_tags_list(f->st, name, NULL, 0, &tags, &ntags, &more);
	if (rc != REG_OK)
		return (rc == REG_E_NOENT ? REG_OK : rc);
	for (i = 0; i < ntags && rc == REG_OK; i++)
		rc = tag_check(f, tags[i]);
	store_strv_free(tags, ntags);
	return (rc);
}

static enum reg_err
fsck_repos(struct fsck *f)
{
	char		**names;
	size_t		  n, i;
	int		  more;
	enum reg_err	  rc;

	if ((rc = store_catalog(f->st, NULL, 0, &names, &n, &more)) !=
	    REG_OK)
		return (rc);
	for (i = 0; i < n && rc == REG_OK; i++)
		rc = fsck_repo(f, names[i]);
	store_strv_free(names, n);
	return (rc);
}

/* Uploads. */

static enum reg_err
count_bytes(const void *data, size_t len, void *arg)
{
	(void)data;
	*(uint64_t *)arg += len;
	return (REG_OK);
}

/*
 * In a session on the upload: is "state" one, for bytes the upload
 * has?  "" if so, else the problem.
 */
static enum reg_err
upload_state_check(struct stor_stage *sg, const struct buf *state,
    const char **why)
{
	struct buf	name = BUF_INIT;
	struct hasher	h;
	uint64_t	off, got = 0;
	enum reg_err	rc = REG_OK;

	*why = "";
	if (codec_upload_decode(state->buf, state->len, &name, &off, &h) ==
	    -1)
		*why = "its state is not valid";
	else if (off > 0 && (rc = stor_stage_read(sg, off - 1, 1,
	    count_bytes, &got)) == REG_OK && got == 0)
		*why = "its state is not valid";
	buf_release(&name);
	return (rc);
}

/*
 * What is wrong with an upload: "" if nothing, "no state" (debris if
 * old) or the problem.
 */
static enum reg_err
upload_check(struct fsck *f, const char *uuid, const char **why)
{
	struct stor_stage	*sg;
	struct buf		 state = BUF_INIT;
	enum reg_err		 rc;

	*why = "";
	rc = stor_stage_open(f->st->sd, uuid, &sg, &state);
	if (rc == REG_E_NOENT) {
		*why = "no state";
		rc = REG_OK;
	} else if (rc == REG_E_IO) {
		*why = "its state is not valid";
		rc = REG_OK;
	} else if (rc == REG_OK)
		rc = upload_state_check(sg, &state, why);
	stor_stage_close(sg);
	buf_release(&state);
	return (rc);
}

/* Any upload is older than this: stor_stage_remove() takes it. */
#define FSCK_ANY_AGE	((time_t)INT64_MAX)

static enum reg_err
fsck_upload_seen(const char *entry, const struct stor_stat *ss, void *arg)
{
	struct fsck	*f = arg;
	const char	*why;
	enum reg_err	 rc;

	if (!ss->is_dir || !uuid_valid(entry, strlen(entry))) {
		say(f, &f->stats->problems, "stray entry among the uploads: "
		    "%s", entry);
		return (REG_OK);
	}
	f->stats->uploads++;
	if ((rc = upload_check(f, entry, &why)) != REG_OK)
		return (rc == REG_E_NOENT ? REG_OK : rc);
	if (*why == '\0')
		return (REG_OK);
	if (strcmp(why, "no state") == 0) {
		if (ss->mtime >= f->stale_before)
			return (REG_OK);	/* being started */
		say(f, &f->stats->stale, "stale upload %s: no state file%s",
		    entry, f->repair ? " (removed)" : "");
		rc = f->repair ? stor_stage_remove(f->st->sd, entry,
		    f->stale_before) : REG_OK;
		return (rc == REG_E_NOENT || rc == REG_E_BUSY ? REG_OK : rc);
	}
	say(f, &f->stats->problems, "upload %s: %s", entry, why);
	if (!f->repair)
		return (REG_OK);
	/* After any session in progress, whatever its age. */
	if ((rc = stor_stage_remove(f->st->sd, entry, FSCK_ANY_AGE)) ==
	    REG_OK)
		f->stats->repaired++;
	return (rc == REG_E_NOENT ? REG_OK : rc);
}

static enum reg_err
fsck_uploads(struct fsck *f)
{
	return (stor_stage_list(f->st->sd, STOR_STAGE_UPLOADS, fsck_upload_seen,
	    f));
}

/* The run. */

static enum reg_err
fsck_tmp(struct fsck *f)
{
	uint64_t	count = 0, bytes = 0;
	enum reg_err	rc;

	rc = store_tmp_sweep(f->st, STOR_STAGE_DEBRIS, f->stale_before,
	    !f->repair, &count, &bytes);
	if (rc == REG_OK && count > 0) {
		say(f, NULL, "stale: %llu temporary files, %llu bytes%s",
		    (unsigned long long)count, (unsigned long long)bytes,
		    f->repair ? " (removed)" : "");
		f->stats->stale += count;
	}
	return (rc);
}

enum reg_err
store_fsck(struct store *st, int repair, fsck_report_fn report, void *arg,
    struct fsck_stats *stats)
{
	struct fsck	f;
	enum reg_err	rc;

	memset(stats, 0, sizeof(*stats));
	memset(&f, 0, sizeof(f));
	f.st = st;
	f.repair = repair;
	f.report = report;
	f.arg = arg;
	f.stats = stats;
	f.stale_before = time(NULL) - STORE_TMP_MIN_AGE;
	log_info("fsck: checking%s", repair ? " and repairing" : "");
	if ((rc = store_walk_blobs(st, fsck_blob_seen, &f)) == REG_OK &&
	    (rc = fsck_repos(&f)) == REG_OK &&
	    (rc = fsck_uploads(&f)) == REG_OK)
		rc = fsck_tmp(&f);
	log_info("fsck: %s%llu blobs, %llu manifests, %llu tags, %llu "
	    "uploads: %llu problems, %llu repaired, %llu stale",
	    rc == REG_OK ? "" : "stopped by an error after ",
	    (unsigned long long)stats->blobs,
	    (unsigned long long)stats->manifests,
	    (unsigned long long)stats->tags, (unsigned long long)stats->uploads,
	    (unsigned long long)stats->problems,
	    (unsigned long long)stats->repaired,
	    (unsigned long long)stats->stale);
	return (rc);
}
