/*
 * tests/unit/check_stor_fs.c: the filesystem driver.
 *
 * Runs the driver conformance suite on a fresh mkdtemp() root per test,
 * then what only a filesystem has: local paths, relative roots, the
 * root being created, and no temporary files left behind.
 */
#include "config.h"

#include <sys/stat.h>

#include <check.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
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
	return (stor_open("filesystem", fs_root));
}

static void
fs_factory_close(struct stor_driver *sd)
{
	stor_close(sd);
	stor_test_rmtree(fs_root);
	free(fs_root);
	fs_root = NULL;
}

static const struct stor_factory fs_factory = {
	"filesystem", fs_factory_open, fs_factory_close
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
	ck_assert_int_eq(stor_put(sd, "d/obj", "one", 3), REG_OK);
	ck_assert_int_eq(stor_put(sd, "d/obj", "two", 3), REG_OK);
	ck_assert_int_eq(stor_put(sd, "top", "t", 1), REG_OK);
	dir = xasprintf("%s/d", fs_root);
	ck_assert_int_eq(count_prefixed(dir, ".tmp-"), 0);
	ck_assert_int_eq(count_prefixed(dir, "obj"), 1);
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
	sd = stor_open("filesystem", "rel/root");
	ck_assert_ptr_nonnull(sd);
	ck_assert_int_eq(chdir("/"), 0);
	ck_assert_int_eq(stor_put(sd, "a/b", "x", 1), REG_OK);
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
	ck_assert_int_eq(stor_put(sd = stor_open("filesystem", tmp), "file",
	    "", 0), REG_OK);
	stor_close(sd);
	ck_assert_ptr_null(stor_open("filesystem", file));
	ck_assert_ptr_null(stor_open("filesystem", ""));
	ck_assert_ptr_null(stor_open("no-such-driver", tmp));
	free(file);
	stor_test_rmtree(tmp);
	free(tmp);
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
	suite_add_tcase(s, tc);
	return (check_run(s));
}
