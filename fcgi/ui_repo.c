/*
 * fcgi/ui_repo.c: /ui/repo?name=N, a repository's tags, newest push
 * first (?sort=time) or by name (?sort=name), each with what it points
 * at and a pull command to copy.  Every tag's push time is looked at to
 * sort, but only the shown page's tags are opened (?page=, and ?n= of
 * them, 100 by default and at most 1000).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "common/xmalloc.h"
#include "fcgi/request.h"
#include "fcgi/ui.h"
#include "fcgi/ui_data.h"
#include "fcgi/ui_html.h"

#define TAGS_PAGE	100
#define TAGS_PAGE_MAX	1000

struct tag_page {
	const char	*name;
	int		 by_name;
	uint64_t	 page;
	size_t		 per;
};

struct tag_row {
	char	*tag;
	time_t	 pushed;
};

/* Newest first; equal times by name. */
static int
ui_repo_tag_cmp(const void *a, const void *b)
{
	const struct tag_row	*x = a, *y = b;

	if (x->pushed != y->pushed)
		return (x->pushed < y->pushed ? 1 : -1);
	return (strcmp(x->tag, y->tag));
}

static void
ui_repo_row(struct request *req, struct buf *b, const char *name,
    const struct tag_row *r, const char *host, int may_write)
{
	struct ui_image	 im;
	struct digest	 d;
	char		 sz[UI_SIZE_LEN], ct[UI_TIME_LEN], pt[UI_TIME_LEN];
	char		 shortd[20];

	if (ui_resolve(req->store, name, r->tag, &d) != REG_OK ||
	    ui_image_load(req->store, name, &d, &im) != REG_OK) {
		ui_addf(b, "<tr><th scope=\"row\">%s</th>"
		    "<td colspan=\"7\">unreadable</td></tr>\n", r->tag);
		return;
	}
	memcpy(shortd, d.str, sizeof(shortd) - 1);	/* "sha256:" and 12 */
	shortd[sizeof(shortd) - 1] = '\0';
	ui_addf(b, "<tr><th scope=\"row\"><a href=\"/ui/image?name=%s&amp;"
	    "ref=%s\">%s</a></th><td><code title=\"%s\">%s</code></td>"
	    "<td title=\"%s\">%s</td><td class=\"num\">%s</td><td>%s</td>"
	    "<td>%s</td><td>%s</td><td><code class=\"pull\">podman pull "
	    "%s/%s:%s</code></td>", name, r->tag, r->tag, d.str, shortd,
	    im.meta.media_type, ui_media_type(im.meta.media_type),
	    ui_size(im.total, sz), im.platforms.buf, ui_time(im.created, ct),
	    ui_time(r->pushed, pt), host, name, r->tag);
	if (may_write)
		ui_addf(b, "<td><a class=\"button danger\" href=\"/ui/delete?"
		    "name=%s&amp;tag=%s\">Delete</a></td>", name, r->tag);
	ui_addf(b, "</tr>\n");
	ui_image_release(&im);
}

static void
ui_repo_head(struct buf *b, const struct tag_page *pg, size_t n, int may_write)
{
	const char	*name = pg->name;

	ui_addf(b, "<h1>%s</h1>\n<p>%zu tag%s, sorted by %s. Sort by "
	    "<a href=\"/ui/repo?name=%s&amp;sort=%s\">%s</a>.</p>\n",
	    name, n, n == 1 ? "" : "s", pg->by_name ? "name" : "push time",
	    name, pg->by_name ? "time" : "name",
	    pg->by_name ? "push time" : "name");
	ui_addf(b, "<table id=\"tags\"><thead><tr><th scope=\"col\">Tag</th>"
	    "<th scope=\"col\">Digest</th><th scope=\"col\">Type</th>"
	    "<th scope=\"col\">Size</th><th scope=\"col\">Platforms</th>"
	    "<th scope=\"col\">Created</th><th scope=\"col\">Pushed</th>"
	    "<th scope=\"col\">Pull</th>");
	if (may_write)
		ui_addf(b, "<th scope=\"col\">Delete</th>");
	ui_addf(b, "</tr></thead>\n<tbody>\n");
}

static void
ui_repo_render(struct request *req, struct buf *b, const struct tag_page *pg,
    const struct tag_row *rows, size_t n)
{
	struct buf	host = BUF_INIT, href = BUF_INIT;
	int		may_write = ui_may_write(req, pg->name);
	size_t		first, i;

	ui_registry_host(req->conf, &host);
	ui_repo_head(b, pg, n, may_write);
	first = (size_t)(pg->page - 1) * pg->per;
	for (i = first; i < n && i - first < pg->per; i++)
		ui_repo_row(req, b, pg->name, &rows[i], host.buf, may_write);
	ui_addf(b, "</tbody></table>\n");
	buf_addf(&href, "/ui/repo?name=%s&sort=%s&n=%zu&page=", pg->name,
	    pg->by_name ? "name" : "time", pg->per);
	ui_pager(b, href.buf, pg->page, n > first + pg->per);
	buf_release(&host);
	buf_release(&href);
}

/* Every tag with its push time, sorted as asked; "tags" is consumed. */
static struct tag_row *
ui_repo_rows(struct request *req, const char *name, char **tags, size_t n,
    int by_name)
{
	struct tag_row	*rows;
	size_t		 i;

	rows = xcalloc(n == 0 ? 1 : n, sizeof(*rows));
	for (i = 0; i < n; i++) {
		rows[i].tag = tags[i];
		if (store_tag_mtime(req->store, name, tags[i],
		    &rows[i].pushed) != REG_OK)
			rows[i].pushed = UI_TIME_NONE;
	}
	free(tags);
	if (!by_name && n > 0)	/* the store lists them by name */
		qsort(rows, n, sizeof(*rows), ui_repo_tag_cmp);
	return (rows);
}

/* ?sort=, ?n= and ?page=. */
static void
ui_repo_page_parse(struct request *req, const char *name, struct tag_page *pg)
{
	struct buf	v = BUF_INIT;
	uint64_t	per = TAGS_PAGE;

	pg->name = name;
	pg->by_name = ui_param(req->query, "sort", &v) &&
	    strcmp(v.buf, "name") == 0;
	if (ui_param(req->query, "n", &v) &&
	    parse_u64(v.buf, 1, TAGS_PAGE_MAX, &per) == -1)
		per = TAGS_PAGE;
	pg->per = (size_t)per;
	pg->page = ui_page_param(req->query, pg->per);
	buf_release(&v);
}

enum reg_err
ui_page_repo(struct request *req)
{
	struct buf	 b = BUF_INIT;
	struct tag_page	 pg;
	struct tag_row	*rows;
	char		 name[NAME_MAX_LEN + 1];
	char		**tags;
	size_t		 n, i;
	int		 more;
	enum reg_err	 rc;

	if (!ui_name_param(req, name) || !ui_allow(req, name, ACCESS_READ))
		return (REG_OK);
	ui_repo_page_parse(req, name, &pg);
	rc = store_tags_list(req->store, name, NULL, 0, &tags, &n, &more);
	if (rc == REG_E_NOENT)
		return (ui_error(req, 404, "No such repository."));
	if (rc != REG_OK)
		return (ui_error(req, 500, "The store could not be read."));
	rows = ui_repo_rows(req, name, tags, n, pg.by_name);
	ui_begin(&b, name);
	ui_repo_render(req, &b, &pg, rows, n);
	ui_end(&b);
	for (i = 0; i < n; i++)
		free(rows[i].tag);
	free(rows);
	return (ui_send(req, 200, &b));
}
