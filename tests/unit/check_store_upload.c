/*
 * tests/unit/check_store_upload.c: uploads and blobs over the
 * filesystem driver, including several worker processes at once.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <check.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/digest.h"
#include "common/log.h"
#include "common/util.h"
#include "storage/driver.h"
#include "storage/layout.h"
#include "storage/store.h"
#include "tests/unit/check_run.h"
#include "tests/unit/stor_conformance.h"

#define REPO		"library/test"
#define BIG_SIZE	(700 * 1024 + 13)
#define NFINISH		8

static char		*root;
static struct store	*st;

static void
setup(void)
{
	root = stor_test_mkdtemp();
	st = stor_test_store(root);
	ck_assert_ptr_nonnull(st);
}

static void
teardown(void)
{
	store_close(st);
	stor_test_rmtree(root);
	free(root);
}

/* A request body from memory, in pieces of at most "piece" bytes. */
struct memsrc {
	const char	*p;
	size_t		 len;
	size_t		 pos;
	size_t		 piece;
	int		 fail;		/* end with -1: body cut short */
};

static ssize_t
memsrc_read(void *out, size_t size, void *arg)
{
	struct memsrc	*m = arg;
	size_t		 n = m->len - m->pos;

	if (n > size)
		n = size;
	if (m->piece != 0 && n > m->piece)
		n = m->piece;
	if (n == 0)
		return (m->fail ? -1 : 0);
	memcpy(out, m->p + m->pos, n);
	m->pos += n;
	return ((ssize_t)n);
}

static enum reg_err
append(struct store *s, const char *name, const char *uuid, uint64_t expect,
    const char *data, size_t len, uint64_t *off)
{
	struct memsrc	m = { data, len, 0, 0, 0 };

	return (store_upload_append(s, name, uuid, expect, UINT64_MAX,
	    memsrc_read, &m, off));
}

static enum reg_err
finish(struct store *s, const char *uuid, const char *data, size_t len,
    const struct digest *want, uint64_t *size)
{
	struct memsrc	m = { data, len, 0, 0, 0 };
	struct buf	detail = BUF_INIT;
	enum reg_err	rc;

	rc = store_upload_finish(s, REPO, uuid, want, UINT64_MAX, UINT64_MAX,
	    data == NULL ? NULL : memsrc_read, &m, size, &detail);
	buf_release(&detail);
	return (rc);
}

static enum reg_err
sink_collect(const void *data, size_t len, void *arg)
{
	buf_add(arg, data, len);
	return (REG_OK);
}

static void
assert_blob(const struct digest *d, const char *want, size_t len)
{
	struct buf	b = BUF_INIT;
	uint64_t	size;

	ck_assert_int_eq(store_blob_stat(st, REPO, d, &size), REG_OK);
	ck_assert_uint_eq(size, len);
	ck_assert_int_eq(store_blob_read(st, d, 0, UINT64_MAX, sink_collect,
	    &b), REG_OK);
	ck_assert_uint_eq(b.len, len);
	ck_assert_mem_eq(b.buf, want, len);
	buf_release(&b);
}

static void
assert_upload_gone(const char *uuid)
{
	struct stor_stat	ss;
	struct buf		path = BUF_INIT;
	uint64_t		off;

	ck_assert_int_eq(store_upload_status(st, REPO, uuid, &off),
	    REG_E_NOENT);
	layout_upload_dir(&path, uuid);
	ck_assert_int_eq(stor_stat(st->sd, path.buf, &ss), REG_E_NOENT);
	buf_release(&path);
}

static char *
big_content(void)
{
	char	*p;
	size_t	 i;

	p = malloc(BIG_SIZE);
	ck_assert_ptr_nonnull(p);
	for (i = 0; i < BIG_SIZE; i++)
		p[i] = (char)(i * 31 + (i >> 12));
	return (p);
}

