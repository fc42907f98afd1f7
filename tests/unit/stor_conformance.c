/*
 * tests/unit/stor_conformance.c: what every storage driver must do.
 *
 * The tests speak only the stor_*() API of storage/driver.h, so any
 * driver can run them; each test gets a fresh store from the factory.
 * Every op is covered: objects, staging, coordination.  What a driver
 * may lack is tested as its ops table says: create-only puts by
 * STOR_CAP_EXCL, locks by a lock op (a shared driver has none, and its
 * removed blobs wait in a trash that use() rescues them from).  Lock
 * and race tests fork children that use the same driver object.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <check.h>
#include <ftw.h>
#include <poll.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "common/conf.h"
#include "storage/driver.h"
#include "storage/store.h"
#include "tests/unit/stor_conformance.h"

/* Bigger than the 256 KiB pieces drivers stream in, and not a multiple. */
#define BIG_SIZE	(600 * 1024 + 7)

static const struct stor_factory	*factory;
static struct stor_driver		*sd;

static void
setup(void)
{
	sd = factory->open();
	ck_assert_ptr_nonnull(sd);
}

static void
teardown(void)
{
	factory->close(sd);
	sd = NULL;
}

static void
put_str(const char *path, const char *s)
{
	ck_assert_int_eq(stor_put(sd, path, s, strlen(s), 0), REG_OK);
}

static void
assert_content(const char *path, const char *want)
{
	struct buf	b = BUF_INIT;

	ck_assert_int_eq(stor_get(sd, path, 1024 * 1024, &b), REG_OK);
	ck_assert_uint_eq(b.len, strlen(want));
	ck_assert_mem_eq(b.buf, want, b.len);
	buf_release(&b);
}

static unsigned char
big_byte(size_t i)
{
	return ((unsigned char)(i * 7 + (i >> 10)));
}

static void
put_big(const char *path)
{
	unsigned char	*p;
	size_t		 i;

	p = malloc(BIG_SIZE);
	ck_assert_ptr_nonnull(p);
	for (i = 0; i < BIG_SIZE; i++)
		p[i] = big_byte(i);
	ck_assert_int_eq(stor_put(sd, path, p, BIG_SIZE, 0), REG_OK);
	free(p);
}

static enum reg_err
sink_collect(const void *data, size_t len, void *arg)
{
	buf_add(arg, data, len);
	return (REG_OK);
}

static enum reg_err
sink_refuse(const void *data, size_t len, void *arg)
{
	(void)data;
	(void)len;
	(*(int *)arg)++;
	return (REG_E_BUSY);
}

START_TEST(test_put_get)
{
	struct buf		b = BUF_INIT;
	struct stor_stat	st;

	put_str("a/b/c", "hello");
	assert_content("a/b/c", "hello");
	ck_assert_int_eq(stor_stat(sd, "a/b/c", &st), REG_OK);
	ck_assert_uint_eq(st.size, 5);
	ck_assert_int_eq(st.is_dir, 0);
	ck_assert(st.mtime > time(NULL) - 60);
	ck_assert_int_eq(stor_stat(sd, "a/b", &st), REG_OK);
	ck_assert_int_ne(st.is_dir, 0);

	/* Replace, then empty. */
	put_str("a/b/c", "second");
	assert_content("a/b/c", "second");
	put_str("a/b/c", "");
	assert_content("a/b/c", "");
	ck_assert_int_eq(stor_stat(sd, "a/b/c", &st), REG_OK);
	ck_assert_uint_eq(st.size, 0);

	/* get() appends, and leaves the buffer alone when too big. */
	put_str("k", "hello");
	buf_addstr(&b, "pre:");
	ck_assert_int_eq(stor_get(sd, "k", 5, &b), REG_OK);
	ck_assert_str_eq(b.buf, "pre:hello");
	ck_assert_int_eq(stor_get(sd, "k", 4, &b), REG_E_IO);
	ck_assert_str_eq(b.buf, "pre:hello");
	buf_release(&b);
}
END_TEST

static const struct {
	uint64_t	off;
	uint64_t	len;
} ranges[] = {
	{ 0, UINT64_MAX },
	{ 0, 0 },
	{ 1, 10 },
	{ 262143, 3 },
	{ 262144, 262144 },
	{ 600000, UINT64_MAX },
	{ BIG_SIZE - 1, 100 },
	{ BIG_SIZE, UINT64_MAX },
	{ 100, BIG_SIZE },
};

START_TEST(test_read_range)
{
	struct buf	b = BUF_INIT;
	uint64_t	off = ranges[_i].off, len = ranges[_i].len, end, i;

	put_big("big/object");
	ck_assert_int_eq(stor_read(sd, "big/object", off, len, sink_collect,
	    &b), REG_OK);
	end = (len == UINT64_MAX || off + len > BIG_SIZE) ? BIG_SIZE :
	    off + len;
	if (off > end)
		off = end;
	ck_assert_uint_eq(b.len, end - off);
	for (i = 0; i < b.len; i++)
		if ((unsigned char)b.buf[i] != big_byte(off + i))
			ck_abort_msg("byte %llu differs",
			    (unsigned long long)(off + i));
	buf_release(&b);
}
END_TEST

