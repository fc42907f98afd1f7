/*
 * fcgi/ui_data.c: images, configs and repository sizes for the UI.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "common/xmalloc.h"
#include "fcgi/ui_data.h"
#include "storage/prune.h"

#define CONFIG_MAX	(1024 * 1024)

/* An image's own blobs: manifest, config and layers. */
static uint64_t
ui_data_image_bytes(const struct ui_image *im)
{
	uint64_t	n = im->meta.size;
	size_t		i;

	if (!im->parsed || im->mp.kind != MANIFEST_IMAGE)
		return (n);
	if (im->mp.has_config)
		n += im->mp.config.size;
	for (i = 0; i < im->mp.nrefs; i++)
		n += im->mp.refs[i].size;
	return (n);
}

static enum reg_err
ui_data_sink(const void *data, size_t len, void *arg)
{
	buf_add(arg, data, len);
	return (REG_OK);
}

enum reg_err
ui_config_load(struct store *st, const struct manifest_desc *d,
    struct json_object **out)
{
	struct buf	b = BUF_INIT;
	enum reg_err	rc;

	*out = NULL;
	if (d->size > CONFIG_MAX)
		return (REG_OK);
	rc = store_blob_read(st, &d->digest, 0, d->size, ui_data_sink, &b);
	if (rc == REG_OK) {
		*out = json_tokener_parse(b.buf);
		if (*out != NULL && !json_object_is_type(*out,
		    json_type_object)) {
			json_object_put(*out);
			*out = NULL;
		}
	}
	buf_release(&b);
	return (rc);
}

/* "created" of a config: RFC 3339, seconds are enough. */
static time_t
ui_data_config_created(struct json_object *cfg)
{
	struct json_object	*v;
	struct tm		 tm;

	memset(&tm, 0, sizeof(tm));
	if (cfg == NULL || !json_object_object_get_ex(cfg, "created", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    strptime(json_object_get_string(v), "%Y-%m-%dT%H:%M:%S",
	    &tm) == NULL)
		return (UI_TIME_NONE);
	return (timegm(&tm));
}

void
ui_platform(struct json_object *entry, struct buf *out)
{
	static const char *const keys[] = { "os", "architecture",
	    "variant" };
	struct json_object	*p, *v;
	size_t			 i;

	if (!json_object_object_get_ex(entry, "platform", &p))
		return;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (!json_object_object_get_ex(p, keys[i], &v) ||
		    !json_object_is_type(v, json_type_string))
			continue;
		if (i > 0)
			buf_addch(out, '/');
		buf_addstr(out, json_object_get_string(v));
	}
}

/* An index: its platforms, and its children's sizes in "total". */
static enum reg_err
ui_data_index_load(struct store *st, const char *name, struct ui_image *im)
{
	struct json_object	*root, *arr = NULL;
	struct ui_image		 child;
	struct buf		 detail = BUF_INIT;
	size_t			 i, n = 0;
	enum reg_err		 rc = REG_OK;

	if ((root = json_tokener_parse(im->body.buf)) != NULL &&
	    json_object_object_get_ex(root, "manifests", &arr) &&
	    json_object_is_type(arr, json_type_array))
		n = json_object_array_length(arr);
	for (i = 0; i < n; i++) {
		if (im->platforms.len > 0)
			buf_addstr(&im->platforms, ", ");
		ui_platform(json_object_array_get_idx(arr, i),
		    &im->platforms);
	}
	json_object_put(root);
	for (i = 0; i < im->mp.nrefs && rc == REG_OK; i++) {
		memset(&child, 0, sizeof(child));
		buf_init(&child.body);
		buf_init(&child.platforms);
		rc = store_manifest_get(st, name, &im->mp.refs[i].digest,
		    &child.body, &child.meta);
		if (rc == REG_OK)
			child.parsed = manifest_parse(child.body.buf,
			    child.body.len, child.meta.media_type, &child.mp,
			    &detail) == REG_OK;
		im->total += ui_data_image_bytes(&child);
		ui_image_release(&child);
		if (rc == REG_E_NOENT)
			rc = REG_OK;	/* not here: nothing to add */
	}
	buf_release(&detail);
	return (rc);
}

enum reg_err
ui_image_load(struct store *st, const char *name, const struct digest *d,
    struct ui_image *im)
{
	struct json_object	*cfg;
	struct buf		 detail = BUF_INIT;
	enum reg_err		 rc;

	memset(im, 0, sizeof(*im));
	buf_init(&im->body);
	buf_init(&im->platforms);
	im->created = UI_TIME_NONE;
	if ((rc = store_manifest_get(st, name, d, &im->body, &im->meta)) !=
	    REG_OK) {
		buf_release(&im->body);
		return (rc);
	}
	im->parsed = manifest_parse(im->body.buf, im->body.len,
	    im->meta.media_type, &im->mp, &detail) == REG_OK;
	buf_release(&detail);
	im->total = ui_data_image_bytes(im);
	if (!im->parsed)
		return (REG_OK);
	if (im->mp.kind == MANIFEST_INDEX)
		rc = ui_data_index_load(st, name, im);
	else if (im->mp.has_config) {
		rc = ui_config_load(st, &im->mp.config, &cfg);
		im->created = ui_data_config_created(cfg);
		json_object_put(cfg);
	}
	if (rc == REG_E_NOENT)
		rc = REG_OK;	/* what is missing is not shown */
	if (rc != REG_OK)
		ui_image_release(im);
	return (rc);
}

