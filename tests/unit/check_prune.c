/*
 * tests/unit/check_prune.c: store_prune() and store_fsck() on stores
 * built with the store API over the filesystem driver.
 *
 * Everything a test builds is then made two hours old (age_all()), so
 * that the grace (an hour) no longer protects it; what survives a prune
 * survives because the mark reached it.
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
#include <unistd.h>

#include "common/buf.h"
#include "common/digest.h"
#include "common/log.h"
#include "common/util.h"
#include "storage/driver.h"
#include "storage/layout.h"
#include "storage/manifest.h"
#include "storage/prune.h"
#include "storage/store.h"
#include "storage/store_int.h"
#include "tests/unit/check_run.h"
#include "tests/unit/stor_conformance.h"

#define REPO		"library/test"
#define OLD		7200
#define MAXD		32

#define OCI_CONFIG	"application/vnd.oci.image.config.v1+json"
#define OCI_LAYER	"application/vnd.oci.image.layer.v1.tar+gzip"
#define OCI_EMPTY	"application/vnd.oci.empty.v1+json"
#define D2_CONFIG	"application/vnd.docker.container.image.v1+json"
#define D2_LAYER	"application/vnd.docker.image.rootfs.diff.tar.gzip"

static char		*root;
static struct store	*st;
static int		 serial;

/* A list of digests a test expects to survive, or to go. */
struct dlist {
	struct digest	d[MAXD];
	size_t		n;
};

static void
dl_add(struct dlist *dl, const struct digest *d)
{
	ck_assert_uint_lt(dl->n, MAXD);
	dl->d[dl->n++] = *d;
}

static void
setup(void)
{
	log_init(0);
	root = stor_test_mkdtemp();
	st = stor_test_store(root);
	ck_assert_ptr_nonnull(st);
}

static void
teardown(void)
{
	store_close(st);
	stor_test_rmtree(root);
	free(root);
}

/* Building a store. */

struct memsrc {
	const char	*p;
	size_t		 len;
	size_t		 pos;
};

static ssize_t
memsrc_read(void *out, size_t size, void *arg)
{
	struct memsrc	*m = arg;
	size_t		 n = m->len - m->pos;

	if (n > size)
		n = size;
	memcpy(out, m->p + m->pos, n);
	m->pos += n;
	return ((ssize_t)n);
}

/* Upload "len" bytes of "data" as a blob. */
static void
blob_put(const char *data, size_t len, struct digest *d)
{
	struct memsrc	m = { data, len, 0 };
	struct buf	detail = BUF_INIT;
	char		uuid[UUID_LEN + 1];
	uint64_t	size;

	digest_of(DIGEST_SHA256, data, len, d);
	ck_assert_int_eq(store_upload_start(st, REPO, uuid), REG_OK);
	ck_assert_int_eq(store_upload_finish(st, REPO, uuid, d, UINT64_MAX, UINT64_MAX,
	    memsrc_read, &m, &size, &detail), REG_OK);
	ck_assert_uint_eq(size, len);
	buf_release(&detail);
}

/* A new blob with unique content; its descriptor JSON in "desc". */
static void
blob_new(const char *mt, struct digest *d, struct buf *desc)
{
	struct buf	b = BUF_INIT;

	buf_addf(&b, "blob %d of pid %ld", ++serial, (long)getpid());
	blob_put(b.buf, b.len, d);
	buf_reset(desc);
	buf_addf(desc, "{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu}",
	    mt, d->str, b.len);
	buf_release(&b);
}

static void
manifest_push(const char *repo, const char *tag, const char *mt,
    const struct buf *body, struct digest *d, struct buf *desc)
{
	struct manifest_meta	meta;
	struct buf		detail = BUF_INIT;

	ck_assert_msg(store_manifest_put(st, repo, tag, NULL, mt, body->buf,
	    body->len, &meta, &detail) == REG_OK, "push: %s", detail.buf);
	*d = meta.digest;
	if (desc != NULL) {
		buf_reset(desc);
		buf_addf(desc, "{\"mediaType\":\"%s\",\"digest\":\"%s\","
		    "\"size\":%zu}", mt, d->str, body->len);
	}
	buf_release(&detail);
}

/*
 * An image: config and two layers, pushed as "tag" (NULL: by digest),
 * with "extra" JSON members.  Its blobs and manifest go on "dl".
 */