START_TEST(test_happy_sha256)
{
	char		uuid[UUID_LEN + 1];
	struct digest	d;
	uint64_t	off = 99, size = 0;

	ck_assert_int_eq(store_upload_start(st, REPO, uuid), REG_OK);
	ck_assert_int_eq(uuid_valid(uuid, strlen(uuid)), 1);
	ck_assert_int_eq(store_upload_status(st, REPO, uuid, &off), REG_OK);
	ck_assert_uint_eq(off, 0);
	ck_assert_int_eq(append(st, REPO, uuid, 0, "hello ", 6, &off),
	    REG_OK);
	ck_assert_uint_eq(off, 6);
	ck_assert_int_eq(append(st, REPO, uuid, UINT64_MAX, "world", 5,
	    &off), REG_OK);
	ck_assert_uint_eq(off, 11);
	ck_assert_int_eq(store_upload_status(st, REPO, uuid, &off), REG_OK);
	ck_assert_uint_eq(off, 11);
	digest_of(DIGEST_SHA256, "hello world!", 12, &d);
	ck_assert_int_eq(finish(st, uuid, "!", 1, &d, &size), REG_OK);
	ck_assert_uint_eq(size, 12);
	assert_blob(&d, "hello world!", 12);
	assert_upload_gone(uuid);
}
END_TEST

/* Many pieces, bigger than the 256 KiB buffer, in several chunks. */
START_TEST(test_big_chunks)
{
	char		 uuid[UUID_LEN + 1];
	struct memsrc	 m;
	struct digest	 d;
	char		*big = big_content();
	uint64_t	 off, size, third = BIG_SIZE / 3;

	digest_of(DIGEST_SHA256, big, BIG_SIZE, &d);
	ck_assert_int_eq(store_upload_start(st, REPO, uuid), REG_OK);
	m = (struct memsrc){ big, third, 0, 10000, 0 };
	ck_assert_int_eq(store_upload_append(st, REPO, uuid, 0, UINT64_MAX,
	    memsrc_read, &m, &off), REG_OK);
	ck_assert_uint_eq(off, third);
	m = (struct memsrc){ big + third, third, 0, 0, 0 };
	ck_assert_int_eq(store_upload_append(st, REPO, uuid, third,
	    UINT64_MAX, memsrc_read, &m, &off), REG_OK);
	ck_assert_int_eq(finish(st, uuid, big + 2 * third,
	    BIG_SIZE - 2 * third, &d, &size), REG_OK);
	ck_assert_uint_eq(size, BIG_SIZE);
	assert_blob(&d, big, BIG_SIZE);
	free(big);
}
END_TEST

START_TEST(test_sha512)
{
	char		 uuid[UUID_LEN + 1];
	struct digest	 d;
	char		*big = big_content();
	uint64_t	 off, size;

	digest_of(DIGEST_SHA512, big, BIG_SIZE, &d);
	ck_assert_int_eq(store_upload_start(st, REPO, uuid), REG_OK);
	ck_assert_int_eq(append(st, REPO, uuid, 0, big, 1000, &off), REG_OK);
	ck_assert_int_eq(finish(st, uuid, big + 1000, BIG_SIZE - 1000, &d,
	    &size), REG_OK);
	ck_assert_uint_eq(size, BIG_SIZE);
	assert_blob(&d, big, BIG_SIZE);
	assert_upload_gone(uuid);
	free(big);
}
END_TEST

START_TEST(test_empty_blob)
{
	char		uuid[UUID_LEN + 1];
	struct digest	d;
	uint64_t	size = 99;

	digest_of(DIGEST_SHA256, "", 0, &d);
	ck_assert_int_eq(store_upload_start(st, REPO, uuid), REG_OK);
	ck_assert_int_eq(finish(st, uuid, NULL, 0, &d, &size), REG_OK);
	ck_assert_uint_eq(size, 0);
	assert_blob(&d, "", 0);
}
END_TEST

static const char *wrong_digests[] = {
	"sha256:0000000000000000000000000000000000000000000000000000000000000000",
	"sha512:00000000000000000000000000000000000000000000000000000000000000"
	"000000000000000000000000000000000000000000000000000000000000000000",
};

START_TEST(test_wrong_digest)
{
	char		 uuid[UUID_LEN + 1];
	struct digest	 d;
	struct buf	 detail = BUF_INIT;
	struct memsrc	 m = { "data", 4, 0, 0, 0 };
	const char	*w = wrong_digests[_i];
	uint64_t	 size, off;

	ck_assert_int_eq(digest_parse(w, strlen(w), &d), 0);
	ck_assert_int_eq(store_upload_start(st, REPO, uuid), REG_OK);
	ck_assert_int_eq(append(st, REPO, uuid, 0, "some ", 5, &off), REG_OK);
	ck_assert_int_eq(store_upload_finish(st, REPO, uuid, &d, 5, UINT64_MAX,
	    memsrc_read, &m, &size, &detail), REG_E_DIGEST_INVALID);
	ck_assert_ptr_nonnull(strstr(detail.buf, w));
	ck_assert_int_eq(store_blob_stat(st, REPO, &d, &size), REG_E_NOENT);
	assert_upload_gone(uuid);
	buf_release(&detail);
}
END_TEST

