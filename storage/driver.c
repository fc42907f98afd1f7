/*
 * storage/driver.c: the driver table, checks every driver needs, then
 * dispatch.
 *
 * The table names each driver, the [storage] keys it takes and how to
 * open it; stor_open() checks the configuration against it first.
 * Each stor_*() wrapper refuses a path that storage/layout.c could not
 * have built (logged; REG_E_IO, since it is our bug and not the
 * client's) and calls the driver op.  A missing optional op is REG_E_IO,
 * except local_path and url, where it means "no local file" or "no
 * URL": REG_E_NOENT, and
 * the locks, which a shared driver has none of: a null lock.
 */
#include "config.h"

#include <string.h>

#include "common/conf.h"
#include "common/errors.h"
#include "common/log.h"
#include "common/util.h"
#include "storage/driver.h"
#include "storage/s3.h"
#include "storage/swift.h"

/* Longer than any path layout.c builds (names are at most 255). */
#define STOR_PATH_MAX	1024

static int
path_char(int c)
{
	return ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-');
}

/*
 * A path is relative: segments of [A-Za-z0-9._-]+ joined by single
 * '/', none of them "." or "..".
 */
int
stor_path_valid(const char *p)
{
	const char	*start = p, *seg;
	size_t		 len;

	if (p == NULL)
		return (0);
	for (;;) {
		seg = p;
		while (path_char((unsigned char)*p))
			p++;
		len = (size_t)(p - seg);
		if (len == 0 || (len <= 2 && strncmp(seg, "..", len) == 0))
			return (0);
		if ((size_t)(p - start) > STOR_PATH_MAX)
			return (0);
		if (*p == '\0')
			return (1);
		if (*p++ != '/')
			return (0);
	}
}

static int
path_check(const char *op, const char *path)
{
	char	safe[64];
	size_t	i;

	if (stor_path_valid(path))
		return (1);
	/* Log a printable prefix: the path may hold anything. */
	for (i = 0; path != NULL && path[i] != '\0' &&
	    i < sizeof(safe) - 1; i++)
		safe[i] = (path[i] >= 0x20 && path[i] < 0x7f) ? path[i] : '?';
	safe[i] = '\0';
	log_warnx("storage: %s: refusing invalid path \"%s\"", op, safe);
	return (0);
}

static const struct stor_entry {
	const char		 *name;
	const struct stor_key	 *keys;		/* ends with a NULL name */
	struct stor_driver	*(*open)(const struct conf *);
} stor_drivers[] = {
	{ "fs",		stor_fs_keys,	stor_fs_open },
	{ "filesystem",	stor_fs_keys,	stor_fs_open },	/* its old name */
	{ "swift",	stor_swift_keys, stor_swift_open },
	{ "s3",		stor_s3_keys,	stor_s3_open },
};

static const struct stor_entry *
stor_entry_find(const char *name)
{
	size_t	i;

	for (i = 0; name != NULL && i < nitems(stor_drivers); i++)
		if (strcmp(stor_drivers[i].name, name) == 0)
			return (&stor_drivers[i]);
	return (NULL);
}

static const struct stor_key *
stor_key_find(const struct stor_entry *e, const char *name)
{
	const struct stor_key	*k;

	for (k = e->keys; k->name != NULL; k++)
		if (strcmp(k->name, name) == 0)
			return (k);
	return (NULL);
}

int
stor_conf_check(const struct conf *c, struct buf *errs)
{
	const struct stor_entry	*e;
	const struct stor_key	*k;
	const struct conf_pair	*pr;
	const char		*file = c->path != NULL ? c->path : "(config)";
	const char		*v;
	size_t			 i;
	int			 rv = 0;

	if ((e = stor_entry_find(c->driver)) == NULL) {
		buf_addf(errs, "%s: unknown storage driver \"%s\"\n", file,
		    c->driver == NULL ? "" : c->driver);
		return (-1);
	}
	for (i = 0; i < c->nstorage; i++) {
		pr = &c->storage[i];
		if ((k = stor_key_find(e, pr->key)) == NULL) {
			buf_addf(errs, "%s:%d: unknown key \"%s\" in section "
			    "[storage]\n", file, pr->line, pr->key);
			rv = -1;
		} else if ((k->flags & STOR_KEY_CREDENTIAL) &&
		    conf_pair_credential(c, pr, errs) == -1)
			rv = -1;
	}
	for (k = e->keys; k->name != NULL; k++) {
		if (!(k->flags & STOR_KEY_REQUIRED))
			continue;
		if ((v = conf_storage_get(c, k->name)) == NULL || *v == '\0') {
			buf_addf(errs, "%s: [storage] %s is required\n", file,
			    k->name);
			rv = -1;
		}
	}
	return (rv);
}

