/*
 * tests/unit/check_http.c: route matching and HTTP header parsing.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "common/util.h"
#include "fcgi/http.h"
#include "fcgi/route.h"
#include "tests/unit/check_run.h"

static const struct {
	const char	*tail, *path;
	int		 rc;
	const char	*name, *arg;
} routes[] = {
	{ "/manifests/*", "/v2/library/alpine/manifests/3.20", 0,
	  "library/alpine", "3.20" },
	{ "/manifests/*", "/v2/quay.io/org/img/manifests/sha256:ab", 0,
	  "quay.io/org/img", "sha256:ab" },
	{ "/manifests/*", "/v2/alpine/manifests/", -1, NULL, NULL },
	{ "/manifests/*", "/v2/manifests/x", -1, NULL, NULL },
	{ "/blobs/*", "/v2/a/blobs/uploads/x", -1, NULL, NULL },
	{ "/blobs/uploads/*", "/v2/a/blobs/uploads/x", 0, "a", "x" },
	{ "/blobs/uploads/", "/v2/a/b/blobs/uploads/", 0, "a/b", NULL },
	{ "/blobs/uploads/", "/v2/blobs/uploads/", -1, NULL, NULL },
	{ "/tags/list", "/v2//tags/list", -1, NULL, NULL },
	{ "/tags/list", "/v2/a/tags/list/", -1, NULL, NULL },
	{ "/tags/list", "/v3/a/tags/list", -1, NULL, NULL },
	{ "/referrers/*", "/v2/a/referrers/sha256:00", 0, "a", "sha256:00" },
};

START_TEST(test_route_match)
{
	struct route_args	 a;
	int			 rc;

	rc = route_match(routes[_i].tail, routes[_i].path, &a);
	ck_assert_int_eq(rc, routes[_i].rc);
	if (rc == 0) {
		ck_assert(slice_eq(a.name, routes[_i].name));
		if (routes[_i].arg != NULL)
			ck_assert(slice_eq(a.arg, routes[_i].arg));
		else
			ck_assert_uint_eq(a.arg.len, 0);
	}
}
END_TEST

static const char *const stored[] = {
	"application/vnd.oci.image.manifest.v1+json",
	"application/vnd.docker.distribution.manifest.v2+json",
	"application/vnd.oci.image.index.v1+json",
};

static const struct {
	const char	*accept;
	int		 want;
} accepts[] = {
	{ NULL, 0 },
	{ "", 0 },
	{ "*/*", 0 },
	{ "application/vnd.docker.distribution.manifest.v2+json", 1 },
	{ "application/vnd.docker.distribution.manifest.v2+json, "
	  "application/vnd.oci.image.manifest.v1+json", 0 },
	{ "application/vnd.oci.image.manifest.v1+json;q=0.5, "
	  "application/vnd.docker.distribution.manifest.v2+json", 1 },
	{ "application/vnd.oci.image.index.v1+json; q=1.0, */*;q=0.1", 2 },
	{ "application/*;q=0.2, application/vnd.oci.image.index.v1+json", 2 },
	{ "text/plain", -1 },
	{ "*/*;q=0", -1 },
	{ "APPLICATION/VND.OCI.IMAGE.INDEX.V1+JSON", 2 },
	{ "application/json, application/vnd.oci.image.manifest.v1+json;q=0",
	  -1 },
	{ "*/*, application/vnd.oci.image.manifest.v1+json;q=0", 1 },
};

START_TEST(test_accept)
{
	ck_assert_int_eq(accept_choose(accepts[_i].accept, stored,
	    nitems(stored)), accepts[_i].want);
}
END_TEST

static const struct {
	const char	*range;
	uint64_t	 size;
	int		 rc;
	uint64_t	 off, len;
} ranges[] = {
	{ NULL, 10, 0, 0, 0 },
	{ "bytes=0-4", 10, 1, 0, 5 },
	{ "bytes=5-", 10, 1, 5, 5 },
	{ "bytes=-4", 10, 1, 6, 4 },
	{ "bytes=-40", 10, 1, 0, 10 },
	{ "bytes=8-100", 10, 1, 8, 2 },
	{ "bytes=10-", 10, -1, 0, 0 },
	{ "bytes=-0", 10, -1, 0, 0 },
	{ "bytes=5-2", 10, 0, 0, 0 },
	{ "bytes=0-1,3-4", 10, 0, 0, 0 },
	{ "items=0-1", 10, 0, 0, 0 },
	{ "bytes=a-b", 10, 0, 0, 0 },
	{ "bytes=99999999999999999999999-", 10, 0, 0, 0 },
	{ "bytes=0-", 0, -1, 0, 0 },
};

START_TEST(test_range)
{
	uint64_t	off = 0, len = 0;

	ck_assert_int_eq(range_parse(ranges[_i].range, ranges[_i].size, &off,
	    &len), ranges[_i].rc);
	if (ranges[_i].rc == 1) {
		ck_assert_uint_eq(off, ranges[_i].off);
		ck_assert_uint_eq(len, ranges[_i].len);
	}
}
END_TEST

static const struct {
	const char	*s;
	int		 rc;
	uint64_t	 start, end;
} cranges[] = {
	{ "0-99", 0, 0, 99 },
	{ "bytes 100-199/*", 0, 100, 199 },
	{ "bytes=5-5", 0, 5, 5 },
	{ "5-4", -1, 0, 0 },
	{ "-5", -1, 0, 0 },
	{ "5-", -1, 0, 0 },
	{ "x-y", -1, 0, 0 },
	{ "18446744073709551616-1", -1, 0, 0 },
};

START_TEST(test_content_range)
{
	uint64_t	start, end;
	int		rc;

	rc = content_range_parse(cranges[_i].s, &start, &end);
	ck_assert_int_eq(rc, cranges[_i].rc);
	if (rc == 0) {
		ck_assert_uint_eq(start, cranges[_i].start);
		ck_assert_uint_eq(end, cranges[_i].end);
	}
}
END_TEST

int
main(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("http");
	tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_route_match, 0, nitems(routes));
	tcase_add_loop_test(tc, test_accept, 0, nitems(accepts));
	tcase_add_loop_test(tc, test_range, 0, nitems(ranges));
	tcase_add_loop_test(tc, test_content_range, 0, nitems(cranges));
	suite_add_tcase(s, tc);
	return (check_run(s));
}