START_TEST(test_wrong_offset)
{
	char		uuid[UUID_LEN + 1];
	struct digest	d;
	struct buf	detail = BUF_INIT;
	uint64_t	off, size;

	digest_of(DIGEST_SHA256, "abc", 3, &d);
	ck_assert_int_eq(store_upload_start(st, REPO, uuid), REG_OK);
	ck_assert_int_eq(append(st, REPO, uuid, 5, "abc", 3, &off),
	    REG_E_UPLOAD_RANGE);
	ck_assert_int_eq(append(st, REPO, uuid, 0, "abc", 3, &off), REG_OK);
	ck_assert_int_eq(append(st, REPO, uuid, 0, "abc", 3, &off),
	    REG_E_UPLOAD_RANGE);
	ck_assert_int_eq(store_upload_finish(st, REPO, uuid, &d, 2, UINT64_MAX, NULL,
	    NULL, &size, &detail), REG_E_UPLOAD_RANGE);
	ck_assert_int_eq(store_upload_status(st, REPO, uuid, &off), REG_OK);
	ck_assert_uint_eq(off, 3);
	ck_assert_int_eq(store_upload_finish(st, REPO, uuid, &d, 3, UINT64_MAX, NULL,
	    NULL, &size, &detail), REG_OK);
	assert_blob(&d, "abc", 3);
	buf_release(&detail);
}
END_TEST

START_TEST(test_incomplete_body)
{
	char		uuid[UUID_LEN + 1];
	struct memsrc	m = { "defgh", 5, 0, 2, 1 };
	struct digest	d;
	uint64_t	off, size;

	ck_assert_int_eq(store_upload_start(st, REPO, uuid), REG_OK);
	ck_assert_int_eq(append(st, REPO, uuid, 0, "abc", 3, &off), REG_OK);
	off = 42;
	ck_assert_int_eq(store_upload_append(st, REPO, uuid, 3, UINT64_MAX,
	    memsrc_read, &m, &off), REG_E_BODY_INCOMPLETE);
	ck_assert_uint_eq(off, 42);
	ck_assert_int_eq(store_upload_status(st, REPO, uuid, &off), REG_OK);
	ck_assert_uint_eq(off, 3);

	/* The same in a finish: the upload stays as it was. */
	m = (struct memsrc){ "xyz", 3, 0, 0, 1 };
	digest_of(DIGEST_SHA256, "abcxyz", 6, &d);
	ck_assert_int_eq(store_upload_finish(st, REPO, uuid, &d, UINT64_MAX, UINT64_MAX,
	    memsrc_read, &m, &size, NULL), REG_E_BODY_INCOMPLETE);
	ck_assert_int_eq(store_upload_status(st, REPO, uuid, &off), REG_OK);
	ck_assert_uint_eq(off, 3);

	/* The retry lands after "abc", not after the lost bytes. */
	ck_assert_int_eq(append(st, REPO, uuid, 3, "de", 2, &off), REG_OK);
	ck_assert_uint_eq(off, 5);
	digest_of(DIGEST_SHA256, "abcde", 5, &d);
	ck_assert_int_eq(finish(st, uuid, NULL, 0, &d, &size), REG_OK);
	assert_blob(&d, "abcde", 5);
}
END_TEST

