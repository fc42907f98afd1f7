/*
 * tests/unit/check_ui.c: the web UI's escaping and formatting helpers,
 * and its pages through request_run() (the I/O seam): escaping of what
 * the request carries, the Content-Security-Policy, access and the
 * CSRF check of deletes.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/conf.h"
#include "common/util.h"
#include "fcgi/auth.h"
#include "fcgi/request.h"
#include "fcgi/ui.h"
#include "fcgi/ui_html.h"
#include "storage/manifest.h"
#include "storage/store.h"
#include "tests/unit/check_run.h"
#include "tests/unit/fake_io.h"
#include "tests/unit/stor_conformance.h"

/* --- Pure helpers ------------------------------------------------------ */

static const struct {
	const char	*in, *out;
} escapes[] = {
	{ "", "" },
	{ "plain/name-1.0_x", "plain/name-1.0_x" },
	{ "<script>alert(1)</script>",
	  "&lt;script&gt;alert(1)&lt;/script&gt;" },
	{ "a\"b'c", "a&quot;b&#39;c" },
	{ "&amp;", "&amp;amp;" },
	{ "<<>>", "&lt;&lt;&gt;&gt;" },
	{ "\xc3\xa9t\xc3\xa9", "\xc3\xa9t\xc3\xa9" },	/* UTF-8 as is */
	{ "\"", "&quot;" },
};

START_TEST(test_esc)
{
	struct buf	b = BUF_INIT;

	buf_addstr(&b, "kept|");
	ui_esc(&b, escapes[_i].in);
	ck_assert_str_eq(b.buf + 5, escapes[_i].out);
	ck_assert_int_eq(strncmp(b.buf, "kept|", 5), 0);
	buf_release(&b);
}
END_TEST

START_TEST(test_addf)
{
	struct buf	b = BUF_INIT;

	ui_addf(&b, "<a href=\"/x?n=%s\">%s</a> %d %u %zu %llu %x %ld %lu "
	    "%hu %i 100%%", "a\"b", "<i>", -3, 7u, (size_t)9, 1ULL << 40,
	    255u, -5L, 6UL, (unsigned short)4, 2);
	ck_assert_str_eq(b.buf, "<a href=\"/x?n=a&quot;b\">&lt;i&gt;</a> -3 "
	    "7 9 1099511627776 ff -5 6 4 2 100%");
	buf_reset(&b);
	ui_addf(&b, "[%s]", getenv("SPECREG_CHECK_UI_UNSET"));	/* NULL */
	ck_assert_str_eq(b.buf, "[]");
	buf_reset(&b);
	ui_addf(&b, "no conversion");
	ck_assert_str_eq(b.buf, "no conversion");
	buf_release(&b);
}
END_TEST

static const struct {
	uint64_t	 n;
	const char	*s;
} sizes[] = {
	{ 0, "0 B" }, { 1023, "1023 B" }, { 1024, "1.0 KiB" },
	{ 1536, "1.5 KiB" }, { 1048575, "1.0 MiB" },
	{ 10 * 1048576 + 104858, "10.1 MiB" }, { 1ULL << 30, "1.0 GiB" },
	{ 5ULL << 40, "5.0 TiB" }, { UINT64_MAX, "16.0 EiB" },
};

START_TEST(test_size)
{
	char	out[UI_SIZE_LEN];

	ck_assert_str_eq(ui_size(sizes[_i].n, out), sizes[_i].s);
}
END_TEST

START_TEST(test_time)
{
	char	out[UI_TIME_LEN];

	ck_assert_str_eq(ui_time(UI_TIME_NONE, out), "-");
	ck_assert_str_eq(ui_time(0, out), "1970-01-01 00:00 UTC");
	ck_assert_str_eq(ui_time(365 * 86400 + 3600 + 120, out),
	    "1971-01-01 01:02 UTC");
	ck_assert_str_eq(ui_time(1796432400, out), "2026-12-05 01:00 UTC");
}
END_TEST

static const struct {
	uint64_t	value, max;
	unsigned	width, want;
} bars[] = {
	{ 0, 100, 600, 0 }, { 100, 0, 600, 0 }, { 100, 100, 600, 600 },
	{ 50, 100, 600, 300 }, { 1, 1000000, 600, 1 },
	{ 200, 100, 600, 600 }, { UINT64_MAX / 2, UINT64_MAX, 600, 300 },
};

START_TEST(test_bar_width)
{
	ck_assert_uint_eq(ui_bar_width(bars[_i].value, bars[_i].max,
	    bars[_i].width), bars[_i].want);
}
END_TEST

START_TEST(test_media_type)
{
	ck_assert_str_eq(ui_media_type(MT_OCI_INDEX), "OCI index");
	ck_assert_str_eq(ui_media_type(MT_OCI_MANIFEST), "OCI image");
	ck_assert_str_eq(ui_media_type(MT_DOCKER_V2), "Docker image");
	ck_assert_str_eq(ui_media_type(MT_DOCKER_LIST), "Docker list");
	ck_assert_str_eq(ui_media_type("x/y"), "x/y");
}
END_TEST

