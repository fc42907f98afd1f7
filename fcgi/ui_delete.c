/*
 * fcgi/ui_delete.c: /ui/delete, deleting a tag or a manifest from the
 * UI.  GET ?name=N&tag=T (or &digest=D) asks for confirmation with a
 * form; its POST carries the same fields and a CSRF token, which must
 * match the SameSite=Strict cookie the form page set (a double-submit
 * token: another site can neither read the cookie nor make the browser
 * send it).  Writers only, as DELETE on /v2, and never in a read-only
 * registry.
 */
#include "config.h"

#include <string.h>

#include "common/digest.h"
#include "common/util.h"
#include "fcgi/request.h"
#include "fcgi/response.h"
#include "fcgi/ui.h"
#include "fcgi/ui_html.h"

#define FORM_MAX	4096

struct target {
	char		 name[NAME_MAX_LEN + 1];
	struct buf	 tag;		/* empty: by digest */
	struct digest	 digest;
};

/* Parse name and tag or digest from "form"; 0 if they are not valid. */
static int
ui_delete_target(const char *form, struct target *t)
{
	struct buf	v = BUF_INIT;
	int		ok;

	buf_init(&t->tag);
	ok = ui_param(form, "name", &v) && v.len <= NAME_MAX_LEN &&
	    name_valid(v.buf, v.len);
	if (ok)
		memcpy(t->name, v.buf, v.len + 1);
	if (ok && ui_param(form, "tag", &t->tag))
		ok = tag_valid(t->tag.buf, t->tag.len);
	else if (ok)
		ok = ui_param(form, "digest", &v) &&
		    digest_parse(v.buf, v.len, &t->digest) == 0;
	buf_release(&v);
	return (ok);
}

static enum reg_err
ui_delete_confirm(struct request *req, const struct target *t)
{
	struct buf	b = BUF_INIT;
	char		token[UI_CSRF_LEN + 1];
	const char	*what = t->tag.len > 0 ? t->tag.buf : t->digest.str;

	ui_csrf_token(req, token);
	ui_begin(&b, "Delete");
	ui_addf(&b, "<h1>Delete %s %s from %s?</h1>\n", t->tag.len > 0 ?
	    "tag" : "manifest", what, t->name);
	ui_addf(&b, "<p>%s</p>\n", t->tag.len > 0 ? "The tag goes; the "
	    "manifest stays until it is pruned." : "The manifest goes with "
	    "every tag that points at it.");
	ui_addf(&b, "<form method=\"post\" action=\"/ui/delete\">"
	    "<input type=\"hidden\" name=\"name\" value=\"%s\">"
	    "<input type=\"hidden\" name=\"%s\" value=\"%s\">"
	    "<input type=\"hidden\" name=\"csrf\" value=\"%s\">"
	    "<button class=\"danger\" type=\"submit\">Delete</button> "
	    "<a href=\"/ui/repo?name=%s\">Cancel</a></form>\n", t->name,
	    t->tag.len > 0 ? "tag" : "digest", what, token, t->name);
	ui_end(&b);
	return (ui_send(req, 200, &b));
}

static enum reg_err
ui_delete_run(struct request *req, const struct target *t)
{
	struct buf	detail = BUF_INIT;
	enum reg_err	rc;

	if (t->tag.len > 0)
		rc = store_tag_delete(req->store, t->name, t->tag.buf);
	else
		rc = store_manifest_delete(req->store, t->name, &t->digest,
		    &detail);
	if (rc == REG_OK) {
		buf_release(&detail);
		resp_headerf(req, "Location", "/ui/repo?name=%s", t->name);
		resp_status(req, 303);
		return (resp_end(req));
	}
	if (rc == REG_E_UNSUPPORTED)
		rc = ui_error(req, 409, detail.buf);
	else if (rc == REG_E_NOENT)
		rc = ui_error(req, 404, "It is not there (any more).");
	else
		rc = ui_error(req, 500, "The store could not be changed.");
	buf_release(&detail);
	return (rc);
}

enum reg_err
ui_page_delete(struct request *req)
{
	struct buf	 form = BUF_INIT, token = BUF_INIT;
	struct target	 t;
	enum reg_err	 rc;

	if (req->conf->read_only)
		return (ui_error(req, 405, "The registry is read-only."));
	if (req->method == M_POST &&
	    req_read_all(req, FORM_MAX, &form) != REG_OK) {
		buf_release(&form);
		return (ui_error(req, 400, "Bad form."));
	}
	if (!ui_delete_target(req->method == M_POST ? form.buf : req->query,
	    &t))
		rc = ui_error(req, 404, "No such tag or manifest.");
	else if (!ui_allow(req, t.name, ACCESS_WRITE))
		rc = REG_OK;
	else if (req->method != M_POST)
		rc = ui_delete_confirm(req, &t);
	else if (!ui_param(form.buf, "csrf", &token) ||
	    !ui_csrf_ok(req, token.buf))
		rc = ui_error(req, 403, "The form expired; reload the page.");
	else
		rc = ui_delete_run(req, &t);
	buf_release(&t.tag);
	buf_release(&form);
	buf_release(&token);
	return (rc);
}