START_TEST(test_limit)
{
	char		uuid[UUID_LEN + 1];
	struct memsrc	m = { "12345", 5, 0, 0, 0 };
	struct digest	d;
	uint64_t	off, size;

	ck_assert_int_eq(store_upload_start(st, REPO, uuid), REG_OK);
	ck_assert_int_eq(store_upload_append(st, REPO, uuid, 0, 4,
	    memsrc_read, &m, &off), REG_E_SIZE_INVALID);
	ck_assert_int_eq(store_upload_status(st, REPO, uuid, &off), REG_OK);
	ck_assert_uint_eq(off, 0);
	/* Shorter than the Content-Range said: cut on the way, refused. */
	m = (struct memsrc){ "123", 3, 0, 0, 0 };
	ck_assert_int_eq(store_upload_append(st, REPO, uuid, 0, 5,
	    memsrc_read, &m, &off), REG_E_SIZE_INVALID);
	ck_assert_int_eq(store_upload_status(st, REPO, uuid, &off), REG_OK);
	ck_assert_uint_eq(off, 0);
	m = (struct memsrc){ "12345", 5, 0, 0, 0 };
	ck_assert_int_eq(store_upload_append(st, REPO, uuid, 0, 5,
	    memsrc_read, &m, &off), REG_OK);
	ck_assert_uint_eq(off, 5);
	/* The final chunk's Content-Range binds as well. */
	digest_of(DIGEST_SHA256, "1234567", 7, &d);
	m = (struct memsrc){ "67", 2, 0, 0, 0 };
	ck_assert_int_eq(store_upload_finish(st, REPO, uuid, &d, 5, 3,
	    memsrc_read, &m, &size, NULL), REG_E_SIZE_INVALID);
	ck_assert_int_eq(store_upload_status(st, REPO, uuid, &off), REG_OK);
	ck_assert_uint_eq(off, 5);
	m = (struct memsrc){ "67", 2, 0, 0, 0 };
	ck_assert_int_eq(store_upload_finish(st, REPO, uuid, &d, 5, 2,
	    memsrc_read, &m, &size, NULL), REG_OK);
	ck_assert_uint_eq(size, 7);
}
END_TEST

/* The size of an upload's data file. */
static uint64_t
data_size(const char *uuid)
{
	struct stor_stat	ss;
	struct buf		path = BUF_INIT;

	layout_upload_data(&path, uuid);
	ck_assert_int_eq(stor_stat(st->sd, path.buf, &ss), REG_OK);
	buf_release(&path);
	return (ss.size);
}

/*
 * A client that aborts a PATCH (or sends too much) leaves no tail: the
 * data file is cut back to the committed offset at once, not at the
 * next append or prune.
 */
START_TEST(test_abort_truncates)
{
	char		uuid[UUID_LEN + 1];
	struct memsrc	m = { "defghijk", 8, 0, 3, 1 };
	struct digest	d;
	uint64_t	off, size;

	ck_assert_int_eq(store_upload_start(st, REPO, uuid), REG_OK);
	ck_assert_int_eq(append(st, REPO, uuid, 0, "abc", 3, &off), REG_OK);
	ck_assert_int_eq(store_upload_append(st, REPO, uuid, 3, UINT64_MAX,
	    memsrc_read, &m, &off), REG_E_BODY_INCOMPLETE);
	ck_assert_uint_eq(data_size(uuid), 3);
	m = (struct memsrc){ "12345", 5, 0, 2, 0 };
	ck_assert_int_eq(store_upload_append(st, REPO, uuid, 3, 4,
	    memsrc_read, &m, &off), REG_E_SIZE_INVALID);
	ck_assert_uint_eq(data_size(uuid), 3);
	m = (struct memsrc){ "xyz", 3, 0, 1, 1 };
	digest_of(DIGEST_SHA256, "abcxyz", 6, &d);
	ck_assert_int_eq(store_upload_finish(st, REPO, uuid, &d, UINT64_MAX,
	    UINT64_MAX, memsrc_read, &m, &size, NULL), REG_E_BODY_INCOMPLETE);
	ck_assert_uint_eq(data_size(uuid), 3);
	ck_assert_int_eq(store_upload_status(st, REPO, uuid, &off), REG_OK);
	ck_assert_uint_eq(off, 3);
}
END_TEST

/* A worker killed after writing but before saving the state. */
START_TEST(test_stale_tail)
{
	char			 uuid[UUID_LEN + 1];
	struct buf		 path = BUF_INIT;
	struct digest		 d;
	uint64_t		 off, size;

	ck_assert_int_eq(store_upload_start(st, REPO, uuid), REG_OK);
	ck_assert_int_eq(append(st, REPO, uuid, 0, "abc", 3, &off), REG_OK);
	/* What the fs driver's data file holds then. */
	layout_upload_data(&path, uuid);
	ck_assert_int_eq(stor_put(st->sd, path.buf, "abcJUNKJUNK", 11, 0),
	    REG_OK);
	ck_assert_int_eq(append(st, REPO, uuid, 3, "def", 3, &off), REG_OK);
	digest_of(DIGEST_SHA256, "abcdef", 6, &d);
	ck_assert_int_eq(finish(st, uuid, NULL, 0, &d, &size), REG_OK);
	ck_assert_uint_eq(size, 6);
	assert_blob(&d, "abcdef", 6);
	buf_release(&path);
}
END_TEST

