/*
 * storage/swift_driver.c: the swift driver, a shared driver (see
 * driver.h) over storage/swift.c.  One container holds the store; an
 * object's path is its name.
 *
 * Layout beside the store's own paths:
 *   uploads/<uuid>/state          the upload's state record
 *   uploads/<uuid>/p/<offset>     its bytes from <offset> (20 digits),
 *                                 one part per session (or more:
 *                                 see below), written create-only
 *   .liveness/<blob path>         an empty object: its mtime is the
 *                                 blob's last use()
 *   .trash/<blob path>            a blob remove_unused() took away; use()
 *                                 puts it back
 *   uploads/<uuid>/beat           rewritten while a part streams
 *   .clock                        rewritten by clock() for its mtime
 *   .segments/<blob path>/<uuid>/<offset>
 *                                 a segment of a blob larger than
 *                                 Swift's largest object; the blob is
 *                                 an SLO manifest naming the set <uuid>
 *                                 in X-Object-Meta-Segments
 *
 * stage_list(STOR_STAGE_TRASH) names the trash entries and the
 * liveness records whose blob is neither in place nor in the trash:
 * prune removes those older than its grace (see store_prune.c).  An
 * upload whose state is gone (a finish that died) is listed as an
 * upload: its parts go after upload-expiration.
 * stage_list(STOR_STAGE_DEBRIS) names the segments of the sets that no
 * one has: no upload finishing (its parts still there), no manifest
 * in the blob's place or in the trash.  Removing a blob (remove(), the
 * trash emptied) removes its manifest only, because a copy of the
 * manifest may share the set (a blob moving to or from the trash); the
 * set then is debris, which prune and fsck --repair sweep once it is
 * older than their age for temporary files.
 *
 * A session streams what it appends into parts (chunked PUTs, no
 * buffer) of at most Swift's largest object (max_file_size from the
 * cluster's /info); a commit, a read or a finish completes the part
 * first.  The first write of a session, at the committed offset, drops
 * the parts from that offset on (what a dead session left).  A finish
 * forgets the state, then makes the parts the object: up to Swift's
 * largest object, a server-side copy of a single part, or of an SLO
 * manifest of the parts, which Swift copies as their concatenation;
 * then it checks the size.  A larger blob stays an SLO: each part is
 * copied to the blob's set of segments, each copy checked against the
 * part's size and ETag (the MD5 of what was sent), and the manifest is
 * put create-only (Swift checks each segment's size and ETag, we check
 * the manifest's ETag and size).  Last, the parts go.
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

static enum reg_err
sw_remove(struct stor_driver *sd, const char *path)
{
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
};

static enum reg_err
sw_parts_fn(const struct swift_entry *e, void *arg)
{
	struct sw_parts	*ps = arg;
	struct sw_part	*p;
	uint64_t	 off;

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
	sw_upload_path(&prefix, uuid, "p/");
	ps->skip = prefix.len;
	err = swift_list(s, prefix.buf, NULL, sw_parts_fn, ps);
	buf_release(&prefix);
	if (err != REG_OK)
		sw_parts_release(ps);
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

/* A session's first write at "off": drop the parts from "off" on. */
static enum reg_err
sw_stage_begin(struct swift_stage *sg, uint64_t off)
{
	struct swift	*s = sw(sg->base.sd);
	struct sw_parts	 ps;
	size_t		 i;
	enum reg_err	 err;

	if ((err = sw_parts(s, sg->uuid, &ps)) != REG_OK)
		return (err);
	for (i = 0; i < ps.n && err == REG_OK; i++)
		if (ps.v[i].off >= off &&
		    (err = swift_delete(s, ps.v[i].name)) == REG_E_NOENT)
			err = REG_OK;
	sw_parts_release(&ps);
	return (err);
}