static void
image_push(const char *repo, const char *tag, const char *mt,
    const char *extra, struct dlist *dl, struct digest *d, struct buf *desc)
{
	struct buf	 body = BUF_INIT, cfg = BUF_INIT, l1 = BUF_INIT,
			 l2 = BUF_INIT;
	struct digest	 dc, d1, d2;
	int		 oci = strcmp(mt, MT_OCI_MANIFEST) == 0;

	blob_new(oci ? OCI_CONFIG : D2_CONFIG, &dc, &cfg);
	blob_new(oci ? OCI_LAYER : D2_LAYER, &d1, &l1);
	blob_new(oci ? OCI_LAYER : D2_LAYER, &d2, &l2);
	/* blob_new() pushes to REPO. */
	ck_assert_int_eq(store_blob_mount(st, REPO, repo, &dc), REG_OK);
	ck_assert_int_eq(store_blob_mount(st, REPO, repo, &d1), REG_OK);
	ck_assert_int_eq(store_blob_mount(st, REPO, repo, &d2), REG_OK);
	buf_addf(&body, "{\"schemaVersion\":2,\"mediaType\":\"%s\","
	    "\"config\":%s,\"layers\":[%s,%s]%s}", mt, cfg.buf, l1.buf, l2.buf,
	    extra);
	manifest_push(repo, tag, mt, &body, d, desc);
	dl_add(dl, &dc);
	dl_add(dl, &d1);
	dl_add(dl, &d2);
	dl_add(dl, d);
	buf_release(&body);
	buf_release(&cfg);
	buf_release(&l1);
	buf_release(&l2);
}

/* An index or list of "n" children (image or index descriptors). */
static void
index_push(const char *repo, const char *tag, const char *mt,
    struct buf *kids, size_t n, struct dlist *dl, struct digest *d,
    struct buf *desc)
{
	struct buf	body = BUF_INIT;
	size_t		i;

	buf_addf(&body, "{\"schemaVersion\":2,\"mediaType\":\"%s\","
	    "\"manifests\":[", mt);
	for (i = 0; i < n; i++)
		buf_addf(&body, "%s%s", i ? "," : "", kids[i].buf);
	buf_addstr(&body, "]}");
	manifest_push(repo, tag, mt, &body, d, desc);
	dl_add(dl, d);
	buf_release(&body);
}

/*
 * An artifact whose subject is "subject" (a descriptor), pushed by
 * digest: a config of its own and one layer.
 */
static void
artifact_push(const char *repo, const char *subject, struct dlist *dl,
    struct digest *d, struct buf *desc)
{
	struct buf	body = BUF_INIT, cfg = BUF_INIT, layer = BUF_INIT;
	struct digest	dc, dlay;

	blob_new(OCI_EMPTY, &dc, &cfg);
	blob_new("application/vnd.example.sbom", &dlay, &layer);
	buf_addf(&body, "{\"schemaVersion\":2,\"mediaType\":\"%s\","
	    "\"artifactType\":\"application/vnd.example.sbom\","
	    "\"config\":%s,\"layers\":[%s],\"subject\":%s}", MT_OCI_MANIFEST,
	    cfg.buf, layer.buf, subject);
	manifest_push(repo, NULL, MT_OCI_MANIFEST, &body, d, desc);
	dl_add(dl, &dc);
	dl_add(dl, &dlay);
	dl_add(dl, d);
	buf_release(&body);
	buf_release(&cfg);
	buf_release(&layer);
}

static int
age_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	struct timespec	ts[2];

	(void)sb;
	(void)flag;
	(void)ftw;
	ts[0].tv_sec = ts[1].tv_sec = time(NULL) - OLD;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW),
	    0);
	return (0);
}

/* Make everything in the store two hours old. */
static void
age_all(void)
{
	ck_assert_int_eq(nftw(root, age_one, 16, FTW_PHYS), 0);
}

/* Make one object (a path relative to the root) two hours old. */
static void
age_path(const char *rel)
{
	struct buf	path = BUF_INIT;

	buf_addf(&path, "%s/%s", root, rel);
	age_one(path.buf, NULL, 0, NULL);
	buf_release(&path);
}

/* Are the blob's bytes in the store, whoever holds it? */
static int
blob_exists(const struct digest *d)
{
	uint64_t	size;
	enum reg_err	rc;

	rc = store_blob_size(st, d, &size);
	ck_assert(rc == REG_OK || rc == REG_E_NOENT);
	return (rc == REG_OK);
}

static int
link_exists(const char *repo, const struct digest *d)
{
	struct stor_stat	ss;
	struct buf		path = BUF_INIT;
	enum reg_err		rc;

	layout_manifest_link(&path, repo, d);
	rc = stor_stat(st->sd, path.buf, &ss);
	buf_release(&path);
	return (rc == REG_OK);
}

static void
assert_all(const struct dlist *dl, int present)
{
	size_t	i;

	for (i = 0; i < dl->n; i++)
		ck_assert_msg(blob_exists(&dl->d[i]) == present,
		    "blob %zu (%s) should %s", i, dl->d[i].str,
		    present ? "be there" : "be gone");
}

static void
prune(int untagged, uint64_t expiration, int dry_run,
    struct prune_stats *ps)
{
	struct prune_opts	opts;

	prune_opts_init(&opts);
	opts.untagged = untagged;
	opts.expiration = expiration;
	opts.dry_run = dry_run;
	ck_assert_int_eq(store_prune(st, &opts, ps), REG_OK);
}

