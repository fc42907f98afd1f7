/*
 * tests/unit/check_jwt.c: HS256 tokens, good and bad.
 */
#include "config.h"

#include <check.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/jwt.h"
#include "common/util.h"
#include "tests/unit/check_run.h"

#define NOW	1700000000
#define KEY	"0123456789abcdef-test-key"
#define HS256	"{\"alg\":\"HS256\",\"typ\":\"JWT\"}"
#define CLAIMS	"{\"sub\":\"u\",\"exp\":1700000100}"

START_TEST(test_roundtrip)
{
	struct json_object	*claims, *got, *v;
	struct buf		 tok = BUF_INIT;

	claims = json_object_new_object();
	json_object_object_add(claims, "sub", json_object_new_string("u/ü"));
	json_object_object_add(claims, "exp", json_object_new_int64(NOW + 1));
	jwt_sign(KEY, claims, &tok);
	json_object_put(claims);
	ck_assert_int_eq(jwt_verify(KEY, tok.buf, NOW, &got), 0);
	ck_assert(json_object_object_get_ex(got, "sub", &v));
	ck_assert_str_eq(json_object_get_string(v), "u/ü");
	json_object_put(got);
	/* One second later it has expired. */
	ck_assert_int_eq(jwt_verify(KEY, tok.buf, NOW + 1, &got), -1);
	ck_assert_ptr_null(got);
	buf_release(&tok);
}
END_TEST

/* How to spoil a well-formed token before verifying it. */
enum mangle {
	M_NONE,
	M_TWO_PARTS,		/* drop ".signature" */
	M_FOUR_PARTS,		/* append ".x" */
	M_EMPTY_SIG,		/* "h.p." */
	M_EMPTY_HEADER,		/* ".p.s" */
	M_BAD_B64,		/* payload "@@@@" */
	M_PAD_SIG,		/* signature + "=" */
	M_FLIP_SIG,		/* last signature character changed */
	M_TAMPER,		/* other payload, same signature */
	M_SPACE			/* trailing blank */
};

static const struct {
	const char	*what;
	const char	*header;
	const char	*payload;
	const char	*key;		/* signing key; KEY verifies */
	enum mangle	 mangle;
	int		 rc;
} cases[] = {
	{ "good", HS256, CLAIMS, KEY, M_NONE, 0 },
	{ "no typ", "{\"alg\":\"HS256\"}", CLAIMS, KEY, M_NONE, 0 },
	{ "nbf, iat now", HS256,
	    "{\"exp\":1700000100,\"nbf\":1700000000,\"iat\":1700000000}",
	    KEY, M_NONE, 0 },
	{ "wrong key", HS256, CLAIMS, "another-key-entirely", M_NONE, -1 },
	{ "expired", HS256, "{\"exp\":1699999999}", KEY, M_NONE, -1 },
	{ "exp is now", HS256, "{\"exp\":1700000000}", KEY, M_NONE, -1 },
	{ "no exp", HS256, "{\"sub\":\"u\"}", KEY, M_NONE, -1 },
	{ "exp string", HS256, "{\"exp\":\"1700000100\"}", KEY, M_NONE, -1 },
	{ "exp double", HS256, "{\"exp\":1700000100.5}", KEY, M_NONE, -1 },
	{ "nbf future", HS256, "{\"exp\":1700009999,\"nbf\":1700009000}",
	    KEY, M_NONE, -1 },
	{ "iat future", HS256, "{\"exp\":1700009999,\"iat\":1700009000}",
	    KEY, M_NONE, -1 },
	{ "alg none", "{\"alg\":\"none\",\"typ\":\"JWT\"}", CLAIMS, KEY,
	    M_NONE, -1 },
	{ "alg none unsigned", "{\"alg\":\"none\"}", CLAIMS, KEY,
	    M_EMPTY_SIG, -1 },
	{ "alg HS512", "{\"alg\":\"HS512\"}", CLAIMS, KEY, M_NONE, -1 },
	{ "alg hs256", "{\"alg\":\"hs256\"}", CLAIMS, KEY, M_NONE, -1 },
	{ "no alg", "{\"typ\":\"JWT\"}", CLAIMS, KEY, M_NONE, -1 },
	{ "typ JWS", "{\"alg\":\"HS256\",\"typ\":\"JWS\"}", CLAIMS, KEY,
	    M_NONE, -1 },
	{ "crit", "{\"alg\":\"HS256\",\"crit\":[\"x\"]}", CLAIMS, KEY,
	    M_NONE, -1 },
	{ "header array", "[\"HS256\"]", CLAIMS, KEY, M_NONE, -1 },
	{ "header not json", "alg=HS256", CLAIMS, KEY, M_NONE, -1 },
	{ "payload array", HS256, "[1700000100]", KEY, M_NONE, -1 },
	{ "payload not json", HS256, "exp=1700000100", KEY, M_NONE, -1 },
	{ "two parts", HS256, CLAIMS, KEY, M_TWO_PARTS, -1 },
	{ "four parts", HS256, CLAIMS, KEY, M_FOUR_PARTS, -1 },
	{ "empty signature", HS256, CLAIMS, KEY, M_EMPTY_SIG, -1 },
	{ "empty header", HS256, CLAIMS, KEY, M_EMPTY_HEADER, -1 },
	{ "bad base64", HS256, CLAIMS, KEY, M_BAD_B64, -1 },
	{ "padded signature", HS256, CLAIMS, KEY, M_PAD_SIG, -1 },
	{ "flipped signature", HS256, CLAIMS, KEY, M_FLIP_SIG, -1 },
	{ "tampered payload", HS256, CLAIMS, KEY, M_TAMPER, -1 },
	{ "trailing blank", HS256, CLAIMS, KEY, M_SPACE, -1 },
};

