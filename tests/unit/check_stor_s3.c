/*
 * tests/unit/check_stor_s3.c: the s3 driver against a real S3 store.
 *
 * Runs the driver conformance suite, each test on a bucket of its own,
 * with listing pages of 5 entries, then the driver's own cases: the
 * trash, abandoned multipart uploads and finishes that assemble parts
 * of every size.  The store is the one at SPECREG_S3_ENDPOINT, with
 * SPECREG_S3_REGION (default us-east-1), SPECREG_S3_ACCESS_KEY and
 * SPECREG_S3_SECRET_KEY; SPECREG_S3_BUCKET, if set, names the buckets'
 * prefix.  Without an endpoint the program skips (exit 77).
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
#include "common/digest.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "net/httpc.h"
#include "storage/driver.h"
#include "storage/s3.h"
#include "tests/unit/check_run.h"
#include "tests/unit/stor_conformance.h"

#define S3_TEST_PAGE	5
#define MIB		(1024 * 1024)

static char	*last_bucket;

static const char *
env_or(const char *name, const char *def)
{
	const char	*v = getenv(name);

	return (v != NULL && *v != '\0' ? v : def);
}

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

/* The [storage] section of a fresh bucket. */
static void
s3_test_conf(struct conf *c)
{
	static unsigned int	 n;
	unsigned int		 r;

	conf_init(c);
	free(c->driver);
	c->driver = xstrdup("s3");
	free(last_bucket);
	/* Random too: a pid comes back, and a store may keep old buckets. */
	random_bytes(&r, sizeof(r));
	last_bucket = xasprintf("%s-%ld-%u-%08x", env_or("SPECREG_S3_BUCKET",
	    "conformance"), (long)getpid(), n++, r);
	conf_pair(c, "endpoint", getenv("SPECREG_S3_ENDPOINT"));
	conf_pair(c, "region", env_or("SPECREG_S3_REGION", "us-east-1"));
	conf_pair(c, "bucket", last_bucket);
	conf_pair(c, "access-key", env_or("SPECREG_S3_ACCESS_KEY",
	    "test:tester"));
	conf_pair(c, "secret-key", env_or("SPECREG_S3_SECRET_KEY",
	    "testing"));
}

static struct stor_driver *
s3_factory_open(void)
{
	struct stor_driver	*sd;
	struct conf		 c;

	s3_test_conf(&c);
	sd = stor_open(&c);
	conf_release(&c);
	ck_assert_ptr_nonnull(sd);
	stor_s3_page(sd, S3_TEST_PAGE);
	ck_assert_int_eq(stor_check(sd, NULL), REG_OK);
	return (sd);
}

static void
s3_factory_close(struct stor_driver *sd)
{
	stor_close(sd);
}

static const struct stor_factory s3_factory = {
	"s3", s3_factory_open, s3_factory_close, 3 * S3_TEST_PAGE + 2
};

/* A client of the last bucket opened, beside the driver. */
static struct s3 *
s3_client(void)
{
	struct s3_conf	 sc;
	struct s3	*s;

	memset(&sc, 0, sizeof(sc));
	sc.endpoint = getenv("SPECREG_S3_ENDPOINT");
	sc.region = env_or("SPECREG_S3_REGION", "us-east-1");
	sc.bucket = last_bucket;
	sc.access_key = env_or("SPECREG_S3_ACCESS_KEY", "test:tester");
	sc.secret_key = env_or("SPECREG_S3_SECRET_KEY", "testing");
	sc.path_style = 1;
	s = s3_new(&sc);
	ck_assert_int_eq(s3_connect(s), REG_OK);
	return (s);
}

static enum reg_err
seen_fn(const char *path, const struct stor_stat *st, void *arg)
{
	(void)st;
	buf_addf(arg, "%s\n", path);
	return (REG_OK);
}

static void
listed_is(struct stor_driver *sd, enum stor_stage_what what,
    const char *want)
{
	struct buf	seen = BUF_INIT;

	ck_assert_int_eq(stor_stage_list(sd, what, seen_fn, &seen), REG_OK);
	buf_addch(&seen, '\0');
	ck_assert_str_eq(seen.buf, want);
	buf_release(&seen);
}

