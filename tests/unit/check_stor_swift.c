/*
 * tests/unit/check_stor_swift.c: the swift driver against a real Swift.
 *
 * Runs the driver conformance suite, each test on a container of its
 * own, with listing pages of 5 entries.  The Swift is the one at
 * SPECREG_SWIFT_AUTH (an auth v1.0 URL; user test:tester, key testing):
 * t0961-swift-conformance.sh starts one.  Without it the program skips
 * (exit 77).
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/conf.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "net/httpc.h"
#include "storage/driver.h"
#include "storage/swift.h"
#include "tests/unit/check_run.h"
#include "tests/unit/stor_conformance.h"

#define SWIFT_TEST_PAGE	5
#define UUID		"0f1e2d3c4b5a46978877665544332211"

static void
conf_pair(struct conf *c, const char *key, const char *value)
{
	struct conf_pair	*p;

	c->storage = xreallocarray(c->storage, c->nstorage + 1,
	    sizeof(*c->storage));
	p = &c->storage[c->nstorage++];
	memset(p, 0, sizeof(*p));
	p->key = xstrdup(key);
	p->value = xstrdup(value);
	p->raw = xasprintf("%s = %s\n", key, value);
	p->line = (int)c->nstorage;
}

static struct stor_driver *
swift_factory_open(void)
{
	static unsigned int	 n;
	struct stor_driver	*sd;
	struct conf		 c;
	char			*container;

	conf_init(&c);
	free(c.driver);
	c.driver = xstrdup("swift");
	container = xasprintf("conformance-%ld-%u", (long)getpid(), n++);
	conf_pair(&c, "auth-url", getenv("SPECREG_SWIFT_AUTH"));
	conf_pair(&c, "username", "test:tester");
	conf_pair(&c, "password", "testing");
	conf_pair(&c, "container", container);
	sd = stor_open(&c);
	conf_release(&c);
	free(container);
	ck_assert_ptr_nonnull(sd);
	stor_swift_page(sd, SWIFT_TEST_PAGE);
	ck_assert_int_eq(stor_check(sd, NULL), REG_OK);
	return (sd);
}

static void
swift_factory_close(struct stor_driver *sd)
{
	stor_close(sd);
}

static const struct stor_factory swift_factory = {
	"swift", swift_factory_open, swift_factory_close,
	3 * SWIFT_TEST_PAGE + 2
};

static enum reg_err
debris_seen(const char *path, const struct stor_stat *st, void *arg)
{
	(void)st;
	buf_addf(arg, "%s\n", path);
	return (REG_OK);
}

/* What stage_list(STOR_STAGE_TRASH) names, one path a line. */
static void
debris_is(struct stor_driver *sd, const char *want)
{
	struct buf	seen = BUF_INIT;

	ck_assert_int_eq(stor_stage_list(sd, STOR_STAGE_DEBRIS, debris_seen,
	    &seen), REG_OK);
	ck_assert_uint_eq(seen.len, 0);		/* fsck's: none on Swift */
	ck_assert_int_eq(stor_stage_list(sd, STOR_STAGE_TRASH, debris_seen,
	    &seen), REG_OK);
	buf_addch(&seen, '\0');
	ck_assert_str_eq(seen.buf, want);
	buf_release(&seen);
}

/* The trash, and the liveness records of blobs in neither place. */
START_TEST(test_debris)
{
	struct stor_driver	*sd;
	struct stor_stat	 st;

	sd = swift_factory_open();
	ck_assert_int_eq(stor_put(sd, "blobs/a", "a", 1, 0), REG_OK);
	ck_assert_int_eq(stor_put(sd, "blobs/b", "b", 1, 0), REG_OK);
	ck_assert_int_eq(stor_use(sd, "blobs/a", NULL), REG_OK);
	ck_assert_int_eq(stor_use(sd, "blobs/b", NULL), REG_OK);
	debris_is(sd, "");
	ck_assert_int_eq(stor_remove_unused(sd, "blobs/a", time(NULL) + 100,
	    &st), REG_OK);
	debris_is(sd, ".trash/blobs/a\n");
	ck_assert_int_eq(stor_remove(sd, ".trash/blobs/a"), REG_OK);
	debris_is(sd, ".liveness/blobs/a\n");
	ck_assert_int_eq(stor_use(sd, "blobs/a", &st), REG_E_NOENT);
	debris_is(sd, ".liveness/blobs/a\n");
	ck_assert_int_eq(stor_remove(sd, ".liveness/blobs/a"), REG_OK);
	debris_is(sd, "");
	ck_assert_int_eq(stor_stat(sd, "blobs/b", &st), REG_OK);
	swift_factory_close(sd);
}
END_TEST

static enum reg_err
upload_seen(const char *uuid, const struct stor_stat *st, void *arg)
{
	(void)st;
	buf_addf(arg, "%s\n", uuid);
	return (REG_OK);
}

/*
 * prune cannot wait for a part that still streams: it removes the
 * upload, and the session's commit (or finish) then finds it gone and
 * leaves nothing behind instead of bringing back a state whose bytes
 * are gone.
 */
START_TEST(test_remove_while_streaming)
{
	struct stor_driver	*sd;
	struct stor_stage	*sg;
	struct buf		 state = BUF_INIT, seen = BUF_INIT;
	int			 finish = _i;

	sd = swift_factory_open();
	ck_assert_int_eq(stor_stage_create(sd, UUID, "s0", 2), REG_OK);
	ck_assert_int_eq(stor_stage_open(sd, UUID, &sg, &state), REG_OK);
	ck_assert_int_eq(stor_stage_write(sg, 0, "abc", 3), REG_OK);
	ck_assert_int_eq(stor_stage_commit(sg, "s3", 2), REG_OK);
	stor_stage_close(sg);
	ck_assert_int_eq(stor_stage_open(sd, UUID, &sg, &state), REG_OK);
	ck_assert_int_eq(stor_stage_write(sg, 3, "def", 3), REG_OK);
	ck_assert_int_eq(stor_stage_remove(sd, UUID, time(NULL) + 100),
	    REG_OK);
	ck_assert_int_eq(stor_stage_write(sg, 6, "ghi", 3), REG_OK);
	if (finish)
		ck_assert_int_eq(stor_stage_finish(sg, 9, "blobs/f"),
		    REG_E_NOENT);
	else
		ck_assert_int_eq(stor_stage_commit(sg, "s9", 2), REG_E_NOENT);
	stor_stage_close(sg);
	ck_assert_int_eq(stor_stage_list(sd, STOR_STAGE_UPLOADS, upload_seen,
	    &seen), REG_OK);
	buf_addch(&seen, '\0');
	ck_assert_str_eq(seen.buf, "");
	buf_reset(&state);
	ck_assert_int_eq(stor_stage_open(sd, UUID, &sg, &state),
	    REG_E_NOENT);
	buf_release(&seen);
	buf_release(&state);
	swift_factory_close(sd);
}
END_TEST

int
main(void)
{
	Suite	*s;
	TCase	*tc;

	if (getenv("SPECREG_SWIFT_AUTH") == NULL) {
		fprintf(stderr, "check_stor_swift: SPECREG_SWIFT_AUTH is not "
		    "set: skipped\n");
		return (77);
	}
	httpc_init();
	s = suite_create("stor_swift");
	suite_add_tcase(s, stor_conformance_tcase(&swift_factory));
	tc = tcase_create("swift");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_debris);
	tcase_add_loop_test(tc, test_remove_while_streaming, 0, 2);
	suite_add_tcase(s, tc);
	return (check_run(s));
}