START_TEST(test_read_sink_stops)
{
	int	calls = 0;

	put_big("big/object");
	ck_assert_int_eq(stor_read(sd, "big/object", 0, UINT64_MAX,
	    sink_refuse, &calls), REG_E_BUSY);
	ck_assert_int_eq(calls, 1);
}
END_TEST

START_TEST(test_put_excl)
{
	enum reg_err	rc;

	put_str("x/obj", "first");
	rc = stor_put(sd, "x/obj", "second", 6, STOR_PUT_EXCL);
	if (sd->ops->caps & STOR_CAP_EXCL) {
		ck_assert_int_eq(rc, REG_E_EXISTS);
		assert_content("x/obj", "first");
	} else {
		ck_assert_int_eq(rc, REG_OK);
		assert_content("x/obj", "second");
	}
	ck_assert_int_eq(stor_put(sd, "x/new", "n", 1, STOR_PUT_EXCL), REG_OK);
	assert_content("x/new", "n");
}
END_TEST

/* Empty objects (links): created, kept by EXCL, replacing and replaced. */
START_TEST(test_put_empty)
{
	struct stor_stat	st;
	enum reg_err		rc;

	ck_assert_int_eq(stor_put(sd, "e/a/link", "", 0, 0), REG_OK);
	ck_assert_int_eq(stor_stat(sd, "e/a/link", &st), REG_OK);
	ck_assert_uint_eq(st.size, 0);
	ck_assert_int_eq(stor_put(sd, "e/a/link", "", 0, 0), REG_OK);
	rc = stor_put(sd, "e/a/link", "", 0, STOR_PUT_EXCL);
	ck_assert_int_eq(rc, (sd->ops->caps & STOR_CAP_EXCL) ?
	    REG_E_EXISTS : REG_OK);
	put_str("e/full", "bytes");
	ck_assert_int_eq(stor_put(sd, "e/full", "", 0, 0), REG_OK);
	assert_content("e/full", "");
	ck_assert_int_eq(stor_put(sd, "e/a/link", "now", 3, 0), REG_OK);
	assert_content("e/a/link", "now");
	ck_assert_int_eq(stor_put(sd, "e/new", "", 0, STOR_PUT_EXCL), REG_OK);
	assert_content("e/new", "");
}
END_TEST

START_TEST(test_copy)
{
	struct stor_stat	st;

	put_str("src/one", "new");
	put_str("dst/one", "old");
	ck_assert_int_eq(stor_copy(sd, "src/one", "dst/one"), REG_OK);
	assert_content("dst/one", "new");
	assert_content("src/one", "new");
	/* Parents of the target come into being; the source stays. */
	ck_assert_int_eq(stor_copy(sd, "src/one", "p/q/r/s"), REG_OK);
	assert_content("p/q/r/s", "new");
	ck_assert_int_eq(stor_remove(sd, "src/one"), REG_OK);
	assert_content("p/q/r/s", "new");
	ck_assert_int_eq(stor_stat(sd, "src/one", &st), REG_E_NOENT);
	/* A big one is whole. */
	put_big("big/object");
	ck_assert_int_eq(stor_copy(sd, "big/object", "big/copy"), REG_OK);
	ck_assert_int_eq(stor_stat(sd, "big/copy", &st), REG_OK);
	ck_assert_uint_eq(st.size, BIG_SIZE);
}
END_TEST

START_TEST(test_remove)
{
	struct stor_stat	st;

	put_str("t/a/1", "1");
	put_str("t/a/2", "2");
	put_str("keep", "k");
	ck_assert_int_eq(stor_remove(sd, "t/a/1"), REG_OK);
	ck_assert_int_eq(stor_stat(sd, "t/a/1", &st), REG_E_NOENT);
	ck_assert_int_eq(stor_remove(sd, "t/a/1"), REG_E_NOENT);
	assert_content("t/a/2", "2");
	/* A directory is not an object. */
	ck_assert_int_eq(stor_remove(sd, "t/a"), REG_E_NOENT);
	assert_content("t/a/2", "2");
	assert_content("keep", "k");
}
END_TEST

START_TEST(test_remove_tree)
{
	struct stor_stat	st;
	struct buf		b = BUF_INIT;
	enum reg_err		rc;

	put_str("t/a/1", "1");
	put_str("t/a/2", "2");
	put_str("t/b/c/3", "3");
	put_str("t/.hidden", "h");
	put_str("tt/keep", "k");
	put_str("keep", "k");
	ck_assert_int_eq(stor_remove_tree(sd, "t"), REG_OK);
	ck_assert_int_eq(stor_stat(sd, "t/a/1", &st), REG_E_NOENT);
	ck_assert_int_eq(stor_stat(sd, "t/b/c/3", &st), REG_E_NOENT);
	ck_assert_int_eq(stor_get(sd, "t/.hidden", 10, &b), REG_E_NOENT);
	ck_assert_int_eq(stor_stat(sd, "t", &st), REG_E_NOENT);
	rc = stor_remove_tree(sd, "t");
	ck_assert(rc == REG_OK || rc == REG_E_NOENT);
	assert_content("tt/keep", "k");
	assert_content("keep", "k");
	buf_release(&b);
}
END_TEST

