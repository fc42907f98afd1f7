/*
 * tests/unit/check_common.c: buf, util and digest.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/digest.h"
#include "common/util.h"

START_TEST(test_buf_addf)
{
	struct buf	b = BUF_INIT;

	buf_addf(&b, "%s-%d", "a", 42);
	buf_addch(&b, '!');
	ck_assert_str_eq(b.buf, "a-42!");
	ck_assert_uint_eq(b.len, 5);
	buf_release(&b);
	ck_assert_str_eq(b.buf, "");
}
END_TEST

static const struct {
	const char	*name;
	int		 valid;
} names[] = {
	{ "library/alpine", 1 },
	{ "quay.io/org/img", 1 },
	{ "a__b/c--d.e", 1 },
	{ "a___b", 0 },
	{ "A/b", 0 },
	{ "a//b", 0 },
	{ "a/", 0 },
	{ "/a", 0 },
	{ "a/../b", 0 },
	{ "..", 0 },
	{ "a/.b", 0 },
	{ "a%2fb", 0 },
	{ "", 0 },
};

START_TEST(test_name_valid)
{
	ck_assert_int_eq(name_valid(names[_i].name, strlen(names[_i].name)),
	    names[_i].valid);
}
END_TEST

START_TEST(test_digest_parse)
{
	struct digest	d;
	const char	*ok = "sha256:"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

	ck_assert_int_eq(digest_parse(ok, strlen(ok), &d), 0);
	ck_assert_str_eq(d.hex, ok + 7);
	ck_assert_int_eq(digest_parse("sha256:abc", 10, &d), -1);
	digest_of(DIGEST_SHA256, "", 0, &d);
	ck_assert_str_eq(d.str, ok);
}
END_TEST

int
main(void)
{
	Suite	*s;
	TCase	*tc;
	SRunner	*sr;
	int	 nfailed;

	s = suite_create("common");
	tc = tcase_create("core");
	tcase_add_test(tc, test_buf_addf);
	tcase_add_loop_test(tc, test_name_valid, 0, nitems(names));
	tcase_add_test(tc, test_digest_parse);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	nfailed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (nfailed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
