/*
 * tests/unit/check_route.c: route_lookup() (fcgi/route.c), the one
 * table of every route.
 *
 * Every route, exact paths against prefixes and repository tails,
 * paths that only look like a fixed one, the methods a path allows
 * (in a read-only registry too), and the 405 of /auth/token naming
 * GET and POST.
 */
#include "config.h"

#include <check.h>
#include <string.h>

#include "common/conf.h"
#include "common/util.h"
#include "fcgi/exchange.h"
#include "fcgi/handlers.h"
#include "fcgi/route.h"
#include "fcgi/ui.h"
#include "tests/unit/check_run.h"
#include "tests/unit/fake_io.h"

#define RW	0	/* not read-only */
#define RO	1

static const struct {
	const char	*path;
	unsigned	 method;
	int		 read_only;
	enum route_id	 id;		/* ROUTE_NONE: no route */
	enum reg_err	(*handler)(struct request *);
	unsigned	 allow;
	const char	*name;		/* ROUTE_REPO: the repository */
	const char	*arg;
} lookups[] = {
	/* Exact paths. */
	{ "/v2/", M_GET, RW, ROUTE_BASE, h_base, M_GET|M_HEAD, NULL, NULL },
	{ "/v2", M_HEAD, RW, ROUTE_BASE, h_base, M_GET|M_HEAD, NULL, NULL },
	{ "/v2/_catalog", M_GET, RW, ROUTE_CATALOG, h_catalog, M_GET,
	    NULL, NULL },
	{ "/auth/token", M_GET, RW, ROUTE_TOKEN, h_token, M_GET|M_POST,
	    NULL, NULL },
	{ "/auth/token", M_POST, RO, ROUTE_TOKEN, h_token, M_GET|M_POST,
	    NULL, NULL },
	{ "/healthz", M_GET, RW, ROUTE_HEALTHZ, h_healthz, M_GET|M_HEAD,
	    NULL, NULL },
	{ "/readyz", M_HEAD, RO, ROUTE_READYZ, h_readyz, M_GET|M_HEAD,
	    NULL, NULL },
	{ "/metrics", M_GET, RW, ROUTE_METRICS, h_metrics, M_GET|M_HEAD,
	    NULL, NULL },
	/* Wrong method on an exact path: 405 with the path's methods. */
	{ "/auth/token", M_PUT, RW, ROUTE_NONE, NULL, M_GET|M_POST,
	    NULL, NULL },
	{ "/healthz", M_POST, RW, ROUTE_NONE, NULL, M_GET|M_HEAD,
	    NULL, NULL },
	{ "/v2/_catalog", M_DELETE, RW, ROUTE_NONE, NULL, M_GET,
	    NULL, NULL },
	/* The UI: "/" exactly and everything below "/ui/", any method. */
	{ "/", M_GET, RW, ROUTE_UI, ui_dispatch, 0, NULL, NULL },
	{ "/", M_DELETE, RW, ROUTE_UI, ui_dispatch, 0, NULL, NULL },
	{ "/ui/", M_GET, RW, ROUTE_UI, ui_dispatch, 0, NULL, NULL },
	{ "/ui/repo", M_GET, RW, ROUTE_UI, ui_dispatch, 0, NULL, NULL },
	{ "/ui/static/ui.js", M_GET, RW, ROUTE_UI, ui_dispatch, 0,
	    NULL, NULL },
	{ "/ui/delete", M_POST, RO, ROUTE_UI, ui_dispatch, 0, NULL, NULL },
	/* Repository routes. */
	{ "/v2/a/b/tags/list", M_GET, RW, ROUTE_TAGS, h_tags_list,
	    M_GET|M_HEAD, "a/b", NULL },
	{ "/v2/a/manifests/latest", M_GET, RW, ROUTE_MANIFEST,
	    h_manifest_get, M_GET|M_HEAD|M_PUT|M_DELETE, "a", "latest" },
	{ "/v2/a/manifests/latest", M_PUT, RW, ROUTE_MANIFEST,
	    h_manifest_put, M_GET|M_HEAD|M_PUT|M_DELETE, "a", "latest" },
	{ "/v2/a/manifests/latest", M_DELETE, RW, ROUTE_MANIFEST,
	    h_manifest_delete, M_GET|M_HEAD|M_PUT|M_DELETE, "a", "latest" },
	{ "/v2/a/blobs/uploads/", M_POST, RW, ROUTE_UPLOAD, h_upload_start,
	    M_POST, "a", NULL },
	{ "/v2/a/blobs/uploads/u1", M_GET, RW, ROUTE_UPLOAD,
	    h_upload_status, M_GET|M_PATCH|M_PUT|M_DELETE, "a", "u1" },
	{ "/v2/a/blobs/uploads/u1", M_PATCH, RW, ROUTE_UPLOAD,
	    h_upload_chunk, M_GET|M_PATCH|M_PUT|M_DELETE, "a", "u1" },
	{ "/v2/a/blobs/uploads/u1", M_PUT, RW, ROUTE_UPLOAD,
	    h_upload_finish, M_GET|M_PATCH|M_PUT|M_DELETE, "a", "u1" },
	{ "/v2/a/blobs/uploads/u1", M_DELETE, RW, ROUTE_UPLOAD,
	    h_upload_cancel, M_GET|M_PATCH|M_PUT|M_DELETE, "a", "u1" },
	{ "/v2/a/blobs/sha256:00", M_HEAD, RW, ROUTE_BLOB, h_blob_get,
	    M_GET|M_HEAD|M_DELETE, "a", "sha256:00" },
	{ "/v2/a/blobs/sha256:00", M_DELETE, RW, ROUTE_BLOB, h_blob_delete,
	    M_GET|M_HEAD|M_DELETE, "a", "sha256:00" },
	{ "/v2/a/referrers/sha256:00", M_GET, RW, ROUTE_REFERRERS,
	    h_referrers, M_GET, "a", "sha256:00" },
	/* Read-only: write routes are still found (route_run() refuses
	 * them with its own message) but Allow lists only reads. */
	{ "/v2/a/manifests/latest", M_PUT, RO, ROUTE_MANIFEST,
	    h_manifest_put, M_GET|M_HEAD, "a", "latest" },
	{ "/v2/a/blobs/uploads/", M_POST, RO, ROUTE_UPLOAD, h_upload_start,
	    0, "a", NULL },
	{ "/v2/a/manifests/latest", M_PATCH, RW, ROUTE_NONE, NULL,
	    M_GET|M_HEAD|M_PUT|M_DELETE, NULL, NULL },
	/* Repositories whose names look like fixed paths are repositories. */
	{ "/v2/x/healthz/manifests/1", M_GET, RW, ROUTE_MANIFEST,
	    h_manifest_get, M_GET|M_HEAD|M_PUT|M_DELETE, "x/healthz", "1" },
	{ "/v2/ui/tags/list", M_GET, RW, ROUTE_TAGS, h_tags_list,
	    M_GET|M_HEAD, "ui", NULL },
	{ "/v2/_catalog/tags/list", M_GET, RW, ROUTE_TAGS, h_tags_list,
	    M_GET|M_HEAD, "_catalog", NULL },
	/* Paths that only look like a fixed one: 404. */
	{ "/v2/x/healthz", M_GET, RW, ROUTE_NONE, NULL, 0, NULL, NULL },
	{ "/healthzx", M_GET, RW, ROUTE_NONE, NULL, 0, NULL, NULL },
	{ "/healthz/", M_GET, RW, ROUTE_NONE, NULL, 0, NULL, NULL },
	{ "/metrics/x", M_GET, RW, ROUTE_NONE, NULL, 0, NULL, NULL },
	{ "/readyz?x", M_GET, RW, ROUTE_NONE, NULL, 0, NULL, NULL },
	{ "/auth/token/", M_GET, RW, ROUTE_NONE, NULL, 0, NULL, NULL },
	{ "/auth", M_GET, RW, ROUTE_NONE, NULL, 0, NULL, NULL },
	{ "/v2/_catalogx", M_GET, RW, ROUTE_NONE, NULL, 0, NULL, NULL },
	{ "/v2//", M_GET, RW, ROUTE_NONE, NULL, 0, NULL, NULL },
	{ "/v3/", M_GET, RW, ROUTE_NONE, NULL, 0, NULL, NULL },
	{ "/ui", M_GET, RW, ROUTE_NONE, NULL, 0, NULL, NULL },
	{ "//", M_GET, RW, ROUTE_NONE, NULL, 0, NULL, NULL },
	{ "/uix/", M_GET, RW, ROUTE_NONE, NULL, 0, NULL, NULL },
	{ "/x/ui/", M_GET, RW, ROUTE_NONE, NULL, 0, NULL, NULL },
	{ "/v2/a/manifests/", M_GET, RW, ROUTE_NONE, NULL, 0, NULL, NULL },
	{ "/v2/a/blobs/", M_GET, RW, ROUTE_NONE, NULL, 0, NULL, NULL },
	{ "/v2/tags/list", M_GET, RW, ROUTE_NONE, NULL, 0, NULL, NULL },
};