struct listing {
	struct buf	names;
	int		calls;
	int		stop;
};

static enum reg_err
list_collect(const char *name, const struct stor_stat *st, void *arg)
{
	struct listing	*l = arg;

	l->calls++;
	if (l->stop)
		return (REG_E_BUSY);
	/* One "name:size:d|f" line per entry; directories have no size. */
	if (st->is_dir)
		buf_addf(&l->names, "%s:d\n", name);
	else
		buf_addf(&l->names, "%s:%llu:f\n", name,
		    (unsigned long long)st->size);
	return (REG_OK);
}

START_TEST(test_list)
{
	struct listing	l = { BUF_INIT, 0, 0 };

	put_str("l/b", "bbb");
	put_str("l/a", "aa");
	put_str("l/sub/c", "c");
	put_str("l/.hidden", "h");
	put_str("l/B", "B");
	ck_assert_int_eq(stor_list(sd, "l", list_collect, &l), REG_OK);
	ck_assert_int_eq(l.calls, 4);
	/* In strcmp() order. */
	ck_assert_str_eq(l.names.buf, "B:1:f\na:2:f\nb:3:f\nsub:d\n");

	/* A callback's error stops the listing and is returned. */
	l.calls = 0;
	l.stop = 1;
	ck_assert_int_eq(stor_list(sd, "l", list_collect, &l), REG_E_BUSY);
	ck_assert_int_eq(l.calls, 1);
	buf_release(&l.names);
}
END_TEST

/* More entries than a page of the driver's listing (the factory's knob). */
START_TEST(test_list_pages)
{
	struct listing	 l = { BUF_INIT, 0, 0 };
	struct buf	 path = BUF_INIT, want = BUF_INIT;
	size_t		 i, n = factory->list_entries;

	for (i = 0; i < n; i++) {
		buf_reset(&path);
		buf_addf(&path, "many/e%04zu", i);
		put_str(path.buf, "x");
		buf_addf(&want, "e%04zu:1:f\n", i);
	}
	put_str("many/zz/below", "x");
	buf_addstr(&want, "zz:d\n");
	ck_assert_int_eq(stor_list(sd, "many", list_collect, &l), REG_OK);
	ck_assert_str_eq(l.names.buf, want.buf);
	buf_release(&l.names);
	buf_release(&path);
	buf_release(&want);
}
END_TEST

START_TEST(test_touch)
{
	struct stor_stat	st;

	put_str("touched", "x");
	ck_assert_int_eq(stor_touch(sd, "touched"), REG_OK);
	ck_assert_int_eq(stor_stat(sd, "touched", &st), REG_OK);
	ck_assert(st.mtime >= time(NULL) - 60);
	assert_content("touched", "x");
	ck_assert_int_eq(stor_touch(sd, "untouched"), REG_E_NOENT);
}
END_TEST

/* Staging. */

#define UUID_A	"0f1e2d3c4b5a46978877665544332211"
#define UUID_B	"1f1e2d3c4b5a46978877665544332211"

static struct stor_stage *
stage_open_ok(const char *uuid, const char *want_state)
{
	struct stor_stage	*sg;
	struct buf		 state = BUF_INIT;

	ck_assert_int_eq(stor_stage_open(sd, uuid, &sg, &state), REG_OK);
	ck_assert_ptr_nonnull(sg);
	ck_assert_uint_eq(state.len, strlen(want_state));
	ck_assert_mem_eq(state.buf, want_state, state.len);
	buf_release(&state);
	return (sg);
}

static void
stage_assert_bytes(struct stor_stage *sg, const char *want)
{
	struct buf	b = BUF_INIT;

	ck_assert_int_eq(stor_stage_read(sg, 0, strlen(want), sink_collect,
	    &b), REG_OK);
	ck_assert_uint_eq(b.len, strlen(want));
	ck_assert_mem_eq(b.buf, want, b.len);
	buf_release(&b);
}

static void
stage_assert_unknown(const char *uuid)
{
	struct stor_stage	*sg;
	struct buf		 state = BUF_INIT;

	ck_assert_int_eq(stor_stage_open(sd, uuid, &sg, &state),
	    REG_E_NOENT);
	ck_assert_ptr_null(sg);
	ck_assert_uint_eq(state.len, 0);
	buf_release(&state);
}