START_TEST(test_other_repo)
{
	char		uuid[UUID_LEN + 1];
	struct digest	d;
	uint64_t	off, size;

	digest_of(DIGEST_SHA256, "abc", 3, &d);
	ck_assert_int_eq(store_upload_start(st, REPO, uuid), REG_OK);
	ck_assert_int_eq(append(st, REPO, uuid, 0, "abc", 3, &off), REG_OK);
	ck_assert_int_eq(store_upload_status(st, "other", uuid, &off),
	    REG_E_NOENT);
	ck_assert_int_eq(append(st, "other", uuid, 3, "x", 1, &off),
	    REG_E_NOENT);
	ck_assert_int_eq(store_upload_finish(st, "library/test/sub", uuid,
	    &d, UINT64_MAX, UINT64_MAX, NULL, NULL, &size, NULL), REG_E_NOENT);
	ck_assert_int_eq(store_upload_cancel(st, "library", uuid),
	    REG_E_NOENT);
	ck_assert_int_eq(store_upload_status(st, REPO, uuid, &off), REG_OK);
	ck_assert_uint_eq(off, 3);
	ck_assert_int_eq(finish(st, uuid, NULL, 0, &d, &size), REG_OK);
}
END_TEST

START_TEST(test_unknown_and_cancel)
{
	char		uuid[UUID_LEN + 1];
	uint64_t	off;

	ck_assert_int_eq(store_upload_status(st, REPO,
	    "0123456789abcdef0123456789abcdef", &off), REG_E_NOENT);
	ck_assert_int_eq(store_upload_start(st, REPO, uuid), REG_OK);
	ck_assert_int_eq(append(st, REPO, uuid, 0, "abc", 3, &off), REG_OK);
	ck_assert_int_eq(store_upload_cancel(st, REPO, uuid), REG_OK);
	assert_upload_gone(uuid);
	ck_assert_int_eq(store_upload_cancel(st, REPO, uuid), REG_E_NOENT);
	ck_assert_int_eq(append(st, REPO, uuid, 3, "d", 1, &off),
	    REG_E_NOENT);
}
END_TEST

/* What a crash right after the start may leave: an empty state. */
START_TEST(test_empty_state)
{
	char		uuid[UUID_LEN + 1];
	struct buf	path = BUF_INIT;
	uint64_t	off;
	FILE		*f;

	ck_assert_int_eq(store_upload_start(st, REPO, uuid), REG_OK);
	buf_addf(&path, "%s/uploads/%s/state", root, uuid);
	ck_assert_ptr_nonnull(f = fopen(path.buf, "w"));
	fclose(f);
	ck_assert_int_eq(store_upload_status(st, REPO, uuid, &off),
	    REG_E_NOENT);
	ck_assert_int_eq(append(st, REPO, uuid, 0, "abc", 3, &off),
	    REG_E_NOENT);
	buf_release(&path);
}
END_TEST

/* Child: append one chunk as a separate worker with its own store. */
static void
child_append(const char *uuid, uint64_t expect, const char *data)
{
	struct store	*s;
	uint64_t	 off;
	int		 ok;

	if ((s = stor_test_store(root)) == NULL)
		_exit(2);
	ok = append(s, REPO, uuid, expect, data, strlen(data), &off) ==
	    REG_OK && off == expect + strlen(data);
	store_close(s);
	_exit(ok ? 0 : 1);
}

static void
wait_ok(pid_t pid)
{
	int	status;

	ck_assert_int_ne(pid, -1);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}

START_TEST(test_across_processes)
{
	char		uuid[UUID_LEN + 1];
	struct digest	d;
	pid_t		pid;
	uint64_t	off, size;

	ck_assert_int_eq(store_upload_start(st, REPO, uuid), REG_OK);
	if ((pid = fork()) == 0)
		child_append(uuid, 0, "part1-");
	wait_ok(pid);
	if ((pid = fork()) == 0)
		child_append(uuid, 6, "part2");
	wait_ok(pid);
	ck_assert_int_eq(store_upload_status(st, REPO, uuid, &off), REG_OK);
	ck_assert_uint_eq(off, 11);
	digest_of(DIGEST_SHA256, "part1-part2", 11, &d);
	ck_assert_int_eq(finish(st, uuid, NULL, 0, &d, &size), REG_OK);
	assert_blob(&d, "part1-part2", 11);
}
END_TEST

