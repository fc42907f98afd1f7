/*
 * tests/unit/check_swift.c: the pure parts of storage/swift.c: listing
 * pages (JSON), TempURL signatures, object paths and /info.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/util.h"
#include "storage/swift.h"
#include "tests/unit/check_run.h"

/* Each entry as one line: "name bytes mtime" or "subdir name". */
static enum reg_err
collect(const struct swift_entry *e, void *arg)
{
	struct buf	*out = arg;

	if (e->subdir)
		buf_addf(out, "subdir %s\n", e->name);
	else
		buf_addf(out, "%s %llu %lld\n", e->name,
		    (unsigned long long)e->bytes, (long long)e->mtime);
	return (REG_OK);
}

static enum reg_err
stop_at_second(const struct swift_entry *e, void *arg)
{
	int	*n = arg;

	(void)e;
	return (++*n == 2 ? REG_E_IO : REG_OK);
}

START_TEST(test_list_parse)
{
	struct buf	out = BUF_INIT, last = BUF_INIT;
	size_t		n;
	enum reg_err	err;
	const char	*page = "["
	    "{\"hash\": \"d41d8cd98f00b204e9800998ecf8427e\", "
	    "\"last_modified\": \"2026-12-05T03:41:11.123450\", "
	    "\"bytes\": 0, \"name\": \"blobs/a\", "
	    "\"content_type\": \"application/octet-stream\"},"
	    "{\"subdir\": \"blobs/sha256/\"},"
	    "{\"hash\": \"x\", \"last_modified\": \"1970-01-02T00:00:00\", "
	    "\"bytes\": 6442450944, \"name\": \"blobs/z \\u00e9\"}]";

	ck_assert_int_eq(swift_list_parse(page, collect, &out, &n, &last,
	    &err), 0);
	ck_assert_int_eq(err, REG_OK);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(out.buf, "blobs/a 0 1796442071\n"
	    "subdir blobs/sha256/\n"
	    "blobs/z \xc3\xa9 6442450944 86400\n");
	ck_assert_str_eq(last.buf, "blobs/z \xc3\xa9");
	/* An empty page: nothing, no marker. */
	buf_reset(&out);
	ck_assert_int_eq(swift_list_parse("[]", collect, &out, &n, &last,
	    &err), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_str_eq(last.buf, "");
	buf_release(&out);
	buf_release(&last);
}
END_TEST

START_TEST(test_list_parse_stop)
{
	struct buf	last = BUF_INIT;
	size_t		n;
	int		calls = 0;
	enum reg_err	err;

	ck_assert_int_eq(swift_list_parse("[{\"subdir\": \"a/\"},"
	    "{\"subdir\": \"b/\"}, {\"subdir\": \"c/\"}]", stop_at_second,
	    &calls, &n, &last, &err), 0);
	ck_assert_int_eq(err, REG_E_IO);
	ck_assert_int_eq(calls, 2);
	ck_assert_str_eq(last.buf, "b/");
	buf_release(&last);
}
END_TEST

static const char *const bad_pages[] = {
	"",
	"{}",
	"[1]",
	"[{\"name\": \"a\", \"bytes\": 1}]",
	"[{\"name\": \"a\", \"bytes\": -1, "
	    "\"last_modified\": \"2026-12-05T03:41:11\"}]",
	"[{\"name\": \"a\", \"bytes\": \"1\", "
	    "\"last_modified\": \"2026-12-05T03:41:11\"}]",
	"[{\"name\": \"a\", \"bytes\": 1, \"last_modified\": \"yesterday\"}]",
	"[{\"name\": 7, \"bytes\": 1, "
	    "\"last_modified\": \"2026-12-05T03:41:11\"}]",
	"[{\"subdir\": null}]",
	"[{\"name\": \"a\", \"bytes\": 1, "
	    "\"last_modified\": \"2026-12-05T03:41:11\"}",
};

START_TEST(test_list_parse_bad)
{
	struct buf	out = BUF_INIT, last = BUF_INIT;
	size_t		n;
	enum reg_err	err;

	ck_assert_int_eq(swift_list_parse(bad_pages[_i], collect, &out, &n,
	    &last, &err), -1);
	buf_release(&out);
	buf_release(&last);
}
END_TEST

/*
 * The expected values were computed independently with Python's hmac
 * module: hmac.new(KEY, "METHOD\nEXPIRES\nPATH".encode(),
 * hashlib.sha256).hexdigest().  The second one was also accepted by a
 * Swift 2.30 tempurl middleware (t0960-swift-client.sh checks that
 * live).
 */
static const struct {
	const char	*key, *method, *path;
	time_t		 expires;
	const char	*sig;
} sigs[] = {
	{ "mykey", "GET", "/v1/AUTH_account/container/object", 1440619048,
	  "9ef8c448d4184fd16dd4013a1e3349149f895555655621dbf6d6a166f585af72" },
	{ "k3y", "GET", "/v1/AUTH_test/sc1/t/a b+c", 1796442553,
	  "0779a24682d621800d3b5e64499a62d626c696849db088505b781f9b204bdcc1" },
};

START_TEST(test_tempurl_sig)
{
	char	sig[65];

	swift_tempurl_sig(sigs[_i].key, sigs[_i].method, sigs[_i].expires,
	    sigs[_i].path, sig);
	ck_assert_str_eq(sig, sigs[_i].sig);
}
END_TEST

static const struct {
	const char	*container, *name, *path;
} paths[] = {
	{ "specreg", "blobs/sha256/ab/abcd", "/specreg/blobs/sha256/ab/abcd" },
	{ "c", NULL, "/c" },
	{ "my container", "a b/c+d%e?f#g&h=i",
	  "/my%20container/a%20b/c%2Bd%25e%3Ff%23g%26h%3Di" },
	{ "c/x", "\xc3\xa9~._-", "/c%2Fx/%C3%A9~._-" },
};

START_TEST(test_object_path)
{
	struct buf	b = BUF_INIT;

	swift_object_path(&b, paths[_i].container, paths[_i].name);
	ck_assert_str_eq(b.buf, paths[_i].path);
	buf_release(&b);
}
END_TEST

static const struct {
	const char	*json;
	int		 rc;
	uint64_t	 size, segs;
} infos[] = {
	{ "{\"swift\": {\"max_file_size\": 16777216, \"version\": "
	    "\"2.30.1\"}, \"slo\": {\"max_manifest_segments\": 10000}}",
	    0, 16777216, 10000 },
	{ "{\"swift\": {\"max_file_size\": 5368709122}}", 0,
	    SWIFT_MAX_FILE_SIZE, SWIFT_MAX_SEGMENTS },
	{ "{}", 0, SWIFT_MAX_FILE_SIZE, SWIFT_MAX_SEGMENTS },
	{ "{\"swift\": {\"max_file_size\": \"big\"}}", -1, 0, 0 },
	{ "{\"swift\": {\"max_file_size\": 0}}", -1, 0, 0 },
	{ "{\"slo\": []}", -1, 0, 0 },
	{ "[1]", -1, 0, 0 },
	{ "not json", -1, 0, 0 },
};

START_TEST(test_info_parse)
{
	struct swift_limits	l;

	ck_assert_int_eq(swift_info_parse(infos[_i].json, &l), infos[_i].rc);
	if (infos[_i].rc == 0) {
		ck_assert_uint_eq(l.max_file_size, infos[_i].size);
		ck_assert_uint_eq(l.max_segments, infos[_i].segs);
	}
}
END_TEST

int
main(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("swift");
	tc = tcase_create("list");
	tcase_add_test(tc, test_list_parse);
	tcase_add_test(tc, test_list_parse_stop);
	tcase_add_loop_test(tc, test_list_parse_bad, 0, nitems(bad_pages));
	suite_add_tcase(s, tc);
	tc = tcase_create("tempurl");
	tcase_add_loop_test(tc, test_tempurl_sig, 0, nitems(sigs));
	suite_add_tcase(s, tc);
	tc = tcase_create("path");
	tcase_add_loop_test(tc, test_object_path, 0, nitems(paths));
	tcase_add_loop_test(tc, test_info_parse, 0, nitems(infos));
	suite_add_tcase(s, tc);
	return (check_run(s));
}
