/*
 * tests/unit/check_layout.c: storage paths, and the path grammar that
 * every driver wrapper enforces.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/digest.h"
#include "common/log.h"
#include "common/util.h"
#include "storage/driver.h"
#include "storage/layout.h"
#include "tests/unit/check_run.h"

#define HEX256	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define HEX256B	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define HEX512	"cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce" \
		"47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"
#define UUID	"0123456789abcdef0123456789abcdef"

enum kind {
	K_BLOB, K_BLOBS, K_UPLOAD_DIR, K_UPLOAD_DATA, K_UPLOAD_STATE,
	K_UPLOAD_LOCK, K_UPLOADS, K_REPOS, K_REPO, K_LINK, K_LINKS,
	K_BLOB_LINK, K_BLOB_LINKS, K_TAGS, K_TAG, K_TAGS_LOCK, K_REFERRERS,
	K_REFERRER, K_GC_LOCK, K_PRUNE_RECORD
};

static const struct {
	enum kind	 kind;
	const char	*name;		/* repository, or upload id */
	const char	*arg;		/* tag, or first digest */
	const char	*arg2;		/* second digest */
	const char	*want;
} paths[] = {
	{ K_BLOB, NULL, "sha256:" HEX256, NULL,
	    "blobs/sha256/e3/" HEX256 },
	{ K_BLOB, NULL, "sha512:" HEX512, NULL, "blobs/sha512/cf/" HEX512 },
	{ K_BLOBS, NULL, NULL, NULL, "blobs" },
	{ K_UPLOAD_DIR, UUID, NULL, NULL, "uploads/" UUID },
	{ K_UPLOAD_DATA, UUID, NULL, NULL, "uploads/" UUID "/data" },
	{ K_UPLOAD_STATE, UUID, NULL, NULL, "uploads/" UUID "/state" },
	{ K_UPLOAD_LOCK, UUID, NULL, NULL, "uploads/" UUID "/lock" },
	{ K_UPLOADS, NULL, NULL, NULL, "uploads" },
	{ K_REPOS, NULL, NULL, NULL, "repos" },
	{ K_REPO, "library/alpine", NULL, NULL, "repos/library/alpine" },
	{ K_REPO, "a__b/c--d.e", NULL, NULL, "repos/a__b/c--d.e" },
	{ K_LINK, "quay.io/org/img", "sha256:" HEX256, NULL,
	    "repos/quay.io/org/img/_manifests/sha256/" HEX256 },
	{ K_LINKS, "x", NULL, NULL, "repos/x/_manifests" },
	{ K_BLOB_LINK, "team-a/app", "sha256:" HEX256, NULL,
	    "repos/team-a/app/_blobs/sha256/" HEX256 },
	{ K_BLOB_LINKS, "x", NULL, NULL, "repos/x/_blobs" },
	{ K_TAGS, "x/y", NULL, NULL, "repos/x/y/_tags" },
	{ K_TAG, "x/y", "latest", NULL, "repos/x/y/_tags/latest" },
	{ K_TAG, "x", "_under.score-1", NULL, "repos/x/_tags/_under.score-1" },
	{ K_TAGS_LOCK, "x/y", NULL, NULL, "repos/x/y/_tags/.lock" },
	{ K_REFERRERS, "x", "sha256:" HEX256, NULL,
	    "repos/x/_referrers/sha256/" HEX256 },
	{ K_REFERRER, "x", "sha256:" HEX256, "sha256:" HEX256B,
	    "repos/x/_referrers/sha256/" HEX256 "/sha256-" HEX256B },
	{ K_REFERRER, "x", "sha256:" HEX256, "sha512:" HEX512,
	    "repos/x/_referrers/sha256/" HEX256 "/sha512-" HEX512 },
	{ K_GC_LOCK, NULL, NULL, NULL, "gc.lock" },
	{ K_PRUNE_RECORD, NULL, NULL, NULL, "prune.last" },
};

