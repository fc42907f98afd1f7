/*
 * storage/driver.c: checks every driver needs, then dispatch.
 *
 * Each stor_*() wrapper refuses a path that storage/layout.c could not
 * have built (logged; REG_E_IO, since it is our bug and not the
 * client's) and calls the driver op.  A missing optional op is REG_E_IO,
 * except local_path, where it means "no local file": REG_E_NOENT.
 */
#include "config.h"

#include <string.h>

#include "common/errors.h"
#include "common/log.h"
#include "storage/driver.h"

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

static enum reg_err
op_missing(struct stor_driver *sd, const char *op)
{
	log_warnx("storage: %s driver has no %s", sd->ops->name, op);
	return (REG_E_IO);
}

struct stor_driver *
stor_open(const char *driver, const char *root)
{
	if (driver != NULL && strcmp(driver, "filesystem") == 0)
		return (stor_fs_open(root));
	log_warnx("storage: unknown driver \"%s\"",
	    driver == NULL ? "(null)" : driver);
	return (NULL);
}

enum reg_err
stor_stat(struct stor_driver *sd, const char *path, struct stor_stat *st)
{
	if (!path_check("stat", path))
		return (REG_E_IO);
	return (sd->ops->stat(sd, path, st));
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
    size_t len)
{
	if (!path_check("put", path))
		return (REG_E_IO);
	return (sd->ops->put(sd, path, data, len));
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
stor_writer(struct stor_driver *sd, const char *path, uint64_t off,
    struct stor_writer **out)
{
	*out = NULL;
	if (!path_check("writer", path))
		return (REG_E_IO);
	if (sd->ops->writer == NULL)
		return (op_missing(sd, "writer"));
	return (sd->ops->writer(sd, path, off, out));
}

enum reg_err
stor_write(struct stor_writer *w, const void *data, size_t len)
{
	if (len == 0)
		return (REG_OK);
	return (w->ops->write(w, data, len));
}

enum reg_err
stor_commit(struct stor_writer *w)
{
	return (w->ops->commit(w));
}

void
stor_abort(struct stor_writer *w)
{
	if (w != NULL)
		w->ops->abort(w);
}

enum reg_err
stor_move(struct stor_driver *sd, const char *from, const char *to)
{
	if (!path_check("move", from) || !path_check("move", to))
		return (REG_E_IO);
	if (sd->ops->move == NULL)
		return (op_missing(sd, "move"));
	return (sd->ops->move(sd, from, to));
}

enum reg_err
stor_touch(struct stor_driver *sd, const char *path)
{
	if (!path_check("touch", path))
		return (REG_E_IO);
	if (sd->ops->touch == NULL)
		return (op_missing(sd, "touch"));
	return (sd->ops->touch(sd, path));
}

enum reg_err
stor_remove(struct stor_driver *sd, const char *path)
{
	if (!path_check("remove", path))
		return (REG_E_IO);
	return (sd->ops->remove(sd, path));
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
stor_list_tmp(struct stor_driver *sd, const char *path, stor_list_fn fn,
    void *arg)
{
	if (!path_check("list_tmp", path))
		return (REG_E_IO);
	if (sd->ops->list_tmp == NULL)
		return (REG_OK);
	return (sd->ops->list_tmp(sd, path, fn, arg));
}

enum reg_err
stor_lock(struct stor_driver *sd, const char *path, enum stor_lock_mode mode,
    int create, struct stor_lock **out)
{
	*out = NULL;
	if (!path_check("lock", path))
		return (REG_E_IO);
	if (sd->ops->lock == NULL)
		return (op_missing(sd, "lock"));
	return (sd->ops->lock(sd, path, mode, create, out));
}

enum reg_err
stor_lock_slot(struct stor_driver *sd, struct stor_lock *lk, uint64_t slot)
{
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
stor_local_path(struct stor_driver *sd, const char *path, struct buf *out)
{
	if (!path_check("local_path", path))
		return (REG_E_IO);
	if (sd->ops->local_path == NULL)
		return (REG_E_NOENT);
	return (sd->ops->local_path(sd, path, out));
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
