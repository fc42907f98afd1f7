/*
 * storage/s3_driver.c: the s3 driver, a shared driver (see driver.h)
 * over storage/s3.c.  One bucket (under an optional key prefix) holds
 * the store; an object's path is its key.
 *
 * Layout beside the store's own paths, as the swift driver's:
 *   uploads/<uuid>/state          the upload's state record
 *   uploads/<uuid>/p/<offset>     its bytes from <offset> (20 digits),
 *                                 8 MiB or less, written create-only
 *                                 where the store can
 *   .liveness/<blob path>         an empty object: its mtime is the
 *                                 blob's last use()
 *   .trash/<blob path>            a blob remove_unused() took away
 *   .clock                        rewritten by clock() for its mtime
 *
 * Staging.  A session writes what it appends into part objects of
 * 8 MiB (the last one smaller), each held in memory until it is full
 * or the session commits, since S3 wants a length on every PUT; no
 * worker keeps anything between requests, and any host may take the
 * next PATCH.  The
 * finish assembles the blob in the store: a single part of at most
 * 5 GiB by CopyObject; otherwise one multipart upload whose parts are
 * ranges of the part objects copied server-side (UploadPartCopy, each
 * at least 5 MiB and at most 5 GiB), while part objects too small to
 * stand alone (S3 wants 5 MiB in every part but the last) are read
 * back through specreg and combined into parts of 5 MiB (UploadPart),
 * one 5 MiB buffer at most.  So large chunks never pass through
 * specreg twice, and small ones cost one read each at the finish; a
 * blob under 5 MiB in several parts is read and written whole.  The
 * multipart upload is the finish's alone: a finish that dies leaves
 * it to prune, which aborts those older than its grace
 * (list-multipart-uploads, listed as debris ".mpu/<hex id>/<key>").
 *
 * Create-only writes (STOR_CAP_EXCL) where the store has them
 * (s3_excl(): radosgw, AWS); on Swift's s3api the driver runs without
 * the cap, with the guarantees driver.h states for that case.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "storage/driver.h"
#include "storage/s3.h"

#define S3_PART_DIGITS		20
/*
 * A session's bytes go to part objects of this size (the last smaller):
 * S3 wants a length on every PUT, so each is held in memory first.
 * Above S3_PART_MIN, so that the finish copies whole ones server-side.
 */
#define S3_STAGE_PART		(8 * 1024 * 1024)
#define S3_MPU_DIR		".mpu"

struct s3_driver {
	struct stor_driver	 base;
	struct s3		*s;
	/* The readiness probe's own client: it runs in a thread. */
	struct s3		*probe;
	uint64_t		 copy_max;	/* S3_PART_MAX; tests lower it */
};

struct s3_stage {
	struct stor_stage	 base;
	char			*uuid;
	struct buf		 pend;		/* bytes not yet in a part */
	uint64_t		 pend_off;	/* where they start */
	uint64_t		 end;		/* the session's end */
	int			 written;	/* a write happened */
};

const struct stor_key stor_s3_keys[] = {
	{ "endpoint", 0 },
	{ "region", 0 },
	{ "bucket", STOR_KEY_REQUIRED },
	{ "access-key", STOR_KEY_CREDENTIAL },
	{ "secret-key", STOR_KEY_CREDENTIAL },
	{ "session-token", STOR_KEY_CREDENTIAL },
	{ "path-style", 0 },
	{ "prefix", 0 },
	{ NULL, 0 }
};

static struct s3 *
s3d(struct stor_driver *sd)
{
	return (((struct s3_driver *)sd)->s);
}

static int
s3d_flags(struct s3 *s, int flags)
{
	return ((flags & STOR_PUT_EXCL) && s3_excl(s) ? S3_EXCL : 0);
}

/* --- Objects ------------------------------------------------------------- */

static enum reg_err
s3d_probe_fn(const struct s3_entry *e, void *arg)
{
	(void)e;
	*(int *)arg = 1;
	return (REG_E_BUSY);	/* one is enough */
}

/* Whether anything lies below "dir". */
static enum reg_err
s3d_dir_exists(struct s3 *s, const char *dir)
{
	struct buf	 prefix = BUF_INIT;
	int		 found = 0;
	enum reg_err	 err;

	buf_addf(&prefix, "%s/", dir);
	err = s3_list(s, prefix.buf, "/", s3d_probe_fn, &found);
	buf_release(&prefix);
	if (err != REG_OK && err != REG_E_BUSY)
		return (err);
	return (found ? REG_OK : REG_E_NOENT);
}

/* The object "path" (a HEAD); NOENT if none, even with things below it. */
static enum reg_err
s3d_stat_object(struct s3 *s, const char *path, struct stor_stat *st)
{
	struct s3_stat	ss;
	enum reg_err	err;

	memset(st, 0, sizeof(*st));
	if ((err = s3_head(s, path, &ss)) == REG_OK) {
		st->size = ss.size;
		st->mtime = ss.mtime;
	}
	return (err);
}

