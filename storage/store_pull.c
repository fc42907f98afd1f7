/*
 * storage/store_pull.c: the pull lease (store.h), one upstream fetch of
 * a blob at a time across the workers and hosts of a store.
 *
 * The lease is pulls/<alg>/<hex>.lease (layout.c).  A driver with locks
 * lends one: the file is locked exclusively, a holder's death releases
 * it, and the fs driver makes a waiter whose file was removed meanwhile
 * lock the one at the path.  A shared driver has no locks, so there the
 * lease is the object itself, "<expiry> <holder>\n", <expiry> on the
 * store's clock (stor_clock()):
 *  - it is created only where there is none (STOR_PUT_EXCL) and read
 *    back: its holder is the one whose name it holds;
 *  - waiters poll, backing off from LEASE_POLL_MIN to LEASE_POLL_MAX ms,
 *    until the blob is there (with its link into the repository, the
 *    last thing the holder writes), the lease is gone (the holder failed: one
 *    of them takes it and fetches) or it expired (the holder died: it
 *    is removed and taken over), and give up after LEASE_WAIT_MAX s;
 *  - the holder rewrites it with a new expiry every ttl / 3 s while it
 *    streams, and removes it at the end if it is still its own.
 * Between a waiter's polls the store's time is estimated from one
 * reading of its clock and the monotonic clock; an expiry is confirmed
 * by a fresh reading before the lease is taken over.
 *
 * Without create-only puts (no STOR_CAP_EXCL) two hosts that find no
 * lease may both write one; the read back makes the earlier writer wait
 * unless both read before either wrote.  At worst, then, a blob is
 * fetched twice, as when two waiters take over one expired lease at
 * once: the store stays correct, the upstream counts one GET more.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/digest.h"
#include "common/log.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "storage/driver.h"
#include "storage/layout.h"
#include "storage/store.h"

#define LEASE_MAX	256		/* bytes of a lease object */
#define LEASE_HOLDER_MAX	128
#define LEASE_POLL_MIN	50		/* ms */
#define LEASE_POLL_MAX	1000		/* ms */
#define LEASE_WAIT_MAX	600		/* s */

struct store_lease {
	struct stor_lock	*lk;		/* a driver with locks */
	struct buf		 path;
	char			 holder[LEASE_HOLDER_MAX];
	time_t			 ttl;
	time_t			 renewed;	/* monotonic */
	time_t			 offset;	/* store's clock - monotonic */
	int			 have_offset;
};

/* A lease as read from the store. */
struct lease_rec {
	time_t	expiry;
	char	holder[LEASE_HOLDER_MAX];
};

static time_t
lease_mono(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec);
}