/* The mark phase over every kind of manifest. */

enum kind {
	K_DOCKER,
	K_OCI,
	K_DOCKER_LIST,
	K_OCI_INDEX,
	K_NESTED_INDEX,
	K_REFERRER
};

static const struct {
	const char	*name;
	enum kind	 kind;
} kinds[] = {
	{ "docker schema 2", K_DOCKER },
	{ "oci manifest", K_OCI },
	{ "docker manifest list", K_DOCKER_LIST },
	{ "oci index", K_OCI_INDEX },
	{ "index of an index", K_NESTED_INDEX },
	{ "artifact with a subject", K_REFERRER },
};

/* Push a tagged "kind" as REPO:t; everything it reaches goes on "keep". */
static void
kind_push(enum kind k, struct dlist *keep)
{
	struct buf	kids[2] = { BUF_INIT, BUF_INIT }, desc = BUF_INIT;
	struct digest	d, di;
	const char	*mt;

	mt = k == K_DOCKER_LIST ? MT_DOCKER_V2 : MT_OCI_MANIFEST;
	switch (k) {
	case K_DOCKER:
	case K_OCI:
		image_push(REPO, "t", k == K_DOCKER ? MT_DOCKER_V2 :
		    MT_OCI_MANIFEST, "", keep, &d, NULL);
		break;
	case K_DOCKER_LIST:
	case K_OCI_INDEX:
		image_push(REPO, NULL, mt, "", keep, &d, &kids[0]);
		image_push(REPO, NULL, mt, "", keep, &d, &kids[1]);
		index_push(REPO, "t", k == K_DOCKER_LIST ? MT_DOCKER_LIST :
		    MT_OCI_INDEX, kids, 2, keep, &d, NULL);
		break;
	case K_NESTED_INDEX:
		image_push(REPO, NULL, mt, "", keep, &d, &kids[0]);
		index_push(REPO, NULL, MT_OCI_INDEX, kids, 1, keep, &di,
		    &kids[1]);
		image_push(REPO, NULL, mt, "", keep, &d, &kids[0]);
		index_push(REPO, "t", MT_OCI_INDEX, kids, 2, keep, &d, NULL);
		break;
	case K_REFERRER:
		image_push(REPO, "t", MT_OCI_MANIFEST, "", keep, &d, &desc);
		artifact_push(REPO, desc.buf, keep, &di, &kids[0]);
		/* And an artifact about the artifact. */
		artifact_push(REPO, kids[0].buf, keep, &di, NULL);
		break;
	}
	buf_release(&kids[0]);
	buf_release(&kids[1]);
	buf_release(&desc);
}

/*
 * Garbage next to it: a blob nothing references, and an untagged image
 * with an artifact about it.
 */
static void
garbage_push(struct dlist *gone, struct digest *untagged)
{
	struct buf	desc = BUF_INIT;
	struct digest	d;

	blob_new(OCI_LAYER, &d, &desc);
	dl_add(gone, &d);
	image_push(REPO, NULL, MT_OCI_MANIFEST, "", gone, untagged, &desc);
	artifact_push(REPO, desc.buf, gone, &d, NULL);
	buf_release(&desc);
}

START_TEST(test_mark_kinds)
{
	struct prune_stats	 ps;
	struct tag_entry	*te;
	struct dlist		 keep = { .n = 0 }, gone = { .n = 0 };
	struct digest		 u;
	size_t			 n;

	kind_push(kinds[_i].kind, &keep);
	garbage_push(&gone, &u);
	age_all();
	prune(1, 0, 0, &ps);
	assert_all(&keep, 1);
	assert_all(&gone, 0);
	ck_assert(!link_exists(REPO, &u));
	ck_assert_int_eq(store_tag_get(st, REPO, "t", &te, &n), REG_OK);
	free(te);
	/* The untagged image and its artifact. */
	ck_assert_uint_eq(ps.manifests, 2);
	ck_assert_uint_eq(ps.blobs, gone.n);
	ck_assert_uint_eq(ps.missing, 0);
	ck_assert_uint_eq(ps.kept, keep.n);
}
END_TEST

/* Without --untagged, untagged manifests keep what they reference. */
START_TEST(test_untagged_kept)
{
	struct prune_stats	ps;
	struct dlist		keep = { .n = 0 }, gone = { .n = 0 };
	struct digest		u, g;
	struct buf		desc = BUF_INIT;

	image_push(REPO, "t", MT_OCI_MANIFEST, "", &keep, &u, NULL);
	image_push(REPO, NULL, MT_DOCKER_V2, "", &keep, &u, NULL);
	blob_new(OCI_LAYER, &g, &desc);
	dl_add(&gone, &g);
	age_all();
	prune(0, 0, 0, &ps);
	assert_all(&keep, 1);
	assert_all(&gone, 0);
	ck_assert(link_exists(REPO, &u));
	ck_assert_uint_eq(ps.blobs, 1);
	ck_assert_uint_eq(ps.manifests, 0);
	buf_release(&desc);
}
END_TEST

