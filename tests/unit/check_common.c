/*
 * tests/unit/check_common.c: buf, util (grammars, numbers, queries,
 * base64, ct_equal), digest and the error table.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/digest.h"
#include "common/errors.h"
#include "common/util.h"
#include "tests/unit/check_run.h"

/* buf */

START_TEST(test_buf_addf)
{
	struct buf	b = BUF_INIT;

	ck_assert_str_eq(b.buf, "");
	buf_addf(&b, "%s-%d", "a", 42);
	buf_addch(&b, '!');
	ck_assert_str_eq(b.buf, "a-42!");
	ck_assert_uint_eq(b.len, 5);
	buf_release(&b);
	ck_assert_str_eq(b.buf, "");
	ck_assert_uint_eq(b.len, 0);
	buf_addstr(&b, "reused");
	ck_assert_str_eq(b.buf, "reused");
	buf_release(&b);
}
END_TEST

START_TEST(test_buf_binary)
{
	struct buf	b = BUF_INIT;

	buf_add(&b, "a\0b", 3);
	ck_assert_uint_eq(b.len, 3);
	ck_assert_int_eq(memcmp(b.buf, "a\0b", 4), 0);
	buf_add(&b, "", 0);
	ck_assert_uint_eq(b.len, 3);
	buf_reset(&b);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_str_eq(b.buf, "");
	buf_release(&b);
}
END_TEST

START_TEST(test_buf_grow)
{
	struct buf	 b = BUF_INIT;
	size_t		 i, len;
	char		*p;

	for (i = 0; i < 100000; i++)
		buf_addch(&b, 'a' + (int)(i % 26));
	ck_assert_uint_eq(b.len, 100000);
	ck_assert_uint_gt(b.alloc, b.len);
	ck_assert_int_eq(b.buf[b.len], '\0');
	ck_assert_int_eq(b.buf[99999], 'a' + 99999 % 26);
	buf_setlen(&b, 10);
	ck_assert_str_eq(b.buf, "abcdefghij");
	p = buf_detach(&b, &len);
	ck_assert_uint_eq(len, 10);
	ck_assert_str_eq(p, "abcdefghij");
	ck_assert_uint_eq(b.len, 0);
	ck_assert_str_eq(b.buf, "");
	free(p);
	p = buf_detach(&b, NULL);
	ck_assert_str_eq(p, "");
	free(p);
}
END_TEST

/* util: the OCI grammars */

static const struct {
	const char	*name;
	int		 valid;
} names[] = {
	{ "library/alpine", 1 },
	{ "quay.io/org/img", 1 },
	{ "a__b/c--d.e", 1 },
	{ "a", 1 },
	{ "0", 1 },
	{ "a-b", 1 },
	{ "a---b", 1 },
	{ "a_b", 1 },
	{ "a.b.c/d", 1 },
	{ "a/b/c/d/e", 1 },
	{ "a___b", 0 },
	{ "a..b", 0 },
	{ "a.-b", 0 },
	{ "a-", 0 },
	{ "-a", 0 },
	{ "_a", 0 },
	{ "a_", 0 },
	{ "A/b", 0 },
	{ "a/B", 0 },
	{ "a//b", 0 },
	{ "a/", 0 },
	{ "/a", 0 },
	{ "a/../b", 0 },
	{ "..", 0 },
	{ "a/.b", 0 },
	{ "a%2fb", 0 },
	{ "a b", 0 },
	{ "a:b", 0 },
	{ "", 0 },
};

START_TEST(test_name_valid)
{
	ck_assert_int_eq(name_valid(names[_i].name, strlen(names[_i].name)),
	    names[_i].valid);
}
END_TEST

START_TEST(test_name_length)
{
	char	s[NAME_MAX_LEN + 2];

	memset(s, 'a', sizeof(s));
	ck_assert_int_eq(name_valid(s, NAME_MAX_LEN), 1);
	ck_assert_int_eq(name_valid(s, NAME_MAX_LEN + 1), 0);
	/* Only "len" bytes count: a valid prefix of an invalid string. */
	ck_assert_int_eq(name_valid("ab/", 2), 1);
}
END_TEST

