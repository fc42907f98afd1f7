/*
 * fcgi/ui_storage.c: /ui/storage, what the store holds: bytes and
 * blobs, manifests, the last prune and what it freed, and the largest
 * repositories as a bar chart drawn in inline SVG.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "fcgi/request.h"
#include "fcgi/ui.h"
#include "fcgi/ui_data.h"
#include "fcgi/ui_html.h"
#include "storage/prune.h"

#define CHART_BARS	10
#define CHART_WIDTH	600	/* of the longest bar */
#define CHART_ROW	40	/* name above, bar below */

struct blob_totals {
	uint64_t	count;
	uint64_t	bytes;
};

struct repo_size {
	char		*name;
	uint64_t	 bytes;
};

static enum reg_err
ui_storage_count_blob(const char *path, const struct digest *d,
    const struct stor_stat *ss, void *arg)
{
	struct blob_totals	*bt = arg;

	(void)path;
	if (d != NULL && !ss->is_dir) {
		bt->count++;
		bt->bytes += ss->size;
	}
	return (REG_OK);
}

/* Largest first. */
static int
ui_storage_size_cmp(const void *a, const void *b)
{
	const struct repo_size	*x = a, *y = b;

	if (x->bytes != y->bytes)
		return (x->bytes < y->bytes ? 1 : -1);
	return (strcmp(x->name, y->name));
}

static void
ui_storage_chart(struct buf *b, const struct repo_size *rs, size_t n)
{
	char		sz[UI_SIZE_LEN];
	unsigned	w, y;
	size_t		i;

	if (n > CHART_BARS)
		n = CHART_BARS;
	if (n == 0) {
		ui_addf(b, "<p>No repositories yet.</p>\n");
		return;
	}
	ui_addf(b, "<svg class=\"chart\" role=\"img\" aria-labelledby="
	    "\"chart-title\" width=\"%u\" height=\"%u\" viewBox=\"0 0 %u %u\">"
	    "\n<title id=\"chart-title\">The %zu largest repositories by "
	    "size</title>\n", CHART_WIDTH + 120, (unsigned)n * CHART_ROW,
	    CHART_WIDTH + 120, (unsigned)n * CHART_ROW, n);
	for (i = 0; i < n; i++) {
		y = (unsigned)i * CHART_ROW;
		w = ui_bar_width(rs[i].bytes, rs[0].bytes, CHART_WIDTH);
		ui_addf(b, "<text x=\"0\" y=\"%u\">%s</text>"
		    "<rect class=\"bar\" x=\"0\" y=\"%u\" width=\"%u\" "
		    "height=\"16\"></rect><text x=\"%u\" y=\"%u\">%s</text>\n",
		    y + 14, rs[i].name, y + 18, w, w + 6, y + 31,
		    ui_size(rs[i].bytes, sz));
	}
	ui_addf(b, "</svg>\n");
}

static void
ui_storage_table(struct buf *b, const struct repo_size *rs, size_t n)
{
	char	sz[UI_SIZE_LEN];
	size_t	i;

	ui_addf(b, "<table id=\"largest\"><caption>Largest repositories"
	    "</caption><thead><tr><th scope=\"col\">Repository</th>"
	    "<th scope=\"col\">Size</th></tr></thead>\n<tbody>\n");
	for (i = 0; i < n && i < CHART_BARS; i++)
		ui_addf(b, "<tr><td><a href=\"/ui/repo?name=%s\">%s</a></td>"
		    "<td class=\"num\">%s</td></tr>\n", rs[i].name, rs[i].name,
		    ui_size(rs[i].bytes, sz));
	ui_addf(b, "</tbody></table>\n");
}

/* Every repository's size, largest first; "names" is consumed. */
static struct repo_size *
ui_storage_sizes(struct request *req, char **names, size_t n,
    uint64_t *manifests)
{
	struct ui_repo_stats	 st;
	struct repo_size	*rs;
	size_t			 i;

	rs = xcalloc(n == 0 ? 1 : n, sizeof(*rs));
	for (i = 0; i < n; i++) {
		rs[i].name = names[i];
		if (ui_repo_stats(req->store, names[i], &st) != REG_OK)
			continue;
		rs[i].bytes = st.bytes;
		*manifests += st.manifests;
	}
	free(names);
	if (n > 0)
		qsort(rs, n, sizeof(*rs), ui_storage_size_cmp);
	return (rs);
}

/* The last prune that was not a dry run, as a row of the summary. */
static void
ui_storage_prune(struct request *req, struct buf *b)
{
	struct prune_stats	ps;
	time_t			when;
	char			sz[UI_SIZE_LEN], tm[UI_TIME_LEN];

	if (store_prune_last(req->store, &when, &ps) != REG_OK) {
		ui_addf(b, "<dt>Last prune</dt><dd>none recorded</dd>\n");
		return;
	}
	ui_addf(b, "<dt>Last prune</dt><dd>%s: freed %s, removed %llu "
	    "blobs, %llu manifests, %llu tags, %llu uploads</dd>\n",
	    ui_time(when, tm), ui_size(ps.bytes, sz),
	    (unsigned long long)ps.blobs, (unsigned long long)ps.manifests,
	    (unsigned long long)ps.tags, (unsigned long long)ps.uploads);
}

static void
ui_storage_render(struct request *req, struct buf *b,
    const struct blob_totals *bt, size_t nrepos, uint64_t manifests,
    const struct repo_size *rs)
{
	char	sz[UI_SIZE_LEN];

	ui_addf(b, "<h1>Storage</h1>\n<dl class=\"summary\" id=\"totals\">\n"
	    "<dt>Bytes used</dt><dd>%s</dd>\n<dt>Blobs</dt><dd>%llu</dd>\n"
	    "<dt>Manifests</dt><dd>%llu</dd>\n"
	    "<dt>Repositories</dt><dd>%zu</dd>\n",
	    ui_size(bt->bytes, sz), (unsigned long long)bt->count,
	    (unsigned long long)manifests, nrepos);
	ui_storage_prune(req, b);
	ui_addf(b, "</dl>\n");
	ui_addf(b, "<h2>Largest repositories</h2>\n");
	ui_storage_chart(b, rs, nrepos);
	ui_storage_table(b, rs, nrepos);
}

enum reg_err
ui_page_storage(struct request *req)
{
	struct blob_totals	 bt = { 0, 0 };
	struct repo_size	*rs;
	struct buf		 b = BUF_INIT;
	char			**names;
	size_t			 n, i;
	uint64_t		 manifests = 0;
	int			 more;

	if (!ui_allow(req, NULL, ACCESS_READ))
		return (REG_OK);
	if (store_walk_blobs(req->store, ui_storage_count_blob, &bt) !=
	    REG_OK ||
	    store_catalog(req->store, NULL, 0, &names, &n, &more) != REG_OK)
		return (ui_error(req, 500, "The store could not be read."));
	rs = ui_storage_sizes(req, names, n, &manifests);
	ui_begin(&b, "Storage");
	ui_storage_render(req, &b, &bt, n, manifests, rs);
	ui_end(&b);
	for (i = 0; i < n; i++)
		free(rs[i].name);
	free(rs);
	return (ui_send(req, 200, &b));
}