START_TEST(test_stage_append)
{
	struct stor_stage	*sg;
	struct stor_stat	 st;

	ck_assert_int_eq(stor_stage_create(sd, UUID_A, "s0", 2), REG_OK);
	sg = stage_open_ok(UUID_A, "s0");
	ck_assert_int_eq(stor_stage_write(sg, 0, "abc", 3), REG_OK);
	ck_assert_int_eq(stor_stage_write(sg, 3, "def", 3), REG_OK);
	stage_assert_bytes(sg, "abcdef");
	ck_assert_int_eq(stor_stage_commit(sg, "s1", 2), REG_OK);
	stor_stage_close(sg);

	/* What a session appended without a commit is dropped. */
	sg = stage_open_ok(UUID_A, "s1");
	stage_assert_bytes(sg, "abcdef");
	ck_assert_int_eq(stor_stage_write(sg, 6, "garbage", 7), REG_OK);
	stor_stage_close(sg);
	sg = stage_open_ok(UUID_A, "s1");
	ck_assert_int_eq(stor_stage_write(sg, 6, "gh", 2), REG_OK);
	ck_assert_int_eq(stor_stage_commit(sg, "state 2", 7), REG_OK);
	stor_stage_close(sg);

	/* Finished: the object, and no upload any more. */
	sg = stage_open_ok(UUID_A, "state 2");
	ck_assert_int_eq(stor_stage_finish(sg, 8, "blobs/x/ab/abc"), REG_OK);
	stor_stage_close(sg);
	assert_content("blobs/x/ab/abc", "abcdefgh");
	ck_assert_int_eq(stor_stat(sd, "blobs/x/ab/abc", &st), REG_OK);
	ck_assert_uint_eq(st.size, 8);
	stage_assert_unknown(UUID_A);
	ck_assert_int_eq(stor_stage_remove(sd, UUID_A, 0), REG_E_NOENT);
}
END_TEST

/* A finish takes what the session appended, committed or not. */
START_TEST(test_stage_finish_big)
{
	struct stor_stage	*sg;
	struct stor_stat	 st;
	struct buf		 b = BUF_INIT;
	unsigned char		*p;
	size_t			 i, piece = 100 * 1024;

	p = xmalloc(BIG_SIZE);
	for (i = 0; i < BIG_SIZE; i++)
		p[i] = big_byte(i);
	ck_assert_int_eq(stor_stage_create(sd, UUID_A, "s", 1), REG_OK);
	sg = stage_open_ok(UUID_A, "s");
	for (i = 0; i < BIG_SIZE; i += piece)
		ck_assert_int_eq(stor_stage_write(sg, i, p + i,
		    BIG_SIZE - i < piece ? BIG_SIZE - i : piece), REG_OK);
	ck_assert_int_eq(stor_stage_finish(sg, BIG_SIZE, "blobs/big"),
	    REG_OK);
	stor_stage_close(sg);
	ck_assert_int_eq(stor_stat(sd, "blobs/big", &st), REG_OK);
	ck_assert_uint_eq(st.size, BIG_SIZE);
	ck_assert_int_eq(stor_read(sd, "blobs/big", 0, UINT64_MAX,
	    sink_collect, &b), REG_OK);
	ck_assert_uint_eq(b.len, BIG_SIZE);
	ck_assert_mem_eq(b.buf, p, BIG_SIZE);
	free(p);
	buf_release(&b);
}
END_TEST

/* Cancelled or refused: nothing of the upload stays visible. */
START_TEST(test_stage_remove)
{
	struct stor_stage	*sg;
	struct listing		 l = { BUF_INIT, 0, 0 };
	struct stor_stat	 st;

	ck_assert_int_eq(stor_stage_create(sd, UUID_A, "s", 1), REG_OK);
	sg = stage_open_ok(UUID_A, "s");
	ck_assert_int_eq(stor_stage_write(sg, 0, "abc", 3), REG_OK);
	ck_assert_int_eq(stor_stage_commit(sg, "t", 1), REG_OK);
	ck_assert_int_eq(stor_stage_remove(sd, UUID_A, 0), REG_OK);
	stor_stage_close(sg);
	stage_assert_unknown(UUID_A);
	ck_assert_int_eq(stor_stage_list(sd, STOR_STAGE_UPLOADS, list_collect,
	    &l), REG_OK);
	ck_assert_int_eq(l.calls, 0);
	ck_assert_int_eq(stor_stat(sd, "blobs/x", &st), REG_E_NOENT);

	/* Prune's removal: only what is older than "before". */
	ck_assert_int_eq(stor_stage_create(sd, UUID_B, "s", 1), REG_OK);
	ck_assert_int_eq(stor_stage_remove(sd, UUID_B, time(NULL) - 100),
	    REG_E_BUSY);
	sg = stage_open_ok(UUID_B, "s");
	stor_stage_close(sg);
	ck_assert_int_eq(stor_stage_remove(sd, UUID_B, time(NULL) + 100),
	    REG_OK);
	stage_assert_unknown(UUID_B);
	ck_assert_int_eq(stor_stage_remove(sd, UUID_B, time(NULL) + 100),
	    REG_E_NOENT);
	buf_release(&l.names);
}
END_TEST

START_TEST(test_stage_list)
{
	struct stor_stage	*sg;
	struct listing		 l = { BUF_INIT, 0, 0 };
	struct buf		 want = BUF_INIT;

	ck_assert_int_eq(stor_stage_list(sd, STOR_STAGE_UPLOADS, list_collect,
	    &l), REG_OK);
	ck_assert_int_eq(l.calls, 0);
	ck_assert_int_eq(stor_stage_create(sd, UUID_B, "s", 1), REG_OK);
	ck_assert_int_eq(stor_stage_create(sd, UUID_A, "s", 1), REG_OK);
	sg = stage_open_ok(UUID_A, "s");
	ck_assert_int_eq(stor_stage_write(sg, 0, "abcd", 4), REG_OK);
	ck_assert_int_eq(stor_stage_commit(sg, "t", 1), REG_OK);
	stor_stage_close(sg);
	/* Every upload, a "directory" with the bytes it holds. */
	ck_assert_int_eq(stor_stage_list(sd, STOR_STAGE_UPLOADS, list_collect,
	    &l), REG_OK);
	buf_addf(&want, "%s:d\n%s:d\n", UUID_A, UUID_B);
	ck_assert_str_eq(l.names.buf, want.buf);
	buf_release(&l.names);
	buf_release(&want);
}
END_TEST

