/*
 * storage/swift_driver.c: the swift driver, a shared driver (see
 * driver.h) over storage/swift.c.  One container holds the store; an
 * object's path is its name.
 *
 * Layout beside the store's own paths:
 *   uploads/<uuid>/state          the upload's state record
 *   uploads/<uuid>/beat           rewritten while a part streams
 *   .segments/<uuid>/<offset>     the upload's bytes from <offset> (20
 *                                 digits), one part per session (or
 *                                 more: see below), written create-only
 *   .segments/<uuid>/blob         written by a finish that makes the
 *                                 blob an SLO: the blob's path; from
 *                                 then on the set <uuid> is the blob's
 *   .liveness/<blob path>         an empty object: its mtime is the
 *                                 blob's last use()
 *   .trash/<blob path>            a blob remove_unused() took away; use()
 *                                 puts it back
 *   .clock                        rewritten by clock() for its mtime
 *
 * A session streams what it appends into parts (chunked PUTs, no
 * buffer) of at most Swift's largest object (max_file_size from the
 * cluster's /info); a commit, a read or a finish completes the part
 * first.  The first write of a session, at the committed offset, drops
 * the parts from that offset on (what a dead session left), unless the
 * set names a blob (the upload is finishing: NOENT).
 *
 * A finish writes each byte once.  A blob of SWIFT_SLO_MIN bytes or
 * more whose parts are not too small (sw_slo_fits()), and every blob
 * larger than Swift's largest object, becomes an SLO manifest over the
 * upload's parts where they are: the finish writes the set's blob
 * record, forgets the state, and puts the manifest create-only
 * (If-None-Match: *), naming the set in X-Object-Meta-Segments; Swift
 * checks each segment's size and ETag (the MD5 of what was sent, which
 * each part's PUT checked), we check the manifest's ETag and size.  A
 * smaller blob is a server-side copy of its single part, or of a
 * temporary manifest of its parts (Swift copies their concatenation),
 * checked by size; its parts then go.  Of several finishes of the same
 * blob the first manifest stays: a later one finds the blob (HEAD, or
 * the create-only PUT's 412) and drops its own set, never another's.
 *
 * Removing a blob (fsck --repair, the trash emptied) removes its
 * manifest, then its set unless someone still has it (sw_set_orphan()),
 * since a copy of the manifest shares the set (a blob moving to or from
 * the trash).  Multipart-manifest=delete cannot do that: it removes the
 * segments with the manifest, and refuses (200, nothing done) an
 * object that is not an SLO.  Emptying the trash keeps the set, too,
 * when the blob was used since it went to the trash: use() writes the
 * liveness record before it copies the manifest back, so a copy that
 * read the manifest before its removal shows there.
 *
 * stage_list(STOR_STAGE_TRASH) names the trash entries and the
 * liveness records whose blob is neither in place nor in the trash:
 * prune removes those older than its grace (see store_prune.c).
 * stage_list(STOR_STAGE_UPLOADS) names uploads/<uuid>: removing one
 * removes its parts too, unless their set names a blob.
 * stage_list(STOR_STAGE_DEBRIS) names the objects of the sets that no
 * one has: no upload (uploads/<uuid>), and no manifest of the set in
 * the trash or in the place of the blob its record names (no record:
 * what a finish or a removal that died left).  Each is as old as the
 * newest of its object and the record, so a finish that wrote the
 * record a moment ago keeps its set; prune and fsck --repair sweep them
 * once they are older than their age for temporary files.  What is not
 * below an upload id (.segments/<blob>/<uuid>/ of an older layout) is
 * never debris.
  */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <strings.h>
#include <time.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "storage/driver.h"
#include "storage/swift.h"

#define SWIFT_PART_DIGITS	20
#define SWIFT_SEGMENTS		".segments"
#define SWIFT_SET_BLOB		"blob"
/*
 * From this size on a blob is an SLO over its upload's parts.  On a
 * loaded single-node Swift a copy of 4 MiB took 0.16-0.30 s, of 16 MiB
 * 0.31-0.41 s, while the set's record and the manifest took 0.08-0.25 s
 * together, and a GET of an SLO was slower (4 MiB: 165 against 86 ms):
 * below 8 MiB the copy costs no more.
 */
#define SWIFT_SLO_MIN		(8ULL * 1024 * 1024)
/* ... if its parts are this large on average (a GET reads each). */
#define SWIFT_SLO_PART_MIN	(1024ULL * 1024)
/* Seconds between two signs of life of a session that streams. */
#define SWIFT_BEAT		30

struct swift_driver {
	struct stor_driver	 base;
	struct swift		*s;
	/* The readiness probe's own client: it runs in a thread. */
	struct swift		*probe;
};

struct swift_stage {
	struct stor_stage	 base;
	char			*uuid;
	struct swift_put	*put;		/* the part being written */
	uint64_t		 part_off;	/* where it starts */
	uint64_t		 end;		/* the session's end */
	int			 written;	/* a write happened */
	time_t			 beat;		/* the last sign of life */
};

const struct stor_key stor_swift_keys[] = {
	{ "auth-url", STOR_KEY_REQUIRED },
	{ "username", 0 },
	{ "password", STOR_KEY_CREDENTIAL },
	{ "container", STOR_KEY_REQUIRED },
	{ "project", 0 },
	{ "user-domain", 0 },
	{ "project-domain", 0 },
	{ "region", 0 },
	{ "application-credential-id", 0 },
	{ "application-credential-secret", STOR_KEY_CREDENTIAL },
	{ NULL, 0 }
};

static struct swift *
sw(struct stor_driver *sd)
{
	return (((struct swift_driver *)sd)->s);
}

/* --- Objects ------------------------------------------------------------- */

struct sw_probe {
	int	found;
};

static enum reg_err
sw_probe_fn(const struct swift_entry *e, void *arg)
{
	(void)e;
	((struct sw_probe *)arg)->found = 1;
	return (REG_E_BUSY);	/* one is enough */
}

/* Whether anything lies below "dir". */
static enum reg_err
sw_dir_exists(struct swift *s, const char *dir)
{
	struct sw_probe	 p = { 0 };
	struct buf	 prefix = BUF_INIT;
	enum reg_err	 err;

	buf_addf(&prefix, "%s/", dir);
	err = swift_list(s, prefix.buf, "/", sw_probe_fn, &p);
	buf_release(&prefix);
	if (err != REG_OK && err != REG_E_BUSY)
		return (err);
	return (p.found ? REG_OK : REG_E_NOENT);
}