/* The original kept only the last repository's blobs. */
START_TEST(test_every_repository)
{
	static const char	*repos[] = { "a", "b/c", "b", "z/y/x" };
	struct prune_stats	 ps;
	struct dlist		 keep = { .n = 0 };
	struct digest		 d;
	size_t			 i;

	for (i = 0; i < nitems(repos); i++)
		image_push(repos[i], "latest", MT_DOCKER_V2, "", &keep, &d,
		    NULL);
	age_all();
	prune(1, 0, 0, &ps);
	assert_all(&keep, 1);
	ck_assert_uint_eq(ps.blobs, 0);
	ck_assert_uint_eq(ps.kept, keep.n);
}
END_TEST

/* Expired tags go, with what only they reached, and empty repositories. */
START_TEST(test_expiration)
{
	struct prune_stats	 ps;
	struct tag_entry	*te;
	struct dlist		 keep = { .n = 0 }, gone = { .n = 0 };
	struct digest		 d, young;
	struct buf		 path = BUF_INIT, desc = BUF_INIT;
	struct stor_stat	 ss;
	char			**names;
	size_t			 n;
	int			 more;

	image_push(REPO, "old", MT_OCI_MANIFEST, "", &gone, &d, NULL);
	image_push("lonely", "old", MT_DOCKER_V2, "", &gone, &d, NULL);
	age_all();
	image_push(REPO, "new", MT_OCI_MANIFEST, "", &keep, &d, NULL);
	/* A young blob no manifest references yet stays too. */
	blob_new(OCI_LAYER, &young, &desc);
	dl_add(&keep, &young);
	prune(0, 3600, 0, &ps);
	assert_all(&keep, 1);
	assert_all(&gone, 0);
	ck_assert_uint_eq(ps.tags, 2);
	ck_assert_uint_eq(ps.manifests, 2);
	ck_assert_uint_eq(ps.repos, 1);
	ck_assert_int_eq(store_tag_get(st, REPO, "old", &te, &n),
	    REG_E_NOENT);
	ck_assert_int_eq(store_tag_get(st, REPO, "new", &te, &n), REG_OK);
	free(te);
	layout_repo(&path, "lonely");
	ck_assert_int_eq(stor_stat(st->sd, path.buf, &ss), REG_E_NOENT);
	ck_assert_int_eq(store_catalog(st, NULL, 0, &names, &n, &more),
	    REG_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(names[0], REPO);
	store_strv_free(names, n);
	buf_release(&path);
	buf_release(&desc);
}
END_TEST

/*
 * Everything the store holds, as "path size mtime" lines; but the root
 * directory, whose mtime is the fs driver's clock, and the gc lock.
 */
static int
list_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	static struct buf	*out;

	if (path == NULL) {
		out = (struct buf *)sb;
		return (0);
	}
	(void)flag;
	if (ftw->level > 0 && strstr(path, "gc.lock") == NULL)
		buf_addf(out, "%s %lld %lld\n", path, (long long)sb->st_size,
		    (long long)sb->st_mtime);
	return (0);
}

static void
snapshot(struct buf *out)
{
	buf_reset(out);
	list_one(NULL, (const struct stat *)(void *)out, 0, NULL);
	ck_assert_int_eq(nftw(root, list_one, 16, FTW_PHYS), 0);
}