START_TEST(test_path)
{
	ck_assert_int_eq(ui_path("/"), 1);
	ck_assert_int_eq(ui_path("/ui/"), 1);
	ck_assert_int_eq(ui_path("/ui/repo"), 1);
	ck_assert_int_eq(ui_path("/ui"), 0);
	ck_assert_int_eq(ui_path("/v2/"), 0);
	ck_assert_int_eq(ui_path("//"), 0);
	ck_assert_int_eq(ui_path("/auth/token"), 0);
}
END_TEST

/* --- Pages through request_run() ---------------------------------------- */

/* "reader:r-pass" and "writer:w-pass". */
#define AUTH_READER	"Basic cmVhZGVyOnItcGFzcw=="
#define AUTH_WRITER	"Basic d3JpdGVyOnctcGFzcw=="

static struct conf	 conf;
static struct store	*st;
static char		*root;

static void
setup_store(void)
{
	root = stor_test_mkdtemp();
	st = stor_test_store(root);
	ck_assert_ptr_nonnull(st);
	conf_init(&conf);
	ck_assert_int_eq(conf_load_string(&conf, "test", "[registry]\n"
	    "public-url = https://reg.example/\n"
	    "secret = unit-test-secret-0123456789\n"
	    "[storage]\nroot = /nonexistent\n"
	    "[user \"reader\"]\npassword = r-pass\naccess = read\n"
	    "[user \"writer\"]\npassword = w-pass\naccess = write\n"), 0);
	auth_init(&conf);
}

static void
teardown_store(void)
{
	store_close(st);
	stor_test_rmtree(root);
	free(root);
	conf_release(&conf);
}

/* Run one request; the whole response (CGI headers, body) into "out". */
static void
ui_run(const char *method, const char *uri, const char *auth,
    const char *cookie, const char *body, struct buf *out)
{
	struct fake_io		 f;
	struct request_io	 io;
	struct request		 req;

	fake_io_init(&f, &io, method, uri, body);
	if (auth != NULL)
		fake_io_param(&f, "HTTP_AUTHORIZATION", auth);
	if (cookie != NULL)
		fake_io_param(&f, "HTTP_COOKIE", cookie);
	request_init(&req, &conf, st, &io);
	request_run(&req);
	request_release(&req);
	buf_reset(out);
	buf_add(out, f.out.buf, f.out.len);
	fake_io_release(&f);
}

static int
has(const struct buf *b, const char *s)
{
	return (strstr(b->buf, s) != NULL);
}

START_TEST(test_page_escapes)
{
	struct buf	out = BUF_INIT;

	ui_run("GET", "/?q=%3Cscript%3E%22x%27", AUTH_READER, NULL, "",
	    &out);
	ck_assert_msg(has(&out, "Status: 200 "), "%s", out.buf);
	ck_assert(has(&out, "Content-Type: text/html; charset=utf-8\r\n"));
	ck_assert(has(&out, "Content-Security-Policy: default-src 'none'; "
	    "script-src 'self'; style-src 'self';"));
	ck_assert(has(&out, "X-Content-Type-Options: nosniff\r\n"));
	ck_assert(has(&out, "value=\"&lt;script&gt;&quot;x&#39;\""));
	ck_assert(!has(&out, "<script>"));
	ck_assert(!has(&out, "<script>\"x'"));
	buf_release(&out);
}
END_TEST

START_TEST(test_page_auth)
{
	struct buf	out = BUF_INIT;

	ui_run("GET", "/", NULL, NULL, "", &out);
	ck_assert_msg(has(&out, "Status: 401 "), "%s", out.buf);
	ck_assert(has(&out, "WWW-Authenticate: Basic realm=\"specreg\""));
	ck_assert(has(&out, "text/html"));
	ui_run("GET", "/ui/storage", "Basic cmVhZGVyOng=", NULL, "", &out);
	ck_assert(has(&out, "Status: 401 "));	/* reader:x */
	ui_run("GET", "/ui/storage", AUTH_READER, NULL, "", &out);
	ck_assert(has(&out, "Status: 200 "));
	ck_assert(has(&out, "<svg") || has(&out, "No repositories"));
	/* Deletes are for writers. */
	ui_run("GET", "/ui/delete?name=a&tag=t", AUTH_READER, NULL, "", &out);
	ck_assert_msg(has(&out, "Status: 403 "), "%s", out.buf);
	ck_assert(!has(&out, "Set-Cookie"));
	buf_release(&out);
}
END_TEST