/* Start the part that begins at "off". */
static enum reg_err
sw_part_open(struct swift_stage *sg, uint64_t off)
{
	struct buf	path = BUF_INIT;
	char		name[SWIFT_PART_DIGITS + 4];
	enum reg_err	err;

	snprintf(name, sizeof(name), "p/%0*llu", SWIFT_PART_DIGITS,
	    (unsigned long long)off);
	sw_upload_path(&path, sg->uuid, name);
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
		buf_reset(&path);
		buf_addf(&path, "uploads/%s/", sg->uuid);
		(void)sw_delete_prefix(s, path.buf);
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

/* Make "dest" the concatenation of the parts, server-side. */
static enum reg_err
sw_concat(struct swift *s, const char *uuid, const struct swift_segment *seg,
    size_t n, uint64_t size, const char *dest)
{
	struct swift_stat	st;
	struct buf		manifest = BUF_INIT;
	enum reg_err		err;
	int			tries;

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
		    NULL)) ==
		    REG_OK)
			err = swift_copy_whole(s, manifest.buf, dest);
		swift_delete(s, manifest.buf);
	}
	buf_release(&manifest);
	/* Just written: a 404 is a concurrent overwrite's moment. */
	for (tries = 0; err == REG_OK && tries < 5; tries++) {
		if ((err = swift_head(s, dest, &st)) != REG_E_NOENT)
			break;
		err = REG_OK;
		usleep(200 * 1000);
	}
	if (err == REG_OK && tries == 5)
		err = REG_E_NOENT;
	if (err == REG_OK && st.size != size) {
		log_warnx("swift: %s: %llu bytes, not %llu", dest,
		    (unsigned long long)st.size, (unsigned long long)size);
		err = REG_E_IO;
	}
	return (err);
}

/* ".segments/<dest>/<uuid>": the set of segments an upload made. */
static void
sw_set_path(struct buf *out, const char *dest, const char *uuid)
{
	buf_addf(out, "%s/%s/%s", SWIFT_SEGMENTS, dest, uuid);
}

/* Copy a part to "to"; the copy must have the part's size and ETag. */
static enum reg_err
sw_segment_copy(struct swift *s, const struct swift_segment *part,
    const char *to)
{
	struct swift_stat	st;
	enum reg_err		err;

	if ((err = swift_copy(s, part->name, to)) != REG_OK ||
	    (err = swift_head(s, to, &st)) != REG_OK)
		return (err);
	if (st.size == part->size && strcasecmp(st.etag, part->etag) == 0)
		return (REG_OK);
	log_warnx("swift: %s: %llu bytes, ETag %s; its part had %llu, %s", to,
	    (unsigned long long)st.size, st.etag,
	    (unsigned long long)part->size, part->etag);
	return (REG_E_IO);
}

/*
 * A blob larger than Swift's largest object: the parts copied to its
 * set of segments, then a manifest of them at "dest", create-only.  If
 * the blob is there already (another upload of the same bytes won),
 * that one stays and this set goes.
 */