START_TEST(test_dry_run)
{
	struct prune_stats	ps;
	struct dlist		keep = { .n = 0 }, gone = { .n = 0 };
	struct digest		u;
	struct buf		before = BUF_INIT, after = BUF_INIT;
	struct buf		path = BUF_INIT;
	struct prune_stats	last;
	char			uuid[UUID_LEN + 1];
	time_t			when, t0;

	kind_push(K_REFERRER, &keep);
	garbage_push(&gone, &u);
	image_push(REPO, "old", MT_OCI_MANIFEST, "", &gone, &u, NULL);
	ck_assert_int_eq(store_upload_start(st, REPO, uuid), REG_OK);
	age_all();
	/* Tag "t" was pushed again just now: it does not expire. */
	layout_tag(&path, REPO, "t");
	ck_assert_int_eq(stor_touch(st->sd, path.buf), REG_OK);
	buf_release(&path);
	snapshot(&before);
	prune(1, 3600, 1, &ps);
	snapshot(&after);
	ck_assert_str_eq(before.buf, after.buf);
	ck_assert_uint_eq(ps.uploads, 1);
	ck_assert_uint_eq(ps.tags, 1);
	ck_assert_uint_eq(ps.manifests, 3);
	ck_assert_uint_eq(ps.blobs, gone.n);
	assert_all(&gone, 1);
	/* A dry run is not recorded as the last run. */
	ck_assert_int_eq(store_prune_last(st, &when, &last), REG_E_NOENT);
	/* And the real run removes exactly that, and is recorded. */
	t0 = time(NULL);
	prune(1, 3600, 0, &ps);
	ck_assert_uint_eq(ps.uploads, 1);
	ck_assert_uint_eq(ps.tags, 1);
	ck_assert_uint_eq(ps.manifests, 3);
	ck_assert_uint_eq(ps.blobs, gone.n);
	assert_all(&keep, 1);
	assert_all(&gone, 0);
	ck_assert_int_eq(store_prune_last(st, &when, &last), REG_OK);
	ck_assert(when >= t0 && when <= time(NULL));
	ck_assert_uint_eq(last.uploads, ps.uploads);
	ck_assert_uint_eq(last.tags, ps.tags);
	ck_assert_uint_eq(last.manifests, ps.manifests);
	ck_assert_uint_eq(last.repos, ps.repos);
	ck_assert_uint_eq(last.blobs, ps.blobs);
	ck_assert_uint_eq(last.links, ps.links);
	ck_assert_uint_eq(last.tmp, ps.tmp);
	ck_assert_uint_eq(last.bytes, ps.bytes);
	ck_assert_uint_gt(last.bytes, 0);
	/* A record that does not parse is no record. */
	layout_prune_record(&path);
	ck_assert_int_eq(stor_put(st->sd, path.buf, "x 1 2\n", 6, 0), REG_OK);
	ck_assert_int_eq(store_prune_last(st, &when, &last), REG_E_NOENT);
	buf_release(&path);
	buf_release(&before);
	buf_release(&after);
}
END_TEST

/* The grace protects blobs not referenced yet. */
START_TEST(test_grace)
{
	struct prune_stats	ps;
	struct dlist		keep = { .n = 0 }, gone = { .n = 0 };
	struct digest		d;
	struct buf		desc = BUF_INIT, path = BUF_INIT;

	blob_new(OCI_LAYER, &d, &desc);
	dl_add(&gone, &d);
	age_all();
	blob_new(OCI_LAYER, &d, &desc);
	dl_add(&keep, &d);
	/* Touched by a mount or a manifest PUT: young again. */
	blob_new(OCI_LAYER, &d, &desc);
	layout_blob(&path, &d);
	age_path(path.buf);
	ck_assert_int_eq(store_blob_mount(st, REPO, "other", &d), REG_OK);
	dl_add(&keep, &d);
	prune(1, 0, 0, &ps);
	assert_all(&keep, 1);
	assert_all(&gone, 0);
	ck_assert_uint_eq(ps.blobs, 1);
	buf_release(&desc);
	buf_release(&path);
}
END_TEST

/* A HEAD of an old blob gives the client the grace to name it. */
START_TEST(test_head_keeps)
{
	struct prune_stats	ps;
	struct digest		d;
	struct buf		desc = BUF_INIT;
	uint64_t		size;

	blob_new(OCI_LAYER, &d, &desc);
	age_all();
	ck_assert_int_eq(store_blob_stat(st, REPO, &d, &size), REG_OK);
	prune(1, 0, 0, &ps);
	ck_assert(blob_exists(&d));
	ck_assert_uint_eq(ps.blobs, 0);
	buf_release(&desc);
}
END_TEST

/* A repository's hold on a blob that prune removed goes with it. */
START_TEST(test_stale_blob_links)
{
	struct prune_stats	ps;
	struct stor_stat	ss;
	struct digest		d;
	struct buf		desc = BUF_INIT, path = BUF_INIT;
	uint64_t		size;

	blob_new(OCI_LAYER, &d, &desc);
	ck_assert_int_eq(store_blob_mount(st, REPO, "x/y/z", &d), REG_OK);
	age_all();
	prune(1, 0, 0, &ps);
	ck_assert(!blob_exists(&d));
	ck_assert_uint_eq(ps.blobs, 1);
	ck_assert_uint_eq(ps.links, 2);
	layout_blob_link(&path, REPO, &d);
	ck_assert_int_eq(stor_stat(st->sd, path.buf, &ss), REG_E_NOENT);
	layout_blob_link(&path, "x/y/z", &d);
	ck_assert_int_eq(stor_stat(st->sd, path.buf, &ss), REG_E_NOENT);
	/* Pushed again elsewhere, it is not REPO's again. */
	layout_blob(&path, &d);
	ck_assert_int_eq(stor_put(st->sd, path.buf, "x", 1, 0), REG_OK);
	ck_assert_int_eq(store_blob_link(st, "elsewhere", &d), REG_OK);
	ck_assert_int_eq(store_blob_stat(st, REPO, &d, &size), REG_E_NOENT);
	buf_release(&desc);
	buf_release(&path);
}
END_TEST

