/*
 * tests/unit/check_stor_fs.c: the filesystem driver.
 *
 * Runs the driver conformance suite on a fresh mkdtemp() root per test,
 * then what only a filesystem has: local paths, relative roots, the
 * root being created, and no temporary files left behind.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/conf.h"
#include "common/log.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "storage/driver.h"
#include "tests/unit/check_run.h"
#include "tests/unit/stor_conformance.h"

static char	*fs_root;

static struct stor_driver *
fs_factory_open(void)
{
	fs_root = stor_test_mkdtemp();
	return (stor_test_fs(fs_root));
}

static void
fs_factory_close(struct stor_driver *sd)
{
	stor_close(sd);
	stor_test_rmtree(fs_root);
	free(fs_root);
	fs_root = NULL;
}

/* The fs driver has no pages: any number of entries does. */
static const struct stor_factory fs_factory = {
	"fs", fs_factory_open, fs_factory_close, 300
};

/* Count the entries of "dir" whose name starts with "prefix". */
static int
count_prefixed(const char *dir, const char *prefix)
{
	struct dirent	*de;
	DIR		*d;
	int		 n = 0;

	d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0)
			n++;
	closedir(d);
	return (n);
}

START_TEST(test_no_temp_left)
{
	struct stor_driver	*sd;
	char			*dir;

	sd = fs_factory_open();
	ck_assert_int_eq(stor_put(sd, "d/obj", "one", 3, 0), REG_OK);
	ck_assert_int_eq(stor_put(sd, "d/obj", "two", 3, 0), REG_OK);
	ck_assert_int_eq(stor_put(sd, "d/obj", "three", 5, STOR_PUT_EXCL),
	    REG_E_EXISTS);
	ck_assert_int_eq(stor_put(sd, "d/new", "n", 1, STOR_PUT_EXCL),
	    REG_OK);
	ck_assert_int_eq(stor_copy(sd, "d/obj", "d/copy"), REG_OK);
	ck_assert_int_eq(stor_put(sd, "top", "t", 1, 0), REG_OK);
	dir = xasprintf("%s/d", fs_root);
	ck_assert_int_eq(count_prefixed(dir, ".tmp-"), 0);
	ck_assert_int_eq(count_prefixed(dir, "obj"), 1);
	ck_assert_int_eq(count_prefixed(dir, "new"), 1);
	ck_assert_int_eq(count_prefixed(dir, "copy"), 1);
	ck_assert_int_eq(count_prefixed(fs_root, ".tmp-"), 0);
	free(dir);
	fs_factory_close(sd);
}
END_TEST

START_TEST(test_local_path)
{
	struct stor_driver	*sd;
	struct buf		 b = BUF_INIT;
	char			*real, *want;

	sd = fs_factory_open();
	real = realpath(fs_root, NULL);
	ck_assert_ptr_nonnull(real);
	want = xasprintf("%s/blobs/sha256/ab/abcd", real);
	ck_assert_int_eq(stor_local_path(sd, "blobs/sha256/ab/abcd", &b),
	    REG_OK);
	ck_assert_str_eq(b.buf, want);
	/* No URLs on a filesystem: the registry serves the bytes. */
	buf_reset(&b);
	ck_assert_int_eq(stor_url(sd, "blobs/sha256/ab/abcd", 300, &b),
	    REG_E_NOENT);
	ck_assert_uint_eq(b.len, 0);
	free(want);
	free(real);
	buf_release(&b);
	fs_factory_close(sd);
}
END_TEST

/* check: the root answers while it is there and the one opened. */
START_TEST(test_check)
{
	struct stor_driver	*sd;
	struct buf		 why = BUF_INIT;
	char			*away;

	sd = fs_factory_open();
	ck_assert_int_eq(stor_check(sd, &why), REG_OK);
	ck_assert_uint_eq(why.len, 0);
	away = xasprintf("%s.away", fs_root);
	ck_assert_int_eq(rename(fs_root, away), 0);
	ck_assert_int_eq(stor_check(sd, &why), REG_E_IO);
	ck_assert_ptr_nonnull(strstr(why.buf, fs_root));
	ck_assert_ptr_null(strchr(why.buf, '\n'));
	buf_reset(&why);
	ck_assert_int_eq(mkdir(fs_root, 0700), 0);
	ck_assert_int_eq(stor_check(sd, &why), REG_E_IO);
	ck_assert_ptr_nonnull(strstr(why.buf, "no longer"));
	ck_assert_int_eq(rmdir(fs_root), 0);
	ck_assert_int_eq(rename(away, fs_root), 0);
	buf_reset(&why);
	ck_assert_int_eq(stor_check(sd, &why), REG_OK);
	free(away);
	buf_release(&why);
	fs_factory_close(sd);
}
END_TEST