static enum reg_err
upload_size(const char *name, const struct stor_stat *st, void *arg)
{
	if (strcmp(name, UUID_A) == 0) {
		ck_assert_uint_eq(st->size, 4);
		ck_assert(st->mtime >= time(NULL) - 60);
		(*(int *)arg)++;
	}
	return (REG_OK);
}

START_TEST(test_stage_list_activity)
{
	struct stor_stage	*sg;
	int			 seen = 0;

	ck_assert_int_eq(stor_stage_create(sd, UUID_A, "s", 1), REG_OK);
	sg = stage_open_ok(UUID_A, "s");
	ck_assert_int_eq(stor_stage_write(sg, 0, "abcd", 4), REG_OK);
	ck_assert_int_eq(stor_stage_commit(sg, "t", 1), REG_OK);
	stor_stage_close(sg);
	ck_assert_int_eq(stor_stage_list(sd, STOR_STAGE_UPLOADS, upload_size,
	    &seen), REG_OK);
	ck_assert_int_eq(seen, 1);
}
END_TEST

/*
 * Child: an upload of "bytes" finished into "dest"; exits 0 if every
 * step succeeded.
 */
static void
finish_child(const char *uuid, const char *bytes, const char *dest)
{
	struct stor_stage	*sg;
	struct buf		 state = BUF_INIT;
	int			 ok;

	ok = stor_stage_create(sd, uuid, "s", 1) == REG_OK &&
	    stor_stage_open(sd, uuid, &sg, &state) == REG_OK &&
	    stor_stage_write(sg, 0, bytes, strlen(bytes)) == REG_OK &&
	    stor_stage_finish(sg, strlen(bytes), dest) == REG_OK;
	_exit(ok ? 0 : 1);
}

/* Several finishes of one blob at once all succeed. */
START_TEST(test_stage_finish_race)
{
	const char	*uuids[] = { UUID_A, UUID_B };
	pid_t		 pids[nitems(uuids)];
	size_t		 i;
	int		 status;

	for (i = 0; i < nitems(uuids); i++) {
		if ((pids[i] = fork()) == 0)
			finish_child(uuids[i], "same bytes", "blobs/same");
		ck_assert_int_ne(pids[i], -1);
	}
	for (i = 0; i < nitems(uuids); i++) {
		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		stage_assert_unknown(uuids[i]);
	}
	assert_content("blobs/same", "same bytes");
}
END_TEST

/* Coordination. */

START_TEST(test_clock)
{
	struct stor_stat	st;
	time_t			now;

	ck_assert_int_eq(stor_clock(sd, &now), REG_OK);
	ck_assert(now >= time(NULL) - 60 && now <= time(NULL) + 60);
	put_str("after", "x");
	ck_assert_int_eq(stor_stat(sd, "after", &st), REG_OK);
	ck_assert(st.mtime >= now - 1);
}
END_TEST

START_TEST(test_use)
{
	struct stor_stat	st;
	time_t			now;

	put_str("blobs/u", "used");
	ck_assert_int_eq(stor_clock(sd, &now), REG_OK);
	ck_assert_int_eq(stor_use(sd, "blobs/u", &st), REG_OK);
	ck_assert_uint_eq(st.size, 4);
	ck_assert_int_eq(st.is_dir, 0);
	ck_assert_int_eq(st.revived, 0);
	ck_assert_int_eq(stor_use(sd, "blobs/u", NULL), REG_OK);
	/* Used since the epoch: kept by a removal with that cutoff. */
	ck_assert_int_eq(stor_remove_unused(sd, "blobs/u", now, &st),
	    REG_E_BUSY);
	assert_content("blobs/u", "used");
	ck_assert_int_eq(stor_use(sd, "blobs/none", &st), REG_E_NOENT);
}
END_TEST

/*
 * stor_hold() with "fresh" (stor_open(): half the prune grace) of a
 * young object only looks that it is there: no liveness record (shared
 * drivers keep it at .liveness/<path>).  An older one is marked, a
 * missing one rescued from the trash, as by stor_use().
 */