START_TEST(test_page_csrf)
{
	struct buf	 out = BUF_INIT, form = BUF_INIT, cookie = BUF_INIT;
	const char	*p;

	/* No cookie, or a token that is not the cookie's: refused. */
	ui_run("POST", "/ui/delete", AUTH_WRITER, NULL,
	    "name=a&tag=t&csrf=00000000000000000000000000000000", &out);
	ck_assert_msg(has(&out, "Status: 403 "), "%s", out.buf);
	ui_run("POST", "/ui/delete", AUTH_WRITER,
	    "specreg_csrf=11111111111111111111111111111111",
	    "name=a&tag=t&csrf=00000000000000000000000000000000", &out);
	ck_assert(has(&out, "Status: 403 "));
	/* The confirmation sets the cookie and puts the token in the form. */
	ui_run("GET", "/ui/delete?name=a&tag=t", AUTH_WRITER, NULL, "", &out);
	ck_assert_msg(has(&out, "Status: 200 "), "%s", out.buf);
	ck_assert(has(&out, "Set-Cookie: specreg_csrf="));
	ck_assert(has(&out, "; Path=/ui/; HttpOnly; SameSite=Strict\r\n"));
	p = strstr(out.buf, "Set-Cookie: specreg_csrf=") +
	    strlen("Set-Cookie: ");
	buf_add(&cookie, p, strlen("specreg_csrf=") + UI_CSRF_LEN);
	buf_addf(&form, "name=a&tag=t&csrf=%s",
	    cookie.buf + strlen("specreg_csrf="));
	ck_assert(has(&out, cookie.buf + strlen("specreg_csrf=")));
	/* With both: the delete runs (and finds no such tag). */
	ui_run("POST", "/ui/delete", AUTH_WRITER, cookie.buf, form.buf,
	    &out);
	ck_assert_msg(has(&out, "Status: 404 "), "%s", out.buf);
	ck_assert(!has(&out, "The form expired"));
	/* A reader with the writer's token still may not. */
	ui_run("POST", "/ui/delete", AUTH_READER, cookie.buf, form.buf,
	    &out);
	ck_assert(has(&out, "Status: 403 "));
	buf_release(&out);
	buf_release(&form);
	buf_release(&cookie);
}
END_TEST

/* A read-only registry offers no delete and refuses one. */
START_TEST(test_page_read_only)
{
	struct buf	out = BUF_INIT;

	conf.read_only = 1;
	ui_run("GET", "/ui/delete?name=a&tag=t", AUTH_WRITER, NULL, "", &out);
	ck_assert_msg(has(&out, "Status: 405 "), "%s", out.buf);
	ck_assert(!has(&out, "Set-Cookie"));
	ui_run("POST", "/ui/delete", AUTH_WRITER,
	    "specreg_csrf=11111111111111111111111111111111",
	    "name=a&tag=t&csrf=11111111111111111111111111111111", &out);
	ck_assert(has(&out, "Status: 405 "));
	conf.read_only = 0;
	buf_release(&out);
}
END_TEST

START_TEST(test_page_routes)
{
	struct buf	out = BUF_INIT;

	ui_run("GET", "/ui/static/style.css", NULL, NULL, "", &out);
	ck_assert_msg(has(&out, "Status: 200 "), "%s", out.buf);
	ck_assert(has(&out, "Content-Type: text/css; charset=utf-8\r\n"));
	ui_run("GET", "/ui/static/ui.js", NULL, NULL, "", &out);
	ck_assert(has(&out, "Content-Type: text/javascript"));
	ui_run("GET", "/ui/static/nope.js", NULL, NULL, "", &out);
	ck_assert(has(&out, "Status: 404 "));
	ui_run("GET", "/ui/nothing", AUTH_READER, NULL, "", &out);
	ck_assert(has(&out, "Status: 404 "));
	ck_assert(has(&out, "text/html"));
	ui_run("POST", "/", AUTH_READER, NULL, "", &out);
	ck_assert(has(&out, "Status: 405 "));
	ck_assert(has(&out, "Allow: GET, HEAD\r\n"));
	ui_run("GET", "/ui/repo?name=%3Cx%3E", AUTH_READER, NULL, "", &out);
	ck_assert(has(&out, "Status: 404 "));
	ui_run("GET", "/ui/repo?name=nope", AUTH_READER, NULL, "", &out);
	ck_assert(has(&out, "Status: 404 "));
	ui_run("GET", "/ui/image?name=nope&ref=%3Cx", AUTH_READER, NULL, "",
	    &out);
	ck_assert(has(&out, "Status: 404 "));
	buf_release(&out);
}
END_TEST

static Suite *
ui_suite(void)
{
	Suite	*s = suite_create("ui");
	TCase	*tc;

	tc = tcase_create("html");
	tcase_add_loop_test(tc, test_esc, 0, nitems(escapes));
	tcase_add_test(tc, test_addf);
	tcase_add_loop_test(tc, test_size, 0, nitems(sizes));
	tcase_add_test(tc, test_time);
	tcase_add_loop_test(tc, test_bar_width, 0, nitems(bars));
	tcase_add_test(tc, test_media_type);
	tcase_add_test(tc, test_path);
	suite_add_tcase(s, tc);
	tc = tcase_create("pages");
	tcase_add_checked_fixture(tc, setup_store, teardown_store);
	tcase_add_test(tc, test_page_escapes);
	tcase_add_test(tc, test_page_auth);
	tcase_add_test(tc, test_page_csrf);
	tcase_add_test(tc, test_page_read_only);
	tcase_add_test(tc, test_page_routes);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (check_run(ui_suite()));
}