static int
slice_is(struct slice s, const char *want)
{
	/* An empty slice may have no pointer: no memcmp() on NULL. */
	return (s.len == strlen(want) &&
	    (s.len == 0 || memcmp(s.p, want, s.len) == 0));
}

START_TEST(test_lookup)
{
	const struct route	*r;
	struct route_args	 args;
	unsigned		 allow;

	r = route_lookup(lookups[_i].path, lookups[_i].method,
	    lookups[_i].read_only, &args, &allow);
	if (lookups[_i].id == ROUTE_NONE)
		ck_assert_msg(r == NULL, "%s: route %s", lookups[_i].path,
		    route_id_name(r->id));
	else {
		ck_assert_msg(r != NULL, "%s: no route", lookups[_i].path);
		ck_assert_str_eq(route_id_name(r->id),
		    route_id_name(lookups[_i].id));
		ck_assert_msg(r->handler == lookups[_i].handler,
		    "%s: another handler", lookups[_i].path);
	}
	if (lookups[_i].handler != ui_dispatch)
		ck_assert_msg(allow == lookups[_i].allow, "%s: allow %#x",
		    lookups[_i].path, allow);
	if (lookups[_i].name != NULL) {
		ck_assert_int_eq(r->kind, ROUTE_REPO);
		ck_assert(slice_is(args.name, lookups[_i].name));
		ck_assert(slice_is(args.arg, lookups[_i].arg != NULL ?
		    lookups[_i].arg : ""));
	} else if (r != NULL)
		ck_assert_int_ne(r->kind, ROUTE_REPO);
}
END_TEST