static const struct {
	const char	*tag;
	int		 valid;
} tags[] = {
	{ "latest", 1 },
	{ "v1.0.0", 1 },
	{ "1.0-rc1", 1 },
	{ "_x", 1 },
	{ "UPPER_lower.09-", 1 },
	{ ".x", 0 },
	{ "-x", 0 },
	{ "a/b", 0 },
	{ "a b", 0 },
	{ "a:b", 0 },
	{ "a+b", 0 },
	{ "", 0 },
};

START_TEST(test_tag_valid)
{
	ck_assert_int_eq(tag_valid(tags[_i].tag, strlen(tags[_i].tag)),
	    tags[_i].valid);
}
END_TEST

START_TEST(test_tag_length)
{
	char	s[TAG_MAX_LEN + 1];

	memset(s, 'a', sizeof(s));
	ck_assert_int_eq(tag_valid(s, TAG_MAX_LEN), 1);
	ck_assert_int_eq(tag_valid(s, TAG_MAX_LEN + 1), 0);
}
END_TEST

static const struct {
	const char	*uuid;
	int		 valid;
} uuids[] = {
	{ "0123456789abcdef0123456789abcdef", 1 },
	{ "00000000000000000000000000000000", 1 },
	{ "0123456789ABCDEF0123456789abcdef", 0 },
	{ "0123456789abcdef0123456789abcde", 0 },
	{ "0123456789abcdef0123456789abcdef0", 0 },
	{ "0123456789abcdef-123456789abcdef", 0 },
	{ "../../../../../../../../etc/pass", 0 },
	{ "", 0 },
};

START_TEST(test_uuid_valid)
{
	ck_assert_int_eq(uuid_valid(uuids[_i].uuid, strlen(uuids[_i].uuid)),
	    uuids[_i].valid);
}
END_TEST

START_TEST(test_uuid_generate)
{
	char	a[UUID_LEN + 1], b[UUID_LEN + 1];

	uuid_generate(a);
	uuid_generate(b);
	ck_assert_uint_eq(strlen(a), UUID_LEN);
	ck_assert_int_eq(uuid_valid(a, strlen(a)), 1);
	ck_assert_int_eq(uuid_valid(b, strlen(b)), 1);
	ck_assert_str_ne(a, b);
}
END_TEST

/* util: numbers */

static const struct {
	const char	*s;
	uint64_t	 min, max;
	int		 rc;
	uint64_t	 v;
} u64s[] = {
	{ "0", 0, UINT64_MAX, 0, 0 },
	{ "42", 0, UINT64_MAX, 0, 42 },
	{ "007", 0, UINT64_MAX, 0, 7 },
	{ "18446744073709551615", 0, UINT64_MAX, 0, UINT64_MAX },
	{ "18446744073709551616", 0, UINT64_MAX, -1, 0 },
	{ "99999999999999999999", 0, UINT64_MAX, -1, 0 },
	{ "000000000000000000001", 0, UINT64_MAX, -1, 0 },
	{ "4", 1, 4, 0, 4 },
	{ "1", 1, 4, 0, 1 },
	{ "5", 1, 4, -1, 0 },
	{ "0", 1, 4, -1, 0 },
	{ "", 0, UINT64_MAX, -1, 0 },
	{ "-1", 0, UINT64_MAX, -1, 0 },
	{ "+1", 0, UINT64_MAX, -1, 0 },
	{ " 1", 0, UINT64_MAX, -1, 0 },
	{ "1 ", 0, UINT64_MAX, -1, 0 },
	{ "1.0", 0, UINT64_MAX, -1, 0 },
	{ "0x10", 0, UINT64_MAX, -1, 0 },
	{ "1e3", 0, UINT64_MAX, -1, 0 },
};

START_TEST(test_parse_u64)
{
	uint64_t	v = 12345;
	int		rc;

	rc = parse_u64(u64s[_i].s, u64s[_i].min, u64s[_i].max, &v);
	ck_assert_int_eq(rc, u64s[_i].rc);
	/* Output only on success. */
	ck_assert_uint_eq(v, rc == 0 ? u64s[_i].v : 12345);
}
END_TEST

