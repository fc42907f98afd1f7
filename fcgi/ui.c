/*
 * fcgi/ui.c: the web UI's routes, page frame, access checks, error
 * pages, assets and CSRF tokens.  The pages are in ui_<page>.c.
 */
#include "config.h"

#include <string.h>

#include "common/util.h"
#include "fcgi/auth.h"
#include "fcgi/response.h"
#include "fcgi/ui.h"
#include "fcgi/ui_html.h"

#define UI_CSP	"default-src 'none'; script-src 'self'; " \
	"style-src 'self'; img-src 'self'; connect-src 'self'; " \
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
#define UI_COOKIE	"specreg_csrf"
#define UI_STATIC	"/ui/static/"

static const struct {
	const char	*path;
	unsigned	 methods;
	enum reg_err	(*page)(struct request *);
} ui_routes[] = {
	{ "/", M_GET | M_HEAD, ui_page_repos },
	{ "/ui/", M_GET | M_HEAD, ui_page_repos },
	{ "/ui/repo", M_GET | M_HEAD, ui_page_repo },
	{ "/ui/image", M_GET | M_HEAD, ui_page_image },
	{ "/ui/storage", M_GET | M_HEAD, ui_page_storage },
	{ "/ui/delete", M_GET | M_HEAD | M_POST, ui_page_delete },
};

/* Headers every UI response carries. */
static void
ui_headers(struct request *req)
{
	resp_header(req, "Content-Security-Policy", UI_CSP);
	resp_header(req, "X-Content-Type-Options", "nosniff");
	resp_header(req, "Referrer-Policy", "same-origin");
}

static enum reg_err
ui_asset(struct request *req, const char *name)
{
	size_t	i;

	for (i = 0; i < ui_nassets; i++) {
		if (strcmp(ui_assets[i].name, name) != 0)
			continue;
		ui_headers(req);
		resp_header(req, "Cache-Control", "public, max-age=3600");
		resp_status(req, 200);
		return (resp_body(req, ui_assets[i].type, ui_assets[i].data,
		    ui_assets[i].len));
	}
	return (ui_error(req, 404, "No such file."));
}

enum reg_err
ui_dispatch(struct request *req)
{
	size_t	i;

	if (strncmp(req->path, UI_STATIC, strlen(UI_STATIC)) == 0) {
		if ((req->method & (M_GET | M_HEAD)) == 0) {
			req->allow = M_GET | M_HEAD;
			resp_allow(req);
			return (ui_error(req, 405, "Use GET."));
		}
		return (ui_asset(req, req->path + strlen(UI_STATIC)));
	}
	for (i = 0; i < nitems(ui_routes); i++) {
		if (strcmp(req->path, ui_routes[i].path) != 0)
			continue;
		if ((req->method & ui_routes[i].methods) == 0) {
			req->allow = ui_routes[i].methods;
			resp_allow(req);
			return (ui_error(req, 405, "Method not allowed."));
		}
		return (ui_routes[i].page(req));
	}
	return (ui_error(req, 404, "No such page."));
}

int
ui_allow(struct request *req, const char *name, enum conf_access need)
{
	if (auth_allows(req, name, need))
		return (1);
	if (req->user == NULL) {
		resp_header(req, "WWW-Authenticate",
		    "Basic realm=\"specreg\", charset=\"UTF-8\"");
		ui_error(req, 401, "Log in to see this registry.");
	} else
		ui_error(req, 403, "You may not see or do this.");
	return (0);
}

int
ui_may_write(struct request *req, const char *name)
{
	return (!req->conf->read_only &&
	    auth_allows(req, name, ACCESS_WRITE));
}

int
ui_param(const char *query, const char *key, struct buf *out)
{
	buf_reset(out);
	if (query_get(query, key, out) == 1)
		return (1);
	buf_reset(out);
	return (0);
}

int
ui_name_param(struct request *req, char name[NAME_MAX_LEN + 1])
{
	struct buf	v = BUF_INIT;
	int		ok;

	ok = ui_param(req->query, "name", &v) && v.len <= NAME_MAX_LEN &&
	    name_valid(v.buf, v.len);
	if (ok)
		memcpy(name, v.buf, v.len + 1);
	else
		ui_error(req, 404, "No such repository.");
	buf_release(&v);
	return (ok);
}