/* Child: wait for "go", finish, and check the blob is there at once. */
static void
child_finish(int go, const char *uuid, const struct digest *d)
{
	struct store	*s;
	struct buf	 detail = BUF_INIT;
	uint64_t	 size = 0, seen = 0;
	char		 c;
	int		 ok;

	if (read(go, &c, 1) != 0)
		_exit(3);
	if ((s = stor_test_store(root)) == NULL)
		_exit(2);
	ok = store_upload_finish(s, REPO, uuid, d, BIG_SIZE, UINT64_MAX, NULL, NULL,
	    &size, &detail) == REG_OK && size == BIG_SIZE &&
	    store_blob_stat(s, REPO, d, &seen) == REG_OK && seen == BIG_SIZE;
	store_close(s);
	_exit(ok ? 0 : 1);
}

START_TEST(test_concurrent_finish)
{
	char		 uuids[NFINISH][UUID_LEN + 1];
	struct digest	 d;
	pid_t		 pids[NFINISH];
	char		*big = big_content();
	uint64_t	 off;
	int		 go[2], i;

	digest_of(DIGEST_SHA256, big, BIG_SIZE, &d);
	for (i = 0; i < NFINISH; i++) {
		ck_assert_int_eq(store_upload_start(st, REPO, uuids[i]),
		    REG_OK);
		ck_assert_int_eq(append(st, REPO, uuids[i], 0, big, BIG_SIZE,
		    &off), REG_OK);
	}
	ck_assert_int_eq(pipe(go), 0);
	for (i = 0; i < NFINISH; i++) {
		if ((pids[i] = fork()) == 0) {
			close(go[1]);
			child_finish(go[0], uuids[i], &d);
		}
	}
	close(go[0]);
	close(go[1]);			/* all children start now */
	for (i = 0; i < NFINISH; i++)
		wait_ok(pids[i]);
	assert_blob(&d, big, BIG_SIZE);
	for (i = 0; i < NFINISH; i++)
		assert_upload_gone(uuids[i]);
	free(big);
}
END_TEST

/*
 * A request that waited for the upload's session while another request
 * finished the upload must find the upload gone.
 */
START_TEST(test_waiter_sees_removal)
{
	char			 uuid[UUID_LEN + 1];
	struct stor_stage	*sg;
	struct buf		 state = BUF_INIT;
	struct pollfd		 pfd;
	uint64_t		 off;
	pid_t			 pid;
	int			 p[2];
	char			 c;

	ck_assert_int_eq(store_upload_start(st, REPO, uuid), REG_OK);
	ck_assert_int_eq(stor_stage_open(st->sd, uuid, &sg, &state), REG_OK);
	ck_assert_int_eq(pipe(p), 0);
	if ((pid = fork()) == 0) {
		close(p[0]);
		c = (char)('0' + store_upload_status(st, REPO, uuid, &off));
		_exit(write(p[1], &c, 1) == 1 ? 0 : 1);
	}
	close(p[1]);
	pfd = (struct pollfd){ p[0], POLLIN, 0 };
	ck_assert_int_eq(poll(&pfd, 1, 300), 0);	/* it waits */
	ck_assert_int_eq(stor_stage_remove(st->sd, uuid, 0), REG_OK);
	stor_stage_close(sg);
	ck_assert_int_eq(poll(&pfd, 1, 10000), 1);
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	ck_assert_int_eq(c, '0' + REG_E_NOENT);
	close(p[0]);
	wait_ok(pid);
	buf_release(&state);
}
END_TEST