/* The trash, and the liveness records of blobs in neither place. */
START_TEST(test_trash)
{
	struct stor_driver	*sd;
	struct stor_stat	 st;

	sd = s3_factory_open();
	ck_assert_int_eq(stor_put(sd, "blobs/a", "a", 1, 0), REG_OK);
	ck_assert_int_eq(stor_put(sd, "blobs/b", "b", 1, 0), REG_OK);
	ck_assert_int_eq(stor_use(sd, "blobs/a", NULL), REG_OK);
	ck_assert_int_eq(stor_use(sd, "blobs/b", NULL), REG_OK);
	listed_is(sd, STOR_STAGE_TRASH, "");
	ck_assert_int_eq(stor_remove_unused(sd, "blobs/a", time(NULL) + 100,
	    &st), REG_OK);
	listed_is(sd, STOR_STAGE_TRASH, ".trash/blobs/a\n");
	ck_assert_int_eq(stor_remove(sd, ".trash/blobs/a"), REG_OK);
	listed_is(sd, STOR_STAGE_TRASH, ".liveness/blobs/a\n");
	ck_assert_int_eq(stor_use(sd, "blobs/a", &st), REG_E_NOENT);
	ck_assert_int_eq(stor_remove(sd, ".liveness/blobs/a"), REG_OK);
	listed_is(sd, STOR_STAGE_TRASH, "");
	ck_assert_int_eq(stor_stat(sd, "blobs/b", &st), REG_OK);
	s3_factory_close(sd);
}
END_TEST

static enum reg_err
name_fn(const char *name, const struct stor_stat *st, void *arg)
{
	(void)st;
	buf_addf(arg, "%s\n", name);
	return (REG_OK);
}

/* With a key prefix every object lives below it, and lists without it. */
START_TEST(test_prefix)
{
	struct stor_driver	*sd;
	struct stor_stage	*sg;
	struct s3		*s;
	struct s3_stat		 ss;
	struct conf		 c;
	struct buf		 seen = BUF_INIT;
	const char		*uuid = "00112233445566778899aabbccddeeff";

	s3_test_conf(&c);
	conf_pair(&c, "prefix", "pre/");
	sd = stor_open(&c);
	conf_release(&c);
	ck_assert_ptr_nonnull(sd);
	ck_assert_int_eq(stor_put(sd, "blobs/a", "a", 1, 0), REG_OK);
	ck_assert_int_eq(stor_stage_create(sd, uuid, "s", 1), REG_OK);
	ck_assert_int_eq(stor_stage_open(sd, uuid, &sg, &seen), REG_OK);
	ck_assert_int_eq(stor_stage_write(sg, 0, "xyz", 3), REG_OK);
	ck_assert_int_eq(stor_stage_finish(sg, 3, "blobs/b"), REG_OK);
	stor_stage_close(sg);
	buf_reset(&seen);
	ck_assert_int_eq(stor_list(sd, "blobs", name_fn, &seen), REG_OK);
	ck_assert_str_eq(seen.buf, "a\nb\n");
	ck_assert_int_eq(stor_url(sd, "blobs/b", 60, &seen), REG_OK);
	ck_assert_ptr_nonnull(strstr(seen.buf, "/pre/blobs/b?"));

	/* Seen by a client without the prefix. */
	s = s3_client();
	ck_assert_int_eq(s3_head(s, "pre/blobs/a", &ss), REG_OK);
	ck_assert_int_eq(s3_head(s, "pre/blobs/b", &ss), REG_OK);
	ck_assert_uint_eq(ss.size, 3);
	ck_assert_int_eq(s3_head(s, "blobs/a", &ss), REG_E_NOENT);
	s3_free(s);
	buf_release(&seen);
	stor_close(sd);
}
END_TEST

/* A wrong secret: the store refuses, and the driver does not open. */
START_TEST(test_bad_secret)
{
	struct stor_driver	*sd;
	struct conf		 c;
	size_t			 i;

	s3_test_conf(&c);
	for (i = 0; i < c.nstorage; i++)
		if (strcmp(c.storage[i].key, "secret-key") == 0) {
			free(c.storage[i].value);
			c.storage[i].value = xstrdup("not-the-secret");
		}
	sd = stor_open(&c);
	conf_release(&c);
	ck_assert_ptr_null(sd);
}
END_TEST

