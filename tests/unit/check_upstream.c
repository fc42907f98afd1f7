/*
 * tests/unit/check_upstream.c: the pure parts of pull-through: the
 * [upstream] section (common/conf.c), repository name to upstream
 * (upstream_map), WWW-Authenticate parsing (net/upstream.c) and
 * percent-encoding (net/httpc.c).
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/conf.h"
#include "common/util.h"
#include "net/httpc.h"
#include "net/upstream.h"
#include "tests/unit/check_run.h"

#define UP_INI	"[storage]\nroot = /srv/specreg\n" \
	"[upstream]\n" \
	"docker.io = http://127.0.0.1:5001/\n" \
	"quay.io = https://quay.io\n" \
	"quay.io.username = robot\n" \
	"quay.io.password = s3cret\n" \
	"localhost = http://127.0.0.1:5000\n" \
	"timeout = 7\n" \
	"tag-ttl = 0\n" \
	"stale-limit = 60\n" \
	"cache-expiration = 0\n"

/* Load "text" with stderr silenced; conf_load_string()'s result. */
static int
load(struct conf *c, const char *text)
{
	FILE	*devnull;
	int	 saved, rc;

	conf_init(c);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	devnull = fopen("/dev/null", "w");
	ck_assert_ptr_nonnull(devnull);
	dup2(fileno(devnull), STDERR_FILENO);
	rc = conf_load_string(c, "t.ini", text);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	fclose(devnull);
	return (rc);
}

START_TEST(test_conf_upstreams)
{
	struct conf			 c;
	const struct conf_upstream	*u;

	ck_assert_int_eq(load(&c, UP_INI), 0);
	ck_assert_uint_eq(c.nupstreams, 3);
	ck_assert_uint_eq(c.upstream_timeout, 7);
	ck_assert_uint_eq(c.upstream_tag_ttl, 0);
	ck_assert_uint_eq(c.upstream_stale_limit, 60);
	ck_assert_uint_eq(c.upstream_cache_expiration, 0);
	ck_assert_ptr_null(conf_upstream_find(&c, "tag-ttl"));
	u = conf_upstream_find(&c, "docker.io");
	ck_assert_ptr_nonnull(u);
	ck_assert_str_eq(u->url, "http://127.0.0.1:5001");	/* '/' cut */
	ck_assert_ptr_null(u->username);
	u = conf_upstream_find(&c, "quay.io");
	ck_assert_ptr_nonnull(u);
	ck_assert_str_eq(u->username, "robot");
	ck_assert_str_eq(u->password, "s3cret");
	ck_assert_ptr_null(conf_upstream_find(&c, "ghcr.io"));
	conf_release(&c);
	conf_init(&c);
	ck_assert_uint_eq(c.nupstreams, 0);
	ck_assert_uint_eq(c.upstream_timeout, 30);
	ck_assert_uint_eq(c.upstream_tag_ttl, 300);
	ck_assert_uint_eq(c.upstream_stale_limit, 7 * 24 * 3600);
	ck_assert_uint_eq(c.upstream_cache_expiration, 30 * 24 * 3600);
	conf_release(&c);
}
END_TEST

static const char *bad_confs[] = {
	"[upstream]\ndocker.io = ftp://x\n",
	"[upstream]\ndocker.io = 127.0.0.1:5000\n",
	"[upstream]\ndocker.io.username = u\ndocker.io.password = p\n",
	"[upstream]\ndocker.io = http://x\ndocker.io.username = u\n",
	"[upstream]\ndocker.io = http://x\ndocker.io.password = p\n",
	"[upstream]\nDocker.IO = http://x\n",
	"[upstream]\nbad/host = http://x\n",
	"[upstream]\n.username = u\n",
	/* inih splits at ':': a host with a port cannot be a key. */
	"[upstream]\nlocalhost:5000 = http://x\n",
	"[upstream]\ntimeout = 0\n",
	"[upstream]\ntimeout = 3601\n",
	"[upstream]\ntag-ttl = -1\n",
	"[upstream]\ntag-ttl = 5s\n",
	"[upstream]\nstale-limit = 4294967296\n",
	"[upstream]\ncache-expiration = x\n",
};

START_TEST(test_conf_bad)
{
	struct conf	c;
	char		text[512];

	snprintf(text, sizeof(text), "[storage]\nroot = /d\n%s",
	    bad_confs[_i]);
	ck_assert_msg(load(&c, text) == -1, "loaded: %s", bad_confs[_i]);
	conf_release(&c);
}
END_TEST