static enum reg_err
sw_slo_make(struct swift *s, const char *uuid,
    const struct swift_segment *part, size_t n, uint64_t size,
    const char *dest)
{
	struct swift_limits	 lim;
	struct swift_segment	*seg;
	struct buf		 set = BUF_INIT;
	char			**names;
	uint64_t		 at = 0;
	size_t			 i;
	enum reg_err		 err;

	if ((err = swift_limits(s, &lim)) != REG_OK)
		return (err);
	if (n > lim.max_segments) {
		log_warnx("swift: %s: %zu parts, a manifest takes %llu", dest,
		    n, (unsigned long long)lim.max_segments);
		return (REG_E_IO);
	}
	sw_set_path(&set, dest, uuid);
	seg = xcalloc(n, sizeof(*seg));
	names = xcalloc(n, sizeof(*names));
	for (i = 0; i < n && err == REG_OK; i++) {
		names[i] = xasprintf("%s/%0*llu", set.buf, SWIFT_PART_DIGITS,
		    (unsigned long long)at);
		seg[i] = part[i];
		seg[i].name = names[i];
		err = sw_segment_copy(s, &part[i], names[i]);
		at += part[i].size;
	}
	if (err == REG_OK) {
		err = swift_slo_put(s, dest, seg, n, uuid, SWIFT_EXCL, NULL);
		if (err == REG_E_EXISTS) {
			log_debug("swift: %s was there already", dest);
			buf_addch(&set, '/');
			err = sw_delete_prefix(s, set.buf);
		} else if (err == REG_OK)
			log_info("swift: %s: %llu bytes in %zu segments", dest,
			    (unsigned long long)size, n);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(seg);
	buf_release(&set);
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

/*
 * Make "dest" of the parts that "seg" names: a copy of a single part,
 * or of a manifest, which names the parts' ETags: they are read (a HEAD
 * each) only then.
 */
static enum reg_err
sw_parts_make(struct swift *s, const char *uuid, struct sw_parts *ps,
    const struct swift_segment *seg, size_t n, uint64_t size,
    const char *dest)
{
	struct swift_limits	lim;
	enum reg_err		err;

	if ((err = swift_limits(s, &lim)) != REG_OK)
		return (err);
	if ((n > 1 || size > lim.max_file_size) &&
	    (err = sw_parts_etags(s, ps)) != REG_OK)
		return (err);
	return (size <= lim.max_file_size ?
	    sw_concat(s, uuid, seg, n, size, dest) :
	    sw_slo_make(s, uuid, seg, n, size, dest));
}

static enum reg_err
sw_stage_finish(struct stor_stage *base, uint64_t size, const char *dest)
{
	struct swift_stage	*sg = (struct swift_stage *)base;
	struct swift		*s = sw(base->sd);
	struct swift_segment	*seg = NULL;
	struct sw_parts		 ps;
	struct buf		 path = BUF_INIT;
	size_t			 n;
	int			 gone;
	enum reg_err		 err;

	if ((err = sw_stage_flush(sg)) != REG_OK)
		return (err);
	sw_upload_path(&path, sg->uuid, "state");
	err = swift_delete(s, path.buf);
	buf_release(&path);
	if (err != REG_OK && err != REG_E_NOENT)
		return (err);
	gone = err == REG_E_NOENT;
	if ((err = sw_parts(s, sg->uuid, &ps)) != REG_OK)
		return (err);
	if (size == 0)
		err = swift_put(s, dest, "", 0, 0, NULL);
	else if (sw_segments(&ps, size, &seg, &n) == -1)
		err = sw_stage_short(sg, size, gone);
	else
		err = sw_parts_make(s, sg->uuid, &ps, seg, n, size, dest);
	free(seg);
	sw_parts_release(&ps);
	if (err == REG_OK || err == REG_E_NOENT) {
		buf_addf(&path, "uploads/%s/", sg->uuid);
		sw_delete_prefix(s, path.buf);
		buf_release(&path);
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
	size_t		 skip;
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
	if (strncmp(e->name + a->skip, "p/", 2) == 0)
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
	a->skip = prefix.len;
	err = swift_list(s, prefix.buf, NULL, sw_activity_fn, a);
	buf_release(&prefix);
	if (err == REG_OK && !a->any)
		return (REG_E_NOENT);
	return (err);
}

static enum reg_err
sw_stage_remove(struct stor_driver *sd, const char *uuid, time_t before)
{
	struct sw_activity	a;
	struct buf		prefix = BUF_INIT;
	enum reg_err		err;

	if ((err = sw_activity(sw(sd), uuid, &a)) != REG_OK)
		return (err);
	if (before != 0 && a.mtime >= before)
		return (REG_E_BUSY);
	buf_addf(&prefix, "uploads/%s/", uuid);
	err = sw_delete_prefix(sw(sd), prefix.buf);
	buf_release(&prefix);
	return (err);
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

/*
 * Whether no one has the set ".segments/<blob>/<uuid>": not an upload
 * still finishing (its parts are there until it is done), not the
 * blob's manifest in the trash or in its place.  The trash is looked
 * at first: while prune runs, only use() moves a blob, from the trash
 * to its place, and it copies before it removes.
 */
static enum reg_err
sw_set_orphan(struct swift *s, const char *set, int *orphan)
{
	const char	*uuid = strrchr(set, '/'), *blob;
	struct buf	 path = BUF_INIT;
	enum reg_err	 err;

	*orphan = 1;
	blob = set + strlen(SWIFT_SEGMENTS "/");
	if (uuid == NULL || uuid < blob + 1)
		return (REG_OK);
	uuid++;
	buf_addf(&path, "uploads/%s", uuid);
	if ((err = sw_dir_exists(s, path.buf)) == REG_E_NOENT) {
		buf_reset(&path);
		buf_addf(&path, ".trash/%.*s", (int)(uuid - 1 - blob), blob);
		err = sw_set_named(s, path.buf, uuid);
	}
	if (err == REG_E_NOENT) {
		buf_reset(&path);
		buf_add(&path, blob, (size_t)(uuid - 1 - blob));
		err = sw_set_named(s, path.buf, uuid);
	}
	buf_release(&path);
	if (err == REG_OK)
		*orphan = 0;
	return (err == REG_E_NOENT ? REG_OK : err);
}

struct sw_sets {
	struct sw_uploads	*u;
	struct buf		 set;	/* the set last looked at */
	int			 orphan;
};

/* A segment of a set that no one has. */
static enum reg_err
sw_segment_fn(const struct swift_entry *e, void *arg)
{
	struct sw_sets		*ss = arg;
	struct stor_stat	 st;
	const char		*slash = strrchr(e->name, '/');
	size_t			 len;
	enum reg_err		 err;

	if (e->subdir || slash == NULL)
		return (REG_OK);
	len = (size_t)(slash - e->name);
	if (ss->set.len != len || memcmp(ss->set.buf, e->name, len) != 0) {
		buf_reset(&ss->set);
		buf_add(&ss->set, e->name, len);
		if ((err = sw_set_orphan(ss->u->s, ss->set.buf,
		    &ss->orphan)) != REG_OK)
			return (err);
	}
	if (!ss->orphan)
		return (REG_OK);
	memset(&st, 0, sizeof(st));
	st.size = e->bytes;
	st.mtime = e->mtime;
	return (ss->u->fn(e->name, &st, ss->u->arg));
}

static enum reg_err
sw_stage_list(struct stor_driver *sd, enum stor_stage_what what,
    stor_list_fn fn, void *arg)
{
	struct sw_uploads	u = { sw(sd), fn, arg };
	struct sw_sets		ss = { &u, BUF_INIT, 0 };
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
		buf_release(&ss.set);
		return (err);
	}
	if ((err = swift_list(sw(sd), ".trash/", NULL, sw_debris_fn, &u)) !=
	    REG_OK)
		return (err);
	return (swift_list(sw(sd), ".liveness/", NULL, sw_debris_fn, &u));
}

/* --- Coordination -------------------------------------------------------- */

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
sw_use(struct stor_driver *sd, const char *path, struct stor_stat *st)
{
	struct swift	*s = sw(sd);
	struct buf	 live = BUF_INIT, trash = BUF_INIT;
	enum reg_err	 err;

	sw_side_path(&live, ".liveness", path);
	sw_side_path(&trash, ".trash", path);
	/* A blob is an object: no listing for a directory on a 404. */
	if ((err = swift_put(s, live.buf, "", 0, 0, NULL)) == REG_OK &&
	    (err = sw_stat_object(s, path, st)) == REG_E_NOENT &&
	    (err = sw_move(s, trash.buf, path)) == REG_OK)
		err = sw_stat_object(s, path, st);
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
 * A TempURL for GET, until "ttl" seconds from now on this host's clock
 * (Swift checks it against its own: keep the clocks in step).
 */
static enum reg_err
sw_url(struct stor_driver *sd, const char *path, time_t ttl, struct buf *out)
{
	return (swift_tempurl(sw(sd), "GET", path, time(NULL) + ttl, out));
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
	.caps = STOR_CAP_EXCL,
	.stat = sw_stat,
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