static enum reg_err
s3d_stat(struct stor_driver *sd, const char *path, struct stor_stat *st)
{
	enum reg_err	err;

	if ((err = s3d_stat_object(s3d(sd), path, st)) != REG_E_NOENT ||
	    (err = s3d_dir_exists(s3d(sd), path)) != REG_OK)
		return (err);
	st->is_dir = 1;
	return (REG_OK);
}

static enum reg_err
s3d_stat_only(struct stor_driver *sd, const char *path, struct stor_stat *st)
{
	return (s3d_stat_object(s3d(sd), path, st));
}

static enum reg_err
s3d_get(struct stor_driver *sd, const char *path, size_t max, struct buf *out)
{
	struct buf	b = BUF_INIT;
	enum reg_err	err;

	if ((err = s3_get_buf(s3d(sd), path, max, &b)) == REG_OK)
		buf_add(out, b.buf, b.len);
	buf_release(&b);
	return (err);
}

static enum reg_err
s3d_put(struct stor_driver *sd, const char *path, const void *p, size_t len,
    int flags)
{
	return (s3_put(s3d(sd), path, p, len, s3d_flags(s3d(sd), flags)));
}

static enum reg_err
s3d_read(struct stor_driver *sd, const char *path, uint64_t off,
    uint64_t len, stor_sink_fn fn, void *arg)
{
	struct s3_stat	ss;

	/* Nothing asked: the object must still be there. */
	if (len == 0)
		return (s3_head(s3d(sd), path, &ss));
	return (s3_get(s3d(sd), path, off, len, fn, arg));
}

struct s3d_list {
	size_t		 skip;		/* the directory's length */
	stor_list_fn	 fn;
	void		*arg;
	int		 any;
};