static const struct {
	const char	*name;
	const char	*host;		/* NULL: no upstream */
	const char	*remote;
} maps[] = {
	{ "library/alpine", "docker.io", "library/alpine" },
	{ "test/image", "docker.io", "test/image" },
	{ "alpine", "docker.io", "library/alpine" },
	{ "a/b/c", "docker.io", "a/b/c" },
	{ "docker.io/library/alpine", "docker.io", "library/alpine" },
	{ "docker.io/alpine", "docker.io", "library/alpine" },
	{ "quay.io/org/img", "quay.io", "org/img" },
	{ "quay.io/img", "quay.io", "img" },
	{ "localhost/x/y", "localhost", "x/y" },
	{ "ghcr.io/org/img", NULL, NULL },	/* not configured */
	{ "localhost:5000/x", NULL, NULL },	/* a host, not configured */
	{ "quay.io", "docker.io", "library/quay.io" },
	{ "org.example/img", NULL, NULL },
};

START_TEST(test_map)
{
	struct conf		c;
	struct upstream_ref	r;
	int			rc;

	ck_assert_int_eq(load(&c, UP_INI), 0);
	rc = upstream_map(&c, maps[_i].name, &r);
	if (maps[_i].host == NULL)
		ck_assert_msg(rc == -1, "%s mapped to %s", maps[_i].name,
		    rc == 0 ? r.up->host : "");
	else {
		ck_assert_msg(rc == 0, "%s did not map", maps[_i].name);
		ck_assert_str_eq(r.up->host, maps[_i].host);
		ck_assert_str_eq(r.name, maps[_i].remote);
		ck_assert_ptr_eq(r.conf, &c);
	}
	conf_release(&c);
}
END_TEST

START_TEST(test_map_none)
{
	struct conf		c;
	struct upstream_ref	r;

	/* Without [upstream] nothing maps: behave as before. */
	ck_assert_int_eq(load(&c, "[storage]\nroot = /d\n"), 0);
	ck_assert_int_eq(upstream_map(&c, "library/alpine", &r), -1);
	ck_assert_int_eq(upstream_map(&c, "quay.io/a/b", &r), -1);
	conf_release(&c);
}
END_TEST

static const struct {
	const char	*in;
	int		 rc;
	const char	*scheme, *realm, *service, *scope;
} challenges[] = {
	{ "Bearer realm=\"https://auth.docker.io/token\","
	    "service=\"registry.docker.io\","
	    "scope=\"repository:library/alpine:pull\"", 0, "bearer",
	    "https://auth.docker.io/token", "registry.docker.io",
	    "repository:library/alpine:pull" },
	/* Any order, spaces, unknown keys, case. */
	{ "bearer scope=\"repository:a/b:pull,push\", error=\"x\", "
	    "REALM=\"http://127.0.0.1:1/auth/token\"", 0, "bearer",
	    "http://127.0.0.1:1/auth/token", "", "repository:a/b:pull,push" },
	{ "Basic realm=\"Registry Realm\"", 0, "basic", "Registry Realm",
	    "", "" },
	{ "Basic", 0, "basic", "", "", "" },
	{ "Bearer realm=tok,service=svc", 0, "bearer", "tok", "svc", "" },
	{ "Bearer realm=\"a\\\"b\"", 0, "bearer", "a\"b", "", "" },
	{ "", -1, NULL, NULL, NULL, NULL },
	{ "Bearer realm=\"unterminated", -1, NULL, NULL, NULL, NULL },
	{ "Bearer =x", -1, NULL, NULL, NULL, NULL },
	{ "Bearer realm", -1, NULL, NULL, NULL, NULL },
	{ "Bear3r realm=x", -1, NULL, NULL, NULL, NULL },
	{ "Averyveryverylongscheme realm=x", -1, NULL, NULL, NULL, NULL },
};

START_TEST(test_challenge)
{
	struct upstream_challenge	ch;
	int				rc;

	rc = upstream_challenge_parse(challenges[_i].in, &ch);
	ck_assert_msg(rc == challenges[_i].rc, "%s: %d",
	    challenges[_i].in, rc);
	if (rc != 0)
		return;
	ck_assert_str_eq(ch.scheme, challenges[_i].scheme);
	ck_assert_str_eq(ch.realm, challenges[_i].realm);
	ck_assert_str_eq(ch.service, challenges[_i].service);
	ck_assert_str_eq(ch.scope, challenges[_i].scope);
}
END_TEST

