/*
 * tests/unit/check_sigv4.c: net/sigv4.c against the published AWS
 * Signature Version 4 test vectors (aws-sig-v4-test-suite: the cases
 * that apply to S3, which does not normalize paths) and the examples of
 * AWS's S3 documentation (a GET with a Range, a presigned URL).
 */
#include "config.h"

#include <check.h>
#include <string.h>

#include "common/buf.h"
#include "common/util.h"
#include "net/sigv4.h"
#include "tests/unit/check_run.h"

/* 2015-08-30T12:36:00Z, the time of the test suite. */
#define SUITE_TIME	1440938160
/* 2013-05-24T00:00:00Z, the time of the S3 examples. */
#define S3_TIME		1369353600

static const struct sigv4_cred suite_cred = {
	"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL,
	"us-east-1", "service"
};

static const struct sigv4_cred s3_cred = {
	"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	NULL, "us-east-1", "s3"
};

#define HOST	"Host:example.amazonaws.com"
#define DATE	"X-Amz-Date:20150830T123600Z"
#define CRED	"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/" \
		"us-east-1/service/aws4_request, SignedHeaders="

struct vector {
	const char	*name;
	const char	*method;
	const char	*path;
	const char	*query;
	const char	*headers[6];
	const char	*payload;
	const char	*creq;		/* NULL: not checked */
	const char	*authz;
};