/* The object "path" (a HEAD); NOENT if none, even with things below it. */
static enum reg_err
sw_stat_object(struct swift *s, const char *path, struct stor_stat *st)
{
	struct swift_stat	ss;
	enum reg_err		err;

	memset(st, 0, sizeof(*st));
	if ((err = swift_head(s, path, &ss)) == REG_OK) {
		st->size = ss.size;
		st->mtime = ss.mtime;
	}
	return (err);
}

static enum reg_err
sw_stat(struct stor_driver *sd, const char *path, struct stor_stat *st)
{
	enum reg_err	err;

	if ((err = sw_stat_object(sw(sd), path, st)) != REG_E_NOENT ||
	    (err = sw_dir_exists(sw(sd), path)) != REG_OK)
		return (err);
	st->is_dir = 1;
	return (REG_OK);
}

static enum reg_err
sw_stat_only(struct stor_driver *sd, const char *path, struct stor_stat *st)
{
	return (sw_stat_object(sw(sd), path, st));
}

static enum reg_err
sw_get(struct stor_driver *sd, const char *path, size_t max, struct buf *out)
{
	struct buf	b = BUF_INIT;
	enum reg_err	err;

	if ((err = swift_get_buf(sw(sd), path, max, &b)) == REG_OK)
		buf_add(out, b.buf, b.len);
	buf_release(&b);
	return (err);
}

static enum reg_err
sw_put(struct stor_driver *sd, const char *path, const void *p, size_t len,
    int flags)
{
	return (swift_put(sw(sd), path, p, len,
	    (flags & STOR_PUT_EXCL) ? SWIFT_EXCL : 0, NULL));
}

static enum reg_err
sw_read(struct stor_driver *sd, const char *path, uint64_t off, uint64_t len,
    stor_sink_fn fn, void *arg)
{
	struct swift_stat	ss;

	/* Nothing asked: the object must still be there. */
	if (len == 0)
		return (swift_head(sw(sd), path, &ss));
	return (swift_get(sw(sd), path, off, len, fn, arg));
}

struct sw_list {
	size_t		 skip;		/* the prefix's length */
	stor_list_fn	 fn;
	void		*arg;
	int		 any;
};

static enum reg_err
sw_list_fn(const struct swift_entry *e, void *arg)
{
	struct sw_list		*l = arg;
	struct stor_stat	 st;
	char			*name;
	size_t			 len;
	enum reg_err		 err;

	l->any = 1;
	if (strlen(e->name) <= l->skip || e->name[l->skip] == '.')
		return (REG_OK);
	len = strlen(e->name + l->skip);
	if (e->subdir && len > 0)
		len--;		/* "sub/" */
	memset(&st, 0, sizeof(st));
	st.size = e->bytes;
	st.mtime = e->mtime;
	st.is_dir = e->subdir;
	name = xstrndup(e->name + l->skip, len);
	err = l->fn(name, &st, l->arg);
	free(name);
	return (err);
}

static enum reg_err
sw_list(struct stor_driver *sd, const char *dir, stor_list_fn fn, void *arg)
{
	struct sw_list	 l = { 0, fn, arg, 0 };
	struct buf	 prefix = BUF_INIT;
	enum reg_err	 err;

	buf_addf(&prefix, "%s/", dir);
	l.skip = prefix.len;
	err = swift_list(sw(sd), prefix.buf, "/", sw_list_fn, &l);
	buf_release(&prefix);
	if (err == REG_OK && !l.any)
		return (REG_E_NOENT);
	return (err);
}

static enum reg_err	sw_trash_remove(struct swift *, const char *);

static enum reg_err
sw_remove(struct stor_driver *sd, const char *path)
{
	if (strncmp(path, ".trash/", 7) == 0)
		return (sw_trash_remove(sw(sd), path));
	return (swift_delete(sw(sd), path));
}

static enum reg_err
sw_delete_fn(const struct swift_entry *e, void *arg)
{
	enum reg_err	err;

	if (e->subdir)
		return (REG_OK);
	err = swift_delete(arg, e->name);
	return (err == REG_E_NOENT ? REG_OK : err);
}

/* Every object whose name starts with "prefix". */
static enum reg_err
sw_delete_prefix(struct swift *s, const char *prefix)
{
	return (swift_list(s, prefix, NULL, sw_delete_fn, s));
}

static enum reg_err
sw_remove_tree(struct stor_driver *sd, const char *dir)
{
	struct buf	prefix = BUF_INIT;
	enum reg_err	err;

	buf_addf(&prefix, "%s/", dir);
	err = sw_delete_prefix(sw(sd), prefix.buf);
	buf_release(&prefix);
	return (err);
}

static enum reg_err
sw_copy(struct stor_driver *sd, const char *from, const char *to)
{
	return (swift_copy(sw(sd), from, to));
}

/* A copy onto itself: the same bytes, a new Last-Modified. */
static enum reg_err
sw_touch(struct stor_driver *sd, const char *path)
{
	return (swift_copy(sw(sd), path, path));
}

/* ".liveness/<path>" or ".trash/<path>". */
static void
sw_side_path(struct buf *out, const char *side, const char *path)
{
	buf_addf(out, "%s/%s", side, path);
}

/* --- Upload staging ------------------------------------------------------ */

static void
sw_upload_path(struct buf *out, const char *uuid, const char *what)
{
	buf_addf(out, "uploads/%s/%s", uuid, what);
}

/* ".segments/<uuid>/<what>": the upload's parts, then the blob's. */
static void
sw_set_path(struct buf *out, const char *uuid, const char *what)
{
	buf_addf(out, "%s/%s/%s", SWIFT_SEGMENTS, uuid, what);
}

static enum reg_err
sw_stage_create(struct stor_driver *sd, const char *uuid, const void *state,
    size_t len)
{
	struct buf	path = BUF_INIT;
	enum reg_err	err;

	sw_upload_path(&path, uuid, "state");
	err = swift_put(sw(sd), path.buf, state, len, 0, NULL);
	buf_release(&path);
	return (err);
}