struct stor_driver *
stor_open(const struct conf *c)
{
	const struct stor_entry	*e;
	struct stor_driver	*sd;
	struct buf		 errs = BUF_INIT;
	char			*line, *save = NULL;

	if (stor_conf_check(c, &errs) == -1) {
		for (line = strtok_r(errs.buf, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save))
			log_warnx("storage: %s", line);
		buf_release(&errs);
		return (NULL);
	}
	buf_release(&errs);
	e = stor_entry_find(c->driver);
	if ((sd = e->open(c)) != NULL && c->prune_grace >= STOR_FRESH_MIN_GRACE)
		sd->fresh = (time_t)(c->prune_grace / 2);
	return (sd);
}

static enum reg_err
op_missing(struct stor_driver *sd, const char *op)
{
	log_warnx("storage: %s driver has no %s", sd->ops->name, op);
	return (REG_E_IO);
}

enum reg_err
stor_stat(struct stor_driver *sd, const char *path, struct stor_stat *st)
{
	if (!path_check("stat", path))
		return (REG_E_IO);
	return (sd->ops->stat(sd, path, st));
}

enum reg_err
stor_stat_object(struct stor_driver *sd, const char *path,
    struct stor_stat *st)
{
	enum reg_err	rc;

	if (!path_check("stat", path))
		return (REG_E_IO);
	if (sd->ops->stat_object != NULL)
		return (sd->ops->stat_object(sd, path, st));
	if ((rc = sd->ops->stat(sd, path, st)) == REG_OK && st->is_dir)
		rc = REG_E_NOENT;
	return (rc);
}

enum reg_err
stor_get(struct stor_driver *sd, const char *path, size_t max,
    struct buf *out)
{
	if (!path_check("get", path))
		return (REG_E_IO);
	return (sd->ops->get(sd, path, max, out));
}

enum reg_err
stor_put(struct stor_driver *sd, const char *path, const void *data,
    size_t len, int flags)
{
	if (!path_check("put", path))
		return (REG_E_IO);
	if (!(sd->ops->caps & STOR_CAP_EXCL))
		flags &= ~STOR_PUT_EXCL;
	return (sd->ops->put(sd, path, data, len, flags));
}

enum reg_err
stor_read(struct stor_driver *sd, const char *path, uint64_t off,
    uint64_t len, stor_sink_fn sink, void *arg)
{
	if (!path_check("read", path))
		return (REG_E_IO);
	return (sd->ops->read(sd, path, off, len, sink, arg));
}

enum reg_err
stor_list(struct stor_driver *sd, const char *path, stor_list_fn fn,
    void *arg)
{
	if (!path_check("list", path))
		return (REG_E_IO);
	return (sd->ops->list(sd, path, fn, arg));
}

enum reg_err
stor_remove(struct stor_driver *sd, const char *path)
{
	if (!path_check("remove", path))
		return (REG_E_IO);
	return (sd->ops->remove(sd, path));
}

enum reg_err
stor_remove_tree(struct stor_driver *sd, const char *path)
{
	if (!path_check("remove_tree", path))
		return (REG_E_IO);
	return (sd->ops->remove_tree(sd, path));
}

enum reg_err
stor_copy(struct stor_driver *sd, const char *from, const char *to)
{
	if (!path_check("copy", from) || !path_check("copy", to))
		return (REG_E_IO);
	return (sd->ops->copy(sd, from, to));
}

enum reg_err
stor_touch(struct stor_driver *sd, const char *path)
{
	if (!path_check("touch", path))
		return (REG_E_IO);
	return (sd->ops->touch(sd, path));
}

static int
uuid_check(const char *op, const char *uuid)
{
	if (uuid != NULL && uuid_valid(uuid, strlen(uuid)))
		return (1);
	log_warnx("storage: %s: refusing an invalid upload id", op);
	return (0);
}

enum reg_err
stor_stage_create(struct stor_driver *sd, const char *uuid,
    const void *state, size_t len)
{
	if (!uuid_check("stage_create", uuid))
		return (REG_E_IO);
	return (sd->ops->stage_create(sd, uuid, state, len));
}

enum reg_err
stor_stage_open(struct stor_driver *sd, const char *uuid,
    struct stor_stage **out, struct buf *state)
{
	*out = NULL;
	if (!uuid_check("stage_open", uuid))
		return (REG_E_IO);
	return (sd->ops->stage_open(sd, uuid, out, state));
}

