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
#include <sys/wait.h>
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
#define UUID_B		"1f1e2d3c4b5a46978877665544332211"
/* Above the driver's SWIFT_SLO_MIN: an SLO of the upload's parts. */
#define SLO_SIZE	(9 * 1024 * 1024)
#define SLO_BLOB	"blobs/sha256/ab/abcd"
#define SLO_RACERS	4

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
swift_container_open(const char *container)
{
	struct stor_driver	*sd;
	struct conf		 c;

	conf_init(&c);
	free(c.driver);
	c.driver = xstrdup("swift");
	conf_pair(&c, "auth-url", getenv("SPECREG_SWIFT_AUTH"));
	conf_pair(&c, "username", "test:tester");
	conf_pair(&c, "password", "testing");
	conf_pair(&c, "container", container);
	sd = stor_open(&c);
	conf_release(&c);
	ck_assert_ptr_nonnull(sd);
	stor_swift_page(sd, SWIFT_TEST_PAGE);
	ck_assert_int_eq(stor_check(sd, NULL), REG_OK);
	return (sd);
}

static char *
swift_container_name(void)
{
	static unsigned int	n;

	return (xasprintf("conformance-%ld-%u", (long)getpid(), n++));
}

static struct stor_driver *
swift_factory_open(void)
{
	struct stor_driver	*sd;
	char			*container;

	container = swift_container_name();
	sd = swift_container_open(container);
	free(container);
	return (sd);
}