static enum reg_err
sw_stage_open(struct stor_driver *sd, const char *uuid,
    struct stor_stage **out, struct buf *state)
{
	struct swift_stage	*sg;
	struct buf		 path = BUF_INIT;
	enum reg_err		 err;

	*out = NULL;
	sw_upload_path(&path, uuid, "state");
	err = sw_get(sd, path.buf, 1024 * 1024, state);
	buf_release(&path);
	if (err != REG_OK)
		return (err);
	sg = xcalloc(1, sizeof(*sg));
	sg->base.sd = sd;
	sg->uuid = xstrdup(uuid);
	*out = &sg->base;
	return (REG_OK);
}

struct sw_part {
	uint64_t	 off, size;
	char		*name;
	char		 etag[72];
};

struct sw_parts {
	struct sw_part	*v;
	size_t		 n;
	size_t		 skip;
	int		 named;		/* the set names its blob */
};

static enum reg_err
sw_parts_fn(const struct swift_entry *e, void *arg)
{
	struct sw_parts	*ps = arg;
	struct sw_part	*p;
	uint64_t	 off;

	if (!e->subdir && strcmp(e->name + ps->skip, SWIFT_SET_BLOB) == 0)
		ps->named = 1;
	if (e->subdir || parse_u64(e->name + ps->skip, 0, UINT64_MAX,
	    &off) == -1)
		return (REG_OK);
	ps->v = xreallocarray(ps->v, ps->n + 1, sizeof(*ps->v));
	p = &ps->v[ps->n++];
	memset(p, 0, sizeof(*p));
	p->off = off;
	p->size = e->bytes;
	p->name = xstrdup(e->name);
	return (REG_OK);
}

static void
sw_parts_release(struct sw_parts *ps)
{
	size_t	i;

	for (i = 0; i < ps->n; i++)
		free(ps->v[i].name);
	free(ps->v);
	memset(ps, 0, sizeof(*ps));
}

/* The parts of an upload, by offset (the names sort that way). */
static enum reg_err
sw_parts(struct swift *s, const char *uuid, struct sw_parts *ps)
{
	struct buf	prefix = BUF_INIT;
	enum reg_err	err;

	memset(ps, 0, sizeof(*ps));
	sw_set_path(&prefix, uuid, "");
	ps->skip = prefix.len;
	err = swift_list(s, prefix.buf, NULL, sw_parts_fn, ps);
	buf_release(&prefix);
	if (err != REG_OK)
		sw_parts_release(ps);
	return (err);
}

static enum reg_err
sw_parts_delete(struct swift *s, const struct sw_parts *ps, uint64_t from)
{
	size_t		i;
	enum reg_err	err = REG_OK;

	for (i = 0; i < ps->n && err == REG_OK; i++)
		if (ps->v[i].off >= from &&
		    (err = swift_delete(s, ps->v[i].name)) == REG_E_NOENT)
			err = REG_OK;
	return (err);
}

/* Every object of the set "uuid": parts, segments, record. */
static enum reg_err
sw_set_drop(struct swift *s, const char *uuid)
{
	struct buf	prefix = BUF_INIT;
	enum reg_err	err;

	sw_set_path(&prefix, uuid, "");
	err = sw_delete_prefix(s, prefix.buf);
	buf_release(&prefix);
	return (err);
}

/*
 * An upload's own objects, and its parts unless their set names a blob
 * (a finish made them the blob's, or is making them so).
 */
static enum reg_err
sw_upload_drop(struct swift *s, const char *uuid)
{
	struct sw_parts	ps;
	struct buf	prefix = BUF_INIT;
	enum reg_err	err;

	buf_addf(&prefix, "uploads/%s/", uuid);
	err = sw_delete_prefix(s, prefix.buf);
	buf_release(&prefix);
	if (err != REG_OK || (err = sw_parts(s, uuid, &ps)) != REG_OK)
		return (err);
	if (!ps.named)
		err = sw_parts_delete(s, &ps, 0);
	sw_parts_release(&ps);
	return (err);
}

/* Complete the part being written, if any. */
static enum reg_err
sw_stage_flush(struct swift_stage *sg)
{
	struct swift_put	*p = sg->put;

	if (p == NULL)
		return (REG_OK);
	sg->put = NULL;
	return (swift_put_close(p, NULL));
}

/*
 * A session's first write at "off": drop the parts from "off" on,
 * unless a finish has made them a blob's.
 */
static enum reg_err
sw_stage_begin(struct swift_stage *sg, uint64_t off)
{
	struct swift	*s = sw(sg->base.sd);
	struct sw_parts	 ps;
	enum reg_err	 err;

	if ((err = sw_parts(s, sg->uuid, &ps)) != REG_OK)
		return (err);
	err = ps.named ? REG_E_NOENT : sw_parts_delete(s, &ps, off);
	sw_parts_release(&ps);
	return (err);
}

/* ".segments/<uuid>/<off>": the part of the set that begins at "off". */
static void
sw_part_path(struct buf *out, const char *uuid, uint64_t off)
{
	char	name[SWIFT_PART_DIGITS + 1];

	snprintf(name, sizeof(name), "%0*llu", SWIFT_PART_DIGITS,
	    (unsigned long long)off);
	sw_set_path(out, uuid, name);
}

/* Start the part that begins at "off". */
static enum reg_err
sw_part_open(struct swift_stage *sg, uint64_t off)
{
	struct buf	path = BUF_INIT;
	enum reg_err	err;

	sw_part_path(&path, sg->uuid, off);
	err = swift_put_open(sw(sg->base.sd), path.buf, SWIFT_EXCL, &sg->put);
	buf_release(&path);
	if (err == REG_OK)
		sg->part_off = off;
	return (err);
}

/*
 * A part shows in listings only once complete: while one streams, an
 * object of the upload is rewritten every SWIFT_BEAT seconds, so that
 * prune sees the upload active (stage_remove()).
 */
static enum reg_err
sw_stage_beat(struct swift_stage *sg)
{
	struct buf	path = BUF_INIT;
	time_t		now = time(NULL);
	enum reg_err	err;

	if (now - sg->beat < SWIFT_BEAT)
		return (REG_OK);
	sw_upload_path(&path, sg->uuid, "beat");
	err = swift_put(sw(sg->base.sd), path.buf, "", 0, 0, NULL);
	buf_release(&path);
	if (err == REG_OK)
		sg->beat = now;
	return (err);
}

