/*
 * fcgi/ui_repos.c: "/", the repositories, filtered by ?q= (a substring
 * of the name) and paged by ?page=.  Only the shown page's
 * repositories are opened, so the page stays fast however many there
 * are.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "fcgi/request.h"
#include "fcgi/ui.h"
#include "fcgi/ui_data.h"
#include "fcgi/ui_html.h"

#define REPOS_PAGE	50

/* Keep the names that contain "q"; returns how many are left. */
static size_t
ui_repos_filter(char **v, size_t n, const char *q)
{
	size_t	i, kept = 0;

	for (i = 0; i < n; i++) {
		if (strstr(v[i], q) != NULL)
			v[kept++] = v[i];
		else
			free(v[i]);
	}
	return (kept);
}

static void
ui_repos_row(struct request *req, struct buf *b, const char *name)
{
	struct ui_repo_stats	rs;
	char			sz[UI_SIZE_LEN], tm[UI_TIME_LEN];

	if (ui_repo_stats(req->store, name, &rs) != REG_OK) {
		memset(&rs, 0, sizeof(rs));
		rs.pushed = UI_TIME_NONE;
	}
	ui_addf(b, "<tr><td><a href=\"/ui/repo?name=%s\">%s</a></td>"
	    "<td class=\"num\">%zu</td><td class=\"num\">%s</td>"
	    "<td>%s</td></tr>\n", name, name, rs.tags, ui_size(rs.bytes, sz),
	    ui_time(rs.pushed, tm));
}

static void
ui_repos_render(struct request *req, struct buf *b, char **v, size_t n,
    const char *q, uint64_t page)
{
	struct buf	href = BUF_INIT;
	size_t		first, i;

	first = (size_t)(page - 1) * REPOS_PAGE;
	ui_addf(b, "<h1>Repositories</h1>\n"
	    "<form class=\"filter\" method=\"get\" action=\"/\">"
	    "<label for=\"q\">Filter</label> <input id=\"q\" name=\"q\" "
	    "type=\"search\" value=\"%s\" data-filter=\"repos\"> "
	    "<button type=\"submit\">Filter</button></form>\n"
	    "<p>%zu repositor%s%s.</p>\n", q, n, n == 1 ? "y" : "ies",
	    *q != '\0' ? " match" : "");
	ui_addf(b, "<table id=\"repos\"><thead><tr><th scope=\"col\">Name</th>"
	    "<th scope=\"col\">Tags</th><th scope=\"col\">Size</th>"
	    "<th scope=\"col\">Last push</th></tr></thead>\n<tbody>\n");
	for (i = first; i < n && i < first + REPOS_PAGE; i++)
		ui_repos_row(req, b, v[i]);
	ui_addf(b, "</tbody></table>\n");
	buf_addstr(&href, "/?q=");
	pct_encode(&href, q);
	buf_addstr(&href, "&page=");
	ui_pager(b, href.buf, page, n > first + REPOS_PAGE);
	buf_release(&href);
}

enum reg_err
ui_page_repos(struct request *req)
{
	struct buf	 b = BUF_INIT, q = BUF_INIT;
	char		**v;
	size_t		 n;
	uint64_t	 page;
	int		 more;
	enum reg_err	 rc;

	if (!ui_allow(req, NULL, ACCESS_READ))
		return (REG_OK);
	ui_param(req->query, "q", &q);
	page = ui_page_param(req->query, REPOS_PAGE);
	if (store_catalog(req->store, NULL, 0, &v, &n, &more) != REG_OK) {
		buf_release(&q);
		return (ui_error(req, 500, "The store could not be read."));
	}
	n = ui_repos_filter(v, n, q.buf);
	ui_begin(&b, "Repositories");
	ui_repos_render(req, &b, v, n, q.buf, page);
	ui_end(&b);
	store_strv_free(v, n);
	buf_release(&q);
	rc = ui_send(req, 200, &b);
	return (rc);
}