void
ui_registry_host(const struct conf *conf, struct buf *out)
{
	const char	*p = strstr(conf->public_url, "://");
	size_t		 len;

	p = p != NULL ? p + 3 : conf->public_url;
	len = strlen(p);
	while (len > 0 && p[len - 1] == '/')
		len--;
	buf_add(out, p, len);
}

uint64_t
ui_page_param(const char *query, size_t per)
{
	struct buf	v = BUF_INIT;
	uint64_t	page = 1;

	if (ui_param(query, "page", &v) &&
	    parse_u64(v.buf, 1, SIZE_MAX / per, &page) == -1)
		page = 1;
	buf_release(&v);
	return (page);
}

void
ui_pager(struct buf *b, const char *href, uint64_t page, int more)
{
	ui_addf(b, "<nav class=\"pager\" aria-label=\"Pages\">");
	if (page > 1)
		ui_addf(b, "<a rel=\"prev\" href=\"%s%llu\">Previous</a> ",
		    href, (unsigned long long)page - 1);
	ui_addf(b, "<span>Page %llu</span>", (unsigned long long)page);
	if (more)
		ui_addf(b, " <a rel=\"next\" href=\"%s%llu\">Next</a>", href,
		    (unsigned long long)page + 1);
	ui_addf(b, "</nav>\n");
}

void
ui_begin(struct buf *b, const char *title)
{
	ui_addf(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\">\n"
	    "<title>%s - specreg</title>\n"
	    "<link rel=\"stylesheet\" href=\"" UI_STATIC "style.css\">\n"
	    "<script src=\"" UI_STATIC "ui.js\" defer></script>\n"
	    "</head>\n<body>\n<header>\n<nav aria-label=\"Main\">"
	    "<a class=\"brand\" href=\"/\">specreg</a> "
	    "<a href=\"/\">Repositories</a> "
	    "<a href=\"/ui/storage\">Storage</a></nav>\n</header>\n"
	    "<main>\n", title);
}

void
ui_end(struct buf *b)
{
	ui_addf(b, "</main>\n</body>\n</html>\n");
}

enum reg_err
ui_send(struct request *req, int status, struct buf *page)
{
	enum reg_err	err;

	ui_headers(req);
	resp_header(req, "Cache-Control", "no-store");
	resp_status(req, status);
	err = resp_body(req, "text/html; charset=utf-8", page->buf,
	    page->len);
	buf_release(page);
	return (err);
}

enum reg_err
ui_error(struct request *req, int status, const char *msg)
{
	struct buf	b = BUF_INIT;

	ui_begin(&b, "Error");
	ui_addf(&b, "<h1>Error %d</h1>\n<p class=\"error\">%s</p>\n",
	    status, msg);
	ui_end(&b);
	return (ui_send(req, status, &b));
}

/* The CSRF cookie's value, if the request has a well-formed one. */
static int
ui_csrf_cookie(struct request *req, char out[UI_CSRF_LEN + 1])
{
	const char	*p = req->cookie;
	size_t		 klen = strlen(UI_COOKIE "=");

	while (p != NULL && *p != '\0') {
		p += strspn(p, " ;");
		if (strncmp(p, UI_COOKIE "=", klen) == 0) {
			p += klen;
			if (strspn(p, "0123456789abcdef") != UI_CSRF_LEN ||
			    (p[UI_CSRF_LEN] != '\0' && p[UI_CSRF_LEN] != ';'))
				return (0);
			memcpy(out, p, UI_CSRF_LEN);
			out[UI_CSRF_LEN] = '\0';
			return (1);
		}
		p = strchr(p, ';');
	}
	return (0);
}

void
ui_csrf_token(struct request *req, char out[UI_CSRF_LEN + 1])
{
	unsigned char	raw[UI_CSRF_LEN / 2];

	if (ui_csrf_cookie(req, out))
		return;
	random_bytes(raw, sizeof(raw));
	hex_encode(out, raw, sizeof(raw));
	resp_headerf(req, "Set-Cookie",
	    UI_COOKIE "=%s; Path=/ui/; HttpOnly; SameSite=Strict", out);
}

int
ui_csrf_ok(struct request *req, const char *form_token)
{
	char	cookie[UI_CSRF_LEN + 1];

	return (ui_csrf_cookie(req, cookie) &&
	    ct_equal(cookie, UI_CSRF_LEN, form_token, strlen(form_token)));
}