/* Every row of the table is reached by some lookup above. */
START_TEST(test_every_handler)
{
	static enum reg_err	(*const handlers[])(struct request *) = {
		h_base, h_catalog, h_token, h_healthz, h_readyz, h_metrics,
		ui_dispatch, h_tags_list, h_manifest_get, h_manifest_put,
		h_manifest_delete, h_upload_start, h_upload_status,
		h_upload_chunk, h_upload_finish, h_upload_cancel, h_blob_get,
		h_blob_delete, h_referrers,
	};
	size_t	i, j;

	for (i = 0; i < nitems(handlers); i++) {
		for (j = 0; j < nitems(lookups); j++)
			if (lookups[j].handler == handlers[i])
				break;
		ck_assert_msg(j < nitems(lookups), "handler %zu untested", i);
	}
}
END_TEST

/* METHOD URI through exchange_run(): what it wrote, in "out". */
static void
run(const char *method, const char *uri, int read_only, struct buf *out)
{
	struct fake_io		 f;
	struct request_io	 io;
	struct request		 req;
	struct conf		 conf;

	conf_init(&conf);
	conf.read_only = read_only;
	fake_io_init(&f, &io, method, uri, "");
	request_init(&req, &conf, NULL, &io);
	exchange_run(&req);
	request_release(&req);
	buf_reset(out);
	buf_add(out, f.out.buf, f.out.len);
	fake_io_release(&f);
	conf_release(&conf);
}

START_TEST(test_405)
{
	struct buf	out = BUF_INIT;

	run("PUT", "/auth/token", 0, &out);
	ck_assert_msg(strncmp(out.buf, "Status: 405", 11) == 0, "%s", out.buf);
	ck_assert_ptr_nonnull(strstr(out.buf, "\r\nAllow: GET, POST\r\n"));
	ck_assert_ptr_nonnull(strstr(out.buf, "PUT not allowed here"));

	run("DELETE", "/healthz", 0, &out);
	ck_assert_msg(strncmp(out.buf, "Status: 405", 11) == 0, "%s", out.buf);
	ck_assert_ptr_nonnull(strstr(out.buf, "\r\nAllow: GET, HEAD\r\n"));

	/* Read-only: a push is refused, and Allow offers only reads. */
	run("PUT", "/v2/a/manifests/1", 1, &out);
	ck_assert_msg(strncmp(out.buf, "Status: 405", 11) == 0, "%s", out.buf);
	ck_assert_ptr_nonnull(strstr(out.buf, "\r\nAllow: GET, HEAD\r\n"));
	ck_assert_ptr_nonnull(strstr(out.buf, "read-only"));

	run("GET", "/healthzx", 0, &out);
	ck_assert_msg(strncmp(out.buf, "Status: 404", 11) == 0, "%s", out.buf);
	run("GET", "/v2/a%2fb/tags/list", 0, &out);
	ck_assert_msg(strncmp(out.buf, "Status: 400", 11) == 0, "%s", out.buf);
	buf_release(&out);
}
END_TEST

int
main(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("route");
	tc = tcase_create("lookup");
	tcase_add_loop_test(tc, test_lookup, 0, nitems(lookups));
	tcase_add_test(tc, test_every_handler);
	tcase_add_test(tc, test_405);
	suite_add_tcase(s, tc);
	return (check_run(s));
}