START_TEST(test_hold)
{
	struct stor_stat	st;
	time_t			now;
	int			shared = sd->ops->lock == NULL;

	sd->fresh = 3600;
	put_str("blobs/y", "young");
	ck_assert_int_eq(stor_hold(sd, "blobs/y", &st), REG_OK);
	ck_assert_uint_eq(st.size, 5);
	ck_assert_int_eq(st.revived, 0);
	if (shared)
		ck_assert_int_eq(stor_stat(sd, ".liveness/blobs/y", &st),
		    REG_E_NOENT);
	ck_assert_int_eq(stor_remove_unused(sd, "blobs/y", time(NULL) + 100,
	    &st), REG_OK);
	ck_assert_int_eq(stor_hold(sd, "blobs/y", &st), shared ? REG_OK :
	    REG_E_NOENT);
	if (shared) {
		ck_assert_int_eq(st.revived, 1);
		assert_content("blobs/y", "young");
	}
	ck_assert_int_eq(stor_hold(sd, "blobs/none", &st), REG_E_NOENT);

	/* Old by a fresh of one second: marked, kept from then on. */
	sd->fresh = 1;
	put_str("blobs/o", "old");
	sleep(3);
	ck_assert_int_eq(stor_clock(sd, &now), REG_OK);
	ck_assert_int_eq(stor_hold(sd, "blobs/o", &st), REG_OK);
	ck_assert_uint_eq(st.size, 3);
	ck_assert_int_eq(stor_remove_unused(sd, "blobs/o", now, &st),
	    REG_E_BUSY);
	assert_content("blobs/o", "old");
}
END_TEST

START_TEST(test_remove_unused)
{
	struct stor_stat	st;
	enum reg_err		rc;

	put_str("blobs/r", "remove me");
	ck_assert_int_eq(stor_remove_unused(sd, "blobs/r", time(NULL) + 100,
	    &st), REG_OK);
	ck_assert_uint_eq(st.size, 9);
	ck_assert_int_eq(stor_stat(sd, "blobs/r", &st), REG_E_NOENT);
	ck_assert_int_eq(stor_remove_unused(sd, "blobs/r", time(NULL) + 100,
	    &st), REG_E_NOENT);
	/*
	 * A use after the removal: a shared driver rescues the blob from
	 * its trash, a local one (whose removals and uses exclude each
	 * other through the gc lock) has none.
	 */
	rc = stor_use(sd, "blobs/r", &st);
	if (sd->ops->lock == NULL) {
		ck_assert_int_eq(rc, REG_OK);
		ck_assert_int_eq(st.revived, 1);
		assert_content("blobs/r", "remove me");
		/* Back in place: the next use finds it there. */
		ck_assert_int_eq(stor_use(sd, "blobs/r", &st), REG_OK);
		ck_assert_int_eq(st.revived, 0);
	} else
		ck_assert_int_eq(rc, REG_E_NOENT);
}
END_TEST

enum noent_op {
	OP_STAT, OP_GET, OP_READ, OP_REMOVE, OP_LIST, OP_TOUCH, OP_COPY,
	OP_USE, OP_UNUSED, OP_TREE, OP_LOCK, OP__COUNT
};

static const char *noent_paths[] = {
	"missing",
	"no/such/dir/object",
	"file/below",			/* "file" is an object */
};

START_TEST(test_noent)
{
	struct stor_stat	 st;
	struct stor_lock	*lk = NULL;
	struct listing		 l = { BUF_INIT, 0, 0 };
	struct buf		 b = BUF_INIT;
	const char		*path = noent_paths[_i % nitems(noent_paths)];
	enum reg_err		 rc = REG_OK;

	put_str("file", "f");
	switch (_i / nitems(noent_paths)) {
	case OP_STAT:
		rc = stor_stat(sd, path, &st);
		break;
	case OP_GET:
		rc = stor_get(sd, path, 100, &b);
		break;
	case OP_READ:
		rc = stor_read(sd, path, 0, UINT64_MAX, sink_collect, &b);
		break;
	case OP_REMOVE:
		rc = stor_remove(sd, path);
		break;
	case OP_LIST:
		rc = stor_list(sd, path, list_collect, &l);
		break;
	case OP_TOUCH:
		rc = stor_touch(sd, path);
		break;
	case OP_COPY:
		rc = stor_copy(sd, path, "elsewhere");
		break;
	case OP_USE:
		rc = stor_use(sd, path, &st);
		break;
	case OP_UNUSED:
		rc = stor_remove_unused(sd, path, time(NULL) + 100, &st);
		break;
	case OP_TREE:
		if ((rc = stor_remove_tree(sd, path)) == REG_OK)
			rc = REG_E_NOENT;	/* nothing to remove is fine */
		break;
	case OP_LOCK:
		rc = stor_lock(sd, path, STOR_LOCK_EX, 0, &lk);
		if (sd->ops->lock == NULL && rc == REG_OK && lk == NULL)
			rc = REG_E_NOENT;	/* a null lock */
		break;
	}
	ck_assert_int_eq(rc, REG_E_NOENT);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_int_eq(l.calls, 0);
	ck_assert_int_eq(stor_stat(sd, "elsewhere", &st), REG_E_NOENT);
	buf_release(&b);
}
END_TEST

static const char *bad_paths[] = {
	"../x", "a/../b", "/abs", "a//b", "a/./b", "", "a\n", ".", "..",
	"a/", "a/..", "a b", "a\\b", "%2e%2e/x",
};

