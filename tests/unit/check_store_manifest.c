/*
 * tests/unit/check_store_manifest.c: manifests, tags, the catalog and
 * referrers on a fresh filesystem store per test.
 */
#include "config.h"

#include <sys/stat.h>

#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/buf.h"
#include "common/digest.h"
#include "common/util.h"
#include "storage/driver.h"
#include "storage/layout.h"
#include "storage/manifest.h"
#include "storage/store.h"
#include "storage/store_int.h"
#include "tests/unit/check_run.h"
#include "tests/unit/stor_conformance.h"

#define DOCKER_CONFIG	"application/vnd.docker.container.image.v1+json"
#define DOCKER_LAYER	"application/vnd.docker.image.rootfs.diff.tar.gzip"
#define OCI_CONFIG	"application/vnd.oci.image.config.v1+json"
#define OCI_LAYER	"application/vnd.oci.image.layer.v1.tar+gzip"
#define OCI_EMPTY	"application/vnd.oci.empty.v1+json"

static char		 tmproot[4096];
static struct store	*st;

static void
setup(void)
{
	const char	*tmp;

	if ((tmp = getenv("TMPDIR")) == NULL)
		tmp = ".";
	(void)snprintf(tmproot, sizeof(tmproot), "%s/check_store.XXXXXX", tmp);
	ck_assert_ptr_nonnull(mkdtemp(tmproot));
	st = stor_test_store(tmproot);
	ck_assert_ptr_nonnull(st);
}

/*
 * The same store, seen as a remote one (STOR_CAP_REMOTE): what is
 * probably new is written create-only first (store_create_first()).
 */
static struct stor_ops	remote_ops;

static void
setup_remote(void)
{
	setup();
	remote_ops = *st->sd->ops;
	remote_ops.caps |= STOR_CAP_REMOTE;
	st->sd->ops = &remote_ops;
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return (remove(path));
}

