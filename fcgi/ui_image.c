/*
 * fcgi/ui_image.c: /ui/image?name=N&ref=R, one manifest: a summary,
 * an index's platform manifests or an image's config and layers, the
 * referrers grouped by artifactType, and the manifest itself.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/util.h"
#include "fcgi/request.h"
#include "fcgi/ui.h"
#include "fcgi/ui_data.h"
#include "fcgi/ui_html.h"

/* The string "key" of a JSON object, or NULL. */
static const char *
ui_image_str(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return (NULL);
	return (json_object_get_string(v));
}

/* A JSON array of strings as "<li>" items, or an object as rows. */
static void
ui_image_json_list(struct buf *b, const char *title, struct json_object *v)
{
	struct json_object_iterator	it, end;
	size_t				i;

	if (v == NULL)
		return;
	ui_addf(b, "<dt>%s</dt><dd>", title);
	if (json_object_is_type(v, json_type_array)) {
		ui_addf(b, "<ul class=\"plain\">");
		for (i = 0; i < json_object_array_length(v); i++)
			ui_addf(b, "<li><code>%s</code></li>",
			    json_object_get_string(
			    json_object_array_get_idx(v, i)));
		ui_addf(b, "</ul>");
	} else if (json_object_is_type(v, json_type_object)) {
		ui_addf(b, "<table class=\"kv\"><tbody>");
		end = json_object_iter_end(v);
		for (it = json_object_iter_begin(v);
		    !json_object_iter_equal(&it, &end);
		    json_object_iter_next(&it))
			ui_addf(b, "<tr><th scope=\"row\">%s</th><td>%s</td>"
			    "</tr>", json_object_iter_peek_name(&it),
			    json_object_get_string(
			    json_object_iter_peek_value(&it)));
		ui_addf(b, "</tbody></table>");
	}
	ui_addf(b, "</dd>\n");
}

static void
ui_image_config(struct request *req, struct buf *b, const struct ui_image *im)
{
	struct json_object	*cfg, *c = NULL, *v, *h;
	size_t			 i;

	if (ui_config_load(req->store, &im->mp.config, &cfg) != REG_OK ||
	    cfg == NULL)
		return;
	json_object_object_get_ex(cfg, "config", &c);
	ui_addf(b, "<h2>Config</h2>\n<dl class=\"summary\">\n"
	    "<dt>Platform</dt><dd>%s/%s</dd>\n", ui_image_str(cfg, "os"),
	    ui_image_str(cfg, "architecture"));
	if (c != NULL && json_object_object_get_ex(c, "Entrypoint", &v))
		ui_image_json_list(b, "Entrypoint", v);
	if (c != NULL && json_object_object_get_ex(c, "Cmd", &v))
		ui_image_json_list(b, "Cmd", v);
	if (c != NULL && json_object_object_get_ex(c, "Env", &v))
		ui_image_json_list(b, "Env", v);
	if (c != NULL && json_object_object_get_ex(c, "Labels", &v))
		ui_image_json_list(b, "Labels", v);
	ui_addf(b, "</dl>\n");
	if (json_object_object_get_ex(cfg, "history", &h) &&
	    json_object_is_type(h, json_type_array)) {
		ui_addf(b, "<h2>History</h2>\n<ol class=\"history\">\n");
		for (i = 0; i < json_object_array_length(h); i++)
			ui_addf(b, "<li><code>%s</code></li>\n",
			    ui_image_str(json_object_array_get_idx(h, i),
			    "created_by"));
		ui_addf(b, "</ol>\n");
	}
	json_object_put(cfg);
}

static void
ui_image_layers(struct buf *b, const struct ui_image *im)
{
	char	sz[UI_SIZE_LEN];
	size_t	i;

	ui_addf(b, "<h2>Layers</h2>\n<table id=\"layers\"><thead><tr>"
	    "<th scope=\"col\">#</th><th scope=\"col\">Digest</th>"
	    "<th scope=\"col\">Media type</th><th scope=\"col\">Size</th>"
	    "</tr></thead>\n<tbody>\n");
	for (i = 0; i < im->mp.nrefs; i++)
		ui_addf(b, "<tr><td class=\"num\">%zu</td><td><code>%s</code>"
		    "</td><td>%s</td><td class=\"num\">%s</td></tr>\n", i + 1,
		    im->mp.refs[i].digest.str, im->mp.refs[i].media_type,
		    ui_size(im->mp.refs[i].size, sz));
	ui_addf(b, "</tbody></table>\n");
}