/* No part grows past Swift's largest object: the next one starts. */
static enum reg_err
sw_stage_write(struct stor_stage *base, uint64_t off, const void *p,
    size_t len)
{
	struct swift_stage	*sg = (struct swift_stage *)base;
	struct swift_limits	 lim;
	const char		*b = p;
	uint64_t		 room;
	size_t			 n;
	enum reg_err		 err;

	if (!sg->written) {
		if ((err = sw_stage_begin(sg, off)) != REG_OK)
			return (err);
		sg->written = 1;
		sg->end = off;
		sg->beat = time(NULL);
	}
	if (off != sg->end)
		return (REG_E_IO);
	if ((err = swift_limits(sw(base->sd), &lim)) != REG_OK ||
	    (err = sw_stage_beat(sg)) != REG_OK)
		return (err);
	while (len > 0) {
		if (sg->put != NULL &&
		    sg->end - sg->part_off >= lim.max_file_size &&
		    (err = sw_stage_flush(sg)) != REG_OK)
			return (err);
		if (sg->put == NULL &&
		    (err = sw_part_open(sg, sg->end)) != REG_OK)
			return (err);
		room = lim.max_file_size - (sg->end - sg->part_off);
		n = len < room ? len : (size_t)room;
		if ((err = swift_put_write(sg->put, b, n)) != REG_OK) {
			swift_put_abort(sg->put);
			sg->put = NULL;
			return (err);
		}
		sg->end += n;
		b += n;
		len -= n;
	}
	return (REG_OK);
}

/*
 * The upload's state is still there: prune (stage_remove) cannot wait
 * for a part that streams, so it may have removed the upload
 * meanwhile; then what the session wrote goes too and the upload stays
 * unknown (REG_E_NOENT).
 */
static enum reg_err
sw_stage_alive(struct swift_stage *sg)
{
	struct swift		*s = sw(sg->base.sd);
	struct swift_stat	 st;
	struct buf		 path = BUF_INIT;
	enum reg_err		 err;

	sw_upload_path(&path, sg->uuid, "state");
	if ((err = swift_head(s, path.buf, &st)) == REG_E_NOENT) {
		log_info("swift: upload %s was removed during a session",
		    sg->uuid);
		(void)sw_upload_drop(s, sg->uuid);
	}
	buf_release(&path);
	return (err);
}

static enum reg_err
sw_stage_commit(struct stor_stage *base, const void *state, size_t len)
{
	struct swift_stage	*sg = (struct swift_stage *)base;
	enum reg_err		 err;

	if ((err = sw_stage_flush(sg)) != REG_OK ||
	    (err = sw_stage_alive(sg)) != REG_OK)
		return (err);
	return (sw_stage_create(base->sd, sg->uuid, state, len));
}

struct sw_read {
	stor_sink_fn	 fn;
	void		*arg;
};

static enum reg_err
sw_stage_read(struct stor_stage *base, uint64_t off, uint64_t len,
    stor_sink_fn fn, void *arg)
{
	struct swift_stage	*sg = (struct swift_stage *)base;
	struct swift		*s = sw(base->sd);
	struct sw_parts		 ps;
	uint64_t		 end, a, b;
	size_t			 i;
	enum reg_err		 err;

	if ((err = sw_stage_flush(sg)) != REG_OK ||
	    (err = sw_parts(s, sg->uuid, &ps)) != REG_OK)
		return (err);
	end = len == UINT64_MAX || off + len < off ? UINT64_MAX : off + len;
	for (i = 0; i < ps.n && err == REG_OK; i++) {
		a = ps.v[i].off;
		b = a + ps.v[i].size;
		if (sg->written && a >= sg->end)
			break;		/* a dead session's, not ours */
		if (b <= off || a >= end)
			continue;
		err = swift_get(s, ps.v[i].name, off > a ? off - a : 0,
		    (end < b ? end : b) - (off > a ? off : a), fn, arg);
	}
	sw_parts_release(&ps);
	return (err);
}

/* The parts [0, size), contiguous: an SLO's segments; -1 if not so. */
static int
sw_segments(const struct sw_parts *ps, uint64_t size,
    struct swift_segment **out, size_t *n)
{
	struct swift_segment	*seg;
	uint64_t		 at = 0;
	size_t			 i;

	seg = xcalloc(ps->n + 1, sizeof(*seg));
	for (i = 0; i < ps->n && at < size; i++) {
		if (ps->v[i].off != at || ps->v[i].size == 0 ||
		    at + ps->v[i].size > size)
			break;
		seg[i].name = ps->v[i].name;
		seg[i].size = ps->v[i].size;
		seg[i].etag = ps->v[i].etag;
		at += ps->v[i].size;
	}
	*out = seg;
	*n = i;
	return (at == size ? 0 : -1);
}

/* The parts' ETags, for a manifest. */
static enum reg_err
sw_parts_etags(struct swift *s, struct sw_parts *ps)
{
	struct swift_stat	st;
	size_t			i;
	enum reg_err		err;

	for (i = 0; i < ps->n; i++) {
		if ((err = swift_head(s, ps->v[i].name, &st)) != REG_OK)
			return (err);
		memcpy(ps->v[i].etag, st.etag, sizeof(st.etag));
	}
	return (REG_OK);
}

/*
 * "dest" holds "size" bytes, "st" its stat.  Just written: a 404 is a
 * concurrent overwrite's moment (a newer copy replacing the older one,
 * a blob coming back from the trash), so it is asked again.
 */
static enum reg_err
sw_landed(struct swift *s, const char *dest, uint64_t size,
    struct swift_stat *st)
{
	enum reg_err	err;
	int		tries;

	for (tries = 0; tries < 5; tries++) {
		if ((err = swift_head(s, dest, st)) != REG_E_NOENT)
			break;
		usleep(200 * 1000);
	}
	if (err == REG_OK && st->size != size) {
		log_warnx("swift: %s: %llu bytes, not %llu", dest,
		    (unsigned long long)st->size, (unsigned long long)size);
		err = REG_E_IO;
	}
	return (err);
}