/* A presigned URL gets the object without credentials, until it ends. */
START_TEST(test_url)
{
	struct stor_driver	*sd;
	struct httpc_opts	 o;
	struct httpc		*c;
	struct buf		 url = BUF_INIT;

	sd = s3_factory_open();
	ck_assert_int_eq(stor_put(sd, "blobs/u", "hello", 5, 0), REG_OK);
	ck_assert_int_eq(stor_url(sd, "blobs/u", 300, &url), REG_OK);
	memset(&o, 0, sizeof(o));
	c = httpc_new("GET", url.buf, &o);
	httpc_recv(c, 1024, 0);
	ck_assert_int_eq(httpc_run(c), 0);
	ck_assert_int_eq(httpc_status(c), 200);
	ck_assert_str_eq(httpc_body(c)->buf, "hello");
	httpc_free(c);
	/* Tampered with: refused. */
	url.buf[url.len - 1] = url.buf[url.len - 1] == '0' ? '1' : '0';
	c = httpc_new("GET", url.buf, &o);
	ck_assert_int_eq(httpc_run(c), 0);
	ck_assert_int_eq(httpc_status(c), 403);
	httpc_free(c);
	buf_release(&url);
	s3_factory_close(sd);
}
END_TEST

/*
 * httpc keeps an error answer's body apart (S3's Code is in it; Swift's
 * proxy answers an unsigned request with an HTML page).
 */
START_TEST(test_error_body)
{
	struct httpc_opts	 o;
	struct httpc		*c;
	struct buf		 url = BUF_INIT;

	buf_addf(&url, "%s/no-such-bucket-%ld/key",
	    getenv("SPECREG_S3_ENDPOINT"), (long)getpid());
	memset(&o, 0, sizeof(o));
	c = httpc_new("GET", url.buf, &o);
	httpc_recv(c, 1024, 0);
	ck_assert_int_eq(httpc_run(c), 0);
	ck_assert_int_ge(httpc_status(c), 400);
	ck_assert_uint_eq(httpc_body(c)->len, 0);
	ck_assert_uint_gt(httpc_error_body(c)->len, 0);
	ck_assert_int_eq(httpc_length(c), (int64_t)httpc_error_body(c)->len);
	ck_assert_uint_le(httpc_error_body(c)->len, HTTPC_ERROR_MAX);
	httpc_free(c);
	buf_release(&url);
}
END_TEST

/* A finish that died left a multipart upload: debris prune aborts. */
START_TEST(test_abandoned_mpu)
{
	struct stor_driver	*sd;
	struct s3		*s;
	struct buf		 id = BUF_INIT, seen = BUF_INIT;

	sd = s3_factory_open();
	listed_is(sd, STOR_STAGE_DEBRIS, "");
	s = s3_client();
	ck_assert_int_eq(s3_mpu_create(s, "blobs/x", &id), REG_OK);
	ck_assert_int_eq(stor_stage_list(sd, STOR_STAGE_DEBRIS, seen_fn,
	    &seen), REG_OK);
	ck_assert_msg(strncmp(seen.buf, ".mpu/", 5) == 0 &&
	    strstr(seen.buf, "/blobs/x\n") != NULL, "debris: %s", seen.buf);
	seen.buf[seen.len - 1] = '\0';
	ck_assert_int_eq(stor_remove(sd, seen.buf), REG_OK);
	listed_is(sd, STOR_STAGE_DEBRIS, "");
	ck_assert_int_eq(stor_remove(sd, seen.buf), REG_E_NOENT);
	buf_release(&seen);
	buf_release(&id);
	s3_free(s);
	s3_factory_close(sd);
}
END_TEST

/* Fill "n" bytes from "seed" (a cheap pattern that differs by offset). */
static void
pattern(unsigned char *p, size_t n, uint64_t from)
{
	size_t	i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(((from + i) * 2654435761u) >> 13);
}

static enum reg_err
hash_sink(const void *p, size_t n, void *arg)
{
	hasher_update(arg, p, n);
	return (REG_OK);
}

/*
 * An upload in sessions of the given sizes (0 ends the list), finished:
 * the object holds every byte in order.
 */