static void
ui_image_platforms(struct buf *b, const char *name, const struct ui_image *im)
{
	struct json_object	*root, *arr, *e;
	struct buf		 plat = BUF_INIT;
	char			 sz[UI_SIZE_LEN];
	size_t			 i;

	if ((root = json_tokener_parse(im->body.buf)) == NULL ||
	    !json_object_object_get_ex(root, "manifests", &arr) ||
	    !json_object_is_type(arr, json_type_array)) {
		json_object_put(root);
		return;
	}
	ui_addf(b, "<h2>Platforms</h2>\n<table id=\"platforms\"><thead><tr>"
	    "<th scope=\"col\">Platform</th><th scope=\"col\">Digest</th>"
	    "<th scope=\"col\">Media type</th><th scope=\"col\">Manifest "
	    "size</th></tr></thead>\n<tbody>\n");
	for (i = 0; i < json_object_array_length(arr); i++) {
		e = json_object_array_get_idx(arr, i);
		buf_reset(&plat);
		ui_platform(e, &plat);
		ui_addf(b, "<tr><td>%s</td><td><a href=\"/ui/image?name=%s"
		    "&amp;ref=%s\"><code>%s</code></a></td><td>%s</td>"
		    "<td class=\"num\">%s</td></tr>\n", plat.buf, name,
		    ui_image_str(e, "digest"), ui_image_str(e, "digest"),
		    ui_image_str(e, "mediaType"),
		    ui_size((uint64_t)json_object_get_int64(
		    json_object_object_get(e, "size")), sz));
	}
	ui_addf(b, "</tbody></table>\n");
	buf_release(&plat);
	json_object_put(root);
}

static int
ui_image_referrer_cmp(const void *a, const void *b)
{
	const char	*x = ui_image_str(*(struct json_object *const *)a,
			    "artifactType");
	const char	*y = ui_image_str(*(struct json_object *const *)b,
			    "artifactType");

	return (strcmp(x != NULL ? x : "", y != NULL ? y : ""));
}

static void
ui_image_referrer_item(struct buf *b, const char *name, struct json_object *e)
{
	struct json_object		*ann;
	struct json_object_iterator	 it, end;
	char				 sz[UI_SIZE_LEN];

	ui_addf(b, "<li><a href=\"/ui/image?name=%s&amp;ref=%s\"><code>%s"
	    "</code></a> %s", name, ui_image_str(e, "digest"),
	    ui_image_str(e, "digest"),
	    ui_size((uint64_t)json_object_get_int64(
	    json_object_object_get(e, "size")), sz));
	if (json_object_object_get_ex(e, "annotations", &ann) &&
	    json_object_is_type(ann, json_type_object)) {
		ui_addf(b, "<dl class=\"annotations\">");
		end = json_object_iter_end(ann);
		for (it = json_object_iter_begin(ann);
		    !json_object_iter_equal(&it, &end);
		    json_object_iter_next(&it))
			ui_addf(b, "<dt>%s</dt><dd>%s</dd>",
			    json_object_iter_peek_name(&it),
			    json_object_get_string(
			    json_object_iter_peek_value(&it)));
		ui_addf(b, "</dl>");
	}
	ui_addf(b, "</li>\n");
}

/* The referrers, one list per artifactType. */
static void
ui_image_referrers(struct request *req, struct buf *b, const char *name,
    const struct digest *d)
{
	struct json_object	*root, *arr;
	struct buf		 idx = BUF_INIT;
	const char		*type, *prev = NULL;
	size_t			 i, n = 0;

	ui_addf(b, "<h2>Referrers</h2>\n");
	arr = NULL;
	root = store_referrers(req->store, name, d, NULL, &idx) == REG_OK ?
	    json_tokener_parse(idx.buf) : NULL;
	buf_release(&idx);
	if (root != NULL && json_object_object_get_ex(root, "manifests",
	    &arr) && json_object_is_type(arr, json_type_array))
		n = json_object_array_length(arr);
	if (n == 0)
		ui_addf(b, "<p>None.</p>\n");
	else
		json_object_array_sort(arr, ui_image_referrer_cmp);
	for (i = 0; i < n; i++) {
		type = ui_image_str(json_object_array_get_idx(arr, i),
		    "artifactType");
		if (type == NULL)
			type = "(no artifactType)";
		if (prev != NULL && strcmp(prev, type) != 0)
			ui_addf(b, "</ul>\n");
		if (prev == NULL || strcmp(prev, type) != 0)
			ui_addf(b, "<h3>%s</h3>\n<ul class=\"referrers\">\n",
			    type);
		ui_image_referrer_item(b, name,
		    json_object_array_get_idx(arr, i));
		prev = type;
	}
	if (n > 0)
		ui_addf(b, "</ul>\n");
	json_object_put(root);
}