START_TEST(test_parse_u64n)
{
	uint64_t	v;

	ck_assert_int_eq(parse_u64n("123abc", 3, 0, 1000, &v), 0);
	ck_assert_uint_eq(v, 123);
	ck_assert_int_eq(parse_u64n("123abc", 4, 0, 1000, &v), -1);
	ck_assert_int_eq(parse_u64n("123", 0, 0, 1000, &v), -1);
}
END_TEST

/* util: query strings and percent decoding */

static const struct {
	const char	*query, *key;
	int		 rc;
	const char	*value;
} queries[] = {
	{ "a=1&b=2", "b", 1, "2" },
	{ "a=1&b=2", "a", 1, "1" },
	{ "a=1&b=2", "c", 0, NULL },
	{ "a=1&a=2", "a", 1, "1" },
	{ "aa=1&a=2", "a", 1, "2" },
	{ "a", "a", 0, NULL },
	{ "a=", "a", 1, "" },
	{ "=1", "a", 0, NULL },
	{ "", "a", 0, NULL },
	{ "&&a=1&&", "a", 1, "1" },
	{ "digest=sha256%3Aabc", "digest", 1, "sha256:abc" },
	{ "n=a%2Fb%2fc", "n", 1, "a/b/c" },
	{ "q=x+y%20z", "q", 1, "x y z" },
	{ "q=%41%42", "q", 1, "AB" },
	{ "q=%00", "q", -1, NULL },
	{ "q=a%00b", "q", -1, NULL },
	{ "q=%zz", "q", -1, NULL },
	{ "q=%4", "q", -1, NULL },
	{ "q=%", "q", -1, NULL },
	{ "q=ok&r=%00", "q", 1, "ok" },
};

START_TEST(test_query_get)
{
	struct buf	out = BUF_INIT;
	int		rc;

	rc = query_get(queries[_i].query, queries[_i].key, &out);
	ck_assert_msg(rc == queries[_i].rc, "query_get(\"%s\", \"%s\") = %d",
	    queries[_i].query, queries[_i].key, rc);
	if (rc == 1)
		ck_assert_str_eq(out.buf, queries[_i].value);
	buf_release(&out);
}
END_TEST

static int
query_collect(const char *v, void *arg)
{
	struct buf	*b = arg;

	buf_addstr(b, v);
	buf_addch(b, ',');
	return (0);
}

START_TEST(test_query_each)
{
	struct buf	out = BUF_INIT;

	ck_assert_int_eq(query_each("a=1&b=2&a=%33&a=", "a", query_collect,
	    &out), 0);
	ck_assert_str_eq(out.buf, "1,3,,");
	buf_reset(&out);
	ck_assert_int_eq(query_each("a=1&a=%00", "a", query_collect, &out), -1);
	buf_release(&out);
}
END_TEST

START_TEST(test_pct_encode)
{
	struct buf	out = BUF_INIT, back = BUF_INIT;
	const char	*s = "a b/c:d~e_f.g-h?i&j=k%l+m\xc3\xa9";

	pct_encode(&out, s);
	ck_assert_str_eq(out.buf,
	    "a%20b/c:d~e_f.g-h%3Fi%26j%3Dk%25l%2Bm%C3%A9");
	ck_assert_int_eq(pct_decode(out.buf, out.len, &back), 0);
	ck_assert_str_eq(back.buf, s);
	buf_release(&out);
	buf_release(&back);
}
END_TEST

/* util: base64 */

static const struct {
	const char	*raw, *std, *url;
} b64s[] = {
	{ "", "", "" },
	{ "f", "Zg==", "Zg" },
	{ "fo", "Zm8=", "Zm8" },
	{ "foo", "Zm9v", "Zm9v" },
	{ "foob", "Zm9vYg==", "Zm9vYg" },
	{ "fooba", "Zm9vYmE=", "Zm9vYmE" },
	{ "foobar", "Zm9vYmFy", "Zm9vYmFy" },
	{ "\xfb\xff", "+/8=", "-_8" },
	{ "\xff\xfe\xfd\xfc", "//79/A==", "__79_A" },
};