/* Make "dest" the concatenation of the parts, server-side. */
static enum reg_err
sw_concat(struct swift *s, const char *uuid, const struct swift_segment *seg,
    size_t n, uint64_t size, const char *dest)
{
	struct swift_stat	st;
	struct buf		manifest = BUF_INIT;
	enum reg_err		err;

	/*
	 * Another upload of the same bytes made it already: its name is its
	 * digest, so it stays.  Fewer overwrites of one object also spare
	 * readers Swift's 404 while a newer copy replaces the older one.
	 */
	if (swift_head(s, dest, &st) == REG_OK && st.size == size)
		return (REG_OK);
	if (n == 1)
		err = swift_copy(s, seg[0].name, dest);
	else {
		sw_upload_path(&manifest, uuid, "manifest");
		if ((err = swift_slo_put(s, manifest.buf, seg, n, NULL, 0,
		    NULL)) == REG_OK)
			err = swift_copy_whole(s, manifest.buf, dest);
		swift_delete(s, manifest.buf);
	}
	buf_release(&manifest);
	if (err == REG_OK)
		err = sw_landed(s, dest, size, &st);
	return (err);
}

/* Whether a blob of "size" bytes in "n" parts becomes an SLO of them. */
static int
sw_slo_fits(const struct swift_limits *lim, uint64_t size, size_t n)
{
	if (size > lim->max_file_size)
		return (1);
	return (size >= SWIFT_SLO_MIN && n <= lim->max_segments &&
	    size / n >= SWIFT_SLO_PART_MIN);
}

/* The set "uuid" is the blob "dest"'s from now on (its record). */
static enum reg_err
sw_set_name(struct swift *s, const char *uuid, const char *dest)
{
	struct buf	path = BUF_INIT;
	enum reg_err	err;

	sw_set_path(&path, uuid, SWIFT_SET_BLOB);
	err = swift_put(s, path.buf, dest, strlen(dest), 0, NULL);
	buf_release(&path);
	return (err);
}

/*
 * Make "dest" an SLO manifest of the parts, create-only.  "*ours" is
 * cleared when the blob is known to be another set's (another upload
 * of the same bytes made it first, or at the same moment and Swift
 * kept the other): that one stays, this set goes.  A manifest of ours
 * replaced after our look leaves its set as debris.
 */
static enum reg_err
sw_slo_make(struct swift *s, const char *uuid,
    const struct swift_segment *seg, size_t n, uint64_t size,
    const char *dest, int *ours)
{
	struct swift_limits	lim;
	struct swift_stat	st;
	enum reg_err		err;

	*ours = 1;
	if ((err = swift_limits(s, &lim)) != REG_OK)
		return (err);
	if (n > lim.max_segments) {
		log_warnx("swift: %s: %zu parts, a manifest takes %llu", dest,
		    n, (unsigned long long)lim.max_segments);
		return (REG_E_IO);
	}
	if (swift_head(s, dest, &st) == REG_OK && st.size == size) {
		*ours = st.slo && strcmp(st.set, uuid) == 0;
		return (REG_OK);
	}
	/*
	 * Swift may take two create-only PUTs that come at once, and keep
	 * the newer: the HEAD after ours shows whose manifest stayed.
	 */
	err = swift_slo_put(s, dest, seg, n, uuid, SWIFT_EXCL, &st);
	if (err == REG_OK) {
		*ours = st.slo && strcmp(st.set, uuid) == 0;
		log_debug("swift: %s: %llu bytes in %zu segments%s", dest,
		    (unsigned long long)size, n, *ours ? "" : ", replaced");
	}
	if (err != REG_E_EXISTS)
		return (err);
	log_debug("swift: %s was there already", dest);
	*ours = 0;
	if ((err = sw_landed(s, dest, size, &st)) == REG_OK)
		*ours = st.slo && strcmp(st.set, uuid) == 0;
	return (err);
}

/*
 * The parts do not hold [0, size): the upload was removed during the
 * session (its state was gone too: see sw_stage_alive()), or broken.
 */
static enum reg_err
sw_stage_short(struct swift_stage *sg, uint64_t size, int gone)
{
	if (gone) {
		log_info("swift: upload %s was removed during a session",
		    sg->uuid);
		return (REG_E_NOENT);
	}
	log_warnx("swift: upload %s holds no bytes [0, %llu)", sg->uuid,
	    (unsigned long long)size);
	return (REG_E_IO);
}

/* Make the parts [0, size) the blob "dest"; "*ours": it keeps them. */
static enum reg_err
sw_stage_make(struct swift_stage *sg, struct sw_parts *ps, uint64_t size,
    int gone, const char *dest, int *ours)
{
	struct swift		*s = sw(sg->base.sd);
	struct swift_segment	*seg = NULL;
	struct swift_limits	 lim;
	size_t			 n;
	int			 slo;
	enum reg_err		 err;

	*ours = 0;
	if (size == 0)
		err = swift_put(s, dest, "", 0, 0, NULL);
	else if (sw_segments(ps, size, &seg, &n) == -1)
		err = sw_stage_short(sg, size, gone);
	else if ((err = swift_limits(s, &lim)) == REG_OK) {
		/* The parts' ETags (a HEAD each) only for a manifest. */
		slo = sw_slo_fits(&lim, size, n);
		if (slo || n > 1)
			err = sw_parts_etags(s, ps);
		if (err == REG_OK)
			err = slo ? sw_slo_make(s, sg->uuid, seg, n, size,
			    dest, ours) : sw_concat(s, sg->uuid, seg, n, size,
			    dest);
	}
	free(seg);
	return (err);
}

static enum reg_err
sw_stage_finish(struct stor_stage *base, uint64_t size, const char *dest)
{
	struct swift_stage	*sg = (struct swift_stage *)base;
	struct swift		*s = sw(base->sd);
	struct swift_limits	 lim;
	struct sw_parts		 ps;
	struct buf		 path = BUF_INIT;
	int			 gone, ours;
	enum reg_err		 err;

	if ((err = sw_stage_flush(sg)) != REG_OK ||
	    (err = swift_limits(s, &lim)) != REG_OK)
		return (err);
	/* Maybe an SLO of the parts: they are the blob's before it is. */
	if (sw_slo_fits(&lim, size, 1) &&
	    (err = sw_set_name(s, sg->uuid, dest)) != REG_OK)
		return (err);
	sw_upload_path(&path, sg->uuid, "state");
	err = swift_delete(s, path.buf);
	buf_release(&path);
	if (err != REG_OK && err != REG_E_NOENT)
		return (err);
	gone = err == REG_E_NOENT;
	if ((err = sw_parts(s, sg->uuid, &ps)) != REG_OK)
		return (err);
	err = sw_stage_make(sg, &ps, size, gone, dest, &ours);
	sw_parts_release(&ps);
	if (err == REG_OK || err == REG_E_NOENT) {
		buf_addf(&path, "uploads/%s/", sg->uuid);
		(void)sw_delete_prefix(s, path.buf);
		buf_release(&path);
		if (!ours)
			(void)sw_set_drop(s, sg->uuid);
	}
	return (err);
}