static void
upload_sessions_max(const size_t *sizes, uint64_t copy_max)
{
	struct stor_driver	*sd;
	struct stor_stage	*sg;
	struct buf		 state = BUF_INIT;
	struct hasher		 want, got;
	struct digest		 dw, dg;
	struct stor_stat	 st;
	unsigned char		*chunk;
	uint64_t		 off = 0;
	size_t			 i;
	const char		*uuid = "6f9619ff8b86d011b42d00cf4fc964ff";

	sd = s3_factory_open();
	stor_s3_copy_max(sd, copy_max);
	hasher_init(&want);
	ck_assert_int_eq(stor_stage_create(sd, uuid, "s", 1), REG_OK);
	for (i = 0; sizes[i] != 0; i++) {
		chunk = xmalloc(sizes[i]);
		pattern(chunk, sizes[i], off);
		hasher_update(&want, chunk, sizes[i]);
		buf_reset(&state);
		ck_assert_int_eq(stor_stage_open(sd, uuid, &sg, &state),
		    REG_OK);
		ck_assert_int_eq(stor_stage_write(sg, off, chunk, sizes[i]),
		    REG_OK);
		off += sizes[i];
		if (sizes[i + 1] != 0)
			ck_assert_int_eq(stor_stage_commit(sg, "s", 1),
			    REG_OK);
		else
			ck_assert_int_eq(stor_stage_finish(sg, off,
			    "blobs/done"), REG_OK);
		stor_stage_close(sg);
		free(chunk);
	}
	ck_assert_int_eq(stor_stat(sd, "blobs/done", &st), REG_OK);
	ck_assert_uint_eq(st.size, off);
	hasher_init(&got);
	ck_assert_int_eq(stor_read(sd, "blobs/done", 0, UINT64_MAX,
	    hash_sink, &got), REG_OK);
	hasher_final(&want, &dw);
	hasher_final(&got, &dg);
	ck_assert_str_eq(dw.str, dg.str);
	listed_is(sd, STOR_STAGE_UPLOADS, "");
	listed_is(sd, STOR_STAGE_DEBRIS, "");
	buf_release(&state);
	s3_factory_close(sd);
}

static void
upload_sessions(const size_t *sizes)
{
	upload_sessions_max(sizes, S3_PART_MAX);
}

/*
 * Copies of at most 6 MiB stand for S3's 5 GiB: what a blob over 5 GiB
 * does, on a small scale (parts split into ranges, tails combined).
 */
START_TEST(test_finish_over_copy_max)
{
	static const size_t	sizes[] = { 20 * MIB, 7 * MIB, 0 };

	upload_sessions_max(sizes, 6 * MIB);
}
END_TEST

START_TEST(test_finish_one_over_copy_max)
{
	static const size_t	sizes[] = { 7 * MIB, 0 };

	upload_sessions_max(sizes, 6 * MIB);
}
END_TEST

START_TEST(test_finish_one_part)
{
	static const size_t	sizes[] = { 6 * MIB, 0 };

	upload_sessions(sizes);
}
END_TEST

/* One session of 8 + 8 + 4 MiB part objects. */
START_TEST(test_finish_long_session)
{
	static const size_t	sizes[] = { 20 * MIB, 0 };

	upload_sessions(sizes);
}
END_TEST

START_TEST(test_finish_small_parts)
{
	static const size_t	sizes[] = { 64 * 1024, 1000, 3 * MIB, 7, 0 };

	upload_sessions(sizes);
}
END_TEST

/* Large parts copied, small ones combined, in every order. */
START_TEST(test_finish_mixed)
{
	static const size_t	sizes[] = { 6 * MIB, 100, 2 * MIB,
	    5 * MIB + 3, 3 * MIB, 64 * 1024, 5 * MIB, 11, 0 };

	upload_sessions(sizes);
}
END_TEST

int
main(void)
{
	Suite	*s;
	TCase	*tc;

	if (getenv("SPECREG_S3_ENDPOINT") == NULL) {
		fprintf(stderr, "check_stor_s3: SPECREG_S3_ENDPOINT is not "
		    "set: skipped\n");
		return (77);
	}
	httpc_init();
	s = suite_create("stor_s3");
	suite_add_tcase(s, stor_conformance_tcase(&s3_factory));
	tc = tcase_create("s3-driver");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_trash);
	tcase_add_test(tc, test_bad_secret);
	tcase_add_test(tc, test_prefix);
	tcase_add_test(tc, test_url);
	tcase_add_test(tc, test_error_body);
	tcase_add_test(tc, test_abandoned_mpu);
	tcase_add_test(tc, test_finish_one_part);
	tcase_add_test(tc, test_finish_long_session);
	tcase_add_test(tc, test_finish_small_parts);
	tcase_add_test(tc, test_finish_mixed);
	tcase_add_test(tc, test_finish_over_copy_max);
	tcase_add_test(tc, test_finish_one_over_copy_max);
	suite_add_tcase(s, tc);
	return (check_run(s));
}