START_TEST(test_invalid_path)
{
	struct stor_lock	*lk = (struct stor_lock *)&lk;
	struct stor_stage	*sg = (struct stor_stage *)&sg;
	struct stor_stat	 st;
	struct buf		 b = BUF_INIT;
	const char		*bad = bad_paths[_i];

	put_str("good", "g");
	ck_assert_int_eq(stor_stat(sd, bad, &st), REG_E_IO);
	ck_assert_int_eq(stor_get(sd, bad, 100, &b), REG_E_IO);
	ck_assert_int_eq(stor_put(sd, bad, "x", 1, 0), REG_E_IO);
	ck_assert_int_eq(stor_read(sd, bad, 0, UINT64_MAX, sink_collect, &b),
	    REG_E_IO);
	ck_assert_int_eq(stor_copy(sd, "good", bad), REG_E_IO);
	ck_assert_int_eq(stor_copy(sd, bad, "good"), REG_E_IO);
	ck_assert_int_eq(stor_touch(sd, bad), REG_E_IO);
	ck_assert_int_eq(stor_remove(sd, bad), REG_E_IO);
	ck_assert_int_eq(stor_remove_tree(sd, bad), REG_E_IO);
	ck_assert_int_eq(stor_list(sd, bad, list_collect, NULL), REG_E_IO);
	ck_assert_int_eq(stor_use(sd, bad, &st), REG_E_IO);
	ck_assert_int_eq(stor_remove_unused(sd, bad, 0, &st), REG_E_IO);
	ck_assert_int_eq(stor_lock(sd, bad, STOR_LOCK_EX, 1, &lk), REG_E_IO);
	ck_assert_ptr_null(lk);
	ck_assert_int_eq(stor_local_path(sd, bad, &b), REG_E_IO);
	ck_assert_int_eq(stor_url(sd, bad, 300, &b), REG_E_IO);
	/* Upload ids are uuids, and nothing else. */
	ck_assert_int_eq(stor_stage_create(sd, bad, "s", 1), REG_E_IO);
	ck_assert_int_eq(stor_stage_open(sd, bad, &sg, &b), REG_E_IO);
	ck_assert_ptr_null(sg);
	ck_assert_int_eq(stor_stage_remove(sd, bad, 0), REG_E_IO);
	ck_assert_uint_eq(b.len, 0);
	assert_content("good", "g");
	buf_release(&b);
}
END_TEST

static const struct {
	enum stor_lock_mode	held;
	enum stor_lock_mode	wanted;
	int			blocks;
} lock_cases[] = {
	{ STOR_LOCK_EX, STOR_LOCK_EX, 1 },
	{ STOR_LOCK_EX, STOR_LOCK_SH, 1 },
	{ STOR_LOCK_SH, STOR_LOCK_EX, 1 },
	{ STOR_LOCK_SH, STOR_LOCK_SH, 0 },
};

/*
 * Child: take the lock (and "slot" of it, unless it is NO_SLOT), report
 * 'y' (or 'n' on failure) and quit.
 */
#define NO_SLOT	UINT64_MAX

static void
lock_child(int fd, enum stor_lock_mode mode, uint64_t slot)
{
	struct stor_lock	*lk;
	char			 c;

	c = stor_lock(sd, "locks/l", mode, 0, &lk) == REG_OK &&
	    (slot == NO_SLOT || stor_lock_slot(sd, lk, slot) == REG_OK) ?
	    'y' : 'n';
	if (write(fd, &c, 1) != 1)
		_exit(2);
	stor_unlock(sd, lk);
	_exit(0);
}

static char
lock_wait(int fd, int ms)
{
	struct pollfd	pfd = { fd, POLLIN, 0 };
	char		c;

	if (poll(&pfd, 1, ms) != 1)
		return ('\0');
	if (read(fd, &c, 1) != 1)
		return ('?');
	return (c);
}

/*
 * With "lk" held, a child asks for the lock in "mode" (and "slot" of
 * it): it must wait until "lk" is unlocked if "blocks", else get it at
 * once.  Unlocks "lk".
 */