static void
sw_stage_close(struct stor_stage *base)
{
	struct swift_stage	*sg = (struct swift_stage *)base;

	if (sg == NULL)
		return;
	swift_put_abort(sg->put);
	free(sg->uuid);
	free(sg);
}

struct sw_activity {
	time_t		 mtime;
	uint64_t	 size;
	int		 any;
	int		 parts;		/* listing the parts */
};

static enum reg_err
sw_activity_fn(const struct swift_entry *e, void *arg)
{
	struct sw_activity	*a = arg;

	if (e->subdir)
		return (REG_OK);
	a->any = 1;
	if (e->mtime > a->mtime)
		a->mtime = e->mtime;
	if (a->parts)
		a->size += e->bytes;
	return (REG_OK);
}

/* An upload's newest activity and the bytes it holds. */
static enum reg_err
sw_activity(struct swift *s, const char *uuid, struct sw_activity *a)
{
	struct buf	prefix = BUF_INIT;
	enum reg_err	err;

	memset(a, 0, sizeof(*a));
	buf_addf(&prefix, "uploads/%s/", uuid);
	if ((err = swift_list(s, prefix.buf, NULL, sw_activity_fn, a)) ==
	    REG_OK) {
		buf_reset(&prefix);
		sw_set_path(&prefix, uuid, "");
		a->parts = 1;
		err = swift_list(s, prefix.buf, NULL, sw_activity_fn, a);
	}
	buf_release(&prefix);
	if (err == REG_OK && !a->any)
		return (REG_E_NOENT);
	return (err);
}

static enum reg_err
sw_stage_remove(struct stor_driver *sd, const char *uuid, time_t before)
{
	struct sw_activity	a;
	enum reg_err		err;

	if ((err = sw_activity(sw(sd), uuid, &a)) != REG_OK)
		return (err);
	if (before != 0 && a.mtime >= before)
		return (REG_E_BUSY);
	return (sw_upload_drop(sw(sd), uuid));
}

struct sw_uploads {
	struct swift	*s;
	stor_list_fn	 fn;
	void		*arg;
};

static enum reg_err
sw_uploads_fn(const struct swift_entry *e, void *arg)
{
	struct sw_uploads	*u = arg;
	struct sw_activity	 a;
	struct stor_stat	 st;
	char			*uuid;
	enum reg_err		 err;

	if (!e->subdir || strlen(e->name) < 10)
		return (REG_OK);
	uuid = xstrndup(e->name + 8, strlen(e->name) - 9);
	if ((err = sw_activity(u->s, uuid, &a)) == REG_OK) {
		memset(&st, 0, sizeof(st));
		st.is_dir = 1;
		st.size = a.size;
		st.mtime = a.mtime;
		err = u->fn(uuid, &st, u->arg);
	} else if (err == REG_E_NOENT)
		err = REG_OK;	/* gone meanwhile */
	free(uuid);
	return (err);
}

/* A trash entry, or a liveness record of a blob in neither place. */
static enum reg_err
sw_debris_fn(const struct swift_entry *e, void *arg)
{
	struct sw_uploads	*u = arg;
	struct swift_stat	 ss;
	struct stor_stat	 st;
	struct buf		 trash = BUF_INIT;
	enum reg_err		 err = REG_E_NOENT;

	if (e->subdir)
		return (REG_OK);
	if (strncmp(e->name, ".liveness/", 10) == 0) {
		sw_side_path(&trash, ".trash", e->name + 10);
		if ((err = swift_head(u->s, e->name + 10, &ss)) ==
		    REG_E_NOENT)
			err = swift_head(u->s, trash.buf, &ss);
		buf_release(&trash);
	}
	if (err == REG_OK)
		return (REG_OK);	/* the record of a blob */
	if (err != REG_E_NOENT)
		return (err);
	memset(&st, 0, sizeof(st));
	st.size = e->bytes;
	st.mtime = e->mtime;
	return (u->fn(e->name, &st, u->arg));
}

/* Whether the manifest at "path" names the set "uuid": OK or NOENT. */
static enum reg_err
sw_set_named(struct swift *s, const char *path, const char *uuid)
{
	struct swift_stat	st;
	enum reg_err		err;

	if ((err = swift_head(s, path, &st)) != REG_OK)
		return (err);
	return (st.slo && strcmp(st.set, uuid) == 0 ? REG_OK : REG_E_NOENT);
}

/* The blob path the set's record names, and the record's mtime. */
static enum reg_err
sw_set_blob(struct swift *s, const char *uuid, struct buf *blob,
    time_t *since)
{
	struct swift_stat	st;
	struct buf		path = BUF_INIT;
	enum reg_err		err;

	sw_set_path(&path, uuid, SWIFT_SET_BLOB);
	if ((err = swift_head(s, path.buf, &st)) == REG_OK &&
	    (err = swift_get_buf(s, path.buf, 4096, blob)) == REG_OK) {
		*since = st.mtime;
		if (!stor_path_valid(blob->buf)) {
			log_warnx("swift: %s names no blob", path.buf);
			err = REG_E_IO;
		}
	}
	buf_release(&path);
	return (err);
}

/*
 * Whether no one has the set ".segments/<uuid>": no upload (its state
 * or a beat under uploads/<uuid>), and no manifest of the set in the
 * trash or in the place of the blob its record names ("*since": the
 * record's mtime).  The trash is looked at first: while prune runs,
 * only use() moves a blob, from the trash to its place, and it copies
 * before it removes.
 */