START_TEST(test_blob_ops)
{
	char		uuid[UUID_LEN + 1];
	struct digest	d, missing;
	struct buf	b = BUF_INIT;
	uint64_t	size;

	digest_of(DIGEST_SHA256, "0123456789", 10, &d);
	digest_of(DIGEST_SHA256, "nope", 4, &missing);
	ck_assert_int_eq(store_upload_start(st, REPO, uuid), REG_OK);
	ck_assert_int_eq(finish(st, uuid, "0123456789", 10, &d, &size),
	    REG_OK);
	ck_assert_int_eq(store_blob_read(st, &d, 2, 3, sink_collect, &b),
	    REG_OK);
	ck_assert_str_eq(b.buf, "234");
	buf_reset(&b);
	ck_assert_int_eq(store_blob_local_path(st, &d, &b), REG_OK);
	ck_assert_ptr_nonnull(strstr(b.buf, d.hex));
	ck_assert_int_eq(b.buf[0], '/');
	ck_assert_int_eq(store_blob_mount(st, REPO, "other", &missing),
	    REG_E_NOENT);
	ck_assert_int_eq(store_blob_stat(st, REPO, &missing, &size),
	    REG_E_NOENT);
	buf_release(&b);
}
END_TEST

/* A blob exists only in the repositories that hold it. */
START_TEST(test_blob_membership)
{
	char		uuid[UUID_LEN + 1];
	struct digest	d;
	struct buf	b = BUF_INIT, detail = BUF_INIT;
	uint64_t	size;

	digest_of(DIGEST_SHA256, "0123456789", 10, &d);
	ck_assert_int_eq(store_upload_start(st, REPO, uuid), REG_OK);
	ck_assert_int_eq(finish(st, uuid, "0123456789", 10, &d, &size),
	    REG_OK);
	ck_assert_int_eq(store_blob_stat(st, REPO, &d, &size), REG_OK);
	ck_assert_int_eq(store_blob_stat(st, "other", &d, &size),
	    REG_E_NOENT);
	/* Nobody may delete it from a repository that does not hold it. */
	ck_assert_int_eq(store_blob_delete(st, "other", &d, &detail),
	    REG_E_NOENT);
	/* A mount needs a source that holds it. */
	ck_assert_int_eq(store_blob_mount(st, "nobody", "other", &d),
	    REG_E_NOENT);
	ck_assert_int_eq(store_blob_stat(st, "other", &d, &size),
	    REG_E_NOENT);
	ck_assert_int_eq(store_blob_mount(st, REPO, "other", &d), REG_OK);
	ck_assert_int_eq(store_blob_stat(st, "other", &d, &size), REG_OK);
	/* A delete takes it from one repository, the bytes stay. */
	ck_assert_int_eq(store_blob_delete(st, "other", &d, &detail), REG_OK);
	ck_assert_int_eq(store_blob_stat(st, "other", &d, &size),
	    REG_E_NOENT);
	ck_assert_int_eq(store_blob_delete(st, "other", &d, &detail),
	    REG_E_NOENT);
	ck_assert_int_eq(store_blob_stat(st, REPO, &d, &size), REG_OK);
	ck_assert_int_eq(store_blob_read(st, &d, 0, UINT64_MAX, sink_collect,
	    &b), REG_OK);
	ck_assert_uint_eq(b.len, 10);
	ck_assert_int_eq(store_blob_delete(st, REPO, &d, &detail), REG_OK);
	ck_assert_int_eq(store_blob_stat(st, REPO, &d, &size), REG_E_NOENT);
	buf_release(&detail);
	buf_release(&b);
}
END_TEST

int
main(void)
{
	Suite	*s;
	TCase	*tc;

	log_init(0);
	s = suite_create("store_upload");
	tc = tcase_create("upload");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_happy_sha256);
	tcase_add_test(tc, test_big_chunks);
	tcase_add_test(tc, test_sha512);
	tcase_add_test(tc, test_empty_blob);
	tcase_add_loop_test(tc, test_wrong_digest, 0, nitems(wrong_digests));
	tcase_add_test(tc, test_wrong_offset);
	tcase_add_test(tc, test_incomplete_body);
	tcase_add_test(tc, test_limit);
	tcase_add_test(tc, test_stale_tail);
	tcase_add_test(tc, test_abort_truncates);
	tcase_add_test(tc, test_other_repo);
	tcase_add_test(tc, test_unknown_and_cancel);
	tcase_add_test(tc, test_empty_state);
	tcase_add_test(tc, test_across_processes);
	tcase_add_test(tc, test_concurrent_finish);
	tcase_add_test(tc, test_waiter_sees_removal);
	tcase_add_test(tc, test_blob_ops);
	tcase_add_test(tc, test_blob_membership);
	suite_add_tcase(s, tc);
	return (check_run(s));
}