START_TEST(test_base64_vectors)
{
	struct buf	 b = BUF_INIT;
	const char	*raw = b64s[_i].raw;

	base64_encode(&b, raw, strlen(raw));
	ck_assert_str_eq(b.buf, b64s[_i].std);
	buf_reset(&b);
	base64url_encode(&b, raw, strlen(raw));
	ck_assert_str_eq(b.buf, b64s[_i].url);
	buf_reset(&b);
	ck_assert_int_eq(base64_decode(b64s[_i].std, strlen(b64s[_i].std),
	    &b), 0);
	ck_assert_str_eq(b.buf, raw);
	buf_reset(&b);
	ck_assert_int_eq(base64url_decode(b64s[_i].url, strlen(b64s[_i].url),
	    &b), 0);
	ck_assert_str_eq(b.buf, raw);
	buf_release(&b);
}
END_TEST

/* Every length from 0 to 300 of every byte value survives both codecs. */
START_TEST(test_base64_roundtrip)
{
	unsigned char	 raw[300];
	struct buf	 enc = BUF_INIT, dec = BUF_INIT;
	size_t		 len, i;

	for (i = 0; i < sizeof(raw); i++)
		raw[i] = (unsigned char)(i * 7 + 3);
	for (len = 0; len <= sizeof(raw); len++) {
		buf_reset(&enc);
		buf_reset(&dec);
		base64_encode(&enc, raw, len);
		ck_assert_uint_eq(enc.len, (len + 2) / 3 * 4);
		ck_assert_int_eq(base64_decode(enc.buf, enc.len, &dec), 0);
		ck_assert_uint_eq(dec.len, len);
		ck_assert_int_eq(memcmp(dec.buf, raw, len), 0);
		buf_reset(&enc);
		buf_reset(&dec);
		base64url_encode(&enc, raw, len);
		ck_assert_ptr_null(memchr(enc.buf, '=', enc.len));
		ck_assert_int_eq(base64url_decode(enc.buf, enc.len, &dec), 0);
		ck_assert_uint_eq(dec.len, len);
		ck_assert_int_eq(memcmp(dec.buf, raw, len), 0);
	}
	buf_release(&enc);
	buf_release(&dec);
}
END_TEST

static const struct {
	const char	*in;
	int		 url;
} b64bad[] = {
	{ "Z", 0 },
	{ "Zm9vY", 0 },
	{ "Zm9v!", 0 },
	{ "Zm 9v", 0 },
	{ "-_8=", 0 },
	{ "+/8", 1 },
	{ "Z", 1 },
	{ "Zm9v.", 1 },
};

START_TEST(test_base64_bad)
{
	struct buf	 b = BUF_INIT;
	const char	*in = b64bad[_i].in;
	int		 rc;

	if (b64bad[_i].url)
		rc = base64url_decode(in, strlen(in), &b);
	else
		rc = base64_decode(in, strlen(in), &b);
	ck_assert_msg(rc == -1, "decoded \"%s\"", in);
	buf_release(&b);
}
END_TEST

START_TEST(test_hex_ct_equal)
{
	char	hex[9];

	hex_encode(hex, (const unsigned char *)"\x00\x1f\xa0\xff", 4);
	ck_assert_str_eq(hex, "001fa0ff");
	ck_assert_int_eq(ct_equal("secret", 6, "secret", 6), 1);
	ck_assert_int_eq(ct_equal("secret", 6, "secreT", 6), 0);
	ck_assert_int_eq(ct_equal("Secret", 6, "secret", 6), 0);
	ck_assert_int_eq(ct_equal("secret", 6, "secret!", 7), 0);
	ck_assert_int_eq(ct_equal("secret", 6, "secre", 5), 0);
	ck_assert_int_eq(ct_equal("", 0, "", 0), 1);
	ck_assert_int_eq(ct_equal("a\0b", 3, "a\0c", 3), 0);
}
END_TEST

/* digest */

#define HEX64_A	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define HEX128_A \
    "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce" \
    "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"