void
ui_image_release(struct ui_image *im)
{
	if (im->parsed)
		manifest_parsed_release(&im->mp);
	im->parsed = 0;
	buf_release(&im->body);
	buf_release(&im->platforms);
}

enum reg_err
ui_resolve(struct store *st, const char *name, const char *ref,
    struct digest *d)
{
	struct tag_entry	*te;
	size_t			 n;
	enum reg_err		 rc;

	if (strchr(ref, ':') != NULL)
		return (digest_parse(ref, strlen(ref), d) == 0 ? REG_OK :
		    REG_E_NOENT);
	if (!tag_valid(ref, strlen(ref)))
		return (REG_E_NOENT);
	if ((rc = store_tag_get(st, name, ref, &te, &n)) != REG_OK)
		return (rc);
	*d = te[0].digest;
	free(te);
	return (REG_OK);
}

/* Blobs counted once: a growable array of (digest, size). */
struct blobset {
	struct {
		char		 str[DIGEST_STR_MAX];
		uint64_t	 size;
	}		*v;
	size_t		 n, alloc;
	struct store	*st;
	const char	*name;
	uint64_t	 manifests;
};

static void
ui_data_blobset_add(struct blobset *bs, const struct digest *d, uint64_t size)
{
	if (bs->n == bs->alloc) {
		bs->alloc = bs->alloc == 0 ? 64 : bs->alloc * 2;
		bs->v = xreallocarray(bs->v, bs->alloc, sizeof(*bs->v));
	}
	memcpy(bs->v[bs->n].str, d->str, sizeof(bs->v[bs->n].str));
	bs->v[bs->n++].size = size;
}

static int
ui_data_blobset_cmp(const void *a, const void *b)
{
	return (strcmp(a, b));	/* "str" comes first */
}

static uint64_t
ui_data_blobset_total(struct blobset *bs)
{
	uint64_t	total = 0;
	size_t		i;

	if (bs->n > 0)
		qsort(bs->v, bs->n, sizeof(*bs->v), ui_data_blobset_cmp);
	for (i = 0; i < bs->n; i++)
		if (i == 0 || strcmp(bs->v[i].str, bs->v[i - 1].str) != 0)
			total += bs->v[i].size;
	return (total);
}

/*
 * store_walk_fn over manifest links: add what the manifest holds.  Only
 * the manifest is read (an index's children are links of their own).
 */
static enum reg_err
ui_data_blobset_manifest(const char *path, const struct digest *d,
    const struct stor_stat *ss, void *arg)
{
	struct blobset		*bs = arg;
	struct manifest_meta	 meta;
	struct manifest_parsed	 mp;
	struct buf		 body = BUF_INIT, detail = BUF_INIT;
	size_t			 i;
	enum reg_err		 rc;

	(void)path;
	(void)ss;
	if (d == NULL)
		return (REG_OK);
	rc = store_manifest_get(bs->st, bs->name, d, &body, &meta);
	if (rc == REG_OK) {
		bs->manifests++;
		ui_data_blobset_add(bs, d, meta.size);
	}
	if (rc == REG_OK && manifest_parse(body.buf, body.len,
	    meta.media_type, &mp, &detail) == REG_OK) {
		if (mp.kind == MANIFEST_IMAGE && mp.has_config)
			ui_data_blobset_add(bs, &mp.config.digest,
			    mp.config.size);
		for (i = 0; mp.kind == MANIFEST_IMAGE && i < mp.nrefs; i++)
			ui_data_blobset_add(bs, &mp.refs[i].digest,
			    mp.refs[i].size);
		manifest_parsed_release(&mp);
	}
	buf_release(&body);
	buf_release(&detail);
	return (rc == REG_E_NOENT ? REG_OK : rc);
}

enum reg_err
ui_repo_stats(struct store *st, const char *name, struct ui_repo_stats *rs)
{
	struct blobset	 bs;
	char		**tags;
	size_t		 i;
	time_t		 t;
	int		 more;
	enum reg_err	 rc;

	memset(rs, 0, sizeof(*rs));
	rs->pushed = UI_TIME_NONE;
	if ((rc = store_tags_list(st, name, NULL, 0, &tags, &rs->tags,
	    &more)) != REG_OK)
		return (rc);
	for (i = 0; i < rs->tags; i++)
		if (store_tag_mtime(st, name, tags[i], &t) == REG_OK &&
		    (rs->pushed == UI_TIME_NONE || t > rs->pushed))
			rs->pushed = t;
	store_strv_free(tags, rs->tags);
	memset(&bs, 0, sizeof(bs));
	bs.st = st;
	bs.name = name;
	rc = store_walk_links(st, name, ui_data_blobset_manifest, &bs);
	rs->bytes = ui_data_blobset_total(&bs);
	rs->manifests = bs.manifests;
	free(bs.v);
	return (rc == REG_E_NOENT ? REG_OK : rc);
}