/* A config or layer that is gone is counted, as a manifest is. */
START_TEST(test_missing_blobs)
{
	struct prune_stats	ps;
	struct dlist		dl = { .n = 0 };
	struct digest		d;
	struct buf		path = BUF_INIT;

	image_push(REPO, "t", MT_OCI_MANIFEST, "", &dl, &d, NULL);
	layout_blob(&path, &dl.d[1]);		/* a layer */
	ck_assert_int_eq(stor_remove(st->sd, path.buf), REG_OK);
	prune(0, 0, 1, &ps);
	ck_assert_uint_eq(ps.missing_blobs, 1);
	ck_assert_uint_eq(ps.missing, 1);
	buf_release(&path);
}
END_TEST

START_TEST(test_uploads)
{
	struct prune_stats	 ps;
	struct memsrc		 m = { "some bytes", 10, 0 };
	struct stor_stat	 ss;
	struct buf		 path = BUF_INIT;
	char			 stale[UUID_LEN + 1], fresh[UUID_LEN + 1];
	uint64_t		 off;

	ck_assert_int_eq(store_upload_start(st, REPO, stale), REG_OK);
	ck_assert_int_eq(store_upload_append(st, REPO, stale, 0, UINT64_MAX,
	    memsrc_read, &m, &off), REG_OK);
	age_all();
	ck_assert_int_eq(store_upload_start(st, REPO, fresh), REG_OK);
	prune(0, 0, 0, &ps);
	ck_assert_uint_eq(ps.uploads, 1);
	ck_assert_uint_eq(ps.bytes, 10);
	ck_assert_int_eq(store_upload_status(st, REPO, stale, &off),
	    REG_E_NOENT);
	ck_assert_int_eq(store_upload_status(st, REPO, fresh, &off), REG_OK);
	layout_upload_dir(&path, stale);
	ck_assert_int_eq(stor_stat(st->sd, path.buf, &ss), REG_E_NOENT);
	buf_release(&path);
}
END_TEST

/* A tagged manifest whose blob is missing: logged, counted, not fatal. */
START_TEST(test_missing)
{
	struct prune_stats	ps;
	struct dlist		keep = { .n = 0 }, lost = { .n = 0 };
	struct digest		d;
	struct buf		path = BUF_INIT;

	image_push(REPO, "t", MT_OCI_MANIFEST, "", &lost, &d, NULL);
	image_push(REPO, "u", MT_DOCKER_V2, "", &keep, &d, NULL);
	layout_blob(&path, &lost.d[3]);		/* the manifest */
	ck_assert_int_eq(stor_remove(st->sd, path.buf), REG_OK);
	age_all();
	prune(0, 0, 0, &ps);
	ck_assert_uint_eq(ps.missing, 1);
	assert_all(&keep, 1);
	/* Its layers were only known through it. */
	ck_assert_uint_eq(ps.blobs, 3);
	buf_release(&path);
}
END_TEST

START_TEST(test_tmp_files)
{
	struct prune_stats	ps;
	struct digest		d;
	struct buf		desc = BUF_INIT, path = BUF_INIT;
	struct buf		dir = BUF_INIT;
	struct stor_stat	ss;

	blob_new(OCI_LAYER, &d, &desc);
	layout_blob(&dir, &d);
	buf_setlen(&dir, dir.len - strlen(d.hex));
	buf_addf(&path, "%s.tmp-1-00", dir.buf);
	ck_assert_int_eq(stor_put(st->sd, path.buf, "junk", 4, 0), REG_OK);
	age_all();
	buf_reset(&path);
	buf_addf(&path, "%s.tmp-2-00", dir.buf);
	ck_assert_int_eq(stor_put(st->sd, path.buf, "young", 5, 0), REG_OK);
	buf_reset(&path);
	buf_addf(&path, "%s.tmp-1-00", dir.buf);
	prune(0, 0, 0, &ps);
	ck_assert_uint_eq(ps.tmp, 1);
	ck_assert_int_eq(stor_stat(st->sd, path.buf, &ss), REG_E_NOENT);
	buf_reset(&path);
	buf_addf(&path, "%s.tmp-2-00", dir.buf);
	ck_assert_int_eq(stor_stat(st->sd, path.buf, &ss), REG_OK);
	buf_release(&desc);
	buf_release(&path);
	buf_release(&dir);
}
END_TEST

/*
 * Pushes between the mark and the sweep: what they reference was not
 * marked, but they touched it under the shared gc lock, so the second
 * look under the exclusive lock keeps it.
 */
struct late {
	struct buf	 cfg, layer, child;
	struct digest	 d;
	int		 what;
};

