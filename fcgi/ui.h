/*
 * fcgi/ui.h: the web UI, server-rendered HTML at "/" and under "/ui/".
 *
 *   /				repositories, ?q= filter, ?page=
 *   /ui/repo?name=N		a repository's tags, ?sort=time|name,
 *				?page=, ?n= of them
 *   /ui/image?name=N&ref=R	an image (R a tag or a digest)
 *   /ui/storage		what the store holds
 *   /ui/delete			confirm (GET) and delete (POST) a tag or
 *				manifest, for writers, with a CSRF token
 *   /ui/static/...		the CSS and JavaScript, compiled in
 *
 * Pages answer with HTML whatever happens (ui_error()), so
 * ui_dispatch() returns REG_OK unless writing the response failed.
 * Access follows the API's policy (auth.h): a browser sends Basic
 * credentials, and a page that needs more than anonymous gets asks for
 * them with a Basic challenge.  Every response carries a strict
 * Content-Security-Policy: no inline script or style, nothing from
 * elsewhere.  Every printed value goes through ui_html.h.
 */
#ifndef SPECREG_FCGI_UI_H
#define SPECREG_FCGI_UI_H

#include <stdint.h>

#include "common/buf.h"
#include "common/conf.h"
#include "common/errors.h"
#include "fcgi/request.h"

/* "/" and every path below "/ui/" (route.c's table sends them here). */
enum reg_err	ui_dispatch(struct request *);

/* For the pages (ui_*.c). */
#define UI_CSRF_LEN	32	/* hex digits */

/*
 * May the request's user do "need" on repository "name" (NULL: on the
 * registry, i.e. list it)?  1, or 0 after answering 401 or 403.
 */
int		ui_allow(struct request *, const char *name,
		    enum conf_access need);
/*
 * Like ui_allow() but silent: should the page offer deletes?  Never in
 * a read-only registry.
 */
int		ui_may_write(struct request *, const char *name);
/* A query or form parameter: 1 and "out", 0 if absent or malformed. */
int		ui_param(const char *query, const char *key, struct buf *out);
/* A valid repository name from "?name=", else a 404 page and 0. */
int		ui_name_param(struct request *, char [NAME_MAX_LEN + 1]);
/* Append "host[:port]" of the public URL, for pull commands. */
void		ui_registry_host(const struct conf *, struct buf *);
/*
 * Paging: the page number ?page= (1 when absent or bad; pages of
 * "per" items), and "Previous"/"Next" links to "href" (a URL whose
 * query ends in "page=") plus a page number.
 */
uint64_t	ui_page_param(const char *query, size_t per);
void		ui_pager(struct buf *, const char *href, uint64_t page,
		    int more);
/* The page's head, header and navigation; "title" is escaped. */
void		ui_begin(struct buf *, const char *title);
void		ui_end(struct buf *);
/* Send "page" (released) as the response. */
enum reg_err	ui_send(struct request *, int status, struct buf *page);
/* An HTML error page with "msg" (escaped); REG_OK once sent. */
enum reg_err	ui_error(struct request *, int status, const char *msg);
/* The request's CSRF token, set as a cookie if it had none. */
void		ui_csrf_token(struct request *, char [UI_CSRF_LEN + 1]);
/* Does the form's token match the cookie? */
int		ui_csrf_ok(struct request *, const char *form_token);

enum reg_err	ui_page_repos(struct request *);
enum reg_err	ui_page_repo(struct request *);
enum reg_err	ui_page_image(struct request *);
enum reg_err	ui_page_storage(struct request *);
enum reg_err	ui_page_delete(struct request *);

/* The compiled-in assets (ui_assets.c, made from fcgi/ui/). */
struct ui_asset {
	const char	*name;		/* "style.css" */
	const char	*type;
	const char	*data;
	size_t		 len;
};
extern const struct ui_asset	ui_assets[];
extern const size_t		ui_nassets;

#endif