static void
lease_sleep(unsigned int ms)
{
	struct timespec	ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

/* "<host>:<pid>:<random>", no spaces: who holds a lease. */
static void
lease_holder(char out[LEASE_HOLDER_MAX])
{
	char	host[64], id[UUID_LEN + 1];
	size_t	i;

	if (gethostname(host, sizeof(host)) == -1)
		(void)snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	for (i = 0; host[i] != '\0'; i++)
		if (host[i] <= ' ' || host[i] > '~')
			host[i] = '_';
	uuid_generate(id);
	(void)snprintf(out, LEASE_HOLDER_MAX, "%s:%ld:%s", host,
	    (long)getpid(), id);
}

/*
 * The store's time: read from the store when "exact" or at first, else
 * estimated from the last reading.
 */
static enum reg_err
lease_now(struct store *st, struct store_lease *ls, int exact, time_t *now)
{
	enum reg_err	rc;

	if (!exact && ls->have_offset) {
		*now = lease_mono() + ls->offset;
		return (REG_OK);
	}
	if ((rc = stor_clock(st->sd, now)) != REG_OK)
		return (rc);
	ls->offset = *now - lease_mono();
	ls->have_offset = 1;
	return (REG_OK);
}

/* Write our lease, "ttl" seconds from now on the store's clock. */
static enum reg_err
lease_write(struct store *st, struct store_lease *ls, int flags)
{
	struct buf	b = BUF_INIT;
	time_t		now;
	enum reg_err	rc;

	if ((rc = lease_now(st, ls, 1, &now)) != REG_OK)
		return (rc);
	buf_addf(&b, "%lld %s\n", (long long)(now + ls->ttl), ls->holder);
	rc = stor_put(st->sd, ls->path.buf, b.buf, b.len, flags);
	buf_release(&b);
	if (rc == REG_OK)
		ls->renewed = lease_mono();
	return (rc);
}

/* The lease at the path; one that does not parse has expired. */
static enum reg_err
lease_read(struct store *st, const struct store_lease *ls,
    struct lease_rec *rec)
{
	struct buf	 b = BUF_INIT;
	const char	*sp, *nl;
	uint64_t	 expiry;
	enum reg_err	 rc;

	memset(rec, 0, sizeof(*rec));
	if ((rc = stor_get(st->sd, ls->path.buf, LEASE_MAX, &b)) != REG_OK) {
		buf_release(&b);
		return (rc);
	}
	if ((sp = memchr(b.buf, ' ', b.len)) != NULL &&
	    (nl = memchr(sp, '\n', b.len - (size_t)(sp - b.buf))) != NULL &&
	    parse_u64n(b.buf, (size_t)(sp - b.buf), 0, INT64_MAX,
	    &expiry) == 0 && (size_t)(nl - sp - 1) < sizeof(rec->holder)) {
		rec->expiry = (time_t)expiry;
		memcpy(rec->holder, sp + 1, (size_t)(nl - sp - 1));
	}
	buf_release(&b);
	return (REG_OK);
}

/* Remove the expired lease "old" if it is still the one there. */
static enum reg_err
lease_take_over(struct store *st, struct store_lease *ls,
    const struct lease_rec *old, time_t now)
{
	struct lease_rec	cur;
	enum reg_err		rc;

	if ((rc = lease_read(st, ls, &cur)) != REG_OK)
		return (rc == REG_E_NOENT ? REG_OK : rc);
	if (cur.expiry != old->expiry || strcmp(cur.holder, old->holder) != 0)
		return (REG_E_BUSY);
	if (old->holder[0] == '\0')
		log_info("pull lease %s garbled: taken over", ls->path.buf);
	else
		log_info("pull lease %s of %s expired %lld s ago: taken over",
		    ls->path.buf, old->holder, (long long)(now - old->expiry));
	rc = stor_remove(st->sd, ls->path.buf);
	return (rc == REG_E_NOENT ? REG_OK : rc);
}

/* Whether the lease at the path has expired; REG_E_BUSY if it lives. */
static enum reg_err
lease_expired(struct store *st, struct store_lease *ls,
    const struct lease_rec *rec)
{
	time_t		now;
	enum reg_err	rc;

	if ((rc = lease_now(st, ls, 0, &now)) != REG_OK)
		return (rc);
	if (rec->expiry > now)
		return (REG_E_BUSY);
	if ((rc = lease_now(st, ls, 1, &now)) != REG_OK)
		return (rc);
	if (rec->expiry > now)
		return (REG_E_BUSY);
	return (lease_take_over(st, ls, rec, now));
}

/* One attempt: REG_OK if the lease is now ours, REG_E_BUSY if not. */
static enum reg_err
lease_try(struct store *st, struct store_lease *ls)
{
	struct lease_rec	rec;
	enum reg_err		rc;

	rc = lease_read(st, ls, &rec);
	if (rc == REG_OK)
		rc = lease_expired(st, ls, &rec);
	else if (rc == REG_E_NOENT)
		rc = REG_OK;
	if (rc != REG_OK)
		return (rc);
	rc = lease_write(st, ls, STOR_PUT_EXCL);
	if (rc == REG_E_EXISTS)
		return (REG_E_BUSY);
	if (rc != REG_OK)
		return (rc);
	/* Without create-only puts, the last writer holds it. */
	if ((rc = lease_read(st, ls, &rec)) != REG_OK)
		return (rc == REG_E_NOENT ? REG_E_BUSY : rc);
	return (strcmp(rec.holder, ls->holder) == 0 ? REG_OK : REG_E_BUSY);
}

/*
 * Whether the fetch of blob "d" into repository "name" is done: its
 * link, which an upload's finish writes last (store_upload.c), and the
 * blob itself are there.
 */
static int
lease_blob_there(struct store *st, const char *name, const struct digest *d)
{
	struct buf		path = BUF_INIT;
	struct stor_stat	ss;
	int			there;

	layout_blob_link(&path, name, d);
	there = stor_stat(st->sd, path.buf, &ss) == REG_OK;
	layout_blob(&path, d);
	there = there && stor_stat(st->sd, path.buf, &ss) == REG_OK;
	buf_release(&path);
	return (there);
}

/* Poll until the lease is ours (REG_OK) or the blob is there. */
static enum reg_err
lease_wait(struct store *st, const char *name, const struct digest *d,
    struct store_lease *ls)
{
	unsigned int	ms = LEASE_POLL_MIN;
	time_t		until = lease_mono() + LEASE_WAIT_MAX;
	enum reg_err	rc;

	while ((rc = lease_try(st, ls)) == REG_E_BUSY) {
		if (lease_blob_there(st, name, d))
			return (REG_E_EXISTS);
		if (lease_mono() >= until) {
			log_warnx("pull lease %s: still held after %d s",
			    ls->path.buf, LEASE_WAIT_MAX);
			return (REG_E_BUSY);
		}
		lease_sleep(ms);
		ms = ms * 2 > LEASE_POLL_MAX ? LEASE_POLL_MAX : ms * 2;
	}
	return (rc);
}

static void
lease_free(struct store_lease *ls)
{
	buf_release(&ls->path);
	free(ls);
}

enum reg_err
store_pull_lease(struct store *st, const char *name, const struct digest *d,
    time_t ttl, struct store_lease **out)
{
	struct store_lease	*ls;
	enum reg_err		 rc;

	*out = NULL;
	ls = xcalloc(1, sizeof(*ls));
	buf_init(&ls->path);
	layout_pull_lease(&ls->path, d);
	ls->ttl = ttl < 3 ? 3 : ttl;
	if (stor_has_locks(st->sd))
		rc = stor_lock(st->sd, ls->path.buf, STOR_LOCK_EX, 1, &ls->lk);
	else {
		lease_holder(ls->holder);
		rc = lease_wait(st, name, d, ls);
	}
	if (rc != REG_OK) {
		lease_free(ls);
		return (rc);
	}
	*out = ls;
	return (REG_OK);
}

void
store_pull_lease_renew(struct store *st, struct store_lease *ls)
{
	if (ls == NULL || ls->lk != NULL ||
	    lease_mono() - ls->renewed < ls->ttl / 3)
		return;
	if (lease_write(st, ls, 0) != REG_OK)
		log_warnx("pull lease %s: not renewed", ls->path.buf);
}

void
store_pull_lease_end(struct store *st, struct store_lease *ls)
{
	struct lease_rec	rec;

	if (ls == NULL)
		return;
	if (ls->lk != NULL || (lease_read(st, ls, &rec) == REG_OK &&
	    strcmp(rec.holder, ls->holder) == 0))
		(void)stor_remove(st->sd, ls->path.buf);
	stor_unlock(st->sd, ls->lk);
	lease_free(ls);
}