static const struct {
	const char	*s;
	int		 rc;
	enum digest_alg	 alg;
} digests[] = {
	{ "sha256:" HEX64_A, 0, DIGEST_SHA256 },
	{ "sha512:" HEX128_A, 0, DIGEST_SHA512 },
	{ "sha256:" HEX64_A "0", -1, 0 },
	{ "sha256:" HEX128_A, -1, 0 },
	{ "sha512:" HEX64_A, -1, 0 },
	{ "sha384:" HEX64_A, -1, 0 },
	{ "SHA256:" HEX64_A, -1, 0 },
	{ "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B"
	  "7852B855", -1, 0 },
	{ "sha256:g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b"
	  "7852b855", -1, 0 },
	{ "sha256-" HEX64_A, -1, 0 },
	{ "sha256" HEX64_A "0", -1, 0 },
	{ "sha256:abc", -1, 0 },
	{ "sha256:", -1, 0 },
	{ HEX64_A, -1, 0 },
	{ "", -1, 0 },
};

START_TEST(test_digest_parse)
{
	struct digest	 d;
	const char	*s = digests[_i].s;

	ck_assert_int_eq(digest_parse(s, strlen(s), &d), digests[_i].rc);
	if (digests[_i].rc != 0)
		return;
	ck_assert_int_eq(d.alg, digests[_i].alg);
	ck_assert_str_eq(d.str, s);
	ck_assert_str_eq(d.hex, strchr(s, ':') + 1);
	ck_assert_str_eq(digest_alg_name(d.alg), d.alg == DIGEST_SHA256 ?
	    "sha256" : "sha512");
}
END_TEST