static void
late_push(void *arg)
{
	struct late	*lt = arg;
	struct buf	 body = BUF_INIT;

	if (lt->what == 0) {
		buf_addf(&body, "{\"schemaVersion\":2,\"mediaType\":\"%s\","
		    "\"config\":%s,\"layers\":[%s]}", MT_OCI_MANIFEST,
		    lt->cfg.buf, lt->layer.buf);
		manifest_push(REPO, "late", MT_OCI_MANIFEST, &body, &lt->d,
		    NULL);
	} else if (lt->what == 1)
		index_push(REPO, "late", MT_OCI_INDEX, &lt->child, 1,
		    &(struct dlist){ .n = 0 }, &lt->d, NULL);
	else
		ck_assert_int_eq(store_blob_mount(st, REPO, "other",
		    &lt->d), REG_OK);
	buf_release(&body);
}

START_TEST(test_push_during_mark)
{
	struct prune_opts	opts;
	struct prune_stats	ps;
	struct late		lt = { BUF_INIT, BUF_INIT, BUF_INIT, { 0 }, 0 };
	struct dlist		cl = { .n = 0 }, u = { .n = 0 }, g = { .n = 0 };
	struct digest		d;
	struct buf		desc = BUF_INIT;

	/* Old: config and layer that nothing references (yet) ... */
	blob_new(OCI_CONFIG, &d, &lt.cfg);
	dl_add(&cl, &d);
	blob_new(OCI_LAYER, &d, &lt.layer);
	dl_add(&cl, &d);
	/* ... an untagged image and a blob that nothing ever will. */
	image_push(REPO, NULL, MT_OCI_MANIFEST, "", &u, &d, &lt.child);
	blob_new(OCI_LAYER, &d, &desc);
	dl_add(&g, &d);
	age_all();
	lt.d = cl.d[1];
	lt.what = _i;
	prune_opts_init(&opts);
	opts.untagged = 1;
	opts.after_mark = late_push;
	opts.after_mark_arg = &lt;
	ck_assert_int_eq(store_prune(st, &opts, &ps), REG_OK);
	assert_all(&g, 0);
	switch (_i) {
	case 0:		/* a manifest of the config and the layer */
		assert_all(&cl, 1);
		ck_assert(blob_exists(&lt.d));
		assert_all(&u, 0);
		break;
	case 1:		/* an index of the untagged image */
		assert_all(&cl, 0);
		assert_all(&u, 1);
		ck_assert(link_exists(REPO, &u.d[3]));
		ck_assert_uint_eq(ps.manifests, 0);
		break;
	default:	/* a mount of the layer */
		ck_assert(blob_exists(&cl.d[1]));
		ck_assert(!blob_exists(&cl.d[0]));
		assert_all(&u, 0);
		break;
	}
	buf_release(&lt.cfg);
	buf_release(&lt.layer);
	buf_release(&lt.child);
	buf_release(&desc);
}
END_TEST

/* fsck. */

static void
count_lines(const char *line, void *arg)
{
	(void)line;
	(*(int *)arg)++;
}

static void
fsck(int repair, int want_problems, struct fsck_stats *fs)
{
	int	lines = 0;

	ck_assert_int_eq(store_fsck(st, repair, count_lines, &lines, fs),
	    REG_OK);
	ck_assert_uint_eq(fs->problems, want_problems);
	ck_assert_int_ge(lines, want_problems);
}

/* Overwrite the first byte of blob "d" (same size, wrong content). */
static void
corrupt(const struct digest *d)
{
	struct buf	 path = BUF_INIT, abs = BUF_INIT;
	FILE		*fp;

	layout_blob(&path, d);
	buf_addf(&abs, "%s/%s", root, path.buf);
	ck_assert_ptr_nonnull(fp = fopen(abs.buf, "r+"));
	ck_assert_int_eq(fputc('#', fp), '#');
	ck_assert_int_eq(fclose(fp), 0);
	buf_release(&path);
	buf_release(&abs);
}

START_TEST(test_fsck_clean)
{
	struct fsck_stats	fs;
	struct dlist		keep = { .n = 0 };

	kind_push(K_REFERRER, &keep);
	kind_push(K_NESTED_INDEX, &keep);
	fsck(0, 0, &fs);
	ck_assert_uint_eq(fs.blobs, keep.n);
	ck_assert_uint_eq(fs.tags, 1);
}
END_TEST

START_TEST(test_fsck_repair)
{
	struct fsck_stats	 fs;
	struct tag_entry	*te;
	struct dlist		 a = { .n = 0 }, b = { .n = 0 };
	struct digest		 d;
	struct buf		 path = BUF_INIT, tag = BUF_INIT;
	size_t			 n;

	image_push(REPO, "a", MT_OCI_MANIFEST, "", &a, &d, NULL);
	image_push(REPO, "b", MT_OCI_MANIFEST, "", &b, &d, NULL);
	/* A corrupt layer of "a" breaks its manifest and tag too. */
	corrupt(&a.d[1]);
	/* A tag line pointing nowhere. */
	layout_tag(&path, REPO, "c");
	buf_addf(&tag, "sha256:%064d %s\ngarbage\n", 0, MT_OCI_MANIFEST);
	ck_assert_int_eq(stor_put(st->sd, path.buf, tag.buf, tag.len, 0), REG_OK);
	fsck(0, 3, &fs);		/* blob; tag c: two lines */
	ck_assert_uint_eq(fs.repaired, 0);
	/* And the link, once the layer went. */
	fsck(1, 3 + 1, &fs);
	ck_assert_uint_eq(fs.repaired, fs.problems);
	fsck(0, 0, &fs);
	ck_assert(!blob_exists(&a.d[1]));
	ck_assert(!link_exists(REPO, &a.d[3]));
	ck_assert_int_eq(store_tag_get(st, REPO, "a", &te, &n), REG_E_NOENT);
	ck_assert_int_eq(store_tag_get(st, REPO, "c", &te, &n), REG_E_NOENT);
	ck_assert_int_eq(store_tag_get(st, REPO, "b", &te, &n), REG_OK);
	free(te);
	assert_all(&b, 1);
	buf_release(&path);
	buf_release(&tag);
}
END_TEST