/* A relative root keeps working after the current directory changes. */
START_TEST(test_relative_root)
{
	struct stor_driver	*sd;
	struct stat		 st;
	struct buf		 b = BUF_INIT;
	char			*tmp, *file;

	tmp = stor_test_mkdtemp();
	ck_assert_int_eq(chdir(tmp), 0);
	sd = stor_test_fs("rel/root");
	ck_assert_ptr_nonnull(sd);
	ck_assert_int_eq(chdir("/"), 0);
	ck_assert_int_eq(stor_put(sd, "a/b", "x", 1, 0), REG_OK);
	ck_assert_int_eq(stor_get(sd, "a/b", 10, &b), REG_OK);
	ck_assert_str_eq(b.buf, "x");
	file = xasprintf("%s/rel/root/a/b", tmp);
	ck_assert_int_eq(stat(file, &st), 0);
	free(file);
	buf_release(&b);
	stor_close(sd);
	stor_test_rmtree(tmp);
	free(tmp);
}
END_TEST

START_TEST(test_unusable_root)
{
	struct stor_driver	*sd;
	char			*tmp, *file;

	tmp = stor_test_mkdtemp();
	file = xasprintf("%s/file", tmp);
	ck_assert_int_eq(stor_put(sd = stor_test_fs(tmp), "file", "", 0, 0),
	    REG_OK);
	stor_close(sd);
	ck_assert_ptr_null(stor_test_fs(file));
	ck_assert_ptr_null(stor_test_fs(""));
	free(file);
	stor_test_rmtree(tmp);
	free(tmp);
}
END_TEST

/* The driver table checks [storage] before anything is opened. */
static const struct {
	const char	*text;
	const char	*error;		/* NULL: fine */
} conf_cases[] = {
	{ "[storage]\nroot = /tmp/x\n", NULL },
	{ "[storage]\ndriver = fs\nroot = /tmp/x\n", NULL },
	{ "[storage]\ndriver = filesystem\nroot = /tmp/x\n", NULL },
	{ "[storage]\ndriver = nosuch\nroot = /tmp/x\n",
	    "t.ini: unknown storage driver \"nosuch\"\n" },
	{ "[storage]\nroot = /tmp/x\ncontainer = c\n",
	    "t.ini:3: unknown key \"container\" in section [storage]\n" },
	{ "[storage]\nexpiration = 5\n",
	    "t.ini: [storage] root is required\n" },
	{ "[storage]\nroot =\n", "t.ini: [storage] root is required\n" },
};

START_TEST(test_conf_check)
{
	struct conf	c;
	struct buf	errs = BUF_INIT;
	int		rv;

	conf_init(&c);
	ck_assert_int_eq(conf_load_string(&c, "t.ini", conf_cases[_i].text),
	    0);
	c.path = xstrdup("t.ini");
	rv = stor_conf_check(&c, &errs);
	if (conf_cases[_i].error == NULL) {
		ck_assert_int_eq(rv, 0);
		ck_assert_uint_eq(errs.len, 0);
	} else {
		ck_assert_int_eq(rv, -1);
		ck_assert_str_eq(errs.buf, conf_cases[_i].error);
		ck_assert_ptr_null(stor_open(&c));
	}
	conf_release(&c);
	buf_release(&errs);
}
END_TEST

static enum reg_err
debris_seen(const char *path, const struct stor_stat *st, void *arg)
{
	(void)st;
	buf_addf(arg, "%s\n", path);
	return (REG_OK);
}

/* What killed writers leave: put()'s temporaries, by path. */
START_TEST(test_debris)
{
	struct stor_driver	*sd;
	struct buf		 seen = BUF_INIT;
	const char		*tmps[] = {
		"blobs/sha256/ab/.tmp-1-00", "uploads/u/.tmp-2-00",
		"repos/a/b/_tags/.tmp-3-00"
	};
	size_t			 i;

	sd = fs_factory_open();
	ck_assert_int_eq(stor_stage_list(sd, STOR_STAGE_DEBRIS, debris_seen,
	    &seen), REG_OK);
	ck_assert_uint_eq(seen.len, 0);
	ck_assert_int_eq(stor_put(sd, "repos/a/b/_tags/latest", "x", 1, 0),
	    REG_OK);
	for (i = 0; i < nitems(tmps); i++)
		ck_assert_int_eq(stor_put(sd, tmps[i], "t", 1, 0), REG_OK);
	ck_assert_int_eq(stor_put(sd, ".tmp-4-00", "t", 1, 0), REG_OK);
	ck_assert_int_eq(stor_stage_list(sd, STOR_STAGE_DEBRIS, debris_seen,
	    &seen), REG_OK);
	ck_assert_str_eq(seen.buf, "blobs/sha256/ab/.tmp-1-00\n"
	    "uploads/u/.tmp-2-00\nrepos/a/b/_tags/.tmp-3-00\n");
	buf_release(&seen);
	ck_assert_int_eq(stor_stage_list(sd, STOR_STAGE_TRASH, debris_seen,
	    &seen), REG_OK);
	ck_assert_uint_eq(seen.len, 0);
	buf_release(&seen);
	fs_factory_close(sd);
}
END_TEST