enum reg_err
stor_stage_write(struct stor_stage *sg, uint64_t off, const void *data,
    size_t len)
{
	if (len == 0)
		return (REG_OK);
	return (sg->sd->ops->stage_write(sg, off, data, len));
}

enum reg_err
stor_stage_commit(struct stor_stage *sg, const void *state, size_t len)
{
	return (sg->sd->ops->stage_commit(sg, state, len));
}

enum reg_err
stor_stage_read(struct stor_stage *sg, uint64_t off, uint64_t len,
    stor_sink_fn sink, void *arg)
{
	return (sg->sd->ops->stage_read(sg, off, len, sink, arg));
}

enum reg_err
stor_stage_finish(struct stor_stage *sg, uint64_t size, const char *dest)
{
	if (!path_check("stage_finish", dest))
		return (REG_E_IO);
	return (sg->sd->ops->stage_finish(sg, size, dest));
}

void
stor_stage_close(struct stor_stage *sg)
{
	if (sg != NULL)
		sg->sd->ops->stage_close(sg);
}

enum reg_err
stor_stage_remove(struct stor_driver *sd, const char *uuid, time_t before)
{
	if (!uuid_check("stage_remove", uuid))
		return (REG_E_IO);
	return (sd->ops->stage_remove(sd, uuid, before));
}

enum reg_err
stor_stage_list(struct stor_driver *sd, enum stor_stage_what what,
    stor_list_fn fn, void *arg)
{
	return (sd->ops->stage_list(sd, what, fn, arg));
}

int
stor_has_locks(const struct stor_driver *sd)
{
	return (sd->ops->lock != NULL);
}

enum reg_err
stor_lock(struct stor_driver *sd, const char *path, enum stor_lock_mode mode,
    int create, struct stor_lock **out)
{
	*out = NULL;
	if (!path_check("lock", path))
		return (REG_E_IO);
	if (sd->ops->lock == NULL)
		return (REG_OK);
	return (sd->ops->lock(sd, path, mode, create, out));
}

enum reg_err
stor_lock_slot(struct stor_driver *sd, struct stor_lock *lk, uint64_t slot)
{
	if (lk == NULL)
		return (REG_OK);
	if (sd->ops->lock_slot == NULL)
		return (op_missing(sd, "lock_slot"));
	return (sd->ops->lock_slot(lk, slot));
}

void
stor_unlock(struct stor_driver *sd, struct stor_lock *lk)
{
	if (lk != NULL)
		sd->ops->unlock(lk);
}

enum reg_err
stor_clock(struct stor_driver *sd, time_t *now)
{
	return (sd->ops->clock(sd, now));
}

static enum reg_err
use(struct stor_driver *sd, const char *path, time_t fresh,
    struct stor_stat *st)
{
	struct stor_stat	ignored;

	if (!path_check("use", path))
		return (REG_E_IO);
	if (st == NULL)
		st = &ignored;
	memset(st, 0, sizeof(*st));
	return (sd->ops->use(sd, path, fresh, st));
}

/* Mark "path" used: a HEAD or GET, which the client may build on. */
enum reg_err
stor_use(struct stor_driver *sd, const char *path, struct stor_stat *st)
{
	return (use(sd, path, 0, st));
}

/*
 * For a section that writes its reference to "path" now: a young
 * object needs no mark (sd->fresh).
 */
enum reg_err
stor_hold(struct stor_driver *sd, const char *path, struct stor_stat *st)
{
	return (use(sd, path, sd->fresh, st));
}

enum reg_err
stor_remove_unused(struct stor_driver *sd, const char *path, time_t cutoff,
    struct stor_stat *st)
{
	if (!path_check("remove_unused", path))
		return (REG_E_IO);
	return (sd->ops->remove_unused(sd, path, cutoff, st));
}

enum reg_err
stor_local_path(struct stor_driver *sd, const char *path, struct buf *out)
{
	if (!path_check("local_path", path))
		return (REG_E_IO);
	if (sd->ops->local_path == NULL)
		return (REG_E_NOENT);
	return (sd->ops->local_path(sd, path, out));
}

enum reg_err
stor_url(struct stor_driver *sd, const char *path, time_t ttl,
    struct buf *out)
{
	if (!path_check("url", path))
		return (REG_E_IO);
	if (sd->ops->url == NULL)
		return (REG_E_NOENT);
	return (sd->ops->url(sd, path, ttl, out));
}

enum reg_err
stor_check(struct stor_driver *sd, struct buf *why)
{
	if (sd->ops->check == NULL)
		return (REG_OK);
	return (sd->ops->check(sd, why));
}

void
stor_close(struct stor_driver *sd)
{
	if (sd != NULL)
		sd->ops->close(sd);
}