START_TEST(test_digest_of)
{
	struct digest	d, e;

	digest_of(DIGEST_SHA256, "", 0, &d);
	ck_assert_str_eq(d.str, "sha256:" HEX64_A);
	digest_of(DIGEST_SHA512, "", 0, &d);
	ck_assert_str_eq(d.str, "sha512:" HEX128_A);
	digest_of(DIGEST_SHA256, "abc", 3, &d);
	ck_assert_str_eq(d.hex, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	ck_assert_int_eq(digest_parse(d.str, strlen(d.str), &e), 0);
	ck_assert_int_eq(digest_equal(&d, &e), 1);
	digest_of(DIGEST_SHA256, "abd", 3, &e);
	ck_assert_int_eq(digest_equal(&d, &e), 0);
}
END_TEST

/*
 * An upload's hash survives being saved and loaded any number of times,
 * in pieces of any size: the result equals the one-shot digest.
 */
START_TEST(test_hasher_resume)
{
	static const size_t	 cuts[] = { 0, 1, 63, 64, 65, 1000, 65536,
	    100000, 262143 };
	unsigned char		*data;
	struct hasher		 h, h2;
	struct digest		 want, got;
	struct buf		 state = BUF_INIT;
	size_t			 len = 262144 + 17, i, from = 0;

	data = malloc(len);
	ck_assert_ptr_nonnull(data);
	for (i = 0; i < len; i++)
		data[i] = (unsigned char)(i * 31 + i / 256);
	digest_of(DIGEST_SHA256, data, len, &want);

	hasher_init(&h);
	for (i = 0; i <= nitems(cuts); i++) {
		size_t	to = i < nitems(cuts) ? cuts[i] : len;

		hasher_update(&h, data + from, to - from);
		from = to;
		buf_reset(&state);
		hasher_save(&h, &state);
		ck_assert_uint_eq(state.len, HASHER_STATE_LEN);
		memset(&h2, 0xa5, sizeof(h2));
		ck_assert_int_eq(hasher_load(&h2, state.buf, state.len), 0);
		h = h2;
	}
	hasher_final(&h, &got);
	ck_assert_str_eq(got.str, want.str);
	/* Finishing does not disturb the state. */
	hasher_final(&h, &got);
	ck_assert_str_eq(got.str, want.str);
	buf_release(&state);
	free(data);
}
END_TEST

START_TEST(test_hasher_load_bad)
{
	struct hasher	h;
	struct buf	state = BUF_INIT;

	hasher_init(&h);
	hasher_update(&h, "abc", 3);
	hasher_save(&h, &state);
	ck_assert_int_eq(hasher_load(&h, state.buf, state.len - 1), -1);
	ck_assert_int_eq(hasher_load(&h, state.buf, 0), -1);
	state.buf[0] ^= 1;
	ck_assert_int_eq(hasher_load(&h, state.buf, state.len), -1);
	buf_release(&state);
}
END_TEST

START_TEST(test_hasher512)
{
	struct hasher512	*h;
	struct digest		 want, got;

	digest_of(DIGEST_SHA512, "hello world", 11, &want);
	h = hasher512_new();
	hasher512_update(h, "hello", 5);
	hasher512_update(h, " world", 6);
	hasher512_final(h, &got);
	hasher512_free(h);
	ck_assert_int_eq(got.alg, DIGEST_SHA512);
	ck_assert_str_eq(got.str, want.str);
	hasher512_free(NULL);
}
END_TEST

/* errors: no gap in the table */

START_TEST(test_err_info)
{
	const struct reg_err_info	*e = reg_err_info((enum reg_err)_i);

	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_nonnull(e->code);
	ck_assert_ptr_nonnull(e->message);
	ck_assert_msg(e->code[0] != '\0' && e->message[0] != '\0',
	    "error %d has an empty code or message", _i);
	ck_assert_msg(e->status >= 200 && e->status <= 599,
	    "error %d has status %d", _i, e->status);
	if (_i != REG_OK)
		ck_assert_msg(e->status >= 400,
		    "error %d (%s) has status %d", _i, e->code, e->status);
	/* OCI codes are upper case with underscores. */
	ck_assert_uint_eq(strspn(e->code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_"),
	    strlen(e->code));
}
END_TEST

START_TEST(test_err_out_of_range)
{
	ck_assert_ptr_eq(reg_err_info(REG_E__COUNT), reg_err_info(REG_E_IO));
	ck_assert_ptr_eq(reg_err_info((enum reg_err)-1),
	    reg_err_info(REG_E_IO));
	ck_assert_int_eq(reg_err_info(REG_E_NAME_INVALID)->status, 400);
	ck_assert_str_eq(reg_err_info(REG_E_BLOB_UNKNOWN)->code,
	    "BLOB_UNKNOWN");
	ck_assert_int_eq(reg_err_info(REG_E_METHOD)->status, 405);
	ck_assert_int_eq(reg_err_info(REG_E_NO_ROUTE)->status, 404);
}
END_TEST

static Suite *
common_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("common");
	tc = tcase_create("buf");
	tcase_add_test(tc, test_buf_addf);
	tcase_add_test(tc, test_buf_binary);
	tcase_add_test(tc, test_buf_grow);
	suite_add_tcase(s, tc);

	tc = tcase_create("grammar");
	tcase_add_loop_test(tc, test_name_valid, 0, nitems(names));
	tcase_add_test(tc, test_name_length);
	tcase_add_loop_test(tc, test_tag_valid, 0, nitems(tags));
	tcase_add_test(tc, test_tag_length);
	tcase_add_loop_test(tc, test_uuid_valid, 0, nitems(uuids));
	tcase_add_test(tc, test_uuid_generate);
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_parse_u64, 0, nitems(u64s));
	tcase_add_test(tc, test_parse_u64n);
	tcase_add_loop_test(tc, test_query_get, 0, nitems(queries));
	tcase_add_test(tc, test_query_each);
	tcase_add_test(tc, test_pct_encode);
	tcase_add_loop_test(tc, test_base64_vectors, 0, nitems(b64s));
	tcase_add_test(tc, test_base64_roundtrip);
	tcase_add_loop_test(tc, test_base64_bad, 0, nitems(b64bad));
	tcase_add_test(tc, test_hex_ct_equal);
	suite_add_tcase(s, tc);

	tc = tcase_create("digest");
	tcase_add_loop_test(tc, test_digest_parse, 0, nitems(digests));
	tcase_add_test(tc, test_digest_of);
	tcase_add_test(tc, test_hasher_resume);
	tcase_add_test(tc, test_hasher_load_bad);
	tcase_add_test(tc, test_hasher512);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_loop_test(tc, test_err_info, 0, REG_E__COUNT);
	tcase_add_test(tc, test_err_out_of_range);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (check_run(common_suite()));
}