/* The upload's files, as fsck and the tests of the store know them. */
START_TEST(test_stage_layout)
{
	struct stor_driver	*sd;
	struct stor_stage	*sg;
	struct stor_stat	 st;
	struct buf		 b = BUF_INIT;
	const char		*u = "0f1e2d3c4b5a46978877665544332211";

	sd = fs_factory_open();
	ck_assert_int_eq(stor_stage_create(sd, u, "s0", 2), REG_OK);
	ck_assert_int_eq(stor_stat(sd, "uploads/0f1e2d3c4b5a469788776655"
	    "44332211/lock", &st), REG_OK);
	ck_assert_int_eq(stor_stage_open(sd, u, &sg, &b), REG_OK);
	ck_assert_int_eq(stor_stage_write(sg, 0, "abc", 3), REG_OK);
	ck_assert_int_eq(stor_stage_commit(sg, "s1", 2), REG_OK);
	/* A tail a killed worker left is cut by the next write. */
	ck_assert_int_eq(stor_stage_write(sg, 3, "tail", 4), REG_OK);
	stor_stage_close(sg);
	buf_reset(&b);
	ck_assert_int_eq(stor_get(sd, "uploads/0f1e2d3c4b5a469788776655"
	    "44332211/data", 100, &b), REG_OK);
	ck_assert_str_eq(b.buf, "abc");
	buf_reset(&b);
	ck_assert_int_eq(stor_get(sd, "uploads/0f1e2d3c4b5a469788776655"
	    "44332211/state", 100, &b), REG_OK);
	ck_assert_str_eq(b.buf, "s1");
	buf_release(&b);
	fs_factory_close(sd);
}
END_TEST

/*
 * A holder removes the lock file, then unlocks: the waiter then holds
 * the lock at the path, which a newcomer must wait for (not a removed
 * file while the newcomer locks a new one).
 */
START_TEST(test_lock_removed_while_held)
{
	struct stor_driver	*sd;
	struct stor_lock	*lk;
	char			*file, c;
	int			 got[2], done[2], fd, status;
	pid_t			 pid;

	sd = fs_factory_open();
	ck_assert_int_eq(stor_lock(sd, "pulls/x.lock", STOR_LOCK_EX, 1, &lk),
	    REG_OK);
	ck_assert_int_eq(pipe(got), 0);
	ck_assert_int_eq(pipe(done), 0);
	if ((pid = fork()) == 0) {
		struct stor_lock	*wlk;

		if (stor_lock(sd, "pulls/x.lock", STOR_LOCK_EX, 1, &wlk) !=
		    REG_OK || write(got[1], "w", 1) != 1 ||
		    read(done[0], &c, 1) != 1)
			_exit(1);
		stor_unlock(sd, wlk);
		_exit(0);
	}
	ck_assert_int_ne(pid, -1);
	usleep(200000);		/* the child waits in flock() */
	ck_assert_int_eq(stor_remove(sd, "pulls/x.lock"), REG_OK);
	stor_unlock(sd, lk);
	ck_assert_int_eq(read(got[0], &c, 1), 1);
	/* The child holds it: the file at the path is locked. */
	file = xasprintf("%s/pulls/x.lock", fs_root);
	fd = open(file, O_RDWR);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(flock(fd, LOCK_EX | LOCK_NB), -1);
	ck_assert_int_eq(errno, EWOULDBLOCK);
	close(fd);
	ck_assert_int_eq(write(done[1], "d", 1), 1);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* Without "create" a removed lock file is no lock at all. */
	ck_assert_int_eq(stor_remove(sd, "pulls/x.lock"), REG_OK);
	ck_assert_int_eq(stor_lock(sd, "pulls/x.lock", STOR_LOCK_EX, 0, &lk),
	    REG_E_NOENT);
	close(got[0]);
	close(got[1]);
	close(done[0]);
	close(done[1]);
	free(file);
	fs_factory_close(sd);
}
END_TEST

int
main(void)
{
	Suite	*s;
	TCase	*tc;

	log_init(0);
	s = suite_create("stor_fs");
	suite_add_tcase(s, stor_conformance_tcase(&fs_factory));
	tc = tcase_create("fs");
	tcase_add_test(tc, test_no_temp_left);
	tcase_add_test(tc, test_local_path);
	tcase_add_test(tc, test_check);
	tcase_add_test(tc, test_relative_root);
	tcase_add_test(tc, test_unusable_root);
	tcase_add_loop_test(tc, test_conf_check, 0, nitems(conf_cases));
	tcase_add_test(tc, test_debris);
	tcase_add_test(tc, test_stage_layout);
	tcase_add_test(tc, test_lock_removed_while_held);
	suite_add_tcase(s, tc);
	return (check_run(s));
}
