/*
 * tests/unit/check_codec.c: the on-disk formats round trip, and their
 * decoders refuse what their encoders never write.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/digest.h"
#include "common/log.h"
#include "common/util.h"
#include "storage/codec.h"
#include "storage/layout.h"
#include "storage/store.h"
#include "tests/unit/check_run.h"

#define HEX256	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define HEX512	"cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce" \
		"47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"
#define OCI	"application/vnd.oci.image.manifest.v1+json"

static void
parse(const char *s, struct digest *d)
{
	ck_assert_int_eq(digest_parse(s, strlen(s), d), 0);
}

START_TEST(test_tag_round_trip)
{
	struct tag_entry	 te[4], got;
	struct buf		 b = BUF_INIT;
	const char		*p;
	size_t			 i;

	memset(te, 0, sizeof(te));
	parse("sha256:" HEX256, &te[0].digest);
	(void)snprintf(te[0].media_type, sizeof(te[0].media_type), "%s", OCI);
	parse("sha512:" HEX512, &te[1].digest);
	strcpy(te[1].media_type, "application/x; charset=a b");
	parse("sha256:" HEX256, &te[2].digest);
	memset(te[2].media_type, 'x', MEDIA_TYPE_MAX);
	parse("sha256:" HEX256, &te[3].digest);
	(void)snprintf(te[3].media_type, sizeof(te[3].media_type), "%s", "y");
	codec_tag_encode(te, nitems(te), &b);
	p = b.buf;
	for (i = 0; i < nitems(te); i++) {
		ck_assert_int_eq(codec_tag_next(&p, b.buf + b.len, &got), 0);
		ck_assert(digest_equal(&got.digest, &te[i].digest));
		ck_assert_str_eq(got.media_type, te[i].media_type);
	}
	ck_assert_int_eq(codec_tag_next(&p, b.buf + b.len, &got), 1);
	ck_assert_ptr_eq(p, b.buf + b.len);
	buf_release(&b);
}
END_TEST

static const struct {
	const char	*file;
	const char	*want;	/* the entries' media types, "-" for -1 */
} tag_files[] = {
	{ "", "" },
	{ "sha256:" HEX256 " " OCI "\n", OCI "," },
	{ "sha256:" HEX256 " " OCI, OCI "," },
	/* A space belongs to the media type: store and fsck agree. */
	{ "sha256:" HEX256 " a b\n", "a b," },
	{ "sha256:" HEX256 "  a\n", " a," },
	{ "sha256:" HEX256 "\n", "-," },
	{ "sha256:" HEX256 " \n", "-," },
	{ "sha256:" HEX256 "x y\n", "-," },
	{ "md5:" HEX256 " y\n", "-," },
	{ "garbage\n\nsha256:" HEX256 " z\n", "-,-,z," },
};

START_TEST(test_tag_decode)
{
	struct tag_entry	 te;
	struct buf		 got = BUF_INIT;
	const char		*f = tag_files[_i].file, *p = f;
	int			 rv;

	while ((rv = codec_tag_next(&p, f + strlen(f), &te)) != 1)
		buf_addf(&got, "%s,", rv == 0 ? te.media_type : "-");
	ck_assert_str_eq(got.buf, tag_files[_i].want);
	buf_release(&got);
}
END_TEST

START_TEST(test_tag_too_long)
{
	struct tag_entry	 te;
	struct buf		 b = BUF_INIT;
	const char		*p;
	size_t			 i;

	buf_addstr(&b, "sha256:" HEX256 " ");
	for (i = 0; i <= MEDIA_TYPE_MAX; i++)
		buf_addch(&b, 'x');
	p = b.buf;
	ck_assert_int_eq(codec_tag_next(&p, b.buf + b.len, &te), -1);
	/* A NUL inside a line. */
	buf_reset(&b);
	buf_addstr(&b, "sha256:" HEX256 " a");
	buf_addch(&b, '\0');
	buf_addstr(&b, "b\n");
	p = b.buf;
	ck_assert_int_eq(codec_tag_next(&p, b.buf + b.len, &te), -1);
	ck_assert_int_eq(codec_tag_next(&p, b.buf + b.len, &te), 1);
	buf_release(&b);
}
END_TEST