static void
ui_image_summary(struct request *req, struct buf *b, const char *name,
    const struct ui_image *im)
{
	struct buf	host = BUF_INIT;
	char		sz[UI_SIZE_LEN], tm[UI_TIME_LEN];

	ui_registry_host(req->conf, &host);
	ui_addf(b, "<dl class=\"summary\">\n<dt>Digest</dt><dd><code>%s"
	    "</code></dd>\n<dt>Media type</dt><dd>%s</dd>\n"
	    "<dt>Size</dt><dd>%s</dd>\n", im->meta.digest.str,
	    im->meta.media_type, ui_size(im->total, sz));
	if (im->parsed && im->mp.artifact_type[0] != '\0')
		ui_addf(b, "<dt>Artifact type</dt><dd>%s</dd>\n",
		    im->mp.artifact_type);
	if (im->platforms.len > 0)
		ui_addf(b, "<dt>Platforms</dt><dd>%s</dd>\n",
		    im->platforms.buf);
	if (im->created != UI_TIME_NONE)
		ui_addf(b, "<dt>Created</dt><dd>%s</dd>\n",
		    ui_time(im->created, tm));
	ui_addf(b, "<dt>Pull</dt><dd><code class=\"pull\">podman pull "
	    "%s/%s@%s</code></dd>\n</dl>\n", host.buf, name,
	    im->meta.digest.str);
	buf_release(&host);
}

/* The manifest, pretty-printed. */
static void
ui_image_manifest(struct buf *b, const struct ui_image *im)
{
	struct json_object	*root;

	ui_addf(b, "<h2>Manifest</h2>\n<pre class=\"manifest\"><code>");
	if ((root = json_tokener_parse(im->body.buf)) != NULL)
		ui_addf(b, "%s", json_object_to_json_string_ext(root,
		    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
		    JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		ui_addf(b, "%s", im->body.buf);
	ui_addf(b, "</code></pre>\n");
	json_object_put(root);
}

static void
ui_image_render(struct request *req, struct buf *b, const char *name,
    const char *ref, const struct ui_image *im)
{
	ui_addf(b, "<h1><a href=\"/ui/repo?name=%s\">%s</a> <span "
	    "class=\"ref\">%s</span></h1>\n", name, name, ref);
	ui_image_summary(req, b, name, im);
	if (ui_may_write(req, name))
		ui_addf(b, "<p><a class=\"button danger\" href=\"/ui/delete?"
		    "name=%s&amp;digest=%s\">Delete this manifest</a></p>\n",
		    name, im->meta.digest.str);
	if (im->parsed && im->mp.kind == MANIFEST_INDEX)
		ui_image_platforms(b, name, im);
	else if (im->parsed) {
		if (im->mp.has_config)
			ui_image_config(req, b, im);
		ui_image_layers(b, im);
	}
	ui_image_referrers(req, b, name, &im->meta.digest);
	ui_image_manifest(b, im);
}

enum reg_err
ui_page_image(struct request *req)
{
	struct buf	 b = BUF_INIT, ref = BUF_INIT, title = BUF_INIT;
	struct ui_image	 im;
	struct digest	 d;
	char		 name[NAME_MAX_LEN + 1];
	enum reg_err	 rc;

	if (!ui_name_param(req, name) || !ui_allow(req, name, ACCESS_READ))
		return (REG_OK);
	rc = REG_E_NOENT;
	if (ui_param(req->query, "ref", &ref))
		rc = ui_resolve(req->store, name, ref.buf, &d);
	if (rc == REG_OK)
		rc = ui_image_load(req->store, name, &d, &im);
	if (rc != REG_OK) {
		buf_release(&ref);
		return (rc == REG_E_NOENT ?
		    ui_error(req, 404, "No such image.") :
		    ui_error(req, 500, "The store could not be read."));
	}
	buf_addf(&title, "%s %s", name, ref.buf);
	ui_begin(&b, title.buf);
	ui_image_render(req, &b, name, ref.buf, &im);
	ui_end(&b);
	ui_image_release(&im);
	buf_release(&ref);
	buf_release(&title);
	return (ui_send(req, 200, &b));
}