static enum reg_err
s3d_list_fn(const struct s3_entry *e, void *arg)
{
	struct s3d_list		*l = arg;
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
s3d_list(struct stor_driver *sd, const char *dir, stor_list_fn fn, void *arg)
{
	struct s3d_list	 l = { 0, fn, arg, 0 };
	struct buf	 prefix = BUF_INIT;
	enum reg_err	 err;

	buf_addf(&prefix, "%s/", dir);
	l.skip = prefix.len;
	err = s3_list(s3d(sd), prefix.buf, "/", s3d_list_fn, &l);
	buf_release(&prefix);
	if (err == REG_OK && !l.any)
		return (REG_E_NOENT);
	return (err);
}

/* ".mpu/<hex upload id>/<key>": an abandoned multipart upload. */
static enum reg_err
s3d_mpu_remove(struct s3 *s, const char *path)
{
	const char	*hex = path + strlen(S3_MPU_DIR) + 1, *key;
	struct buf	 id = BUF_INIT;
	unsigned int	 c;
	enum reg_err	 err = REG_E_NOENT;

	if ((key = strchr(hex, '/')) != NULL &&
	    (size_t)(key - hex) % 2 == 0) {
		for (; hex < key && sscanf(hex, "%2x", &c) == 1; hex += 2)
			buf_addch(&id, (int)c);
		if (hex == key)
			err = s3_mpu_abort(s, key + 1, id.buf);
	}
	buf_release(&id);
	return (err);
}

static enum reg_err
s3d_remove(struct stor_driver *sd, const char *path)
{
	if (strncmp(path, S3_MPU_DIR "/", strlen(S3_MPU_DIR) + 1) == 0)
		return (s3d_mpu_remove(s3d(sd), path));
	return (s3_delete(s3d(sd), path));
}

struct s3d_names {
	char	**v;
	size_t	  n;
};

static enum reg_err
s3d_names_fn(const struct s3_entry *e, void *arg)
{
	struct s3d_names	*ns = arg;

	if (e->subdir)
		return (REG_OK);
	ns->v = xreallocarray(ns->v, ns->n + 1, sizeof(*ns->v));
	ns->v[ns->n++] = xstrdup(e->name);
	return (REG_OK);
}

/* Every object whose name starts with "prefix": listed, then deleted. */
static enum reg_err
s3d_delete_prefix(struct s3 *s, const char *prefix)
{
	struct s3d_names	 ns = { NULL, 0 };
	size_t			 i, n;
	enum reg_err		 err;

	err = s3_list(s, prefix, NULL, s3d_names_fn, &ns);
	for (i = 0; i < ns.n && err == REG_OK; i += n) {
		n = ns.n - i < S3_DELETE_MAX ? ns.n - i : S3_DELETE_MAX;
		err = s3_delete_many(s, (const char *const *)ns.v + i, n);
	}
	for (i = 0; i < ns.n; i++)
		free(ns.v[i]);
	free(ns.v);
	return (err);
}

static enum reg_err
s3d_remove_tree(struct stor_driver *sd, const char *dir)
{
	struct buf	prefix = BUF_INIT;
	enum reg_err	err;

	buf_addf(&prefix, "%s/", dir);
	err = s3d_delete_prefix(s3d(sd), prefix.buf);
	buf_release(&prefix);
	return (err);
}

static enum reg_err
s3d_copy(struct stor_driver *sd, const char *from, const char *to)
{
	return (s3_copy(s3d(sd), from, to));
}

/* A copy onto itself: the same bytes, a new Last-Modified. */
static enum reg_err
s3d_touch(struct stor_driver *sd, const char *path)
{
	return (s3_copy(s3d(sd), path, path));
}

/* ".liveness/<path>" or ".trash/<path>". */
static void
s3d_side_path(struct buf *out, const char *side, const char *path)
{
	buf_addf(out, "%s/%s", side, path);
}

/* --- Upload staging ------------------------------------------------------ */

static void
s3d_upload_path(struct buf *out, const char *uuid, const char *what)
{
	buf_addf(out, "uploads/%s/%s", uuid, what);
}

static enum reg_err
s3d_stage_create(struct stor_driver *sd, const char *uuid, const void *state,
    size_t len)
{
	struct buf	path = BUF_INIT;
	enum reg_err	err;

	s3d_upload_path(&path, uuid, "state");
	err = s3_put(s3d(sd), path.buf, state, len, 0);
	buf_release(&path);
	return (err);
}

static enum reg_err
s3d_stage_open(struct stor_driver *sd, const char *uuid,
    struct stor_stage **out, struct buf *state)
{
	struct s3_stage	*sg;
	struct buf	 path = BUF_INIT;
	enum reg_err	 err;

	*out = NULL;
	s3d_upload_path(&path, uuid, "state");
	err = s3d_get(sd, path.buf, 1024 * 1024, state);
	buf_release(&path);
	if (err != REG_OK)
		return (err);
	sg = xcalloc(1, sizeof(*sg));
	sg->base.sd = sd;
	sg->uuid = xstrdup(uuid);
	buf_init(&sg->pend);
	*out = &sg->base;
	return (REG_OK);
}

struct s3d_part {
	uint64_t	 off, size;
	char		*name;
};

struct s3d_parts {
	struct s3d_part	*v;
	size_t		 n;
	size_t		 skip;
};

static enum reg_err
s3d_parts_fn(const struct s3_entry *e, void *arg)
{
	struct s3d_parts	*ps = arg;
	struct s3d_part		*p;
	uint64_t		 off;

	if (e->subdir || parse_u64(e->name + ps->skip, 0, UINT64_MAX,
	    &off) == -1)
		return (REG_OK);
	ps->v = xreallocarray(ps->v, ps->n + 1, sizeof(*ps->v));
	p = &ps->v[ps->n++];
	p->off = off;
	p->size = e->bytes;
	p->name = xstrdup(e->name);
	return (REG_OK);
}

static void
s3d_parts_release(struct s3d_parts *ps)
{
	size_t	i;

	for (i = 0; i < ps->n; i++)
		free(ps->v[i].name);
	free(ps->v);
	memset(ps, 0, sizeof(*ps));
}

/*
 * The parts of an upload from offset "from" on, by offset (the names
 * sort that way): a session's start lists only what lies past it.
 */
static enum reg_err
s3d_parts_from(struct s3 *s, const char *uuid, uint64_t from,
    struct s3d_parts *ps)
{
	struct buf	prefix = BUF_INIT, after = BUF_INIT;
	enum reg_err	err;

	memset(ps, 0, sizeof(*ps));
	s3d_upload_path(&prefix, uuid, "p/");
	ps->skip = prefix.len;
	if (from > 0)
		buf_addf(&after, "%s%0*llu", prefix.buf, S3_PART_DIGITS,
		    (unsigned long long)(from - 1));
	err = s3_list_after(s, prefix.buf, NULL, from > 0 ? after.buf : NULL,
	    s3d_parts_fn, ps);
	buf_release(&prefix);
	buf_release(&after);
	if (err != REG_OK)
		s3d_parts_release(ps);
	return (err);
}

static enum reg_err
s3d_parts(struct s3 *s, const char *uuid, struct s3d_parts *ps)
{
	return (s3d_parts_from(s, uuid, 0, ps));
}

/* The pending bytes as the part object at their offset. */
static enum reg_err
s3d_stage_flush(struct s3_stage *sg)
{
	struct s3	*s = s3d(sg->base.sd);
	struct buf	 path = BUF_INIT;
	char		 name[S3_PART_DIGITS + 4];
	enum reg_err	 err;

	if (sg->pend.len == 0)
		return (REG_OK);
	snprintf(name, sizeof(name), "p/%0*llu", S3_PART_DIGITS,
	    (unsigned long long)sg->pend_off);
	s3d_upload_path(&path, sg->uuid, name);
	err = s3_put(s, path.buf, sg->pend.buf, sg->pend.len,
	    s3d_flags(s, STOR_PUT_EXCL));
	buf_release(&path);
	sg->pend_off += sg->pend.len;
	buf_reset(&sg->pend);
	return (err);
}

/* A session's first write at "off": drop the parts from "off" on. */
static enum reg_err
s3d_stage_begin(struct s3_stage *sg, uint64_t off)
{
	struct s3		*s = s3d(sg->base.sd);
	struct s3d_parts	 ps;
	size_t			 i;
	enum reg_err		 err;

	if ((err = s3d_parts_from(s, sg->uuid, off, &ps)) != REG_OK)
		return (err);
	for (i = 0; i < ps.n && err == REG_OK; i++)
		if (ps.v[i].off >= off &&
		    (err = s3_delete(s, ps.v[i].name)) == REG_E_NOENT)
			err = REG_OK;
	s3d_parts_release(&ps);
	return (err);
}

static enum reg_err
s3d_stage_write(struct stor_stage *base, uint64_t off, const void *p,
    size_t len)
{
	struct s3_stage	*sg = (struct s3_stage *)base;
	size_t		 n;
	enum reg_err	 err;

	if (!sg->written) {
		if ((err = s3d_stage_begin(sg, off)) != REG_OK)
			return (err);
		sg->written = 1;
		sg->end = sg->pend_off = off;
	}
	if (off != sg->end)
		return (REG_E_IO);
	while (len > 0) {
		n = S3_STAGE_PART - sg->pend.len;
		if (n > len)
			n = len;
		buf_add(&sg->pend, p, n);
		p = (const char *)p + n;
		len -= n;
		sg->end += n;
		if (sg->pend.len == S3_STAGE_PART &&
		    (err = s3d_stage_flush(sg)) != REG_OK)
			return (err);
	}
	return (REG_OK);
}

static enum reg_err
s3d_stage_commit(struct stor_stage *base, const void *state, size_t len)
{
	struct s3_stage	*sg = (struct s3_stage *)base;
	enum reg_err	 err;

	if ((err = s3d_stage_flush(sg)) != REG_OK)
		return (err);
	return (s3d_stage_create(base->sd, sg->uuid, state, len));
}

static enum reg_err
s3d_stage_read(struct stor_stage *base, uint64_t off, uint64_t len,
    stor_sink_fn fn, void *arg)
{
	struct s3_stage		*sg = (struct s3_stage *)base;
	struct s3		*s = s3d(base->sd);
	struct s3d_parts	 ps;
	uint64_t		 end, a, b;
	size_t			 i;
	enum reg_err		 err;

	if ((err = s3d_stage_flush(sg)) != REG_OK ||
	    (err = s3d_parts(s, sg->uuid, &ps)) != REG_OK)
		return (err);
	end = len == UINT64_MAX || off + len < off ? UINT64_MAX : off + len;
	for (i = 0; i < ps.n && err == REG_OK; i++) {
		a = ps.v[i].off;
		b = a + ps.v[i].size;
		if (sg->written && a >= sg->end)
			break;		/* a dead session's, not ours */
		if (b <= off || a >= end)
			continue;
		err = s3_get(s, ps.v[i].name, off > a ? off - a : 0,
		    (end < b ? end : b) - (off > a ? off : a), fn, arg);
	}
	s3d_parts_release(&ps);
	return (err);
}

/* The first "n" parts hold [0, size) contiguously; -1 if not so. */
static int
s3d_contiguous(const struct s3d_parts *ps, uint64_t size, size_t *n)
{
	uint64_t	at = 0;
	size_t		i;

	for (i = 0; i < ps->n && at < size; i++) {
		if (ps->v[i].off != at || ps->v[i].size == 0 ||
		    at + ps->v[i].size > size)
			break;
		at += ps->v[i].size;
	}
	*n = i;
	return (at == size ? 0 : -1);
}

/* The assembly of a blob from its parts, by a multipart upload. */
struct s3d_asm {
	struct s3	*s;
	const char	*dest;
	struct buf	 id;		/* "": no multipart upload yet */
	struct buf	 etags;		/* one a line */
	unsigned int	 n;		/* parts so far */
	struct buf	 pend;		/* bytes read, not yet a part */
	uint64_t	 copy_max;	/* the most one copy takes */
};

static enum reg_err
s3d_pend_sink(const void *p, size_t n, void *arg)
{
	buf_add(arg, p, n);
	return (REG_OK);
}

static enum reg_err
s3d_asm_start(struct s3d_asm *a)
{
	if (a->id.len > 0)
		return (REG_OK);
	return (s3_mpu_create(a->s, a->dest, &a->id));
}

static enum reg_err
s3d_asm_next(struct s3d_asm *a)
{
	if (a->n == S3_PARTS_MAX) {
		log_warnx("s3: %s: more than %d parts", a->dest, S3_PARTS_MAX);
		return (REG_E_IO);
	}
	if (a->etags.len > 0)
		buf_addch(&a->etags, '\n');
	a->n++;
	return (s3d_asm_start(a));
}

/* The pending bytes as the next part. */
static enum reg_err
s3d_asm_flush(struct s3d_asm *a)
{
	enum reg_err	err;

	if ((err = s3d_asm_next(a)) == REG_OK)
		err = s3_mpu_part(a->s, a->dest, a->id.buf, a->n,
		    a->pend.buf, a->pend.len, &a->etags);
	buf_reset(&a->pend);
	return (err);
}

/*
 * Bytes [pos, pos + len) of part "p" go into the blob: copied as parts
 * where they can stand alone, else read and combined.
 */
static enum reg_err
s3d_asm_part(struct s3d_asm *a, const struct s3d_part *p, uint64_t size)
{
	uint64_t	pos = 0, n;
	enum reg_err	err = REG_OK;

	while (err == REG_OK && pos < p->size) {
		n = p->size - pos;
		if (a->pend.len == 0 && n >= S3_PART_MIN) {
			if (n > a->copy_max)
				n = a->copy_max;
			if ((err = s3d_asm_next(a)) == REG_OK)
				err = s3_mpu_copy(a->s, a->dest, a->id.buf,
				    a->n, p->name, pos, n, &a->etags);
		} else {
			if (n > S3_PART_MIN - a->pend.len)
				n = S3_PART_MIN - a->pend.len;
			err = s3_get(a->s, p->name, pos, n, s3d_pend_sink,
			    &a->pend);
			if (err == REG_OK && (a->pend.len >= S3_PART_MIN ||
			    p->off + pos + n == size))
				err = s3d_asm_flush(a);
		}
		pos += n;
	}
	return (err);
}

/* Make "dest" the concatenation of the first "n" parts, server-side. */
static enum reg_err
s3d_concat(struct s3_driver *d, const struct s3d_parts *ps, size_t n,
    uint64_t size, const char *dest)
{
	struct s3	*s = d->s;
	struct s3d_asm	a;
	size_t		i;
	enum reg_err	err = REG_OK;

	if (n == 1 && size <= d->copy_max)
		return (s3_copy(s, ps->v[0].name, dest));
	memset(&a, 0, sizeof(a));
	a.s = s;
	a.dest = dest;
	a.copy_max = d->copy_max;
	buf_init(&a.id);
	buf_init(&a.etags);
	buf_init(&a.pend);
	if (size < S3_PART_MIN) {
		/* Small: read whole, written as one object. */
		for (i = 0; i < n && err == REG_OK; i++)
			err = s3_get(s, ps->v[i].name, 0, UINT64_MAX,
			    s3d_pend_sink, &a.pend);
		if (err == REG_OK)
			err = s3_put(s, dest, a.pend.buf, a.pend.len, 0);
	} else {
		for (i = 0; i < n && err == REG_OK; i++)
			err = s3d_asm_part(&a, &ps->v[i], size);
		if (err == REG_OK)
			err = s3_mpu_complete(s, dest, a.id.buf, &a.etags);
		else if (a.id.len > 0)
			(void)s3_mpu_abort(s, dest, a.id.buf);
	}
	buf_release(&a.id);
	buf_release(&a.etags);
	buf_release(&a.pend);
	return (err);
}

static enum reg_err
s3d_size_check(struct s3 *s, const char *dest, uint64_t size)
{
	struct s3_stat	st;
	enum reg_err	err;

	if ((err = s3_head(s, dest, &st)) != REG_OK)
		return (err == REG_E_NOENT ? REG_E_IO : err);
	if (st.size == size)
		return (REG_OK);
	log_warnx("s3: %s: %llu bytes, not %llu", dest,
	    (unsigned long long)st.size, (unsigned long long)size);
	return (REG_E_IO);
}

static enum reg_err
s3d_stage_finish(struct stor_stage *base, uint64_t size, const char *dest)
{
	struct s3_stage		*sg = (struct s3_stage *)base;
	struct s3		*s = s3d(base->sd);
	struct s3d_parts	 ps;
	struct buf		 path = BUF_INIT;
	size_t			 n;
	enum reg_err		 err;

	if ((err = s3d_stage_flush(sg)) != REG_OK)
		return (err);
	s3d_upload_path(&path, sg->uuid, "state");
	err = s3_delete(s, path.buf);
	buf_release(&path);
	if (err != REG_OK && err != REG_E_NOENT)
		return (err);
	if ((err = s3d_parts(s, sg->uuid, &ps)) != REG_OK)
		return (err);
	if (size == 0)
		err = s3_put(s, dest, "", 0, 0);
	else if (s3d_contiguous(&ps, size, &n) == -1) {
		log_warnx("s3: upload %s holds no bytes [0, %llu)",
		    sg->uuid, (unsigned long long)size);
		err = REG_E_IO;
	} else if ((err = s3d_concat((struct s3_driver *)base->sd, &ps, n,
	    size, dest)) == REG_OK)
		err = s3d_size_check(s, dest, size);
	s3d_parts_release(&ps);
	if (err == REG_OK) {
		buf_addf(&path, "uploads/%s/", sg->uuid);
		s3d_delete_prefix(s, path.buf);
		buf_release(&path);
	}
	return (err);
}

static void
s3d_stage_close(struct stor_stage *base)
{
	struct s3_stage	*sg = (struct s3_stage *)base;

	if (sg == NULL)
		return;
	buf_release(&sg->pend);
	free(sg->uuid);
	free(sg);
}

struct s3d_activity {
	time_t		 mtime;
	uint64_t	 size;
	int		 any;
	size_t		 skip;
};

static enum reg_err
s3d_activity_fn(const struct s3_entry *e, void *arg)
{
	struct s3d_activity	*a = arg;

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
s3d_activity(struct s3 *s, const char *uuid, struct s3d_activity *a)
{
	struct buf	prefix = BUF_INIT;
	enum reg_err	err;

	memset(a, 0, sizeof(*a));
	buf_addf(&prefix, "uploads/%s/", uuid);
	a->skip = prefix.len;
	err = s3_list(s, prefix.buf, NULL, s3d_activity_fn, a);
	buf_release(&prefix);
	if (err == REG_OK && !a->any)
		return (REG_E_NOENT);
	return (err);
}

static enum reg_err
s3d_stage_remove(struct stor_driver *sd, const char *uuid, time_t before)
{
	struct s3d_activity	a;
	struct buf		prefix = BUF_INIT;
	enum reg_err		err;

	if ((err = s3d_activity(s3d(sd), uuid, &a)) != REG_OK)
		return (err);
	if (before != 0 && a.mtime >= before)
		return (REG_E_BUSY);
	buf_addf(&prefix, "uploads/%s/", uuid);
	err = s3d_delete_prefix(s3d(sd), prefix.buf);
	buf_release(&prefix);
	return (err);
}

struct s3d_uploads {
	struct s3	*s;
	stor_list_fn	 fn;
	void		*arg;
};

static enum reg_err
s3d_uploads_fn(const struct s3_entry *e, void *arg)
{
	struct s3d_uploads	*u = arg;
	struct s3d_activity	 a;
	struct stor_stat	 st;
	char			*uuid;
	enum reg_err		 err;

	if (!e->subdir || strlen(e->name) < 10)
		return (REG_OK);
	uuid = xstrndup(e->name + 8, strlen(e->name) - 9);
	if ((err = s3d_activity(u->s, uuid, &a)) == REG_OK) {
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
s3d_trash_fn(const struct s3_entry *e, void *arg)
{
	struct s3d_uploads	*u = arg;
	struct s3_stat		 ss;
	struct stor_stat	 st;
	struct buf		 trash = BUF_INIT;
	enum reg_err		 err = REG_E_NOENT;

	if (e->subdir)
		return (REG_OK);
	if (strncmp(e->name, ".liveness/", 10) == 0) {
		s3d_side_path(&trash, ".trash", e->name + 10);
		if ((err = s3_head(u->s, e->name + 10, &ss)) == REG_E_NOENT)
			err = s3_head(u->s, trash.buf, &ss);
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

/* An unfinished multipart upload, as ".mpu/<hex id>/<key>". */
static enum reg_err
s3d_mpu_fn(const struct s3_mpu *m, void *arg)
{
	struct s3d_uploads	*u = arg;
	struct stor_stat	 st;
	struct buf		 path = BUF_INIT;
	const unsigned char	*p;
	enum reg_err		 err;

	if (m->initiated == -1 || !stor_path_valid(m->name))
		return (REG_OK);	/* not ours */
	buf_addstr(&path, S3_MPU_DIR "/");
	for (p = (const unsigned char *)m->upload_id; *p != '\0'; p++)
		buf_addf(&path, "%02x", *p);
	buf_addf(&path, "/%s", m->name);
	memset(&st, 0, sizeof(st));
	st.mtime = m->initiated;
	err = u->fn(path.buf, &st, u->arg);
	buf_release(&path);
	return (err);
}

static enum reg_err
s3d_stage_list(struct stor_driver *sd, enum stor_stage_what what,
    stor_list_fn fn, void *arg)
{
	struct s3d_uploads	u = { s3d(sd), fn, arg };
	enum reg_err		err;

	if (what == STOR_STAGE_UPLOADS)
		return (s3_list(s3d(sd), "uploads/", "/", s3d_uploads_fn,
		    &u));
	/* What a finish that died left: its multipart upload. */
	if (what == STOR_STAGE_DEBRIS)
		return (s3_mpu_list(s3d(sd), "", s3d_mpu_fn, &u));
	if ((err = s3_list(s3d(sd), ".trash/", NULL, s3d_trash_fn, &u)) !=
	    REG_OK)
		return (err);
	return (s3_list(s3d(sd), ".liveness/", NULL, s3d_trash_fn, &u));
}

/* --- Coordination -------------------------------------------------------- */

static enum reg_err
s3d_clock(struct stor_driver *sd, time_t *now)
{
	struct s3_stat	st;
	enum reg_err	err;

	if ((err = s3_put(s3d(sd), ".clock", "", 0, 0)) != REG_OK ||
	    (err = s3_head(s3d(sd), ".clock", &st)) != REG_OK)
		return (err);
	*now = st.mtime;
	return (REG_OK);
}

/* Move "from" to "to": copy, then remove. */
static enum reg_err
s3d_move(struct s3 *s, const char *from, const char *to)
{
	enum reg_err	err;

	if ((err = s3_copy(s, from, to)) != REG_OK)
		return (err);
	err = s3_delete(s, from);
	return (err == REG_E_NOENT ? REG_OK : err);
}

static enum reg_err
s3d_use(struct stor_driver *sd, const char *path, time_t fresh,
    struct stor_stat *st)
{
	struct s3	*s = s3d(sd);
	struct buf	 live = BUF_INIT, trash = BUF_INIT;
	int		 gone = 0;
	enum reg_err	 err;

	/* Blobs and links are objects: no listing for a directory on a 404. */
	if (fresh > 0) {
		err = s3d_stat_object(s, path, st);
		if (err == REG_OK && st->mtime > time(NULL) - fresh)
			return (REG_OK);
		if (err != REG_OK && err != REG_E_NOENT)
			return (err);
		gone = err == REG_E_NOENT;
	}
	s3d_side_path(&live, ".liveness", path);
	s3d_side_path(&trash, ".trash", path);
	if ((err = s3_put(s, live.buf, "", 0, 0)) == REG_OK &&
	    (gone || (err = s3d_stat_object(s, path, st)) == REG_E_NOENT) &&
	    (err = s3d_move(s, trash.buf, path)) == REG_OK &&
	    (err = s3d_stat_object(s, path, st)) == REG_OK)
		st->revived = 1;
	buf_release(&trash);
	buf_release(&live);
	return (err);
}

/* The blob's last use: its liveness record's mtime, else its own. */
static enum reg_err
s3d_last_use(struct s3 *s, const char *live, time_t blob, time_t *out)
{
	struct s3_stat	st;
	enum reg_err	err;

	if ((err = s3_head(s, live, &st)) == REG_OK)
		*out = st.mtime > blob ? st.mtime : blob;
	else if (err == REG_E_NOENT) {
		*out = blob;
		err = REG_OK;
	}
	return (err);
}

static enum reg_err
s3d_remove_unused(struct stor_driver *sd, const char *path, time_t cutoff,
    struct stor_stat *st)
{
	struct s3	*s = s3d(sd);
	struct s3_stat	 ss;
	struct buf	 live = BUF_INIT, trash = BUF_INIT;
	time_t		 used;
	enum reg_err	 err;

	memset(st, 0, sizeof(*st));
	if ((err = s3_head(s, path, &ss)) != REG_OK)
		return (err);
	st->size = ss.size;
	st->mtime = ss.mtime;
	s3d_side_path(&live, ".liveness", path);
	s3d_side_path(&trash, ".trash", path);
	if ((err = s3d_last_use(s, live.buf, ss.mtime, &used)) == REG_OK &&
	    used >= cutoff)
		err = REG_E_BUSY;
	/* To the trash, then a second look at the liveness record. */
	if (err == REG_OK && (err = s3d_move(s, path, trash.buf)) == REG_OK &&
	    (err = s3d_last_use(s, live.buf, ss.mtime, &used)) == REG_OK &&
	    used >= cutoff && (err = s3d_move(s, trash.buf, path)) == REG_OK)
		err = REG_E_BUSY;
	buf_release(&trash);
	buf_release(&live);
	return (err);
}

/* A presigned GET, valid "ttl" seconds from now on this host's clock. */
static enum reg_err
s3d_url(struct stor_driver *sd, const char *path, time_t ttl,
    struct buf *out)
{
	return (s3_presign(s3d(sd), path, ttl, out));
}

static enum reg_err
s3d_check(struct stor_driver *sd, struct buf *why)
{
	struct s3_driver	*d = (struct s3_driver *)sd;
	enum reg_err		 err;

	if ((err = s3_ping(d->probe)) != REG_OK)
		buf_addstr(why, "the S3 bucket does not answer");
	return (err);
}

static void
s3d_close(struct stor_driver *sd)
{
	s3_free(((struct s3_driver *)sd)->probe);
	s3_free(s3d(sd));
	free(sd);
}

#define S3D_OPS(caps_)							\
	.name = "s3",							\
	.caps = (caps_),						\
	.stat = s3d_stat,						\
	.stat_object = s3d_stat_only,					\
	.get = s3d_get,							\
	.put = s3d_put,							\
	.read = s3d_read,						\
	.list = s3d_list,						\
	.remove = s3d_remove,						\
	.remove_tree = s3d_remove_tree,					\
	.copy = s3d_copy,						\
	.touch = s3d_touch,						\
	.stage_create = s3d_stage_create,				\
	.stage_open = s3d_stage_open,					\
	.stage_write = s3d_stage_write,					\
	.stage_commit = s3d_stage_commit,				\
	.stage_read = s3d_stage_read,					\
	.stage_finish = s3d_stage_finish,				\
	.stage_close = s3d_stage_close,					\
	.stage_remove = s3d_stage_remove,				\
	.stage_list = s3d_stage_list,					\
	.clock = s3d_clock,						\
	.use = s3d_use,							\
	.remove_unused = s3d_remove_unused,				\
	.url = s3d_url,							\
	.check = s3d_check,						\
	.close = s3d_close

/* The store decides the caps: with create-only writes, or without. */
static const struct stor_ops s3_ops_excl = {
	S3D_OPS(STOR_CAP_EXCL | STOR_CAP_REMOTE)
};
static const struct stor_ops s3_ops = { S3D_OPS(STOR_CAP_REMOTE) };

/* A key from the file, else from the environment; NULL if neither. */
static const char *
s3d_conf(const struct conf *c, const char *key, const char *env)
{
	const char	*v;

	if ((v = conf_storage_get(c, key)) != NULL)
		return (v);
	return (env != NULL && (v = getenv(env)) != NULL && *v != '\0' ?
	    v : NULL);
}

/* "yes" or "no" (NULL: "def"); -1 if neither. */
static int
s3d_bool(const char *v, int def)
{
	if (v == NULL)
		return (def);
	if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0)
		return (1);
	if (strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0)
		return (0);
	return (-1);
}

/* The configuration: 0, or -1 (logged). */
static int
s3d_conf_read(const struct conf *c, struct s3_conf *sc)
{
	memset(sc, 0, sizeof(*sc));
	sc->endpoint = conf_storage_get(c, "endpoint");
	sc->region = s3d_conf(c, "region", "AWS_REGION");
	sc->bucket = conf_storage_get(c, "bucket");
	sc->prefix = conf_storage_get(c, "prefix");
	if (conf_storage_get(c, "access-key") != NULL ||
	    conf_storage_get(c, "secret-key") != NULL) {
		sc->access_key = conf_storage_get(c, "access-key");
		sc->secret_key = conf_storage_get(c, "secret-key");
		sc->session_token = conf_storage_get(c, "session-token");
	} else {
		sc->access_key = s3d_conf(c, "access-key",
		    "AWS_ACCESS_KEY_ID");
		sc->secret_key = s3d_conf(c, "secret-key",
		    "AWS_SECRET_ACCESS_KEY");
		sc->session_token = s3d_conf(c, "session-token",
		    "AWS_SESSION_TOKEN");
	}
	sc->path_style = s3d_bool(conf_storage_get(c, "path-style"),
	    sc->endpoint != NULL);
	if (sc->access_key == NULL || sc->secret_key == NULL) {
		log_warnx("s3: [storage] needs access-key and secret-key "
		    "(or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)");
		return (-1);
	}
	if (sc->path_style == -1) {
		log_warnx("s3: [storage] path-style must be yes or no");
		return (-1);
	}
	return (0);
}

struct stor_driver *
stor_s3_open(const struct conf *c)
{
	struct s3_driver	*d;
	struct s3_conf		 sc;

	if (s3d_conf_read(c, &sc) == -1)
		return (NULL);
	d = xcalloc(1, sizeof(*d));
	d->base.ops = &s3_ops;
	d->copy_max = S3_PART_MAX;
	d->s = s3_new(&sc);
	d->probe = s3_new(&sc);
	/* Make the bucket if it is missing, learn what the store does. */
	if (s3_connect(d->s) != REG_OK) {
		s3d_close(&d->base);
		return (NULL);
	}
	if (s3_excl(d->s))
		d->base.ops = &s3_ops_excl;
	log_info("s3: bucket %s, %s", sc.bucket, s3_excl(d->s) ?
	    "create-only writes" : "no create-only writes (If-None-Match)");
	return (&d->base);
}

void
stor_s3_copy_max(struct stor_driver *sd, uint64_t max)
{
	((struct s3_driver *)sd)->copy_max = max >= S3_PART_MIN &&
	    max <= S3_PART_MAX ? max : S3_PART_MAX;
}

void
stor_s3_page(struct stor_driver *sd, unsigned int page)
{
	s3_page(s3d(sd), page);
}
