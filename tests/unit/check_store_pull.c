/*
 * tests/unit/check_store_pull.c: the pull lease (storage/store_pull.c).
 *
 * Each test runs on a fresh fs store three times: as it is (locks), as
 * a shared driver sees it (no locks: the lease object) and as a shared
 * driver without create-only puts.  Waiters are forked children that
 * report through a pipe what store_pull_lease() answered.
 */
#include "config.h"

#include <sys/wait.h>

#include <check.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/digest.h"
#include "common/log.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "storage/driver.h"
#include "storage/layout.h"
#include "storage/store.h"
#include "tests/unit/check_run.h"
#include "tests/unit/stor_conformance.h"

enum view {
	VIEW_LOCAL,		/* the fs driver as it is */
	VIEW_SHARED,		/* no locks */
	VIEW_SHARED_NOEXCL	/* no locks, no create-only puts */
};

static char		*root;
static struct store	*st;
static struct stor_ops	 shared_ops;
static struct digest	 dg;
static struct buf	 lease_path = BUF_INIT;

static void
view_set(enum view v)
{
	root = stor_test_mkdtemp();
	st = stor_test_store(root);
	ck_assert_ptr_nonnull(st);
	digest_of(DIGEST_SHA256, "blob", 4, &dg);
	layout_pull_lease(&lease_path, &dg);
	if (v == VIEW_LOCAL)
		return;
	shared_ops = *st->sd->ops;
	shared_ops.lock = NULL;
	shared_ops.lock_slot = NULL;
	shared_ops.unlock = NULL;
	if (v == VIEW_SHARED_NOEXCL)
		shared_ops.caps &= ~STOR_CAP_EXCL;
	st->sd->ops = &shared_ops;
}

static void
view_release(void)
{
	store_close(st);
	stor_test_rmtree(root);
	free(root);
	buf_release(&lease_path);
}

/* A child that waits for the lease; its answer comes through "*fd". */
static pid_t
waiter_start(int *fd)
{
	struct store_lease	*ls;
	enum reg_err		 rc;
	int			 p[2];
	pid_t			 pid;
	char			 c;

	ck_assert_int_eq(pipe(p), 0);
	if ((pid = fork()) == 0) {
		close(p[0]);
		rc = store_pull_lease(st, "r", &dg, 30, &ls);
		c = (char)rc;
		if (write(p[1], &c, 1) != 1)
			_exit(1);
		store_pull_lease_end(st, ls);
		_exit(0);
	}
	ck_assert_int_ne(pid, -1);
	close(p[1]);
	*fd = p[0];
	return (pid);
}

/* The waiter's answer, -1 if none within "ms". */
static int
waiter_answer(int fd, int ms)
{
	struct pollfd	pfd;
	char		c;

	pfd.fd = fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, ms) != 1 || read(fd, &c, 1) != 1)
		return (-1);
	return ((unsigned char)c);
}

static void
waiter_end(pid_t pid, int fd)
{
	int	status;

	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(fd);
}

/* A waiter waits while the lease is held and takes it at its end. */
START_TEST(test_lease_excludes)
{
	struct store_lease	*ls;
	struct stor_stat	 ss;
	int			 fd;
	pid_t			 pid;

	view_set((enum view)_i);
	ck_assert_int_eq(store_pull_lease(st, "r", &dg, 30, &ls), REG_OK);
	pid = waiter_start(&fd);
	ck_assert_int_eq(waiter_answer(fd, 500), -1);
	store_pull_lease_end(st, ls);
	ck_assert_int_eq(waiter_answer(fd, 10000), REG_OK);
	waiter_end(pid, fd);
	/* Nothing is left behind. */
	ck_assert_int_eq(stor_stat(st->sd, lease_path.buf, &ss),
	    REG_E_NOENT);
	view_release();
}
END_TEST

/* A waiter on a shared store stops when the blob arrives. */
START_TEST(test_lease_blob_arrives)
{
	struct store_lease	*ls;
	struct buf		 path = BUF_INIT;
	int			 fd;
	pid_t			 pid;

	view_set((enum view)_i);
	ck_assert_int_eq(store_pull_lease(st, "r", &dg, 30, &ls), REG_OK);
	pid = waiter_start(&fd);
	ck_assert_int_eq(waiter_answer(fd, 300), -1);
	layout_blob(&path, &dg);
	ck_assert_int_eq(stor_put(st->sd, path.buf, "blob", 4, 0), REG_OK);
	/* The blob without its link: the finish is not done yet. */
	ck_assert_int_eq(waiter_answer(fd, 1500), -1);
	layout_blob_link(&path, "r", &dg);
	ck_assert_int_eq(stor_put(st->sd, path.buf, "", 0, 0), REG_OK);
	ck_assert_int_eq(waiter_answer(fd, 10000), REG_E_EXISTS);
	waiter_end(pid, fd);
	store_pull_lease_end(st, ls);
	buf_release(&path);
	view_release();
}
END_TEST