static const struct vector vectors[] = {
	{ "get-vanilla", "GET", "/", NULL, { HOST, DATE },
	    SIGV4_EMPTY_SHA256,
	    "GET\n/\n\nhost:example.amazonaws.com\n"
	    "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
	    SIGV4_EMPTY_SHA256,
	    CRED "host;x-amz-date, Signature="
	    "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" },
	{ "get-vanilla-empty-query-key", "GET", "/", "Param1=value1",
	    { HOST, DATE }, SIGV4_EMPTY_SHA256, NULL,
	    CRED "host;x-amz-date, Signature="
	    "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb" },
	{ "get-vanilla-query-order-key", "GET", "/",
	    "Param1=value2&Param1=Value1", { HOST, DATE },
	    SIGV4_EMPTY_SHA256, NULL,
	    CRED "host;x-amz-date, Signature="
	    "eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1" },
	{ "get-vanilla-query-order-key-case", "GET", "/",
	    "Param2=value2&Param1=value1", { HOST, DATE },
	    SIGV4_EMPTY_SHA256, NULL,
	    CRED "host;x-amz-date, Signature="
	    "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500" },
	{ "get-vanilla-query-order-value", "GET", "/",
	    "Param1=value2&Param1=value1", { HOST, DATE },
	    SIGV4_EMPTY_SHA256, NULL,
	    CRED "host;x-amz-date, Signature="
	    "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694" },
	{ "get-vanilla-query-unreserved", "GET", "/",
	    "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz="
	    "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
	    { HOST, DATE }, SIGV4_EMPTY_SHA256, NULL,
	    CRED "host;x-amz-date, Signature="
	    "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197" },
	{ "get-vanilla-utf8-query", "GET", "/", "\xe1\x88\xb4=bar",
	    { HOST, DATE }, SIGV4_EMPTY_SHA256,
	    "GET\n/\n%E1%88%B4=bar\nhost:example.amazonaws.com\n"
	    "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
	    SIGV4_EMPTY_SHA256,
	    CRED "host;x-amz-date, Signature="
	    "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04" },
	{ "get-unreserved", "GET",
	    "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
	    NULL, { HOST, DATE }, SIGV4_EMPTY_SHA256, NULL,
	    CRED "host;x-amz-date, Signature="
	    "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f" },
	{ "get-utf8", "GET", "/\xe1\x88\xb4", NULL, { HOST, DATE },
	    SIGV4_EMPTY_SHA256, NULL,
	    CRED "host;x-amz-date, Signature="
	    "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85" },
	/* The same, the path already encoded (lower-case hex). */
	{ "get-utf8 (encoded)", "GET", "/%e1%88%b4", NULL, { HOST, DATE },
	    SIGV4_EMPTY_SHA256, NULL,
	    CRED "host;x-amz-date, Signature="
	    "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85" },
	{ "get-header-key-duplicate", "GET", "/", NULL,
	    { HOST, "My-Header1:value2", "My-Header1:value2",
	    "My-Header1:value1", DATE }, SIGV4_EMPTY_SHA256,
	    "GET\n/\n\nhost:example.amazonaws.com\n"
	    "my-header1:value2,value2,value1\nx-amz-date:20150830T123600Z\n\n"
	    "host;my-header1;x-amz-date\n" SIGV4_EMPTY_SHA256,
	    CRED "host;my-header1;x-amz-date, Signature="
	    "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea" },
	{ "get-header-value-order", "GET", "/", NULL,
	    { HOST, "My-Header1:value4", "My-Header1:value1",
	    "My-Header1:value3", "My-Header1:value2", DATE },
	    SIGV4_EMPTY_SHA256, NULL,
	    CRED "host;my-header1;x-amz-date, Signature="
	    "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01" },
	{ "get-header-value-trim", "GET", "/", NULL,
	    { HOST, "My-Header1: value1", "My-Header2: \"a   b   c\"", DATE },
	    SIGV4_EMPTY_SHA256, NULL,
	    CRED "host;my-header1;my-header2;x-amz-date, Signature="
	    "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736" },
	{ "post-header-key-sort", "POST", "/", NULL,
	    { HOST, "My-Header1:value1", DATE }, SIGV4_EMPTY_SHA256, NULL,
	    CRED "host;my-header1;x-amz-date, Signature="
	    "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c" },
	{ "post-header-value-case", "POST", "/", NULL,
	    { HOST, "My-Header1:VALUE1", DATE }, SIGV4_EMPTY_SHA256, NULL,
	    CRED "host;my-header1;x-amz-date, Signature="
	    "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d" },
	{ "post-vanilla", "POST", "/", NULL, { HOST, DATE },
	    SIGV4_EMPTY_SHA256, NULL,
	    CRED "host;x-amz-date, Signature="
	    "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b" },
	{ "post-vanilla-query", "POST", "/", "Param1=value1", { HOST, DATE },
	    SIGV4_EMPTY_SHA256, NULL,
	    CRED "host;x-amz-date, Signature="
	    "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11" },
	/* The body "Param1=value1" hashed. */
	{ "post-x-www-form-urlencoded", "POST", "/", NULL,
	    { "Content-Type:application/x-www-form-urlencoded", HOST, DATE },
	    "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
	    NULL,
	    CRED "content-type;host;x-amz-date, Signature="
	    "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a" },
	/* S3 does not normalize: the path is signed as it is sent. */
	{ "s3 keeps dot segments", "GET", "/example/..", NULL, { HOST, DATE },
	    SIGV4_EMPTY_SHA256,
	    "GET\n/example/..\n\nhost:example.amazonaws.com\n"
	    "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
	    SIGV4_EMPTY_SHA256, NULL },
	{ "s3 keeps double slashes", "GET", "//", NULL, { HOST, DATE },
	    SIGV4_EMPTY_SHA256,
	    "GET\n//\n\nhost:example.amazonaws.com\n"
	    "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
	    SIGV4_EMPTY_SHA256, NULL },
	{ "s3 encodes a space once", "GET", "/example space/", NULL,
	    { HOST, DATE }, SIGV4_EMPTY_SHA256,
	    "GET\n/example%20space/\n\nhost:example.amazonaws.com\n"
	    "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
	    SIGV4_EMPTY_SHA256, NULL },
};

static size_t
nhdrs(const struct vector *v)
{
	size_t	n = 0;

	while (n < nitems(v->headers) && v->headers[n] != NULL)
		n++;
	return (n);
}

START_TEST(test_vector)
{
	const struct vector	*v = &vectors[_i];
	struct sigv4_req	 r;
	struct buf		 out = BUF_INIT;

	memset(&r, 0, sizeof(r));
	r.method = v->method;
	r.path = v->path;
	r.query = v->query;
	r.headers = v->headers;
	r.nheaders = nhdrs(v);
	r.payload = v->payload;
	r.when = SUITE_TIME;
	if (v->creq != NULL) {
		sigv4_canonical(&r, &out);
		ck_assert_msg(strcmp(out.buf, v->creq) == 0, "%s: %s", v->name,
		    out.buf);
		buf_reset(&out);
	}
	if (v->authz != NULL) {
		sigv4_authorization(&suite_cred, &r, &out);
		ck_assert_msg(strcmp(out.buf, v->authz) == 0, "%s: %s",
		    v->name, out.buf);
	}
	buf_release(&out);
}
END_TEST