static enum reg_err
sw_set_orphan(struct swift *s, const char *uuid, int *orphan, time_t *since)
{
	struct buf	path = BUF_INIT, blob = BUF_INIT;
	enum reg_err	err;

	*orphan = 0;
	*since = 0;
	buf_addf(&path, "uploads/%s", uuid);
	if ((err = sw_dir_exists(s, path.buf)) == REG_E_NOENT &&
	    (err = sw_set_blob(s, uuid, &blob, since)) == REG_OK) {
		buf_reset(&path);
		sw_side_path(&path, ".trash", blob.buf);
		if ((err = sw_set_named(s, path.buf, uuid)) == REG_E_NOENT)
			err = sw_set_named(s, blob.buf, uuid);
	}
	buf_release(&blob);
	buf_release(&path);
	if (err == REG_E_NOENT)
		*orphan = 1;
	return (err == REG_E_NOENT ? REG_OK : err);
}

struct sw_sets {
	struct sw_uploads	*u;
	struct buf		 uuid;	/* the set last looked at */
	int			 orphan;
	time_t			 since;
};

/* An object of a set that no one has, as old as it or the record. */
static enum reg_err
sw_segment_fn(const struct swift_entry *e, void *arg)
{
	struct sw_sets		*ss = arg;
	struct stor_stat	 st;
	const char		*uuid, *slash;
	size_t			 len;
	enum reg_err		 err;

	uuid = e->name + strlen(SWIFT_SEGMENTS "/");
	if (e->subdir || (slash = strchr(uuid, '/')) == NULL)
		return (REG_OK);
	len = (size_t)(slash - uuid);
	if (!uuid_valid(uuid, len))
		return (REG_OK);	/* not an upload's set: left alone */
	if (ss->uuid.len != len || memcmp(ss->uuid.buf, uuid, len) != 0) {
		buf_reset(&ss->uuid);
		buf_add(&ss->uuid, uuid, len);
		if ((err = sw_set_orphan(ss->u->s, ss->uuid.buf,
		    &ss->orphan, &ss->since)) != REG_OK)
			return (err);
	}
	if (!ss->orphan)
		return (REG_OK);
	memset(&st, 0, sizeof(st));
	st.size = e->bytes;
	st.mtime = e->mtime > ss->since ? e->mtime : ss->since;
	return (ss->u->fn(e->name, &st, ss->u->arg));
}

static enum reg_err
sw_stage_list(struct stor_driver *sd, enum stor_stage_what what,
    stor_list_fn fn, void *arg)
{
	struct sw_uploads	u = { sw(sd), fn, arg };
	struct sw_sets		ss = { &u, BUF_INIT, 0, 0 };
	enum reg_err		err;

	if (what == STOR_STAGE_UPLOADS)
		return (swift_list(sw(sd), "uploads/", "/", sw_uploads_fn,
		    &u));
	/*
	 * A write leaves nothing behind when its writer dies, but the
	 * segments of a large blob outlive its manifest.
	 */
	if (what == STOR_STAGE_DEBRIS) {
		err = swift_list(sw(sd), SWIFT_SEGMENTS "/", NULL,
		    sw_segment_fn, &ss);
		buf_release(&ss.uuid);
		return (err);
	}
	if ((err = swift_list(sw(sd), ".trash/", NULL, sw_debris_fn, &u)) !=
	    REG_OK)
		return (err);
	return (swift_list(sw(sd), ".liveness/", NULL, sw_debris_fn, &u));
}

/* --- Coordination -------------------------------------------------------- */

/* Whether the blob of the trash entry "path" was used since "since". */
static int
sw_used_since(struct swift *s, const char *path, time_t since)
{
	struct swift_stat	st;
	struct buf		live = BUF_INIT;
	enum reg_err		err;

	sw_side_path(&live, ".liveness", path + strlen(".trash/"));
	err = swift_head(s, live.buf, &st);
	buf_release(&live);
	return (err != REG_E_NOENT && (err != REG_OK || st.mtime >= since));
}

/*
 * The trash emptied of a blob: its manifest, then its set unless a
 * use() since it went there may be copying the manifest back, or
 * someone else has the set (else it is debris: sw_set_orphan()).
 */
static enum reg_err
sw_trash_remove(struct swift *s, const char *path)
{
	struct swift_stat	st;
	time_t			since;
	int			orphan;
	enum reg_err		err;

	if ((err = swift_head(s, path, &st)) != REG_OK ||
	    (err = swift_delete(s, path)) != REG_OK)
		return (err);
	if (!st.slo || st.set[0] == '\0' ||
	    sw_used_since(s, path, st.mtime) ||
	    sw_set_orphan(s, st.set, &orphan, &since) != REG_OK || !orphan)
		return (REG_OK);
	log_debug("swift: %s: its segments go too", path);
	(void)sw_set_drop(s, st.set);
	return (REG_OK);
}

static enum reg_err
sw_clock(struct stor_driver *sd, time_t *now)
{
	struct swift_stat	st;
	enum reg_err		err;

	if ((err = swift_put(sw(sd), ".clock", "", 0, 0, NULL)) != REG_OK ||
	    (err = swift_head(sw(sd), ".clock", &st)) != REG_OK)
		return (err);
	*now = st.mtime;
	return (REG_OK);
}

/* Move "from" to "to": copy, then remove. */
static enum reg_err
sw_move(struct swift *s, const char *from, const char *to)
{
	enum reg_err	err;

	if ((err = swift_copy(s, from, to)) != REG_OK)
		return (err);
	err = swift_delete(s, from);
	return (err == REG_E_NOENT ? REG_OK : err);
}

static enum reg_err
sw_use(struct stor_driver *sd, const char *path, time_t fresh,
    struct stor_stat *st)
{
	struct swift	*s = sw(sd);
	struct buf	 live = BUF_INIT, trash = BUF_INIT;
	int		 gone = 0;
	enum reg_err	 err;

	/* Blobs and links are objects: no listing for a directory on a 404. */
	if (fresh > 0) {
		err = sw_stat_object(s, path, st);
		if (err == REG_OK && st->mtime > time(NULL) - fresh)
			return (REG_OK);
		if (err != REG_OK && err != REG_E_NOENT)
			return (err);
		gone = err == REG_E_NOENT;
	}
	sw_side_path(&live, ".liveness", path);
	sw_side_path(&trash, ".trash", path);
	if ((err = swift_put(s, live.buf, "", 0, 0, NULL)) == REG_OK &&
	    (gone || (err = sw_stat_object(s, path, st)) == REG_E_NOENT) &&
	    (err = sw_move(s, trash.buf, path)) == REG_OK &&
	    (err = sw_stat_object(s, path, st)) == REG_OK)
		st->revived = 1;
	buf_release(&trash);
	buf_release(&live);
	return (err);
}