/* The lease of a holder that died, or garbage, is taken over. */
static const char *const dead_leases[] = {
	"1 deadhost:1:0123\n",
	"garbage",
	"",
};

START_TEST(test_lease_takeover)
{
	struct store_lease	*ls;
	struct stor_stat	 ss;
	struct buf		 b = BUF_INIT;
	time_t			 now;

	view_set(VIEW_SHARED + (enum view)(_i % 2));
	ck_assert_int_eq(stor_put(st->sd, lease_path.buf, dead_leases[_i / 2],
	    strlen(dead_leases[_i / 2]), 0), REG_OK);
	ck_assert_int_eq(store_pull_lease(st, "r", &dg, 30, &ls), REG_OK);
	ck_assert_int_eq(stor_get(st->sd, lease_path.buf, 256, &b), REG_OK);
	ck_assert_int_eq(stor_clock(st->sd, &now), REG_OK);
	/* "<expiry> <holder>\n", the expiry 30 s ahead. */
	ck_assert_int_ge(strtoll(b.buf, NULL, 10), now + 29);
	ck_assert_int_le(strtoll(b.buf, NULL, 10), now + 30);
	ck_assert_ptr_null(strstr(b.buf, "deadhost"));
	store_pull_lease_end(st, ls);
	ck_assert_int_eq(stor_stat(st->sd, lease_path.buf, &ss),
	    REG_E_NOENT);
	buf_release(&b);
	view_release();
}
END_TEST

/* A live lease of another host is left alone, even at the end. */
START_TEST(test_lease_foreign)
{
	struct buf	b = BUF_INIT;
	time_t		now;
	int		fd;
	pid_t		pid;

	view_set(VIEW_SHARED + (enum view)_i);
	ck_assert_int_eq(stor_clock(st->sd, &now), REG_OK);
	buf_addf(&b, "%lld otherhost:1:0123\n", (long long)now + 2);
	ck_assert_int_eq(stor_put(st->sd, lease_path.buf, b.buf, b.len, 0),
	    REG_OK);
	pid = waiter_start(&fd);
	ck_assert_int_eq(waiter_answer(fd, 500), -1);
	/* Not renewed: it expires and the waiter takes it over. */
	ck_assert_int_eq(waiter_answer(fd, 10000), REG_OK);
	waiter_end(pid, fd);
	buf_release(&b);
	view_release();
}
END_TEST

/* The holder renews its lease once a third of it passed. */
START_TEST(test_lease_renew)
{
	struct store_lease	*ls;
	struct buf		 b = BUF_INIT;
	long long		 first;

	view_set(VIEW_SHARED + (enum view)_i);
	ck_assert_int_eq(store_pull_lease(st, "r", &dg, 3, &ls), REG_OK);
	ck_assert_int_eq(stor_get(st->sd, lease_path.buf, 256, &b), REG_OK);
	first = strtoll(b.buf, NULL, 10);
	store_pull_lease_renew(st, ls);
	buf_reset(&b);
	ck_assert_int_eq(stor_get(st->sd, lease_path.buf, 256, &b), REG_OK);
	ck_assert_int_eq(strtoll(b.buf, NULL, 10), first);
	sleep(2);
	store_pull_lease_renew(st, ls);
	buf_reset(&b);
	ck_assert_int_eq(stor_get(st->sd, lease_path.buf, 256, &b), REG_OK);
	ck_assert_int_ge(strtoll(b.buf, NULL, 10), first + 1);
	store_pull_lease_end(st, ls);
	buf_release(&b);
	view_release();
}
END_TEST

int
main(void)
{
	Suite	*s;
	TCase	*tc;

	log_init(0);
	s = suite_create("store_pull");
	tc = tcase_create("lease");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_lease_excludes, VIEW_LOCAL,
	    VIEW_SHARED_NOEXCL + 1);
	tcase_add_loop_test(tc, test_lease_blob_arrives, VIEW_SHARED,
	    VIEW_SHARED_NOEXCL + 1);
	tcase_add_loop_test(tc, test_lease_takeover, 0,
	    2 * nitems(dead_leases));
	tcase_add_loop_test(tc, test_lease_foreign, 0, 2);
	tcase_add_loop_test(tc, test_lease_renew, 0, 2);
	suite_add_tcase(s, tc);
	return (check_run(s));
}