static void
parse(const char *s, struct digest *d)
{
	if (s != NULL)
		ck_assert_int_eq(digest_parse(s, strlen(s), d), 0);
}

START_TEST(test_layout)
{
	struct digest	 d1, d2;
	struct buf	 b = BUF_INIT;
	const char	*n = paths[_i].name, *a = paths[_i].arg;

	if (paths[_i].kind != K_TAG)
		parse(a, &d1);
	parse(paths[_i].arg2, &d2);
	buf_addstr(&b, "stale contents");	/* layout_*() reset first */
	switch (paths[_i].kind) {
	case K_BLOB:		layout_blob(&b, &d1); break;
	case K_BLOBS:		layout_blobs_root(&b); break;
	case K_UPLOAD_DIR:	layout_upload_dir(&b, n); break;
	case K_UPLOAD_DATA:	layout_upload_data(&b, n); break;
	case K_UPLOAD_STATE:	layout_upload_state(&b, n); break;
	case K_UPLOAD_LOCK:	layout_upload_lock(&b, n); break;
	case K_UPLOADS:		layout_uploads_root(&b); break;
	case K_REPOS:		layout_repos_root(&b); break;
	case K_REPO:		layout_repo(&b, n); break;
	case K_LINK:		layout_manifest_link(&b, n, &d1); break;
	case K_LINKS:		layout_manifest_links(&b, n); break;
	case K_BLOB_LINK:	layout_blob_link(&b, n, &d1); break;
	case K_BLOB_LINKS:	layout_blob_links(&b, n); break;
	case K_TAGS:		layout_tags(&b, n); break;
	case K_TAG:		layout_tag(&b, n, a); break;
	case K_TAGS_LOCK:	layout_tags_lock(&b, n); break;
	case K_REFERRERS:	layout_referrers(&b, n, &d1); break;
	case K_REFERRER:	layout_referrer(&b, n, &d1, &d2); break;
	case K_GC_LOCK:		layout_gc_lock(&b); break;
	case K_PRUNE_RECORD:	layout_prune_record(&b); break;
	}
	ck_assert_str_eq(b.buf, paths[_i].want);
	ck_assert_int_eq(stor_path_valid(b.buf), 1);
	buf_release(&b);
}
END_TEST

static const struct {
	const char	*path;
	int		 valid;
} grammar[] = {
	{ "blobs", 1 },
	{ "a/b/c", 1 },
	{ "a/.tmp-1-ff", 1 },
	{ "..a/b..", 1 },
	{ "A-Z_0.9", 1 },
	{ "../x", 0 },
	{ "a/../b", 0 },
	{ "a/..", 0 },
	{ "..", 0 },
	{ ".", 0 },
	{ "/abs", 0 },
	{ "a//b", 0 },
	{ "a/./b", 0 },
	{ "a/", 0 },
	{ "", 0 },
	{ "a\n", 0 },
	{ "a b", 0 },
	{ "a:b", 0 },
	{ "a\\b", 0 },
	{ "\xc3\xa9", 0 },
};

START_TEST(test_path_valid)
{
	ck_assert_int_eq(stor_path_valid(grammar[_i].path),
	    grammar[_i].valid);
}
END_TEST

START_TEST(test_path_too_long)
{
	struct buf	b = BUF_INIT;

	while (b.len < 4096)
		buf_addstr(&b, "abcdefgh/");
	buf_addstr(&b, "x");
	ck_assert_int_eq(stor_path_valid(b.buf), 0);
	ck_assert_int_eq(stor_path_valid(NULL), 0);
	buf_release(&b);
}
END_TEST

int
main(void)
{
	Suite	*s;
	TCase	*tc;

	log_init(0);
	s = suite_create("layout");
	tc = tcase_create("core");
	tcase_add_loop_test(tc, test_layout, 0, nitems(paths));
	tcase_add_loop_test(tc, test_path_valid, 0, nitems(grammar));
	tcase_add_test(tc, test_path_too_long);
	suite_add_tcase(s, tc);
	return (check_run(s));
}