/* The blob's last use: its liveness record's mtime, else its own. */
static enum reg_err
sw_last_use(struct swift *s, const char *live, time_t blob, time_t *out)
{
	struct swift_stat	st;
	enum reg_err		err;

	if ((err = swift_head(s, live, &st)) == REG_OK)
		*out = st.mtime > blob ? st.mtime : blob;
	else if (err == REG_E_NOENT) {
		*out = blob;
		err = REG_OK;
	}
	return (err);
}

static enum reg_err
sw_remove_unused(struct stor_driver *sd, const char *path, time_t cutoff,
    struct stor_stat *st)
{
	struct swift		*s = sw(sd);
	struct swift_stat	 ss;
	struct buf		 live = BUF_INIT, trash = BUF_INIT;
	time_t			 used;
	enum reg_err		 err;

	memset(st, 0, sizeof(*st));
	if ((err = swift_head(s, path, &ss)) != REG_OK)
		return (err);
	st->size = ss.size;
	st->mtime = ss.mtime;
	sw_side_path(&live, ".liveness", path);
	sw_side_path(&trash, ".trash", path);
	if ((err = sw_last_use(s, live.buf, ss.mtime, &used)) == REG_OK &&
	    used >= cutoff)
		err = REG_E_BUSY;
	/* To the trash, then a second look at the liveness record. */
	if (err == REG_OK && (err = sw_move(s, path, trash.buf)) == REG_OK &&
	    (err = sw_last_use(s, live.buf, ss.mtime, &used)) == REG_OK &&
	    used >= cutoff && (err = sw_move(s, trash.buf, path)) == REG_OK)
		err = REG_E_BUSY;
	buf_release(&trash);
	buf_release(&live);
	return (err);
}

/*
 * What a client is sent to for "path": the object, or, for an SLO of a
 * single part (a blob pushed in one request), the part itself.  Swift
 * serves a plain object faster than a manifest: 8 GETs of 256 MiB by 4
 * clients at once, 520-570 MB/s against 370.  The part lives as long as
 * the manifest (a set goes only when nothing names it).
 */
static void
sw_url_target(struct swift *s, const char *path, struct buf *out)
{
	struct swift_stat	st, part;
	struct buf		first = BUF_INIT;

	if (swift_head(s, path, &st) == REG_OK && st.slo && st.set[0] != '\0') {
		sw_part_path(&first, st.set, 0);
		if (swift_head(s, first.buf, &part) == REG_OK &&
		    !part.slo && part.size == st.size) {
			buf_addstr(out, first.buf);
			buf_release(&first);
			return;
		}
		buf_release(&first);
	}
	buf_addstr(out, path);
}

/*
 * A TempURL for GET, until "ttl" seconds from now on this host's clock
 * (Swift checks it against its own: keep the clocks in step).
 */
static enum reg_err
sw_url(struct stor_driver *sd, const char *path, time_t ttl, struct buf *out)
{
	struct buf	target = BUF_INIT;
	enum reg_err	err;

	sw_url_target(sw(sd), path, &target);
	err = swift_tempurl(sw(sd), "GET", target.buf, time(NULL) + ttl, out);
	buf_release(&target);
	return (err);
}

static enum reg_err
sw_check(struct stor_driver *sd, struct buf *why)
{
	struct swift_driver	*d = (struct swift_driver *)sd;
	enum reg_err		 err;

	if ((err = swift_ping(d->probe)) != REG_OK)
		buf_addstr(why, "the Swift container does not answer");
	return (err);
}

static void
sw_close(struct stor_driver *sd)
{
	swift_free(((struct swift_driver *)sd)->probe);
	swift_free(sw(sd));
	free(sd);
}

static const struct stor_ops swift_ops = {
	.name = "swift",
	.caps = STOR_CAP_EXCL | STOR_CAP_REMOTE,
	.stat = sw_stat,
	.stat_object = sw_stat_only,
	.get = sw_get,
	.put = sw_put,
	.read = sw_read,
	.list = sw_list,
	.remove = sw_remove,
	.remove_tree = sw_remove_tree,
	.copy = sw_copy,
	.touch = sw_touch,
	.stage_create = sw_stage_create,
	.stage_open = sw_stage_open,
	.stage_write = sw_stage_write,
	.stage_commit = sw_stage_commit,
	.stage_read = sw_stage_read,
	.stage_finish = sw_stage_finish,
	.stage_close = sw_stage_close,
	.stage_remove = sw_stage_remove,
	.stage_list = sw_stage_list,
	.clock = sw_clock,
	.use = sw_use,
	.remove_unused = sw_remove_unused,
	.url = sw_url,
	.check = sw_check,
	.close = sw_close,
};

struct stor_driver *
stor_swift_open(const struct conf *c)
{
	struct swift_driver	*d;
	struct swift_conf	 sc;

	memset(&sc, 0, sizeof(sc));
	sc.auth_url = conf_storage_get(c, "auth-url");
	sc.username = conf_storage_get(c, "username");
	sc.password = conf_storage_get(c, "password");
	sc.container = conf_storage_get(c, "container");
	sc.project = conf_storage_get(c, "project");
	sc.user_domain = conf_storage_get(c, "user-domain");
	sc.project_domain = conf_storage_get(c, "project-domain");
	sc.region = conf_storage_get(c, "region");
	sc.app_cred_id = conf_storage_get(c, "application-credential-id");
	sc.app_cred_secret = conf_storage_get(c,
	    "application-credential-secret");
	if ((sc.app_cred_id == NULL) != (sc.app_cred_secret == NULL) ||
	    (sc.app_cred_id == NULL &&
	    (sc.username == NULL || sc.password == NULL))) {
		log_warnx("swift: [storage] needs username and password, or "
		    "application-credential-id and -secret");
		return (NULL);
	}
	d = xcalloc(1, sizeof(*d));
	d->base.ops = &swift_ops;
	d->s = swift_new(&sc);
	d->probe = swift_new(&sc);
	/* Authenticate, and make the container if it is missing. */
	if (swift_connect(d->s) != REG_OK) {
		sw_close(&d->base);
		return (NULL);
	}
	return (&d->base);
}

void
stor_swift_page(struct stor_driver *sd, unsigned int page)
{
	swift_page(sw(sd), page);
}