/* The same container through the client: what the driver hides. */
static struct swift *
swift_raw_open(const char *container)
{
	struct swift_conf	 sc;
	struct swift		*s;

	memset(&sc, 0, sizeof(sc));
	sc.auth_url = getenv("SPECREG_SWIFT_AUTH");
	sc.username = "test:tester";
	sc.password = "testing";
	sc.container = container;
	s = swift_new(&sc);
	ck_assert_int_eq(swift_connect(s), REG_OK);
	return (s);
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

static enum reg_err
name_seen(const struct swift_entry *e, void *arg)
{
	buf_addf(arg, "%s\n", e->name);
	return (REG_OK);
}

/* The names under "prefix", one a line. */
static void
names_are(struct swift *s, const char *prefix, const char *want)
{
	struct buf	seen = BUF_INIT;

	ck_assert_int_eq(swift_list(s, prefix, NULL, name_seen, &seen),
	    REG_OK);
	ck_assert_str_eq(seen.buf, want);
	buf_release(&seen);
}

/* What stage_list(STOR_STAGE_DEBRIS) names, one path a line. */
static void
segments_debris_are(struct stor_driver *sd, const char *want)
{
	struct buf	seen = BUF_INIT;

	ck_assert_int_eq(stor_stage_list(sd, STOR_STAGE_DEBRIS, debris_seen,
	    &seen), REG_OK);
	ck_assert_str_eq(seen.buf, want);
	buf_release(&seen);
}

static char *
slo_data(void)
{
	char	*p = xmalloc(SLO_SIZE);
	size_t	 i;

	for (i = 0; i < SLO_SIZE; i++)
		p[i] = (char)(i * 7 + i / 4096);
	return (p);
}

/* An upload of the bytes, in one session still open. */
static struct stor_stage *
slo_upload(struct stor_driver *sd, const char *uuid, const char *data)
{
	struct stor_stage	*sg;
	struct buf		 state = BUF_INIT;

	ck_assert_int_eq(stor_stage_create(sd, uuid, "s0", 2), REG_OK);
	ck_assert_int_eq(stor_stage_open(sd, uuid, &sg, &state), REG_OK);
	ck_assert_int_eq(stor_stage_write(sg, 0, data, SLO_SIZE), REG_OK);
	buf_release(&state);
	return (sg);
}

static void
slo_finish(struct stor_driver *sd, const char *uuid, const char *data)
{
	struct stor_stage	*sg = slo_upload(sd, uuid, data);

	ck_assert_int_eq(stor_stage_finish(sg, SLO_SIZE, SLO_BLOB), REG_OK);
	stor_stage_close(sg);
}

static enum reg_err
bytes_seen(const void *p, size_t n, void *arg)
{
	buf_add(arg, p, n);
	return (REG_OK);
}

/* The blob holds the bytes and is an SLO over the set "uuid". */
static void
slo_is(struct stor_driver *sd, struct swift *s, const char *uuid,
    const char *data)
{
	struct swift_stat	st;
	struct buf		b = BUF_INIT;

	ck_assert_int_eq(swift_head(s, SLO_BLOB, &st), REG_OK);
	ck_assert_int_eq(st.slo, 1);
	ck_assert_str_eq(st.set, uuid);
	ck_assert_int_eq(stor_read(sd, SLO_BLOB, 0, UINT64_MAX, bytes_seen,
	    &b), REG_OK);
	ck_assert_uint_eq(b.len, SLO_SIZE);
	ck_assert(memcmp(b.buf, data, SLO_SIZE) == 0);
	buf_reset(&b);
	ck_assert_int_eq(stor_read(sd, SLO_BLOB, SLO_SIZE - 10, 5, bytes_seen,
	    &b), REG_OK);
	ck_assert_uint_eq(b.len, 5);
	ck_assert(memcmp(b.buf, data + SLO_SIZE - 10, 5) == 0);
	buf_release(&b);
}

#define SET(u)	".segments/" u "/00000000000000000000\n.segments/" u "/blob\n"

/*
 * A finish writes the bytes once: the blob is a manifest over the
 * upload's part.  A second upload of the same bytes keeps it and drops
 * its own part; prune has no debris to sweep.
 */
START_TEST(test_slo_once)
{
	struct stor_driver	*sd;
	struct swift		*s;
	char			*container, *data;

	container = swift_container_name();
	sd = swift_container_open(container);
	s = swift_raw_open(container);
	data = slo_data();
	slo_finish(sd, UUID, data);
	slo_is(sd, s, UUID, data);
	names_are(s, ".segments/", SET(UUID));
	names_are(s, "uploads/", "");
	slo_finish(sd, UUID_B, data);
	slo_is(sd, s, UUID, data);
	names_are(s, ".segments/", SET(UUID));
	names_are(s, "uploads/", "");
	debris_is(sd, "");
	/* What is not an upload's set is never debris. */
	ck_assert_int_eq(swift_put(s, ".segments/" SLO_BLOB "/" UUID_B "/0",
	    "x", 1, 0, NULL), REG_OK);
	segments_debris_are(sd, "");
	free(data);
	swift_free(s);
	swift_factory_close(sd);
	free(container);
}
END_TEST

/*
 * Emptying the trash of an SLO blob removes its segments, unless the
 * blob was used since it went there (a use() may be copying it back):
 * then they stay, as debris once no manifest names them.
 */
START_TEST(test_slo_trash)
{
	struct stor_driver	*sd;
	struct stor_stat	 st;
	struct swift		*s;
	char			*container, *data;
	int			 used = _i;

	container = swift_container_name();
	sd = swift_container_open(container);
	s = swift_raw_open(container);
	data = slo_data();
	slo_finish(sd, UUID, data);
	ck_assert_int_eq(stor_remove_unused(sd, SLO_BLOB, time(NULL) + 100,
	    &st), REG_OK);
	segments_debris_are(sd, "");
	if (used)
		ck_assert_int_eq(swift_put(s, ".liveness/" SLO_BLOB, "", 0, 0,
		    NULL), REG_OK);
	ck_assert_int_eq(stor_remove(sd, ".trash/" SLO_BLOB), REG_OK);
	names_are(s, ".segments/", used ? SET(UUID) : "");
	segments_debris_are(sd, used ? SET(UUID) : "");
	free(data);
	swift_free(s);
	swift_factory_close(sd);
	free(container);
}
END_TEST

/*
 * An upload's parts go with it; once a finish named their blob they
 * stay for the manifest, and are debris while no manifest names them.
 */
START_TEST(test_slo_upload_removed)
{
	struct stor_driver	*sd;
	struct stor_stage	*sg;
	struct swift		*s;
	char			*container, *data;
	int			 named = _i;

	container = swift_container_name();
	sd = swift_container_open(container);
	s = swift_raw_open(container);
	data = slo_data();
	sg = slo_upload(sd, UUID, data);
	ck_assert_int_eq(stor_stage_commit(sg, "s9", 2), REG_OK);
	stor_stage_close(sg);
	if (named)
		ck_assert_int_eq(swift_put(s, ".segments/" UUID "/blob",
		    SLO_BLOB, strlen(SLO_BLOB), 0, NULL), REG_OK);
	segments_debris_are(sd, "");
	ck_assert_int_eq(stor_stage_remove(sd, UUID, time(NULL) + 100),
	    REG_OK);
	names_are(s, "uploads/", "");
	names_are(s, ".segments/", named ? SET(UUID) : "");
	segments_debris_are(sd, named ? SET(UUID) : "");
	free(data);
	swift_free(s);
	swift_factory_close(sd);
	free(container);
}
END_TEST

/*
 * The sets are the one "named" and debris, none of it named's:
 * Swift's create-only PUT may take two at once, and the replaced one's
 * set is left for prune.
 */
static void
sets_are(struct stor_driver *sd, struct swift *s, const char *named)
{
	struct buf	seen = BUF_INIT, debris = BUF_INIT;

	ck_assert_int_eq(swift_list(s, ".segments/", NULL, name_seen, &seen),
	    REG_OK);
	ck_assert_int_eq(stor_stage_list(sd, STOR_STAGE_DEBRIS, debris_seen,
	    &debris), REG_OK);
	ck_assert_ptr_nonnull(strstr(seen.buf, named));
	ck_assert_ptr_null(strstr(debris.buf, named));
	ck_assert_uint_eq(seen.len, strlen(named) + debris.len);
	buf_release(&debris);
	buf_release(&seen);
}

/* One racer: its own client and upload, the finish when "go" closes. */
static void
slo_racer(const char *container, int i, int ready, int go)
{
	struct stor_driver	*sd;
	struct stor_stage	*sg;
	char			*data, uuid[] = UUID, c = 'r';
	enum reg_err		 err;

	uuid[0] = (char)('a' + i);
	sd = swift_container_open(container);
	data = slo_data();
	sg = slo_upload(sd, uuid, data);
	if (write(ready, &c, 1) != 1 || read(go, &c, 1) != 0)
		_exit(2);
	err = stor_stage_finish(sg, SLO_SIZE, SLO_BLOB);
	stor_stage_close(sg);
	_exit(err == REG_OK ? 0 : 1);
}

/*
 * Finishes of the same blob at once: every one succeeds, the blob is
 * whole and one set of segments stays, the one its manifest names.
 */
START_TEST(test_slo_race)
{
	struct stor_driver	*sd;
	struct swift_stat	 st;
	struct swift		*s;
	struct buf		 want = BUF_INIT;
	char			*container, *data, c;
	int			 ready[2], go[2], i, status;
	pid_t			 pid[SLO_RACERS];

	container = swift_container_name();
	sd = swift_container_open(container);
	s = swift_raw_open(container);
	ck_assert_int_eq(pipe(ready), 0);
	ck_assert_int_eq(pipe(go), 0);
	for (i = 0; i < SLO_RACERS; i++)
		if ((pid[i] = fork()) == 0) {
			close(go[1]);
			slo_racer(container, i, ready[1], go[0]);
		}
	close(go[0]);
	for (i = 0; i < SLO_RACERS; i++)
		ck_assert_int_eq(read(ready[0], &c, 1), 1);
	close(go[1]);
	for (i = 0; i < SLO_RACERS; i++) {
		ck_assert_int_eq(waitpid(pid[i], &status, 0), pid[i]);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	data = slo_data();
	ck_assert_int_eq(swift_head(s, SLO_BLOB, &st), REG_OK);
	slo_is(sd, s, st.set, data);
	buf_addf(&want, ".segments/%s/00000000000000000000\n"
	    ".segments/%s/blob\n", st.set, st.set);
	sets_are(sd, s, want.buf);
	names_are(s, "uploads/", "");
	close(ready[0]);
	close(ready[1]);
	buf_release(&want);
	free(data);
	swift_free(s);
	swift_factory_close(sd);
	free(container);
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
	tcase_add_test(tc, test_slo_once);
	tcase_add_loop_test(tc, test_slo_trash, 0, 2);
	tcase_add_loop_test(tc, test_slo_upload_removed, 0, 2);
	tcase_add_loop_test(tc, test_slo_race, 0, 3);
	suite_add_tcase(s, tc);
	return (check_run(s));
}
