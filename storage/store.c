/*
 * storage/store.c: open and close a store; helpers shared by callers.
 */
#include "config.h"

#include <stdlib.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "storage/driver.h"
#include "storage/layout.h"
#include "storage/store.h"
#include "storage/store_int.h"

/* Uploads untouched for an hour are stale (zuul-registry's default). */
#define STORE_UPLOAD_EXPIRATION	3600

struct store *
store_open(const struct conf *c)
{
	struct stor_driver	*sd;
	struct store		*st;

	if ((sd = stor_open(c)) == NULL) {
		log_warnx("store: cannot open the %s storage",
		    c->driver == NULL ? "(null)" : c->driver);
		return (NULL);
	}
	st = xcalloc(1, sizeof(*st));
	st->sd = sd;
	st->upload_expiration = STORE_UPLOAD_EXPIRATION;
	return (st);
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	store_catalog_release(st);
	stor_close(st->sd);
	free(st);
}

enum reg_err
store_check(struct store *st, struct buf *why)
{
	return (stor_check(st->sd, why));
}

enum reg_err
store_gc_lock(struct store *st, enum stor_lock_mode mode,
    struct stor_lock **lk)
{
	struct buf	path = BUF_INIT;
	enum reg_err	rc;

	layout_gc_lock(&path);
	rc = stor_lock(st->sd, path.buf, mode, 1, lk);
	buf_release(&path);
	return (rc);
}

/*
 * Whether to write what is probably new create-only first, and read
 * only when it was there: on a store where a read is a round trip and
 * creates are conditional.  On the filesystem a read is cheap and a
 * write that finds its name taken has synced a temporary file for
 * nothing.
 */
int
store_create_first(const struct store *st)
{
	unsigned int	both = STOR_CAP_EXCL | STOR_CAP_REMOTE;

	return ((st->sd->ops->caps & both) == both);
}

void
store_strv_free(char **v, size_t n)
{
	size_t	i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}