/* Build header.payload.signature by hand, then spoil it. */
static void
make_token(int i, struct buf *out)
{
	const char	*h = cases[i].header, *p = cases[i].payload;
	const char	*other = "{\"sub\":\"admin\",\"exp\":1700000100}";
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	unsigned int	 maclen;
	size_t		 dot;

	base64url_encode(out, h, strlen(h));
	buf_addch(out, '.');
	base64url_encode(out, p, strlen(p));
	ck_assert_ptr_nonnull(HMAC(EVP_sha256(), cases[i].key,
	    (int)strlen(cases[i].key), (unsigned char *)out->buf, out->len,
	    mac, &maclen));
	dot = out->len;
	buf_addch(out, '.');
	base64url_encode(out, mac, maclen);
	switch (cases[i].mangle) {
	case M_NONE:
		break;
	case M_TWO_PARTS:
		buf_setlen(out, dot);
		break;
	case M_FOUR_PARTS:
		buf_addstr(out, ".x");
		break;
	case M_EMPTY_SIG:
		buf_setlen(out, dot + 1);
		break;
	case M_EMPTY_HEADER:
		memmove(out->buf, strchr(out->buf, '.'),
		    out->len - (size_t)(strchr(out->buf, '.') - out->buf) + 1);
		out->len = strlen(out->buf);
		break;
	case M_BAD_B64: {
		struct buf	b = BUF_INIT;

		buf_add(&b, out->buf, (size_t)(strchr(out->buf, '.') -
		    out->buf));
		buf_addstr(&b, ".@@@@");
		buf_addstr(&b, out->buf + dot);
		buf_reset(out);
		buf_addstr(out, b.buf);
		buf_release(&b);
		break;
	}
	case M_PAD_SIG:
		buf_addch(out, '=');
		break;
	case M_FLIP_SIG:
		out->buf[out->len - 1] = out->buf[out->len - 1] == 'A' ?
		    'B' : 'A';
		break;
	case M_TAMPER: {
		struct buf	b = BUF_INIT;

		base64url_encode(&b, h, strlen(h));
		buf_addch(&b, '.');
		base64url_encode(&b, other, strlen(other));
		buf_addstr(&b, out->buf + dot);
		buf_reset(out);
		buf_addstr(out, b.buf);
		buf_release(&b);
		break;
	}
	case M_SPACE:
		buf_addch(out, ' ');
		break;
	}
}

START_TEST(test_verify_table)
{
	struct json_object	*claims = (struct json_object *)1;
	struct buf		 tok = BUF_INIT;

	make_token(_i, &tok);
	ck_assert_msg(jwt_verify(KEY, tok.buf, NOW, &claims) == cases[_i].rc,
	    "case \"%s\": %s", cases[_i].what, tok.buf);
	if (cases[_i].rc == 0)
		ck_assert_ptr_nonnull(claims);
	else
		ck_assert_ptr_null(claims);
	json_object_put(claims);
	buf_release(&tok);
}
END_TEST

static const char *const garbage[] = {
	"", ".", "..", "...", "a", "a.b", "a.b.c", "a..c", "..c",
	"eyJhbGciOiJIUzI1NiJ9", "eyJhbGciOiJIUzI1NiJ9..",
	"eyJhbGciOiJIUzI1NiJ9.e30.", "\xff\xfe.\x01.\x02",
};

START_TEST(test_garbage)
{
	struct json_object	*claims;

	ck_assert_int_eq(jwt_verify(KEY, garbage[_i], NOW, &claims), -1);
	ck_assert_ptr_null(claims);
}
END_TEST

START_TEST(test_limits)
{
	struct json_object	*claims;
	struct buf		 big = BUF_INIT;
	size_t			 i;

	ck_assert_int_eq(jwt_verify(KEY, NULL, NOW, &claims), -1);
	ck_assert_int_eq(jwt_verify(NULL, "a.b.c", NOW, &claims), -1);
	/* A huge token is refused before any decoding. */
	for (i = 0; i < 20000; i++)
		buf_addch(&big, 'A');
	buf_addstr(&big, ".e30.AAAA");
	ck_assert_int_eq(jwt_verify(KEY, big.buf, NOW, &claims), -1);
	buf_release(&big);
}
END_TEST

int
main(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("jwt");
	tc = tcase_create("core");
	tcase_add_test(tc, test_roundtrip);
	tcase_add_loop_test(tc, test_verify_table, 0, nitems(cases));
	tcase_add_loop_test(tc, test_garbage, 0, nitems(garbage));
	tcase_add_test(tc, test_limits);
	suite_add_tcase(s, tc);
	return (check_run(s));
}