START_TEST(test_referrer)
{
	static const char *const good[] = { "sha256:" HEX256, "sha512:" HEX512 };
	static const char *const bad[] = { "sha256:" HEX256, "sha256-",
	    "", "-", "sha256_" HEX256, "md5-" HEX256, "sha256-" HEX256 "0" };
	struct digest	 d, got;
	struct buf	 b = BUF_INIT, path = BUF_INIT;
	size_t		 i;

	for (i = 0; i < nitems(good); i++) {
		parse(good[i], &d);
		buf_reset(&b);
		codec_referrer_encode(&d, &b);
		ck_assert_ptr_null(strchr(b.buf, ':'));
		ck_assert_int_eq(codec_referrer_decode(b.buf, &got), 0);
		ck_assert(digest_equal(&got, &d));
		/* The name layout.c puts in the path is that one. */
		layout_referrer(&path, "r", &d, &d);
		ck_assert_str_eq(strrchr(path.buf, '/') + 1, b.buf);
	}
	for (i = 0; i < nitems(bad); i++)
		ck_assert_int_eq(codec_referrer_decode(bad[i], &got), -1);
	buf_release(&b);
	buf_release(&path);
}
END_TEST

/* A manifest link: its media type, trimmed, or nothing valid. */
START_TEST(test_link)
{
	static const struct {
		const char	*in;
		size_t		 len;
		int		 rv;
		const char	*want;
	} links[] = {
		{ "application/vnd.oci.image.manifest.v1+json", 42, 0,
		  "application/vnd.oci.image.manifest.v1+json" },
		{ "a/b \n\n", 6, 0, "a/b" },
		{ "a/b; x=y\n", 9, 0, "a/b; x=y" },
		{ "", 0, -1, "" },
		{ " \n", 2, -1, "" },
		{ "a\0b", 3, -1, NULL },
	};
	struct buf	b = BUF_INIT;
	size_t		i;

	for (i = 0; i < nitems(links); i++) {
		buf_reset(&b);
		buf_add(&b, links[i].in, links[i].len);
		ck_assert_int_eq(codec_link_decode(&b), links[i].rv);
		if (links[i].want != NULL)
			ck_assert_str_eq(b.buf, links[i].want);
	}
	buf_release(&b);
}
END_TEST

START_TEST(test_upload_round_trip)
{
	struct hasher	 h, got_h;
	struct digest	 d1, d2;
	struct buf	 b = BUF_INIT, name = BUF_INIT;
	uint64_t	 off;

	hasher_init(&h);
	hasher_update(&h, "abc", 3);
	codec_upload_encode("quay.io/a/b", UINT64_MAX, &h, &b);
	ck_assert_uint_le(b.len, CODEC_UPLOAD_MAX);
	ck_assert_int_eq(codec_upload_decode(b.buf, b.len, &name, &off,
	    &got_h), 0);
	ck_assert_str_eq(name.buf, "quay.io/a/b");
	ck_assert_uint_eq(off, UINT64_MAX);
	hasher_update(&h, "def", 3);
	hasher_update(&got_h, "def", 3);
	hasher_final(&h, &d1);
	hasher_final(&got_h, &d2);
	ck_assert(digest_equal(&d1, &d2));
	buf_release(&b);
	buf_release(&name);
}
END_TEST

static const char *const bad_states[] = {
	"",
	"specreg-upload 2\nr\n0\n",
	"specreg-upload 1\nr",
	"specreg-upload 1\nBad Name\n0\n",
	"specreg-upload 1\nr\n-1\n",
	"specreg-upload 1\nr\n12x\n",
	"specreg-upload 1\nr\n0",
	/* No hasher state after the offset: the store refuses it. */
	"specreg-upload 1\nr\n0\n",
	"specreg-upload 1\nr\n0\nnot a hasher state",
};

START_TEST(test_upload_bad)
{
	struct hasher	 h;
	struct buf	 name = BUF_INIT;
	uint64_t	 off;

	ck_assert_int_eq(codec_upload_decode(bad_states[_i],
	    strlen(bad_states[_i]), &name, &off, &h), -1);
	buf_release(&name);
}
END_TEST

int
main(void)
{
	Suite	*s;
	TCase	*tc;

	log_init(0);
	s = suite_create("codec");
	tc = tcase_create("core");
	tcase_add_test(tc, test_tag_round_trip);
	tcase_add_loop_test(tc, test_tag_decode, 0, nitems(tag_files));
	tcase_add_test(tc, test_tag_too_long);
	tcase_add_test(tc, test_link);
	tcase_add_test(tc, test_referrer);
	tcase_add_test(tc, test_upload_round_trip);
	tcase_add_loop_test(tc, test_upload_bad, 0, nitems(bad_states));
	suite_add_tcase(s, tc);
	return (check_run(s));
}
