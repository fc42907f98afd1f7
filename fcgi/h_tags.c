/*
 * fcgi/h_tags.c: GET /v2/<name>/tags/list and GET /v2/_catalog, with
 * n/last pagination and a Link header to the next page.  A tags list
 * also holds the upstream's tags of a repository pulled through
 * (fcgi/pull.h); the catalog is what is stored here.
 */
#include "config.h"

#include <string.h>

#include <json-c/json.h>

#include "common/util.h"
#include "fcgi/handlers.h"
#include "fcgi/pull.h"
#include "fcgi/response.h"
#include "storage/store.h"

#define PAGE_MAX	10000

struct page {
	struct buf	last;
	int		has_last;
	size_t		n;		/* 0: everything */
	int		empty;		/* n=0 was asked for */
};

static enum reg_err
tags_page_parse(struct request *req, struct page *pg)
{
	struct buf	nv = BUF_INIT;
	uint64_t	n = 0;
	int		r;

	memset(pg, 0, sizeof(*pg));
	buf_init(&pg->last);
	r = query_get(req->query, "n", &nv);
	if (r == 1 && parse_u64(nv.buf, 0, UINT64_MAX, &n) == -1)
		r = -1;
	buf_release(&nv);
	if (r == -1)
		return (req_fail(req, REG_E_PAGINATION_INVALID, "bad n"));
	pg->empty = r == 1 && n == 0;
	pg->n = n > PAGE_MAX ? PAGE_MAX : (size_t)n;
	if ((pg->has_last = query_get(req->query, "last", &pg->last)) == -1)
		return (req_fail(req, REG_E_PAGINATION_INVALID, "bad last"));
	return (REG_OK);
}

/* Answer {"<key>": [...], ...} with a Link when there is more. */
static enum reg_err
tags_page_reply(struct request *req, struct json_object *root, const char *key,
    char **v, size_t nv, int more, const char *base, size_t n)
{
	struct json_object	*arr;
	struct buf		 link = BUF_INIT;
	size_t			 i;

	arr = json_object_new_array();
	for (i = 0; i < nv; i++)
		json_object_array_add(arr, json_object_new_string(v[i]));
	json_object_object_add(root, key, arr);
	if (more && nv > 0) {
		buf_addf(&link, "<%s?n=%zu&last=", base, n);
		pct_encode(&link, v[nv - 1]);
		buf_addstr(&link, ">; rel=\"next\"");
		resp_header(req, "Link", link.buf);
		buf_release(&link);
	}
	resp_status(req, 200);
	return (resp_json(req, root));
}

enum reg_err
h_tags_list(struct request *req)
{
	struct json_object	*root;
	struct page		 pg = { BUF_INIT, 0, 0, 0 };
	struct buf		 base = BUF_INIT;
	char			**tags = NULL, **up = NULL;
	size_t			 ntags = 0, nup = 0;
	enum reg_err		 err, perr;
	int			 more = 0;

	if ((err = tags_page_parse(req, &pg)) != REG_OK)
		goto out;
	/* Pull-through: the upstream's tags too; ours win, once each. */
	perr = pull_tags(req, &up, &nup);
	err = store_tags_list_with(req->store, req->name, up, nup,
	    pg.has_last ? pg.last.buf : NULL, pg.n, &tags, &ntags, &more);
	if (err == REG_E_NOENT && perr == REG_E_UNAVAILABLE)
		err = perr;
	else if (err == REG_E_NOENT)
		err = req_fail(req, REG_E_NAME_UNKNOWN, "%s", req->name);
	if (err != REG_OK)
		goto out;
	if (pg.empty) {
		store_strv_free(tags, ntags);
		tags = NULL;
		ntags = more = 0;
	}
	root = json_object_new_object();
	json_object_object_add(root, "name", json_object_new_string(req->name));
	buf_addf(&base, "/v2/%s/tags/list", req->name);
	err = tags_page_reply(req, root, "tags", tags, ntags, more, base.buf,
	    pg.n);
out:
	store_strv_free(up, nup);
	store_strv_free(tags, ntags);
	buf_release(&base);
	buf_release(&pg.last);
	return (err);
}

enum reg_err
h_catalog(struct request *req)
{
	struct page	 pg = { BUF_INIT, 0, 0, 0 };
	char		**repos = NULL;
	size_t		 nrepos = 0;
	enum reg_err	 err;
	int		 more = 0;

	if ((err = tags_page_parse(req, &pg)) != REG_OK)
		goto out;
	err = store_catalog(req->store, pg.has_last ? pg.last.buf : NULL,
	    pg.n, &repos, &nrepos, &more);
	if (err != REG_OK)
		goto out;
	if (pg.empty) {
		store_strv_free(repos, nrepos);
		repos = NULL;
		nrepos = more = 0;
	}
	err = tags_page_reply(req, json_object_new_object(), "repositories",
	    repos, nrepos, more, "/v2/_catalog", pg.n);
out:
	store_strv_free(repos, nrepos);
	buf_release(&pg.last);
	return (err);
}