/* AWS's S3 example: GET /test.txt with a Range header. */
START_TEST(test_s3_get_range)
{
	static const char *const hdrs[] = {
		"Host: examplebucket.s3.amazonaws.com",
		"Range: bytes=0-9",
		"x-amz-content-sha256: " SIGV4_EMPTY_SHA256,
		"x-amz-date: 20130524T000000Z"
	};
	struct sigv4_req	 r;
	struct buf		 out = BUF_INIT;

	memset(&r, 0, sizeof(r));
	r.method = "GET";
	r.path = "/test.txt";
	r.headers = hdrs;
	r.nheaders = nitems(hdrs);
	r.payload = SIGV4_EMPTY_SHA256;
	r.when = S3_TIME;
	sigv4_authorization(&s3_cred, &r, &out);
	ck_assert_str_eq(out.buf, "AWS4-HMAC-SHA256 Credential="
	    "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
	    "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
	    "Signature="
	    "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
	buf_release(&out);
}
END_TEST

/* AWS's S3 example of a presigned URL, valid for 86400 s. */
START_TEST(test_s3_presign)
{
	struct buf	out = BUF_INIT;

	sigv4_presign(&s3_cred, "GET", "examplebucket.s3.amazonaws.com",
	    "/test.txt", NULL, S3_TIME, 86400, &out);
	ck_assert_str_eq(out.buf, "X-Amz-Algorithm=AWS4-HMAC-SHA256"
	    "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1"
	    "%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z"
	    "&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature="
	    "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
	buf_release(&out);
}
END_TEST

/* A session token is signed in the query, before the signature. */
START_TEST(test_presign_token)
{
	struct sigv4_cred	 c = s3_cred;
	struct buf		 out = BUF_INIT, other = BUF_INIT;

	c.session_token = "tok/en+=";
	sigv4_presign(&c, "GET", "h:9000", "/b/k", "x-id=GetObject",
	    S3_TIME, 60, &out);
	ck_assert_ptr_nonnull(strstr(out.buf, "x-id=GetObject&"));
	ck_assert_ptr_nonnull(strstr(out.buf,
	    "&X-Amz-Security-Token=tok%2Fen%2B%3D&X-Amz-SignedHeaders=host"
	    "&X-Amz-Signature="));
	c.session_token = NULL;
	sigv4_presign(&c, "GET", "h:9000", "/b/k", "x-id=GetObject",
	    S3_TIME, 60, &other);
	ck_assert_str_ne(strstr(out.buf, "X-Amz-Signature="),
	    strstr(other.buf, "X-Amz-Signature="));
	buf_release(&out);
	buf_release(&other);
}
END_TEST

START_TEST(test_encode)
{
	struct buf	out = BUF_INIT;

	sigv4_encode(&out, "a b/c+d%2fe%zz~", 1);
	ck_assert_str_eq(out.buf, "a%20b/c%2Bd%2Fe%25zz~");
	buf_reset(&out);
	sigv4_encode(&out, "a/b=c&%", 0);
	ck_assert_str_eq(out.buf, "a%2Fb%3Dc%26%25");
	buf_release(&out);
}
END_TEST

START_TEST(test_date_hash)
{
	char	date[SIGV4_DATE_LEN], hex[65];

	sigv4_date(SUITE_TIME, date);
	ck_assert_str_eq(date, "20150830T123600Z");
	sigv4_sha256_hex("", 0, hex);
	ck_assert_str_eq(hex, SIGV4_EMPTY_SHA256);
	sigv4_sha256_hex("Param1=value1", 13, hex);
	ck_assert_str_eq(hex,
	    "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("sigv4");
	TCase	*tc = tcase_create("sigv4");

	tcase_add_loop_test(tc, test_vector, 0, (int)nitems(vectors));
	tcase_add_test(tc, test_s3_get_range);
	tcase_add_test(tc, test_s3_presign);
	tcase_add_test(tc, test_presign_token);
	tcase_add_test(tc, test_encode);
	tcase_add_test(tc, test_date_hash);
	suite_add_tcase(s, tc);
	return (check_run(s));
}