static void
teardown(void)
{
	store_close(st);
	(void)nftw(tmproot, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The repositories the tests push to, which hold every blob_add(). */
static const char *const blob_repos[] = {
	"r", "a", "library/alpine", "other", "quay.io/x/y", "a/b/c", "z", "a/b"
};

/* Store "s" as a blob; its digest goes to "d". */
static void
blob_add(const char *s, struct digest *d)
{
	struct buf	path = BUF_INIT;
	size_t		i;

	digest_of(DIGEST_SHA256, s, strlen(s), d);
	layout_blob(&path, d);
	ck_assert_int_eq(stor_put(st->sd, path.buf, s, strlen(s), 0), REG_OK);
	for (i = 0; i < nitems(blob_repos); i++)
		ck_assert_int_eq(store_blob_link(st, blob_repos[i], d),
		    REG_OK);
	buf_release(&path);
}

static void
desc_add(struct buf *b, const char *mt, const struct digest *d,
    unsigned long long size)
{
	buf_addf(b, "{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%llu}",
	    mt, d->str, size);
}

/* An image manifest of type "mt" with one layer; "extra" is appended. */
static void
image_make(struct buf *b, const char *mt, const char *config_mt,
    const char *config, const char *layer, long long layer_size,
    const char *extra)
{
	struct digest	dc, dl;

	blob_add(config, &dc);
	blob_add(layer, &dl);
	buf_reset(b);
	buf_addf(b, "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":",
	    mt);
	desc_add(b, config_mt, &dc, strlen(config));
	buf_addstr(b, ",\"layers\":[");
	desc_add(b, strcmp(mt, MT_DOCKER_V2) == 0 ? DOCKER_LAYER : OCI_LAYER,
	    &dl, layer_size < 0 ? strlen(layer) : (size_t)layer_size);
	buf_addf(b, "]%s}", extra);
}

static void
schema2_make(struct buf *b, const char *layer)
{
	image_make(b, MT_DOCKER_V2, DOCKER_CONFIG, "{\"os\":\"linux\"}",
	    layer, -1, "");
}

static void
oci_make(struct buf *b, const char *layer)
{
	image_make(b, MT_OCI_MANIFEST, OCI_CONFIG, "{\"os\":\"linux\"}",
	    layer, -1, "");
}

static enum reg_err
put(const char *name, const char *tag, const struct buf *b,
    struct manifest_meta *meta)
{
	struct manifest_meta	 m;
	struct buf		 detail = BUF_INIT;
	enum reg_err		 rc;

	rc = store_manifest_put(st, name, tag, NULL, NULL, b->buf, b->len,
	    meta != NULL ? meta : &m, &detail);
	buf_release(&detail);
	return (rc);
}

START_TEST(test_put_get)
{
	struct manifest_meta	 meta, gm;
	struct tag_entry	*te;
	struct buf		 b = BUF_INIT, got = BUF_INIT,
				 detail = BUF_INIT;
	struct digest		 want;
	uint64_t		 size;
	size_t			 n;
	time_t			 before, pushed;

	schema2_make(&b, "layer one");
	ck_assert_int_eq(store_manifest_put(st, "library/alpine", "latest",
	    NULL, MT_DOCKER_V2 "; charset=utf-8", b.buf, b.len, &meta,
	    &detail), REG_OK);
	digest_of(DIGEST_SHA256, b.buf, b.len, &want);
	ck_assert_str_eq(meta.digest.str, want.str);
	ck_assert_uint_eq(meta.size, b.len);
	ck_assert_str_eq(meta.media_type, MT_DOCKER_V2);
	ck_assert_int_eq(meta.has_subject, 0);

	ck_assert_int_eq(store_manifest_get(st, "library/alpine", &want,
	    &got, &gm), REG_OK);
	ck_assert_uint_eq(got.len, b.len);
	ck_assert_mem_eq(got.buf, b.buf, b.len);
	ck_assert_str_eq(gm.media_type, MT_DOCKER_V2);
	ck_assert_str_eq(gm.digest.str, want.str);
	ck_assert_uint_eq(gm.size, b.len);

	/* The manifest is a blob too, but only in its repository. */
	ck_assert_int_eq(store_blob_stat(st, "library/alpine", &want, &size),
	    REG_OK);
	ck_assert_uint_eq(size, b.len);
	ck_assert_int_eq(store_manifest_get(st, "library/other", &want,
	    &got, &gm), REG_E_NOENT);
	ck_assert_int_eq(store_blob_stat(st, "library/other", &want, &size),
	    REG_E_NOENT);

	ck_assert_int_eq(store_tag_get(st, "library/alpine", "latest", &te,
	    &n), REG_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(te[0].digest.str, want.str);
	ck_assert_str_eq(te[0].media_type, MT_DOCKER_V2);
	/* What the tag names, without its link: the same answer. */
	memset(&gm, 0, sizeof(gm));
	ck_assert_int_eq(store_manifest_get_tagged(st, "library/alpine",
	    &te[0], &got, &gm), REG_OK);
	ck_assert_uint_eq(got.len, b.len);
	ck_assert_mem_eq(got.buf, b.buf, b.len);
	ck_assert_str_eq(gm.media_type, MT_DOCKER_V2);
	ck_assert_str_eq(gm.digest.str, want.str);
	ck_assert_uint_eq(gm.size, b.len);
	/* A tag entry naming a manifest that is not there: not found. */
	te[0].digest.hex[0] = te[0].digest.hex[0] == '0' ? '1' : '0';
	te[0].digest.str[sizeof("sha256:") - 1] = te[0].digest.hex[0];
	ck_assert_int_eq(store_manifest_get_tagged(st, "library/alpine",
	    &te[0], &got, &gm), REG_E_NOENT);
	free(te);
	ck_assert_int_eq(store_tag_get(st, "library/alpine", "nope", &te,
	    &n), REG_E_NOENT);
	before = time(NULL);
	ck_assert_int_eq(store_tag_mtime(st, "library/alpine", "latest",
	    &pushed), REG_OK);
	ck_assert(pushed >= before - 60 && pushed <= before);
	ck_assert_int_eq(store_tag_mtime(st, "library/alpine", "nope",
	    &pushed), REG_E_NOENT);

	/* Pushing the same bytes again is fine. */
	ck_assert_int_eq(put("library/alpine", "latest", &b, NULL), REG_OK);
	buf_release(&b);
	buf_release(&got);
	buf_release(&detail);
}
END_TEST

static const struct {
	const char	*what;
	int		 layer_size;	/* -1: the real size */
	int		 layer_missing;
	const char	*detail;
} bad_refs[] = {
	{ "missing layer", -1, 1, "is not in repository a" },
	{ "layer size over by one", 10, 0, "is 9 bytes, the manifest says 10" },
	{ "layer size short", 3, 0, "is 9 bytes, the manifest says 3" },
};

START_TEST(test_bad_refs)
{
	struct manifest_meta	 meta;
	struct buf		 b = BUF_INIT, detail = BUF_INIT, path = BUF_INIT;
	struct digest		 dl, dm;

	image_make(&b, MT_OCI_MANIFEST, OCI_CONFIG, "{}", "layer one",
	    bad_refs[_i].layer_size, "");
	if (bad_refs[_i].layer_missing) {
		digest_of(DIGEST_SHA256, "layer one", 9, &dl);
		layout_blob(&path, &dl);
		ck_assert_int_eq(stor_remove(st->sd, path.buf), REG_OK);
	}
	ck_assert_int_eq(store_manifest_put(st, "a", "t", NULL,
	    MT_OCI_MANIFEST, b.buf, b.len, &meta, &detail),
	    REG_E_MANIFEST_BLOB_UNKNOWN);
	ck_assert_msg(strstr(detail.buf, bad_refs[_i].detail) != NULL,
	    "%s: detail \"%s\"", bad_refs[_i].what, detail.buf);
	digest_of(DIGEST_SHA256, "layer one", 9, &dl);
	ck_assert_ptr_nonnull(strstr(detail.buf, dl.str));

	/* Nothing was written. */
	digest_of(DIGEST_SHA256, b.buf, b.len, &dm);
	ck_assert_int_eq(store_manifest_get(st, "a", &dm, &path, &meta),
	    REG_E_NOENT);
	buf_release(&b);
	buf_release(&detail);
	buf_release(&path);
}
END_TEST

START_TEST(test_digest_ref)
{
	struct manifest_meta	 meta;
	struct buf		 b = BUF_INIT, detail = BUF_INIT;
	struct digest		 d, other;
	char			**tags;
	size_t			 n;
	int			 more;

	oci_make(&b, "layer");
	digest_of(DIGEST_SHA256, b.buf, b.len, &d);
	digest_of(DIGEST_SHA256, "something else", 14, &other);
	ck_assert_int_eq(store_manifest_put(st, "r", NULL, &other,
	    MT_OCI_MANIFEST, b.buf, b.len, &meta, &detail),
	    REG_E_DIGEST_INVALID);
	ck_assert_ptr_nonnull(strstr(detail.buf, d.str));
	ck_assert_int_eq(store_manifest_put(st, "r", NULL, &d,
	    MT_OCI_MANIFEST, b.buf, b.len, &meta, &detail), REG_OK);
	ck_assert_str_eq(meta.digest.str, d.str);

	/* Pushed by digest: in the repository, but no tag. */
	ck_assert_int_eq(store_tags_list(st, "r", NULL, 0, &tags, &n, &more),
	    REG_OK);
	ck_assert_uint_eq(n, 0);
	store_strv_free(tags, n);
	buf_release(&b);
	buf_release(&detail);
}
END_TEST

START_TEST(test_too_large)
{
	struct manifest_meta	 meta;
	struct buf		 detail = BUF_INIT;
	char			*big;

	big = calloc(1, MANIFEST_MAX + 1);
	ck_assert_ptr_nonnull(big);
	memset(big, ' ', MANIFEST_MAX + 1);
	ck_assert_int_eq(store_manifest_put(st, "r", "t", NULL, NULL, big,
	    MANIFEST_MAX + 1, &meta, &detail), REG_E_TOO_LARGE);
	ck_assert_int_eq(store_manifest_put(st, "r", "t", NULL, NULL, big,
	    MANIFEST_MAX, &meta, &detail), REG_E_MANIFEST_INVALID);
	free(big);
	buf_release(&detail);
}
END_TEST

static void
tag_expect(const char *name, const char *tag, size_t want_n,
    const struct manifest_meta *m0, const struct manifest_meta *m1)
{
	struct tag_entry	*te;
	size_t			 n;

	ck_assert_int_eq(store_tag_get(st, name, tag, &te, &n), REG_OK);
	ck_assert_uint_eq(n, want_n);
	ck_assert_str_eq(te[0].digest.str, m0->digest.str);
	ck_assert_str_eq(te[0].media_type, m0->media_type);
	if (want_n > 1) {
		ck_assert_str_eq(te[1].digest.str, m1->digest.str);
		ck_assert_str_eq(te[1].media_type, m1->media_type);
	}
	free(te);
}

START_TEST(test_tag_types)
{
	struct manifest_meta	 s2, oci, s2b, ocib;
	struct buf		 b = BUF_INIT;

	schema2_make(&b, "one");
	ck_assert_int_eq(put("r", "t", &b, &s2), REG_OK);
	oci_make(&b, "one");
	ck_assert_int_eq(put("r", "t", &b, &oci), REG_OK);
	tag_expect("r", "t", 2, &oci, &s2);

	/* Re-pushing a type replaces its line and moves it to the front. */
	schema2_make(&b, "two");
	ck_assert_int_eq(put("r", "t", &b, &s2b), REG_OK);
	tag_expect("r", "t", 2, &s2b, &oci);
	oci_make(&b, "two");
	ck_assert_int_eq(put("r", "t", &b, &ocib), REG_OK);
	tag_expect("r", "t", 2, &ocib, &s2b);

	/* The replaced manifests stay in the repository. */
	ck_assert_int_eq(store_manifest_get(st, "r", &s2.digest, &b, &s2b),
	    REG_OK);
	buf_release(&b);
}
END_TEST

START_TEST(test_delete)
{
	struct manifest_meta	 a, bm, m;
	struct tag_entry	*te;
	struct buf		 b = BUF_INIT;
	char			**tags;
	size_t			 n;
	int			 more;

	schema2_make(&b, "a");
	ck_assert_int_eq(put("r", "t1", &b, &a), REG_OK);
	ck_assert_int_eq(put("r", "t2", &b, &a), REG_OK);
	oci_make(&b, "b");
	ck_assert_int_eq(put("r", "t1", &b, &bm), REG_OK);

	ck_assert_int_eq(store_manifest_delete(st, "r", &a.digest, NULL), REG_OK);
	tag_expect("r", "t1", 1, &bm, NULL);
	ck_assert_int_eq(store_tag_get(st, "r", "t2", &te, &n), REG_E_NOENT);
	ck_assert_int_eq(store_manifest_get(st, "r", &a.digest, &b, &m),
	    REG_E_NOENT);
	ck_assert_int_eq(store_manifest_delete(st, "r", &a.digest, NULL),
	    REG_E_NOENT);
	ck_assert_int_eq(store_manifest_delete(st, "other", &bm.digest, NULL),
	    REG_E_NOENT);
	ck_assert_int_eq(store_tags_list(st, "r", NULL, 0, &tags, &n, &more),
	    REG_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(tags[0], "t1");
	store_strv_free(tags, n);

	/* Deleting a tag leaves the manifest. */
	ck_assert_int_eq(store_tag_delete(st, "r", "t1"), REG_OK);
	ck_assert_int_eq(store_tag_delete(st, "r", "t1"), REG_E_NOENT);
	ck_assert_int_eq(store_tag_delete(st, "nope", "t1"), REG_E_NOENT);
	ck_assert_int_eq(store_manifest_get(st, "r", &bm.digest, &b, &m),
	    REG_OK);
	buf_release(&b);
}
END_TEST

/* The inode of a manifest's link in repository "r". */
static ino_t
link_ino(const struct digest *d)
{
	struct buf	path = BUF_INIT, full = BUF_INIT;
	struct stat	sb;

	layout_manifest_link(&path, "r", d);
	buf_addf(&full, "%s/%s", tmproot, path.buf);
	ck_assert_int_eq(stat(full.buf, &sb), 0);
	buf_release(&path);
	buf_release(&full);
	return (sb.st_ino);
}

/* Pushed again, to another tag: the link stays, both tags name it. */
START_TEST(test_repush)
{
	struct manifest_meta	 a, again;
	struct buf		 b = BUF_INIT;
	ino_t			 ino;

	oci_make(&b, "a");
	ck_assert_int_eq(put("r", "one", &b, &a), REG_OK);
	ino = link_ino(&a.digest);
	ck_assert_int_eq(put("r", "two", &b, &again), REG_OK);
	ck_assert_str_eq(again.digest.str, a.digest.str);
	ck_assert(link_ino(&a.digest) == ino);
	tag_expect("r", "one", 1, &a, NULL);
	tag_expect("r", "two", 1, &a, NULL);
	buf_release(&b);
}
END_TEST

/* Push number "j" of media type "types[i]": distinct bytes each time. */
static const char *const types[] = {
	MT_DOCKER_V2, MT_OCI_MANIFEST, MT_DOCKER_LIST, MT_OCI_INDEX
};

static void
typed_make(struct buf *b, size_t i, size_t j)
{
	struct buf	layer = BUF_INIT;

	buf_addf(&layer, "layer %zu", j);
	if (i == 0)
		schema2_make(b, layer.buf);
	else if (i == 1)
		oci_make(b, layer.buf);
	else {
		buf_reset(b);
		buf_addf(b, "{\"schemaVersion\":2,\"mediaType\":\"%s\","
		    "\"manifests\":[],\"n\":%zu}", types[i], j);
	}
	buf_release(&layer);
}

/* Does tag "t" of "r" name push "j" of type "i"? */
static int
tag_has(size_t i, size_t j)
{
	struct tag_entry	*te;
	struct buf		 b = BUF_INIT;
	struct digest		 d;
	size_t			 n, k;
	int			 found = 0;

	typed_make(&b, i, j);
	digest_of(DIGEST_SHA256, b.buf, b.len, &d);
	if (store_tag_get(st, "r", "t", &te, &n) == REG_OK) {
		for (k = 0; k < n; k++)
			if (strcmp(te[k].media_type, types[i]) == 0)
				found = digest_equal(&te[k].digest, &d);
		free(te);
	}
	buf_release(&b);
	return (found);
}

/*
 * One process per media type pushes to the same tag over and over.
 * Without the tag lock, a read-modify-write that read before another
 * type's push would put that type's older digest back: each process
 * checks, before its next push, that its last one is still there.
 */
START_TEST(test_tag_concurrent)
{
	struct manifest_meta	 m;
	struct tag_entry	*te;
	struct buf		 b = BUF_INIT;
	struct digest		 last;
	pid_t			 pids[nitems(types)];
	size_t			 i, j, n;
	int			 status, fails;

	for (i = 0; i < nitems(pids); i++) {
		if ((pids[i] = fork()) == 0) {
			for (fails = 0, j = 0; j < 30; j++) {
				if (j > 0 && !tag_has(i, j - 1))
					fails++;
				typed_make(&b, i, j);
				if (put("r", "t", &b, NULL) != REG_OK)
					fails++;
			}
			_exit(fails == 0 ? 0 : 1);
		}
		ck_assert_int_ne(pids[i], -1);
	}
	for (i = 0; i < nitems(pids); i++) {
		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	ck_assert_int_eq(store_tag_get(st, "r", "t", &te, &n), REG_OK);
	ck_assert_uint_eq(n, nitems(types));
	for (i = 0; i < nitems(types); i++) {
		ck_assert(tag_has(i, 29));
		typed_make(&b, i, 29);
		digest_of(DIGEST_SHA256, b.buf, b.len, &last);
		ck_assert_int_eq(store_manifest_get(st, "r", &last, &b, &m),
		    REG_OK);
	}
	free(te);
	buf_release(&b);
}
END_TEST

/*
 * One process pushes a manifest to new tags of a repository while
 * another deletes that manifest over and over.  A delete drops every
 * tag that names the manifest, so whatever tags are left must name a
 * manifest that is there: a push whose link a delete removed between
 * the push's link and its tag must not leave a tag behind that points
 * at nothing.
 */
START_TEST(test_push_delete_race)
{
	struct manifest_meta	 a, m;
	struct tag_entry	*te;
	struct buf		 b = BUF_INIT, tag = BUF_INIT;
	char			**tags;
	pid_t			 pid;
	size_t			 i, n, nte;
	int			 status, more, fails = 0, deleted = 0;
	enum reg_err		 rc;

	oci_make(&b, "a");
	ck_assert_int_eq(put("r", "first", &b, &a), REG_OK);
	if ((pid = fork()) == 0) {
		for (i = 0; i < 80; i++) {
			buf_reset(&tag);
			buf_addf(&tag, "t%zu", i);
			if (put("r", tag.buf, &b, NULL) != REG_OK)
				fails++;
		}
		_exit(fails == 0 ? 0 : 1);
	}
	ck_assert_int_ne(pid, -1);
	while (waitpid(pid, &status, WNOHANG) == 0) {
		rc = store_manifest_delete(st, "r", &a.digest, NULL);
		if (rc == REG_OK)
			deleted++;
		else if (rc != REG_E_NOENT)
			fails++;
	}
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_eq(fails, 0);
	ck_assert_int_gt(deleted, 1);	/* it did race */
	ck_assert_int_eq(store_tags_list(st, "r", NULL, 0, &tags, &n, &more),
	    REG_OK);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(store_tag_get(st, "r", tags[i], &te, &nte),
		    REG_OK);
		ck_assert_uint_eq(nte, 1);
		ck_assert_msg(store_manifest_get(st, "r", &te[0].digest, &tag,
		    &m) == REG_OK, "tag %s names a deleted manifest", tags[i]);
		free(te);
	}
	store_strv_free(tags, n);
	buf_release(&b);
	buf_release(&tag);
}
END_TEST

static void
list_expect(char **v, size_t n, int more, const char *want, int want_more)
{
	struct buf	got = BUF_INIT;
	size_t		i;

	for (i = 0; i < n; i++)
		buf_addf(&got, "%s%s", i > 0 ? "," : "", v[i]);
	ck_assert_str_eq(got.buf, want);
	ck_assert_int_eq(more, want_more);
	store_strv_free(v, n);
	buf_release(&got);
}

static const struct {
	const char	*last;
	size_t		 n;
	const char	*want;
	int		 more;
} tag_pages[] = {
	{ NULL, 0, "A,a,b,c,d,latest", 0 },
	{ NULL, 2, "A,a", 1 },
	{ "a", 2, "b,c", 1 },
	{ "c", 2, "d,latest", 0 },
	{ "c", 3, "d,latest", 0 },
	{ "bb", 0, "c,d,latest", 0 },
	{ "latest", 5, "", 0 },
	{ "zzz", 0, "", 0 },
};

START_TEST(test_tags_list)
{
	static const char *const tags[] = { "latest", "d", "a", "c", "b",
	    "A" };
	struct buf	 b = BUF_INIT;
	char		**v;
	size_t		 n, i;
	int		 more;

	schema2_make(&b, "l");
	for (i = 0; i < nitems(tags); i++)
		ck_assert_int_eq(put("r", tags[i], &b, NULL), REG_OK);
	ck_assert_int_eq(store_tags_list(st, "r", tag_pages[_i].last,
	    tag_pages[_i].n, &v, &n, &more), REG_OK);
	list_expect(v, n, more, tag_pages[_i].want, tag_pages[_i].more);
	ck_assert_int_eq(store_tags_list(st, "unknown", NULL, 0, &v, &n,
	    &more), REG_E_NOENT);
	buf_release(&b);
}
END_TEST

START_TEST(test_catalog)
{
	static const char *const repos[] = { "quay.io/x/y", "a/b/c", "z",
	    "a/b" };
	struct buf	 b = BUF_INIT;
	char		**v;
	size_t		 n, i;
	int		 more;

	ck_assert_int_eq(store_catalog(st, NULL, 0, &v, &n, &more), REG_OK);
	list_expect(v, n, more, "", 0);
	oci_make(&b, "l");
	for (i = 0; i < nitems(repos); i++)
		ck_assert_int_eq(put(repos[i], NULL, &b, NULL), REG_OK);
	ck_assert_int_eq(store_catalog(st, NULL, 0, &v, &n, &more), REG_OK);
	list_expect(v, n, more, "a/b,a/b/c,quay.io/x/y,z", 0);
	ck_assert_int_eq(store_catalog(st, NULL, 2, &v, &n, &more), REG_OK);
	list_expect(v, n, more, "a/b,a/b/c", 1);
	ck_assert_int_eq(store_catalog(st, "a/b/c", 2, &v, &n, &more),
	    REG_OK);
	list_expect(v, n, more, "quay.io/x/y,z", 0);
	buf_release(&b);
}
END_TEST

/* Push oci_make(&b, "l") to "name", after linking its blobs there. */
static void
catalog_put(const char *name, const struct buf *b)
{
	static const char *const blobs[] = { "{\"os\":\"linux\"}", "l" };
	struct digest	d;
	size_t		i;

	for (i = 0; i < nitems(blobs); i++) {
		digest_of(DIGEST_SHA256, blobs[i], strlen(blobs[i]), &d);
		ck_assert_int_eq(store_blob_link(st, name, &d), REG_OK);
	}
	ck_assert_int_eq(put(name, NULL, b, NULL), REG_OK);
}

/*
 * Names that sort around '/': the catalog is in the byte order of the
 * full names ('-' < '.' < '/' < '0'), whatever the nesting, and every
 * page (any "last", any "n") is that order's slice.
 */
static const char *const cat_repos[] = { "a/b", "a-b", "a.b", "a", "a0",
    "a/b/c", "a/b-c", "a/b.c", "a/b0", "b/c/d/e", "a-b/x", "z9" };
static const char *const cat_lasts[] = { NULL, "a", "a-b", "a-b/x", "a.b",
    "a/", "a/b", "a/b-c", "a/b.c", "a/b/c", "a/b0", "a0", "b", "b/c",
    "b/c/d/e", "z9", "0", "a/a", "a/c", "zzz" };

static int
cat_cmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/* What a page must be: the sorted names after "last", n of them. */
static void
cat_want(const char *last, size_t n, struct buf *want, int *more)
{
	const char	*v[nitems(cat_repos)];
	size_t		 i, got = 0;

	memcpy(v, cat_repos, sizeof(v));
	qsort(v, nitems(v), sizeof(*v), cat_cmp);
	*more = 0;
	for (i = 0; i < nitems(v); i++) {
		if (last != NULL && strcmp(v[i], last) <= 0)
			continue;
		if (n != 0 && got == n) {
			*more = 1;
			break;
		}
		buf_addf(want, "%s%s", got > 0 ? "," : "", v[i]);
		got++;
	}
}

START_TEST(test_catalog_order)
{
	struct buf	 b = BUF_INIT, want = BUF_INIT;
	const char	*last = cat_lasts[_i];
	char		**v;
	size_t		 n, i, pn;
	int		 more, want_more;

	oci_make(&b, "l");
	for (i = 0; i < nitems(cat_repos); i++)
		catalog_put(cat_repos[i], &b);
	for (pn = 0; pn <= nitems(cat_repos) + 1; pn++) {
		buf_reset(&want);
		cat_want(last, pn, &want, &want_more);
		ck_assert_int_eq(store_catalog(st, last, pn, &v, &n, &more),
		    REG_OK);
		list_expect(v, n, more, want.buf, want_more);
	}
	buf_release(&b);
	buf_release(&want);
}
END_TEST

/* Directories that are not repositories, or not names, are skipped. */
START_TEST(test_catalog_strays)
{
	static const char *const dirs[] = { "repos/x/y/z", "repos/Bad/q",
	    "repos/_under", "repos/m/_manifests" };
	struct buf	 b = BUF_INIT, path = BUF_INIT;
	char		**v;
	size_t		 n, i;
	int		 more;

	for (i = 0; i < nitems(dirs); i++) {
		buf_reset(&path);
		buf_addf(&path, "%s/f", dirs[i]);
		ck_assert_int_eq(stor_put(st->sd, path.buf, "x", 1, 0), REG_OK);
	}
	ck_assert_int_eq(stor_put(st->sd, "repos/file", "x", 1, 0), REG_OK);
	oci_make(&b, "l");
	catalog_put("x/y/z/w", &b);
	catalog_put("x", &b);
	ck_assert_int_eq(store_catalog(st, NULL, 0, &v, &n, &more), REG_OK);
	list_expect(v, n, more, "m,x,x/y/z/w", 0);
	ck_assert_int_eq(store_catalog(st, "m", 1, &v, &n, &more), REG_OK);
	list_expect(v, n, more, "x", 1);
	ck_assert_int_eq(store_catalog(st, "x", 1, &v, &n, &more), REG_OK);
	list_expect(v, n, more, "x/y/z/w", 0);
	buf_release(&b);
	buf_release(&path);
}
END_TEST

/* Set the mtime of repos/<name> (repos/ itself for "") an hour back. */
static void
age_dir(const char *name)
{
	struct timespec	ts[2];
	char		path[8192];

	(void)snprintf(path, sizeof(path), "%s/repos%s%s", tmproot,
	    *name != '\0' ? "/" : "", name);
	ts[0].tv_sec = ts[1].tv_sec = time(NULL) - 3600;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
}

/*
 * The catalog keeps what it listed between calls; a repository added or
 * removed since shows all the same.
 */
START_TEST(test_catalog_kept)
{
	static const char *const dirs[] = { "", "a", "a/b", "c" };
	struct buf	 b = BUF_INIT;
	char		**v;
	size_t		 n, i;
	int		 more;

	oci_make(&b, "l");
	catalog_put("a/b", &b);
	catalog_put("c", &b);
	for (i = 0; i < nitems(dirs); i++)
		age_dir(dirs[i]);
	ck_assert_int_eq(store_catalog(st, NULL, 0, &v, &n, &more), REG_OK);
	list_expect(v, n, more, "a/b,c", 0);
	ck_assert_int_eq(store_catalog(st, NULL, 0, &v, &n, &more), REG_OK);
	list_expect(v, n, more, "a/b,c", 0);
	/* New below a kept directory, and in one: both seen. */
	catalog_put("a/b/x", &b);
	catalog_put("a", &b);
	catalog_put("b", &b);
	ck_assert_int_eq(store_catalog(st, "a", 2, &v, &n, &more), REG_OK);
	list_expect(v, n, more, "a/b,a/b/x", 1);
	ck_assert_int_eq(store_catalog(st, NULL, 0, &v, &n, &more), REG_OK);
	list_expect(v, n, more, "a,a/b,a/b/x,b,c", 0);
	/* Removed (as prune does): gone. */
	ck_assert_int_eq(stor_remove_tree(st->sd, "repos/c"), REG_OK);
	ck_assert_int_eq(store_catalog(st, "b", 0, &v, &n, &more), REG_OK);
	list_expect(v, n, more, "", 0);
	buf_release(&b);
}
END_TEST

START_TEST(test_index)
{
	struct manifest_meta	 child, m;
	struct buf		 b = BUF_INIT, idx = BUF_INIT,
				 detail = BUF_INIT;

	schema2_make(&b, "child");
	digest_of(DIGEST_SHA256, b.buf, b.len, &child.digest);
	buf_addf(&idx, "{\"schemaVersion\":2,\"mediaType\":\"%s\","
	    "\"manifests\":[", MT_DOCKER_LIST);
	desc_add(&idx, MT_DOCKER_V2, &child.digest, b.len);
	buf_addstr(&idx, "]}");

	/* The child must be a manifest of the same repository. */
	ck_assert_int_eq(put("other", NULL, &b, NULL), REG_OK);
	ck_assert_int_eq(store_manifest_put(st, "r", "t", NULL, NULL,
	    idx.buf, idx.len, &m, &detail), REG_E_MANIFEST_BLOB_UNKNOWN);
	ck_assert_ptr_nonnull(strstr(detail.buf, child.digest.str));
	ck_assert_int_eq(put("r", NULL, &b, &child), REG_OK);
	ck_assert_int_eq(put("r", "t", &idx, &m), REG_OK);
	ck_assert_str_eq(m.media_type, MT_DOCKER_LIST);
	buf_release(&b);
	buf_release(&idx);
	buf_release(&detail);
}
END_TEST

/* Parse a referrers index; return its manifests array (owned by *root). */
static struct json_object *
referrers(const struct digest *subj, const char *filter,
    struct json_object **root)
{
	struct json_object	*v;
	struct buf		 out = BUF_INIT;

	ck_assert_int_eq(store_referrers(st, "r", subj, filter, &out), REG_OK);
	*root = json_tokener_parse(out.buf);
	ck_assert_ptr_nonnull(*root);
	ck_assert(json_object_object_get_ex(*root, "schemaVersion", &v));
	ck_assert_int_eq(json_object_get_int(v), 2);
	ck_assert(json_object_object_get_ex(*root, "mediaType", &v));
	ck_assert_str_eq(json_object_get_string(v), MT_OCI_INDEX);
	ck_assert(json_object_object_get_ex(*root, "manifests", &v));
	buf_release(&out);
	return (v);
}

static const char *
member(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, key, &v))
		return (NULL);
	return (json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
}

START_TEST(test_referrers)
{
	struct manifest_meta	 subj, sbom, sig, idx, m;
	struct json_object	*root, *arr, *d;
	struct buf		 b = BUF_INIT, extra = BUF_INIT, q = BUF_INIT;
	struct digest		 empty;
	char			 size[32];
	size_t			 i;

	oci_make(&b, "subject");
	ck_assert_int_eq(put("r", "v1", &b, &subj), REG_OK);
	buf_addstr(&extra, ",\"subject\":");
	desc_add(&extra, MT_OCI_MANIFEST, &subj.digest, b.len);
	buf_addstr(&q, extra.buf);

	/* An artifact with artifactType and annotations. */
	buf_addstr(&extra, ",\"artifactType\":\"application/x.sbom\","
	    "\"annotations\":{\"org.example\":\"a/b\"}");
	image_make(&b, MT_OCI_MANIFEST, OCI_EMPTY, "{}", "sbom", -1,
	    extra.buf);
	ck_assert_int_eq(put("r", NULL, &b, &sbom), REG_OK);
	ck_assert_int_eq(sbom.has_subject, 1);
	ck_assert_str_eq(sbom.subject.str, subj.digest.str);

	/* No artifactType: the config's media type stands in. */
	image_make(&b, MT_OCI_MANIFEST, "application/x.sig.config", "sig",
	    "sig layer", -1, q.buf);
	ck_assert_int_eq(put("r", NULL, &b, &sig), REG_OK);

	/* An index with a subject and no artifactType. */
	buf_reset(&b);
	buf_addf(&b, "{\"schemaVersion\":2,\"mediaType\":\"%s\","
	    "\"manifests\":[]%s}", MT_OCI_INDEX, q.buf);
	ck_assert_int_eq(put("r", NULL, &b, &idx), REG_OK);
	ck_assert_int_eq(store_manifest_get(st, "r", &idx.digest, &b, &m),
	    REG_OK);
	ck_assert_int_eq(m.has_subject, 1);
	ck_assert_str_eq(m.subject.str, subj.digest.str);

	arr = referrers(&subj.digest, NULL, &root);
	ck_assert_uint_eq(json_object_array_length(arr), 3);
	for (i = 0; i < 3; i++) {
		d = json_object_array_get_idx(arr, i);
		if (strstr(member(d, "digest"), sbom.digest.str) != NULL) {
			ck_assert_str_eq(member(d, "artifactType"),
			    "\"application/x.sbom\"");
			ck_assert_str_eq(member(d, "annotations"),
			    "{\"org.example\":\"a/b\"}");
			ck_assert_str_eq(member(d, "mediaType"),
			    "\"" MT_OCI_MANIFEST "\"");
		} else if (strstr(member(d, "digest"), sig.digest.str) !=
		    NULL) {
			ck_assert_str_eq(member(d, "artifactType"),
			    "\"application/x.sig.config\"");
			ck_assert_ptr_null(member(d, "annotations"));
		} else {
			ck_assert_ptr_nonnull(strstr(member(d, "digest"),
			    idx.digest.str));
			ck_assert_ptr_null(member(d, "artifactType"));
			(void)snprintf(size, sizeof(size), "%llu",
			    (unsigned long long)idx.size);
			ck_assert_str_eq(member(d, "size"), size);
		}
	}
	json_object_put(root);

	arr = referrers(&subj.digest, "application/x.sbom", &root);
	ck_assert_uint_eq(json_object_array_length(arr), 1);
	json_object_put(root);
	arr = referrers(&subj.digest, "application/none", &root);
	ck_assert_uint_eq(json_object_array_length(arr), 0);
	json_object_put(root);
	digest_of(DIGEST_SHA256, "", 0, &empty);
	arr = referrers(&empty, NULL, &root);
	ck_assert_uint_eq(json_object_array_length(arr), 0);
	json_object_put(root);

	/* A deleted referrer is no longer listed. */
	ck_assert_int_eq(store_manifest_delete(st, "r", &sbom.digest, NULL), REG_OK);
	arr = referrers(&subj.digest, NULL, &root);
	ck_assert_uint_eq(json_object_array_length(arr), 2);
	json_object_put(root);
	buf_release(&b);
	buf_release(&extra);
	buf_release(&q);
}
END_TEST

/* The link that says "name" holds blob "d" is gone (an older store). */
static void
blob_unlink(const char *name, const struct digest *d)
{
	struct buf	path = BUF_INIT;

	layout_blob_link(&path, name, d);
	ck_assert_int_eq(stor_remove(st->sd, path.buf), REG_OK);
	buf_release(&path);
}

/*
 * What a manifest references belongs to its repository: another one
 * cannot name it, nor can a delete take it away while it is named.
 */
START_TEST(test_blob_membership)
{
	struct manifest_meta	 m;
	struct buf		 b = BUF_INIT, detail = BUF_INIT;
	struct digest		 dl;
	uint64_t		 size;

	image_make(&b, MT_OCI_MANIFEST, OCI_CONFIG, "{}", "held", -1, "");
	digest_of(DIGEST_SHA256, "held", 4, &dl);
	blob_unlink("other", &dl);
	ck_assert_int_eq(store_manifest_put(st, "other", "t", NULL, NULL,
	    b.buf, b.len, &m, &detail), REG_E_MANIFEST_BLOB_UNKNOWN);
	ck_assert_ptr_nonnull(strstr(detail.buf, dl.str));
	ck_assert_int_eq(put("r", "t", &b, &m), REG_OK);

	/* Named by a manifest: no delete, with the reason. */
	buf_reset(&detail);
	ck_assert_int_eq(store_blob_delete(st, "r", &dl, &detail),
	    REG_E_UNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(detail.buf, m.digest.str));
	buf_reset(&detail);
	ck_assert_int_eq(store_blob_delete(st, "r", &m.digest, &detail),
	    REG_E_UNSUPPORTED);
	ck_assert_int_eq(store_blob_stat(st, "r", &dl, &size), REG_OK);
	ck_assert_int_eq(store_blob_stat(st, "r", &m.digest, &size), REG_OK);
	ck_assert_int_eq(store_blob_stat(st, "other", &m.digest, &size),
	    REG_E_NOENT);

	/* A store without the link: the manifest still holds the blob. */
	blob_unlink("r", &dl);
	ck_assert_int_eq(store_blob_stat(st, "r", &dl, &size), REG_OK);
	ck_assert_int_eq(store_blob_stat(st, "other", &dl, &size),
	    REG_E_NOENT);

	/* Once the manifest is gone the blob may go. */
	ck_assert_int_eq(store_manifest_delete(st, "r", &m.digest, &detail),
	    REG_OK);
	ck_assert_int_eq(store_blob_delete(st, "r", &dl, &detail), REG_OK);
	ck_assert_int_eq(store_blob_stat(st, "r", &dl, &size), REG_E_NOENT);
	ck_assert_int_eq(store_blob_delete(st, "r", &dl, &detail),
	    REG_E_NOENT);
	buf_release(&b);
	buf_release(&detail);
}
END_TEST

/* A child of an index cannot be deleted before the index. */
START_TEST(test_index_child_delete)
{
	struct manifest_meta	 child, idx, got;
	struct buf		 b = BUF_INIT, ib = BUF_INIT,
				 detail = BUF_INIT;

	schema2_make(&b, "child");
	ck_assert_int_eq(put("r", NULL, &b, &child), REG_OK);
	buf_addf(&ib, "{\"schemaVersion\":2,\"mediaType\":\"%s\","
	    "\"manifests\":[", MT_DOCKER_LIST);
	desc_add(&ib, MT_DOCKER_V2, &child.digest, b.len);
	buf_addstr(&ib, "]}");
	ck_assert_int_eq(put("r", "multi", &ib, &idx), REG_OK);

	ck_assert_int_eq(store_manifest_delete(st, "r", &child.digest,
	    &detail), REG_E_UNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(detail.buf, idx.digest.str));
	ck_assert_int_eq(store_manifest_get(st, "r", &child.digest, &b,
	    &got), REG_OK);
	tag_expect("r", "multi", 1, &idx, NULL);

	ck_assert_int_eq(store_manifest_delete(st, "r", &idx.digest,
	    &detail), REG_OK);
	ck_assert_int_eq(store_manifest_delete(st, "r", &child.digest,
	    &detail), REG_OK);
	buf_release(&b);
	buf_release(&ib);
	buf_release(&detail);
}
END_TEST

/* The pull-through cache: records round-trip and stay apart from tags. */
START_TEST(test_cache)
{
	static const char	 body[] = "{\"schemaVersion\":2}";
	static const char	 idx[] = "application/vnd.oci.image.index.v1+json";
	struct cache_tag	 ct, got;
	struct tag_entry	*te = NULL;
	struct buf		 b = BUF_INIT, path = BUF_INIT;
	struct digest		 d;
	char			 mt[MEDIA_TYPE_MAX + 1];
	size_t			 n;
	time_t			 now = time(NULL);

	digest_of(DIGEST_SHA256, body, strlen(body), &d);
	ck_assert_int_eq(store_cache_tag_get(st, "r", "v1", &got),
	    REG_E_NOENT);
	ck_assert_int_eq(store_cache_manifest_get(st, "r", &d, &b, mt),
	    REG_E_NOENT);
	ck_assert_int_eq(store_cache_manifest_put(st, "r", &d, idx, body,
	    strlen(body)), REG_OK);
	ck_assert_int_eq(store_cache_manifest_get(st, "r", &d, &b, mt),
	    REG_OK);
	ck_assert_str_eq(mt, idx);
	ck_assert_uint_eq(b.len, strlen(body));
	ck_assert_int_eq(memcmp(b.buf, body, b.len), 0);
	memset(&ct, 0, sizeof(ct));
	ct.digest = d;
	snprintf(ct.media_type, sizeof(ct.media_type), "%s", idx);
	ct.confirmed = now - 5;
	ck_assert_int_eq(store_cache_tag_put(st, "r", "v1", &ct), REG_OK);
	ck_assert_int_eq(store_cache_tag_get(st, "r", "v1", &got), REG_OK);
	ck_assert(digest_equal(&got.digest, &d));
	ck_assert_str_eq(got.media_type, idx);
	ck_assert(got.confirmed == ct.confirmed);
	/* Not a tag of the repository, which does not even exist. */
	ck_assert_int_eq(store_tag_get(st, "r", "v1", &te, &n), REG_E_NOENT);
	free(te);
	/* A malformed record is no record. */
	layout_cache_tag(&path, "r", "bad");
	ck_assert_int_eq(stor_put(st->sd, path.buf, "x 1\n", 4, 0), REG_OK);
	ck_assert_int_eq(store_cache_tag_get(st, "r", "bad", &got),
	    REG_E_NOENT);
	/* Retry-After: only a time to come counts. */
	ck_assert(store_upstream_retry_get(st, "docker.io") == 0);
	ck_assert_int_eq(store_upstream_retry_set(st, "docker.io", now - 1),
	    REG_OK);
	ck_assert(store_upstream_retry_get(st, "docker.io") == 0);
	ck_assert_int_eq(store_upstream_retry_set(st, "docker.io", now + 60),
	    REG_OK);
	ck_assert(store_upstream_retry_get(st, "docker.io") == now + 60);
	ck_assert(store_upstream_retry_get(st, "quay.io") == 0);
	buf_release(&b);
	buf_release(&path);
}
END_TEST

/* An upstream's tags list: kept, and merged into a repository's. */
START_TEST(test_cache_tags)
{
	char		*up[] = { "v2", "a", "v1" }, *dup[] = { "a", "a" };
	const char	*good = "7\nok\n..bad\nfine\n", *bad = "x\ny\n";
	char		**v;
	size_t		 n;
	time_t		 when;
	int		 more;
	struct buf	 path = BUF_INIT;

	ck_assert_int_eq(store_cache_tags_get(st, "r", &v, &n, &when),
	    REG_E_NOENT);
	ck_assert(!store_cache_held(st, "r"));
	ck_assert_int_eq(store_cache_tags_put(st, "r", up, 3, 1234), REG_OK);
	ck_assert(store_cache_held(st, "r"));
	ck_assert_int_eq(store_cache_tags_get(st, "r", &v, &n, &when),
	    REG_OK);
	ck_assert_uint_eq(n, 3);
	ck_assert(when == 1234);
	ck_assert_str_eq(v[0], "v2");
	ck_assert_str_eq(v[2], "v1");
	store_strv_free(v, n);
	/* Invalid tags in the record are dropped; a bad record is none. */
	layout_cache_tags(&path, "r");
	ck_assert_int_eq(stor_put(st->sd, path.buf, good, strlen(good), 0),
	    REG_OK);
	ck_assert_int_eq(store_cache_tags_get(st, "r", &v, &n, &when),
	    REG_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(v[1], "fine");
	store_strv_free(v, n);
	ck_assert_int_eq(stor_put(st->sd, path.buf, bad, strlen(bad), 0),
	    REG_OK);
	ck_assert_int_eq(store_cache_tags_get(st, "r", &v, &n, &when),
	    REG_E_NOENT);
	buf_release(&path);
	ck_assert_int_eq(store_tags_list_with(st, "r", dup, 2, NULL, 0, &v,
	    &n, &more), REG_OK);
	ck_assert_uint_eq(n, 1);
	store_strv_free(v, n);
	/* No repository and no extra tags: none; extra tags: a list. */
	ck_assert_int_eq(store_tags_list_with(st, "r", NULL, 0, NULL, 0, &v,
	    &n, &more), REG_E_NOENT);
	ck_assert_int_eq(store_tags_list_with(st, "r", up, 3, NULL, 2, &v,
	    &n, &more), REG_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert(more);
	ck_assert_str_eq(v[0], "a");
	ck_assert_str_eq(v[1], "v1");
	store_strv_free(v, n);
	ck_assert_int_eq(store_tags_list_with(st, "r", up, 3, "v1", 0, &v,
	    &n, &more), REG_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(v[0], "v2");
	store_strv_free(v, n);
}
END_TEST

static TCase *
store_tcase(const char *name, void (*fixture)(void))
{
	TCase	*tc;

	tc = tcase_create(name);
	tcase_add_checked_fixture(tc, fixture, teardown);
	tcase_add_test(tc, test_put_get);
	tcase_add_loop_test(tc, test_bad_refs, 0, nitems(bad_refs));
	tcase_add_test(tc, test_digest_ref);
	tcase_add_test(tc, test_too_large);
	tcase_add_test(tc, test_tag_types);
	tcase_add_test(tc, test_tag_concurrent);
	tcase_add_test(tc, test_delete);
	tcase_add_test(tc, test_repush);
	tcase_add_test(tc, test_push_delete_race);
	tcase_add_loop_test(tc, test_tags_list, 0, nitems(tag_pages));
	tcase_add_test(tc, test_catalog);
	tcase_add_loop_test(tc, test_catalog_order, 0, nitems(cat_lasts));
	tcase_add_test(tc, test_catalog_strays);
	tcase_add_test(tc, test_catalog_kept);
	tcase_add_test(tc, test_index);
	tcase_add_test(tc, test_referrers);
	tcase_add_test(tc, test_blob_membership);
	tcase_add_test(tc, test_index_child_delete);
	tcase_add_test(tc, test_cache);
	tcase_add_test(tc, test_cache_tags);
	return (tc);
}

int
main(void)
{
	Suite	*s;

	s = suite_create("store_manifest");
	suite_add_tcase(s, store_tcase("store", setup));
	suite_add_tcase(s, store_tcase("remote", setup_remote));
	return (check_run(s));
}