static void
lock_race(struct stor_lock *lk, enum stor_lock_mode mode, uint64_t slot,
    int blocks)
{
	pid_t	pid;
	int	p[2], status;

	ck_assert_int_eq(pipe(p), 0);
	if ((pid = fork()) == 0) {
		close(p[0]);
		lock_child(p[1], mode, slot);
	}
	ck_assert_int_ne(pid, -1);
	close(p[1]);
	if (blocks) {
		ck_assert_int_eq(lock_wait(p[0], 300), '\0');
		stor_unlock(sd, lk);	/* and its slot with it */
		ck_assert_int_eq(lock_wait(p[0], 10000), 'y');
	} else {
		ck_assert_int_eq(lock_wait(p[0], 10000), 'y');
		stor_unlock(sd, lk);
	}
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

START_TEST(test_lock_exclusion)
{
	struct stor_lock	*lk;

	if (sd->ops->lock == NULL)
		return;	/* a shared driver: stor_noent checks its null lock */

	ck_assert_int_eq(stor_lock(sd, "locks/l", lock_cases[_i].held, 1,
	    &lk), REG_OK);
	lock_race(lk, lock_cases[_i].wanted, NO_SLOT, lock_cases[_i].blocks);
}
END_TEST

/* Slots of a lock held shared: the same one excludes, others do not. */
static const struct {
	uint64_t	held;
	uint64_t	wanted;
	int		blocks;
} slot_cases[] = {
	{ 7, 7, 1 },
	{ 7, 8, 0 },
	{ 0, UINT64_MAX - 1, 0 },
	{ UINT64_MAX - 1, UINT64_MAX - 1, 1 },
};

START_TEST(test_lock_slot)
{
	struct stor_lock	*lk;

	if (sd->ops->lock == NULL)
		return;	/* a shared driver: stor_noent checks its null lock */

	ck_assert_int_eq(stor_lock(sd, "locks/l", STOR_LOCK_SH, 1, &lk),
	    REG_OK);
	ck_assert_int_eq(stor_lock_slot(sd, lk, slot_cases[_i].held), REG_OK);
	lock_race(lk, STOR_LOCK_SH, slot_cases[_i].wanted,
	    slot_cases[_i].blocks);
}
END_TEST

START_TEST(test_lock_create)
{
	struct stor_lock	*lk;

	if (sd->ops->lock == NULL)
		return;	/* a shared driver: stor_noent checks its null lock */

	ck_assert_int_eq(stor_lock(sd, "locks/new", STOR_LOCK_SH, 0, &lk),
	    REG_E_NOENT);
	ck_assert_ptr_null(lk);
	ck_assert_int_eq(stor_lock(sd, "locks/new", STOR_LOCK_EX, 1, &lk),
	    REG_OK);
	stor_unlock(sd, lk);
	ck_assert_int_eq(stor_lock(sd, "locks/new", STOR_LOCK_SH, 0, &lk),
	    REG_OK);
	stor_unlock(sd, lk);
	/* A lock and a removal of its directory do not get in each other's way. */
	ck_assert_int_eq(stor_lock(sd, "locks/new", STOR_LOCK_EX, 0, &lk),
	    REG_OK);
	ck_assert_int_eq(stor_remove_tree(sd, "locks"), REG_OK);
	stor_unlock(sd, lk);
	ck_assert_int_eq(stor_lock(sd, "locks/new", STOR_LOCK_EX, 0, &lk),
	    REG_E_NOENT);
}
END_TEST

char *
stor_test_mkdtemp(void)
{
	const char	*tmp = getenv("TMPDIR");
	char		*dir;

	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	dir = xasprintf("%s/specreg-test-XXXXXX", tmp);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	return (dir);
}

static int
rmtree_one(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return (remove(path) == -1 ? -1 : 0);
}

void
stor_test_rmtree(const char *dir)
{
	if (nftw(dir, rmtree_one, 16, FTW_DEPTH | FTW_PHYS) == -1)
		ck_abort_msg("cannot remove %s", dir);
}

TCase *
stor_conformance_tcase(const struct stor_factory *f)
{
	TCase	*tc;

	factory = f;
	tc = tcase_create(f->name);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_put_get);
	tcase_add_test(tc, test_put_excl);
	tcase_add_test(tc, test_put_empty);
	tcase_add_loop_test(tc, test_read_range, 0, nitems(ranges));
	tcase_add_test(tc, test_read_sink_stops);
	tcase_add_test(tc, test_copy);
	tcase_add_test(tc, test_remove);
	tcase_add_test(tc, test_remove_tree);
	tcase_add_test(tc, test_list);
	tcase_add_test(tc, test_list_pages);
	tcase_add_test(tc, test_touch);
	tcase_add_test(tc, test_stage_append);
	tcase_add_test(tc, test_stage_finish_big);
	tcase_add_test(tc, test_stage_remove);
	tcase_add_test(tc, test_stage_list);
	tcase_add_test(tc, test_stage_list_activity);
	tcase_add_test(tc, test_stage_finish_race);
	tcase_add_test(tc, test_clock);
	tcase_add_test(tc, test_use);
	tcase_add_test(tc, test_hold);
	tcase_add_test(tc, test_remove_unused);
	tcase_add_loop_test(tc, test_noent, 0,
	    OP__COUNT * nitems(noent_paths));
	tcase_add_loop_test(tc, test_invalid_path, 0, nitems(bad_paths));
	tcase_add_loop_test(tc, test_lock_exclusion, 0, nitems(lock_cases));
	tcase_add_loop_test(tc, test_lock_slot, 0, nitems(slot_cases));
	tcase_add_test(tc, test_lock_create);
	return (tc);
}

/* Test helpers for the fs driver. */

void
stor_test_conf(struct conf *c, const char *root)
{
	conf_init(c);
	c->storage = xcalloc(1, sizeof(*c->storage));
	c->storage[0].key = xstrdup("root");
	c->storage[0].value = xstrdup(root);
	c->storage[0].raw = xasprintf("root = %s\n", root);
	c->storage[0].line = 1;
	c->nstorage = 1;
}

struct stor_driver *
stor_test_fs(const char *root)
{
	struct stor_driver	*d;
	struct conf		 c;

	stor_test_conf(&c, root);
	d = stor_open(&c);
	conf_release(&c);
	return (d);
}

struct store *
stor_test_store(const char *root)
{
	struct store	*st;
	struct conf	 c;

	stor_test_conf(&c, root);
	st = store_open(&c);
	conf_release(&c);
	return (st);
}