START_TEST(test_challenge_too_long)
{
	struct upstream_challenge	ch;
	char				in[2048];

	memcpy(in, "Bearer realm=\"", 14);
	memset(in + 14, 'a', 1200);
	memcpy(in + 14 + 1200, "\"", 2);
	ck_assert_int_eq(upstream_challenge_parse(in, &ch), -1);
	/* An unknown key's long value is skipped, within bounds. */
	memcpy(in, "Bearer x=\"", 10);
	memset(in + 10, 'a', 1000);
	memcpy(in + 1010, "\",realm=r", 10);
	ck_assert_int_eq(upstream_challenge_parse(in, &ch), 0);
	ck_assert_str_eq(ch.realm, "r");
}
END_TEST

/* The next page of a tags list (Link header), for quay.io/org/img. */
static const struct {
	const char	*link;
	int		 rc;
	const char	*next;
} links[] = {
	{ "</v2/org/img/tags/list?last=b&n=2>; rel=\"next\"", 0,
	    "/tags/list?last=b&n=2" },
	{ "<https://quay.io/v2/org/img/tags/list?n=2&last=b>; rel=next", 0,
	    "/tags/list?n=2&last=b" },
	{ "</v2/org/img/tags/list?last=a>; rel=\"prev\", "
	    "</v2/org/img/tags/list?last=c>; REL=\"next\"", 0,
	    "/tags/list?last=c" },
	{ "</v2/org/img/tags/list?last=a>; rel=\"prev\"", 0, "" },
	{ "", 0, "" },
	{ "garbage", 0, "" },
	/* Anywhere else is not followed. */
	{ "<https://evil.example/v2/org/img/tags/list?last=b>; rel=\"next\"",
	    -1, "" },
	{ "<//evil.example/v2/org/img/tags/list>; rel=\"next\"", -1, "" },
	{ "</v2/org/other/tags/list?last=b>; rel=\"next\"", -1, "" },
	{ "</v2/org/img/manifests/latest>; rel=\"next\"", -1, "" },
	{ "</v2/org/img/tags/listing>; rel=\"next\"", -1, "" },
	{ "</v2/org/img/tags/list?last=a b>; rel=\"next\"", -1, "" },
	{ "<v2/org/img/tags/list>; rel=\"next\"", -1, "" },
};

START_TEST(test_link_next)
{
	struct conf		c;
	struct upstream_ref	r;
	char			next[UPSTREAM_NEXT_MAX];

	ck_assert_int_eq(load(&c, UP_INI), 0);
	ck_assert_int_eq(upstream_map(&c, "quay.io/org/img", &r), 0);
	ck_assert_msg(upstream_link_next(&r, links[_i].link, next) ==
	    links[_i].rc, "%s", links[_i].link);
	ck_assert_str_eq(next, links[_i].next);
	conf_release(&c);
}
END_TEST

/* The token URL's query values, and object names keeping their '/'. */
START_TEST(test_escape)
{
	struct buf	b = BUF_INIT;

	httpc_escape(&b, "repository:org/img:pull,push", NULL);
	ck_assert_str_eq(b.buf, "repository%3Aorg%2Fimg%3Apull%2Cpush");
	buf_reset(&b);
	httpc_escape(&b, "a b/c~d_e.f-g%\xc3\xa9?&=+#", "/");
	ck_assert_str_eq(b.buf, "a%20b/c~d_e.f-g%25%C3%A9%3F%26%3D%2B%23");
	buf_release(&b);
}
END_TEST

int
main(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("upstream");
	tc = tcase_create("conf");
	tcase_add_test(tc, test_conf_upstreams);
	tcase_add_loop_test(tc, test_conf_bad, 0, nitems(bad_confs));
	suite_add_tcase(s, tc);
	tc = tcase_create("map");
	tcase_add_loop_test(tc, test_map, 0, nitems(maps));
	tcase_add_test(tc, test_map_none);
	suite_add_tcase(s, tc);
	tc = tcase_create("challenge");
	tcase_add_loop_test(tc, test_challenge, 0, nitems(challenges));
	tcase_add_test(tc, test_challenge_too_long);
	tcase_add_test(tc, test_escape);
	tcase_add_loop_test(tc, test_link_next, 0, nitems(links));
	suite_add_tcase(s, tc);
	return (check_run(s));
}