/*
 * fsck and the store read tag lines and upload state alike: what the
 * store serves is never a problem (a space in a media type: fsck
 * --repair used to delete the line), what it refuses always is.
 */
START_TEST(test_fsck_agrees)
{
	struct fsck_stats	 fs;
	struct tag_entry	*te;
	struct dlist		 a = { .n = 0 };
	struct digest		 d;
	struct buf		 path = BUF_INIT, b = BUF_INIT;
	char			 uuid[UUID_LEN + 1];
	size_t			 n;
	uint64_t		 off;

	image_push(REPO, "a", MT_OCI_MANIFEST, "", &a, &d, NULL);
	layout_tag(&path, REPO, "spaced");
	buf_addf(&b, "%s application/x; y=z\n", d.str);
	ck_assert_int_eq(stor_put(st->sd, path.buf, b.buf, b.len, 0), REG_OK);
	ck_assert_int_eq(store_tag_get(st, REPO, "spaced", &te, &n), REG_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(te[0].media_type, "application/x; y=z");
	free(te);
	fsck(0, 0, &fs);
	fsck(1, 0, &fs);
	ck_assert_int_eq(store_tag_get(st, REPO, "spaced", &te, &n), REG_OK);
	free(te);
	/* An upload state without its hash state: refused by both. */
	ck_assert_int_eq(store_upload_start(st, REPO, uuid), REG_OK);
	layout_upload_state(&path, uuid);
	buf_reset(&b);
	buf_addf(&b, "specreg-upload 1\n%s\n0\n", REPO);
	ck_assert_int_eq(stor_put(st->sd, path.buf, b.buf, b.len, 0), REG_OK);
	ck_assert_int_eq(store_upload_status(st, REPO, uuid, &off), REG_E_IO);
	fsck(0, 1, &fs);
	buf_release(&path);
	buf_release(&b);
}
END_TEST

/* A sha512 blob is hashed with sha512. */
START_TEST(test_fsck_sha512)
{
	struct fsck_stats	 fs;
	struct memsrc		 m = { "sha512 content", 14, 0 };
	struct buf		 detail = BUF_INIT;
	struct digest		 d;
	char			 uuid[UUID_LEN + 1];
	uint64_t		 size;

	digest_of(DIGEST_SHA512, m.p, m.len, &d);
	ck_assert_int_eq(store_upload_start(st, REPO, uuid), REG_OK);
	ck_assert_int_eq(store_upload_finish(st, REPO, uuid, &d, UINT64_MAX, UINT64_MAX,
	    memsrc_read, &m, &size, &detail), REG_OK);
	fsck(0, 0, &fs);
	ck_assert_uint_eq(fs.blobs, 1);
	corrupt(&d);
	fsck(1, 1, &fs);
	ck_assert_uint_eq(fs.repaired, 1);
	ck_assert(!blob_exists(&d));
	buf_release(&detail);
}
END_TEST

static Suite *
prune_suite(void)
{
	Suite	*s = suite_create("prune");
	TCase	*tc = tcase_create("prune");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_mark_kinds, 0, nitems(kinds));
	tcase_add_test(tc, test_untagged_kept);
	tcase_add_test(tc, test_every_repository);
	tcase_add_test(tc, test_expiration);
	tcase_add_test(tc, test_dry_run);
	tcase_add_test(tc, test_grace);
	tcase_add_test(tc, test_head_keeps);
	tcase_add_test(tc, test_stale_blob_links);
	tcase_add_test(tc, test_missing_blobs);
	tcase_add_test(tc, test_uploads);
	tcase_add_test(tc, test_missing);
	tcase_add_test(tc, test_tmp_files);
	tcase_add_loop_test(tc, test_push_during_mark, 0, 3);
	tcase_add_test(tc, test_fsck_clean);
	tcase_add_test(tc, test_fsck_repair);
	tcase_add_test(tc, test_fsck_sha512);
	tcase_add_test(tc, test_fsck_agrees);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (check_run(prune_suite()));
}
