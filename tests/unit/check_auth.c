/*
 * tests/unit/check_auth.c: passwords, scopes, grants and auth_check().
 */
#include "config.h"

#include <check.h>
#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/conf.h"
#include "common/jwt.h"
#include "common/util.h"
#include "fcgi/auth.h"
#include "fcgi/exchange.h"
#include "fcgi/request.h"
#include "tests/unit/check_run.h"
#include "tests/unit/fake_io.h"

#define SECRET		"0123456789abcdef-unit-secret"
#define WPASS		"w:pass:with:colons"
#define RPASS		"read-only pass"

/* --- auth_password_ok ------------------------------------------------- */

static const struct {
	const char	*setting;	/* NULL: plain text */
	const char	*given;
	int		 ok;
} passwords[] = {
	{ NULL, "s3cret", 1 },
	{ NULL, "s3cre", 0 },
	{ NULL, "s3cret ", 0 },
	{ NULL, "", 0 },
	{ "$6$fixedsaltfixed$", "s3cret", 1 },
	{ "$6$fixedsaltfixed$", "S3cret", 0 },
	{ "$5$fixedsaltfixed$", "s3cret", 1 },
	{ "$5$fixedsaltfixed$", "s3cret2", 0 },
	{ "$2b$04$abcdefghijklmnopqrstuu", "s3cret", 1 },
	{ "$2b$04$abcdefghijklmnopqrstuu", "s3cre", 0 },
	{ "$2y$04$abcdefghijklmnopqrstuu", "s3cret", 1 },
	{ "$2y$04$abcdefghijklmnopqrstuu", "", 0 },
};

/* The configured value: plain, or hashed here with a fixed salt. */
static char *
password_setting(const char *setting, const char *pw)
{
	struct crypt_data	*cd;
	char			*out;

	if (setting == NULL)
		return (strdup(pw));
	cd = calloc(1, sizeof(*cd));
	ck_assert_ptr_nonnull(cd);
	ck_assert_ptr_nonnull(crypt_r(pw, setting, cd));
	ck_assert_msg(cd->output[0] == '$', "no %s support", setting);
	out = strdup(cd->output);
	free(cd);
	return (out);
}

START_TEST(test_password)
{
	char	*conf;

	conf = password_setting(passwords[_i].setting, "s3cret");
	ck_assert_msg(auth_password_ok(conf, passwords[_i].given) ==
	    passwords[_i].ok, "%s vs \"%s\"", conf, passwords[_i].given);
	free(conf);
}
END_TEST

START_TEST(test_password_edges)
{
	ck_assert_int_eq(auth_password_ok(NULL, "x"), 0);
	ck_assert_int_eq(auth_password_ok("x", NULL), 0);
	/* A broken hash never matches, not even its own text. */
	ck_assert_int_eq(auth_password_ok("$6$", "$6$"), 0);
	ck_assert_int_eq(auth_password_ok("$2b$99$x", "$2b$99$x"), 0);
}
END_TEST

/* --- auth_scope_parse ------------------------------------------------- */

static const struct {
	const char	*scope;
	int		 rc;
	int		 type;
	const char	*name;
	unsigned	 actions;
} scopes[] = {
	{ "repository:library/alpine:pull", 0, AUTH_SCOPE_REPOSITORY,
	    "library/alpine", AUTH_PULL },
	{ "repository:quay.io/org/img:pull,push", 0, AUTH_SCOPE_REPOSITORY,
	    "quay.io/org/img", AUTH_PULL | AUTH_PUSH },
	{ "repository:a:push,pull", 0, AUTH_SCOPE_REPOSITORY, "a",
	    AUTH_PULL | AUTH_PUSH },
	{ "repository:a:delete", 0, AUTH_SCOPE_REPOSITORY, "a", AUTH_DELETE },
	{ "repository:a:*", 0, AUTH_SCOPE_REPOSITORY, "a",
	    AUTH_PULL | AUTH_PUSH | AUTH_DELETE },
	{ "repository:a:pull,bogus", 0, AUTH_SCOPE_REPOSITORY, "a",
	    AUTH_PULL },
	{ "repository:a:,pull,", 0, AUTH_SCOPE_REPOSITORY, "a", AUTH_PULL },
	{ "registry:catalog:*", 0, AUTH_SCOPE_REGISTRY, "catalog",
	    AUTH_CATALOG },
	{ "repository:a:bogus", -1, 0, NULL, 0 },
	{ "repository:a:", -1, 0, NULL, 0 },
	{ "repository:a", -1, 0, NULL, 0 },
	{ "repository::pull", -1, 0, NULL, 0 },
	{ "repository:A:pull", -1, 0, NULL, 0 },
	{ "repository:a/../b:pull", -1, 0, NULL, 0 },
	{ "repository:a%2fb:pull", -1, 0, NULL, 0 },
	{ "repository:localhost:5000/x:pull", -1, 0, NULL, 0 },
	{ "repository(plugin):a:pull", -1, 0, NULL, 0 },
	{ "registry:catalog:pull", -1, 0, NULL, 0 },
	{ "registry:other:*", -1, 0, NULL, 0 },
	{ "image:a:pull", -1, 0, NULL, 0 },
	{ "pull", -1, 0, NULL, 0 },
	{ ":", -1, 0, NULL, 0 },
	{ "", -1, 0, NULL, 0 },
};

START_TEST(test_scope_parse)
{
	struct auth_scope	sc;
	int			rc;

	rc = auth_scope_parse(scopes[_i].scope, &sc);
	ck_assert_msg(rc == scopes[_i].rc, "\"%s\"", scopes[_i].scope);
	if (rc == 0) {
		ck_assert_int_eq(sc.type, scopes[_i].type);
		ck_assert_str_eq(sc.name, scopes[_i].name);
		ck_assert_uint_eq(sc.actions, scopes[_i].actions);
	}
}
END_TEST

/* --- Test configurations ---------------------------------------------- */

enum mode { OPEN, NORMAL, RESTR };

static struct conf	confs[3];

static void
setup_confs(void)
{
	struct buf	 text = BUF_INIT;
	char		*rhash;
	int		 m;

	rhash = password_setting("$6$unittestsalt$", RPASS);
	for (m = OPEN; m <= RESTR; m++) {
		buf_reset(&text);
		buf_addstr(&text, "[registry]\n"
		    "public-url = https://reg.example/\n"
		    "service = svc\n"
		    "secret = " SECRET "\n"
		    "[storage]\nroot = /nonexistent\n");
		if (m >= NORMAL)
			buf_addstr(&text, "[user \"writer\"]\n"
			    "password = " WPASS "\naccess = write\n");
		if (m == RESTR)
			buf_addf(&text, "[user \"reader\"]\n"
			    "password = %s\naccess = read\n", rhash);
		conf_init(&confs[m]);
		ck_assert_int_eq(conf_load_string(&confs[m], "test",
		    text.buf), 0);
		auth_init(&confs[m]);
	}
	ck_assert_int_eq(confs[RESTR].restricted, 1);
	ck_assert_int_eq(confs[NORMAL].restricted, 0);
	free(rhash);
	buf_release(&text);
}

static void
teardown_confs(void)
{
	int	m;

	for (m = OPEN; m <= RESTR; m++)
		conf_release(&confs[m]);
}

/* --- auth_init, auth_login: an unknown user costs the slowest hash ---- */

#define SLOW	"$2b$08$abcdefghijklmnopqrstuu"

/* A configuration with these users ("NAME SETTING" each; "-": plain). */
static void
users_conf(struct conf *c, const char *const *users, size_t n)
{
	struct buf	 text = BUF_INIT;
	char		*hash, name[32], setting[64];
	size_t		 i;

	buf_addstr(&text, "[registry]\nsecret = " SECRET "\n"
	    "[storage]\nroot = /nonexistent\n");
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(sscanf(users[i], "%31s %63s", name, setting),
		    2);
		hash = password_setting(strcmp(setting, "-") == 0 ? NULL :
		    setting, "s3cret");
		buf_addf(&text, "[user \"%s\"]\npassword = %s\n"
		    "access = write\n", name, hash);
		free(hash);
	}
	conf_init(c);
	ck_assert_int_eq(conf_load_string(c, "test", text.buf), 0);
	auth_init(c);
	buf_release(&text);
}

static double
cpu_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

/* The least CPU time of three logins as "name" with a wrong password. */
static double
login_cost(const struct conf *c, const char *name)
{
	double	t, best = 1e9;
	int	i;

	for (i = 0; i < 3; i++) {
		t = cpu_now();
		ck_assert_ptr_null(auth_login(c, name, "wrong"));
		t = cpu_now() - t;
		if (t < best)
			best = t;
	}
	return (best);
}

START_TEST(test_login_unknown_costs_the_slowest)
{
	static const char *const users[] = {
		"plain -", "fast $6$fixedsaltfixed$", "slow " SLOW,
		"cheap $2b$04$abcdefghijklmnopqrstuu",
	};
	struct conf	c;
	double		slow, unknown;

	users_conf(&c, users, nitems(users));
	ck_assert_ptr_nonnull(c.login_dummy);
	ck_assert_msg(strncmp(c.login_dummy, "$2b$08$", 7) == 0,
	    "dummy %s", c.login_dummy);
	slow = login_cost(&c, "slow");
	unknown = login_cost(&c, "nobody");
	ck_assert_msg(unknown > slow / 2, "unknown user %.3f ms, bcrypt-8 "
	    "user %.3f ms", unknown * 1e3, slow * 1e3);
	ck_assert_ptr_nonnull(auth_login(&c, "slow", "s3cret"));
	ck_assert_ptr_null(auth_login(&c, "nobody", "s3cret"));
	conf_release(&c);
}
END_TEST

START_TEST(test_login_dummy_kinds)
{
	static const char *const plain[] = { "a -", "b -" };
	static const char *const sha[] = {
		"a $6$fixedsaltfixed$", "b $6$rounds=60000$fixedsalt$",
		"c $5$fixedsaltfixed$",
	};
	struct conf	c;

	/* Plain passwords only: a plain dummy, never a match. */
	users_conf(&c, plain, nitems(plain));
	ck_assert_ptr_nonnull(c.login_dummy);
	ck_assert_int_ne(c.login_dummy[0], '$');
	ck_assert_ptr_null(auth_login(&c, "nobody", c.login_dummy + 1));
	conf_release(&c);
	/* The cost counts, not only the scheme. */
	users_conf(&c, sha, nitems(sha));
	ck_assert_msg(strncmp(c.login_dummy, "$6$rounds=60000$", 16) == 0,
	    "dummy %s", c.login_dummy);
	conf_release(&c);
}
END_TEST

/* --- auth_grant -------------------------------------------------------- */

static const struct {
	enum mode	 mode;
	const char	*user;
	unsigned	 asked, granted;
} grants[] = {
	{ OPEN, NULL, AUTH_PULL | AUTH_PUSH | AUTH_DELETE,
	    AUTH_PULL | AUTH_PUSH | AUTH_DELETE },
	{ NORMAL, NULL, AUTH_PULL | AUTH_PUSH, AUTH_PULL },
	{ NORMAL, NULL, AUTH_CATALOG, AUTH_CATALOG },
	{ NORMAL, "writer", AUTH_PULL | AUTH_PUSH | AUTH_DELETE,
	    AUTH_PULL | AUTH_PUSH | AUTH_DELETE },
	{ RESTR, NULL, AUTH_PULL, 0 },
	{ RESTR, NULL, AUTH_CATALOG, 0 },
	{ RESTR, "reader", AUTH_PULL | AUTH_PUSH, AUTH_PULL },
	{ RESTR, "reader", AUTH_CATALOG, AUTH_CATALOG },
	{ RESTR, "writer", AUTH_PULL | AUTH_PUSH, AUTH_PULL | AUTH_PUSH },
};

START_TEST(test_grant)
{
	const struct conf	*c = &confs[grants[_i].mode];
	struct auth_scope	 sc;

	memset(&sc, 0, sizeof(sc));
	sc.type = grants[_i].asked == AUTH_CATALOG ? AUTH_SCOPE_REGISTRY :
	    AUTH_SCOPE_REPOSITORY;
	sc.actions = grants[_i].asked;
	ck_assert_uint_eq(auth_grant(c, grants[_i].user == NULL ? NULL :
	    conf_user_find(c, grants[_i].user), &sc), grants[_i].granted);
}
END_TEST

/* --- auth_check -------------------------------------------------------- */

enum cred {
	C_NONE,
	C_BASIC_W,		/* writer, right password */
	C_BASIC_R,		/* reader, right password (sha512-crypt) */
	C_BASIC_BAD,		/* writer, wrong password */
	C_BASIC_JUNK,		/* not base64 */
	C_NEGOTIATE,		/* an unknown scheme */
	C_TOK_ANON_A,		/* sub "", pull on a */
	C_TOK_W_A,		/* writer, pull+push on a */
	C_TOK_W_A_LOWER,	/* the same after "bearer " */
	C_TOK_W_DEL_A,		/* writer, delete on a */
	C_TOK_R_A,		/* reader, pull on a */
	C_TOK_R_PUSH_A,		/* reader, push on a (never issued) */
	C_TOK_EXPIRED,		/* writer, pull+push on a, expired */
	C_TOK_FORGED,		/* writer, signed with another key */
	C_TOK_SERVICE,		/* writer, for another service */
	C_TOK_GHOST,		/* a user not configured */
	C_TOK_JUNK,		/* "Bearer abc" */
	C_TOK_W_A_FROM_B,	/* writer, pull+push on a, pull on b */
	C_TOK_R_CATALOG,	/* reader, registry:catalog:* only */
	C_TOK_W_STAR_A		/* writer, "*" on a */
};

/* A token; "access" is the JSON text of its access claim. */
static void
mint(struct buf *out, const char *key, const char *service, const char *sub,
    const char *access, long ttl)
{
	struct json_object	*c, *acc;
	time_t			 now = time(NULL);

	c = json_object_new_object();
	json_object_object_add(c, "iss", json_object_new_string(service));
	json_object_object_add(c, "aud", json_object_new_string(service));
	json_object_object_add(c, "sub", json_object_new_string(sub));
	json_object_object_add(c, "iat", json_object_new_int64(now - 10));
	json_object_object_add(c, "exp", json_object_new_int64(now + ttl));
	acc = json_tokener_parse(access);
	ck_assert_ptr_nonnull(acc);
	json_object_object_add(c, "access", acc);
	buf_addstr(out, "Bearer ");
	jwt_sign(key, c, out);
	json_object_put(c);
}

/* The access claim of a token for repository "n" with these actions. */
#define ACC(n, actions)	"{\"type\":\"repository\",\"name\":\"" n \
			"\",\"actions\":[" actions "]}"
#define ON_A(actions)	"[" ACC("a", actions) "]"
#define PULL		"\"pull\""
#define PULL_PUSH	"\"pull\",\"push\""
#define CATALOG_ALL	"{\"type\":\"registry\",\"name\":\"catalog\"," \
			"\"actions\":[\"*\"]}"

static void
basic(struct buf *out, const char *userpass)
{
	buf_addstr(out, "Basic ");
	base64_encode(out, userpass, strlen(userpass));
}

static void
make_cred(enum cred c, struct buf *out)
{
	switch (c) {
	case C_NONE:
		break;
	case C_BASIC_W:
		basic(out, "writer:" WPASS);
		break;
	case C_BASIC_R:
		basic(out, "reader:" RPASS);
		break;
	case C_BASIC_BAD:
		basic(out, "writer:w:pass");
		break;
	case C_BASIC_JUNK:
		buf_addstr(out, "Basic !!!not-base64");
		break;
	case C_NEGOTIATE:
		buf_addstr(out, "Negotiate abc");
		break;
	case C_TOK_ANON_A:
		mint(out, SECRET, "svc", "", ON_A(PULL), 60);
		break;
	case C_TOK_W_A:
		mint(out, SECRET, "svc", "writer", ON_A(PULL_PUSH), 60);
		break;
	case C_TOK_W_A_LOWER:
		mint(out, SECRET, "svc", "writer", ON_A(PULL_PUSH), 60);
		memcpy(out->buf, "bearer", 6);
		break;
	case C_TOK_W_DEL_A:
		mint(out, SECRET, "svc", "writer", ON_A("\"delete\""), 60);
		break;
	case C_TOK_R_A:
		mint(out, SECRET, "svc", "reader", ON_A(PULL), 60);
		break;
	case C_TOK_R_PUSH_A:
		mint(out, SECRET, "svc", "reader", ON_A(PULL_PUSH), 60);
		break;
	case C_TOK_EXPIRED:
		mint(out, SECRET, "svc", "writer", ON_A(PULL_PUSH), -1);
		break;
	case C_TOK_FORGED:
		mint(out, "not-the-secret-at-all", "svc", "writer",
		    ON_A(PULL_PUSH), 60);
		break;
	case C_TOK_SERVICE:
		mint(out, SECRET, "other", "writer", ON_A(PULL_PUSH), 60);
		break;
	case C_TOK_GHOST:
		mint(out, SECRET, "svc", "ghost", ON_A(PULL_PUSH), 60);
		break;
	case C_TOK_JUNK:
		buf_addstr(out, "Bearer abc");
		break;
	case C_TOK_W_A_FROM_B:
		mint(out, SECRET, "svc", "writer", "[" ACC("a", PULL_PUSH) ","
		    ACC("b", PULL) "]", 60);
		break;
	case C_TOK_R_CATALOG:
		mint(out, SECRET, "svc", "reader", "[" CATALOG_ALL "]", 60);
		break;
	case C_TOK_W_STAR_A:
		mint(out, SECRET, "svc", "writer", ON_A("\"*\""), 60);
		break;
	}
}

#define BASE	"/v2/"
#define CATALOG	"/v2/_catalog"
#define REPO	"/v2/x/manifests/latest"
#define UPLOADS	"/v2/a/blobs/uploads/"
#define DIG	"sha256:0123456789abcdef0123456789abcdef" \
		"0123456789abcdef0123456789abcdef"
#define MOUNT_B	UPLOADS "?mount=" DIG "&from=b"
#define MOUNT_A	UPLOADS "?mount=" DIG "&from=a"
#define MOUNT_BAD UPLOADS "?from=B%21&mount=" DIG
#define FROM_B	UPLOADS "?from=b"
#define R	ACCESS_READ
#define W	ACCESS_WRITE
#define U401	REG_E_UNAUTHORIZED
#define D403	REG_E_DENIED
#define REALM	"Bearer realm=\"https://reg.example/auth/token\"," \
		"service=\"svc\""

static const struct {
	enum mode	 mode;
	unsigned	 method;
	const char	*path;
	const char	*name;
	enum conf_access need;
	enum cred	 cred;
	enum reg_err	 err;
	const char	*challenge;	/* exact, for 401s */
	const char	*user;
} checks[] = {
	/* No users: an open registry. */
	{ OPEN, M_GET, BASE, NULL, R, C_NONE, REG_OK, NULL, NULL },
	{ OPEN, M_POST, REPO, "a", W, C_NONE, REG_OK, NULL, NULL },
	{ OPEN, M_POST, REPO, "a", W, C_TOK_FORGED, REG_OK, NULL, NULL },
	/* Anonymous pulls, but /v2/ wants credentials. */
	{ NORMAL, M_GET, BASE, NULL, R, C_NONE, U401, REALM, NULL },
	{ NORMAL, M_GET, CATALOG, NULL, R, C_NONE, REG_OK, NULL, NULL },
	{ NORMAL, M_GET, REPO, "a", R, C_NONE, REG_OK, NULL, NULL },
	{ NORMAL, M_HEAD, REPO, "a", R, C_NEGOTIATE, REG_OK, NULL, NULL },
	{ NORMAL, M_GET, BASE, NULL, R, C_NEGOTIATE, U401, REALM, NULL },
	{ NORMAL, M_POST, REPO, "a", W, C_NONE, U401,
	    REALM ",scope=\"repository:a:pull,push\"", NULL },
	{ NORMAL, M_DELETE, REPO, "a", W, C_NONE, U401,
	    REALM ",scope=\"repository:a:delete\"", NULL },
	/* Basic on /v2. */
	{ NORMAL, M_GET, BASE, NULL, R, C_BASIC_W, REG_OK, NULL, "writer" },
	{ NORMAL, M_GET, BASE, NULL, R, C_BASIC_BAD, U401, REALM, NULL },
	{ NORMAL, M_GET, BASE, NULL, R, C_BASIC_JUNK, U401, REALM, NULL },
	{ NORMAL, M_GET, REPO, "a", R, C_BASIC_BAD, REG_OK, NULL, NULL },
	{ NORMAL, M_POST, REPO, "a", W, C_BASIC_BAD, U401,
	    REALM ",scope=\"repository:a:pull,push\"", NULL },
	{ NORMAL, M_PUT, REPO, "a", W, C_BASIC_W, REG_OK, NULL, "writer" },
	/* Tokens. */
	{ NORMAL, M_POST, REPO, "a", W, C_TOK_W_A, REG_OK, NULL, "writer" },
	{ NORMAL, M_PATCH, REPO, "a", W, C_TOK_W_A_LOWER, REG_OK, NULL,
	    "writer" },
	/* A token without the scope: a wider one would help. */
	{ NORMAL, M_POST, REPO, "b", W, C_TOK_W_A, U401,
	    REALM ",scope=\"repository:b:pull,push\","
	    "error=\"insufficient_scope\"", "writer" },
	{ NORMAL, M_GET, REPO, "b", R, C_TOK_W_A, REG_OK, NULL, "writer" },
	{ NORMAL, M_DELETE, REPO, "a", W, C_TOK_W_A, U401,
	    REALM ",scope=\"repository:a:delete\","
	    "error=\"insufficient_scope\"", "writer" },
	{ NORMAL, M_DELETE, REPO, "a", W, C_TOK_W_STAR_A, REG_OK, NULL,
	    "writer" },
	{ NORMAL, M_DELETE, REPO, "a", W, C_TOK_W_DEL_A, REG_OK, NULL,
	    "writer" },
	{ NORMAL, M_GET, REPO, "a", R, C_TOK_ANON_A, REG_OK, NULL, NULL },
	{ NORMAL, M_GET, BASE, NULL, R, C_TOK_ANON_A, REG_OK, NULL, NULL },
	{ NORMAL, M_PUT, REPO, "a", W, C_TOK_ANON_A, U401,
	    REALM ",scope=\"repository:a:pull,push\","
	    "error=\"insufficient_scope\"", NULL },
	/*
	 * A cross-repository mount needs pull on the source too, which
	 * anyone has here: no scope needed for it.
	 */
	{ NORMAL, M_POST, MOUNT_B, "a", W, C_TOK_W_A, REG_OK, NULL,
	    "writer" },
	{ NORMAL, M_POST, MOUNT_B, "a", W, C_TOK_W_A_FROM_B, REG_OK, NULL,
	    "writer" },
	{ NORMAL, M_POST, MOUNT_B, "a", W, C_BASIC_W, REG_OK, NULL,
	    "writer" },
	{ NORMAL, M_POST, MOUNT_B, "a", W, C_NONE, U401,
	    REALM ",scope=\"repository:a:pull,push repository:b:pull\"",
	    NULL },
	{ NORMAL, M_POST, MOUNT_A, "a", W, C_TOK_W_A, REG_OK, NULL,
	    "writer" },
	{ NORMAL, M_POST, MOUNT_BAD, "a", W, C_TOK_W_A, REG_OK, NULL,
	    "writer" },
	{ NORMAL, M_POST, FROM_B, "a", W, C_TOK_W_A, REG_OK, NULL,
	    "writer" },
	{ NORMAL, M_GET, REPO, "a", R, C_TOK_EXPIRED, U401,
	    REALM ",scope=\"repository:a:pull\",error=\"invalid_token\"",
	    NULL },
	{ NORMAL, M_GET, REPO, "a", R, C_TOK_FORGED, U401,
	    REALM ",scope=\"repository:a:pull\",error=\"invalid_token\"",
	    NULL },
	{ NORMAL, M_POST, REPO, "a", W, C_TOK_FORGED, U401,
	    REALM ",scope=\"repository:a:pull,push\",error=\"invalid_token\"",
	    NULL },
	{ NORMAL, M_GET, BASE, NULL, R, C_TOK_SERVICE, U401,
	    REALM ",error=\"invalid_token\"", NULL },
	{ NORMAL, M_GET, REPO, "a", R, C_TOK_GHOST, U401,
	    REALM ",scope=\"repository:a:pull\",error=\"invalid_token\"",
	    NULL },
	{ NORMAL, M_GET, REPO, "a", R, C_TOK_JUNK, U401,
	    REALM ",scope=\"repository:a:pull\",error=\"invalid_token\"",
	    NULL },
	/* Restricted mode: a read user exists. */
	{ RESTR, M_GET, REPO, "a", R, C_NONE, U401,
	    REALM ",scope=\"repository:a:pull\"", NULL },
	{ RESTR, M_GET, CATALOG, NULL, R, C_NONE, U401,
	    REALM ",scope=\"registry:catalog:*\"", NULL },
	{ RESTR, M_GET, REPO, "a", R, C_BASIC_BAD, U401,
	    REALM ",scope=\"repository:a:pull\"", NULL },
	{ RESTR, M_GET, REPO, "a", R, C_BASIC_R, REG_OK, NULL, "reader" },
	{ RESTR, M_GET, CATALOG, NULL, R, C_BASIC_R, REG_OK, NULL, "reader" },
	{ RESTR, M_POST, REPO, "a", W, C_BASIC_R, D403, NULL, "reader" },
	{ RESTR, M_GET, REPO, "a", R, C_TOK_ANON_A, U401,
	    REALM ",scope=\"repository:a:pull\",error=\"invalid_token\"",
	    NULL },
	{ RESTR, M_GET, REPO, "a", R, C_TOK_R_A, REG_OK, NULL, "reader" },
	{ RESTR, M_GET, BASE, NULL, R, C_TOK_R_A, REG_OK, NULL, "reader" },
	{ RESTR, M_GET, REPO, "b", R, C_TOK_R_A, U401,
	    REALM ",scope=\"repository:b:pull\",error=\"insufficient_scope\"",
	    "reader" },
	{ RESTR, M_GET, CATALOG, NULL, R, C_TOK_R_A, U401,
	    REALM ",scope=\"registry:catalog:*\","
	    "error=\"insufficient_scope\"", "reader" },
	{ RESTR, M_GET, CATALOG, NULL, R, C_TOK_R_CATALOG, REG_OK, NULL,
	    "reader" },
	/* Restricted: pull on the source must be in the token. */
	{ RESTR, M_POST, MOUNT_B, "a", W, C_TOK_W_A, U401,
	    REALM ",scope=\"repository:a:pull,push repository:b:pull\","
	    "error=\"insufficient_scope\"", "writer" },
	{ RESTR, M_POST, MOUNT_B, "a", W, C_TOK_W_A_FROM_B, REG_OK, NULL,
	    "writer" },
	/* ...but a user who may never have it: 403. */
	{ RESTR, M_POST, MOUNT_B, "a", W, C_BASIC_R, D403, NULL, "reader" },
	{ RESTR, M_POST, REPO, "a", W, C_TOK_R_A, D403, NULL, "reader" },
	{ RESTR, M_POST, REPO, "a", W, C_TOK_R_PUSH_A, D403, NULL, "reader" },
	{ RESTR, M_POST, REPO, "a", W, C_TOK_W_A, REG_OK, NULL, "writer" },
};

static const char *
no_param(void *arg, const char *name)
{
	(void)arg;
	(void)name;
	return (NULL);
}

START_TEST(test_check)
{
	struct request_io	 io = { no_param, NULL, NULL, NULL, NULL };
	struct request		 req;
	struct buf		 cred = BUF_INIT;
	enum reg_err		 err;
	char			 path[256], *q;

	make_cred(checks[_i].cred, &cred);
	request_init(&req, &confs[checks[_i].mode], NULL, &io);
	req.method = checks[_i].method;
	snprintf(path, sizeof(path), "%s", checks[_i].path);
	if ((q = strchr(path, '?')) != NULL) {
		*q = '\0';
		req.query = q + 1;
	}
	req.path = path;
	req.authorization = cred.len > 0 ? cred.buf : NULL;
	err = auth_check(&req, checks[_i].name, checks[_i].need);
	ck_assert_msg(err == checks[_i].err, "case %d: got %d, want %d", _i,
	    err, checks[_i].err);
	if (checks[_i].challenge != NULL)
		ck_assert_str_eq(req.challenge.buf, checks[_i].challenge);
	else
		ck_assert_uint_eq(req.challenge.len, 0);
	if (checks[_i].user != NULL) {
		ck_assert_ptr_nonnull(req.user);
		ck_assert_str_eq(req.user, checks[_i].user);
	} else
		ck_assert_ptr_null(req.user);
	request_release(&req);
	buf_release(&cred);
}
END_TEST

/* auth_allows(): the same policy for the web UI, Basic only. */
static const struct {
	enum mode		 mode;
	enum cred		 cred;
	const char		*name;		/* NULL: the registry */
	enum conf_access	 need;
	int			 allowed;
	const char		*user;
} allows[] = {
	{ OPEN, C_NONE, NULL, ACCESS_READ, 1, NULL },
	{ OPEN, C_NONE, "a", ACCESS_WRITE, 1, NULL },
	{ NORMAL, C_NONE, NULL, ACCESS_READ, 1, NULL },
	{ NORMAL, C_NONE, "a", ACCESS_READ, 1, NULL },
	{ NORMAL, C_NONE, "a", ACCESS_WRITE, 0, NULL },
	{ NORMAL, C_BASIC_BAD, "a", ACCESS_READ, 1, NULL },
	{ NORMAL, C_BASIC_W, "a", ACCESS_WRITE, 1, "writer" },
	{ RESTR, C_NONE, NULL, ACCESS_READ, 0, NULL },
	{ RESTR, C_NONE, "a", ACCESS_READ, 0, NULL },
	{ RESTR, C_BASIC_BAD, "a", ACCESS_READ, 0, NULL },
	{ RESTR, C_BASIC_JUNK, NULL, ACCESS_READ, 0, NULL },
	{ RESTR, C_BASIC_R, NULL, ACCESS_READ, 1, "reader" },
	{ RESTR, C_BASIC_R, "a", ACCESS_READ, 1, "reader" },
	{ RESTR, C_BASIC_R, "a", ACCESS_WRITE, 0, "reader" },
	{ RESTR, C_BASIC_W, "a", ACCESS_WRITE, 1, "writer" },
	{ RESTR, C_BASIC_W, NULL, ACCESS_READ, 1, "writer" },
	/* A browser sends no token; one counts as no credentials. */
	{ RESTR, C_TOK_W_A, "a", ACCESS_READ, 0, NULL },
};

START_TEST(test_allows)
{
	struct request_io	 io = { no_param, NULL, NULL, NULL, NULL };
	struct request		 req;
	struct buf		 cred = BUF_INIT;

	make_cred(allows[_i].cred, &cred);
	request_init(&req, &confs[allows[_i].mode], NULL, &io);
	req.method = M_GET;
	req.path = "/";
	req.authorization = cred.len > 0 ? cred.buf : NULL;
	ck_assert_msg(auth_allows(&req, allows[_i].name, allows[_i].need) ==
	    allows[_i].allowed, "case %d", _i);
	/* Asked again, the answer holds (the user is looked up once). */
	ck_assert_int_eq(auth_allows(&req, allows[_i].name, allows[_i].need),
	    allows[_i].allowed);
	if (allows[_i].user != NULL) {
		ck_assert_ptr_nonnull(req.user);
		ck_assert_str_eq(req.user, allows[_i].user);
	} else
		ck_assert_ptr_null(req.user);
	ck_assert_uint_eq(req.challenge.len, 0);
	ck_assert_uint_eq(req.detail.len, 0);
	request_release(&req);
	buf_release(&cred);
}
END_TEST

START_TEST(test_basic)
{
	const struct conf_user	*u;
	struct buf		 h = BUF_INIT;

	ck_assert_int_eq(auth_basic(&confs[NORMAL], NULL, &u),
	    AUTH_CREDS_NONE);
	ck_assert_int_eq(auth_basic(&confs[NORMAL], "Bearer x", &u),
	    AUTH_CREDS_NONE);
	ck_assert_int_eq(auth_basic(&confs[NORMAL], "Basicx", &u),
	    AUTH_CREDS_NONE);
	basic(&h, "writer");			/* no ':' at all */
	ck_assert_int_eq(auth_basic(&confs[NORMAL], h.buf, &u),
	    AUTH_CREDS_BAD);
	buf_reset(&h);
	basic(&h, "nobody:" WPASS);
	ck_assert_int_eq(auth_basic(&confs[NORMAL], h.buf, &u),
	    AUTH_CREDS_BAD);
	ck_assert_ptr_null(u);
	buf_reset(&h);
	buf_addstr(&h, "  basic\t");
	base64_encode(&h, "writer:" WPASS, strlen("writer:" WPASS));
	ck_assert_int_eq(auth_basic(&confs[NORMAL], h.buf, &u),
	    AUTH_CREDS_OK);
	ck_assert_str_eq(u->name, "writer");
	buf_reset(&h);
	buf_addstr(&h, "Basic ");
	base64_encode(&h, "writer\0:x", 9);
	ck_assert_int_eq(auth_basic(&confs[NORMAL], h.buf, &u),
	    AUTH_CREDS_BAD);
	buf_release(&h);
}
END_TEST

/* --- /auth/token through exchange_run(): parameters and the log ------- */

/* Run one request; its output goes to "out", its log lines to "log". */
static void
token_run(const char *method, const char *uri, const char *body,
    struct buf *out, struct buf *log)
{
	struct fake_io		 f;
	struct request_io	 io;
	struct request		 req;
	char			 chunk[512];
	FILE			*tmp;
	size_t			 n;
	int			 saved;

	fake_io_init(&f, &io, method, uri, body);
	ck_assert_ptr_nonnull(tmp = tmpfile());
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	ck_assert_int_ne(dup2(fileno(tmp), STDERR_FILENO), -1);
	request_init(&req, &confs[NORMAL], NULL, &io);
	exchange_run(&req);
	request_release(&req);
	fflush(stderr);
	ck_assert_int_ne(dup2(saved, STDERR_FILENO), -1);
	close(saved);
	rewind(tmp);
	while ((n = fread(chunk, 1, sizeof(chunk), tmp)) > 0)
		buf_add(log, chunk, n);
	fclose(tmp);
	buf_add(out, f.out.buf, f.out.len);
	fake_io_release(&f);
}

#define WPASS_ENC	"w%3Apass%3Awith%3Acolons"
#define GRANT		"grant_type=password&username=writer&password=" \
			WPASS_ENC
#define PUSH_A		"scope=repository%3Aa%3Apull%2Cpush"

static const struct {
	const char	*method, *uri, *body;
	int		 status;
	const char	*has;		/* in the output, or NULL */
	const char	*logged;	/* the request's log line */
} tokens[] = {
	/* RFC 6749: a POST's grant is in its form body, never its query. */
	{ "POST", "/auth/token?" GRANT "&" PUSH_A, "", 401, NULL,
	    "POST /auth/token 401 " },
	{ "POST", "/auth/token", GRANT "&" PUSH_A, 200, "\"token\"",
	    "POST /auth/token 200 " },
	{ "POST", "/auth/token?" PUSH_A "&service=svc", GRANT, 200,
	    "\"token\"", "POST /auth/token 200 " },
	/* A GET's parameters are its query, which is not logged either. */
	{ "GET", "/auth/token?scope=repository%3Aa%3Apull&service=svc&"
	    "password=" WPASS_ENC, "", 200, "\"token\"",
	    "GET /auth/token 200 " },
	{ "GET", "/auth/token?" GRANT "&" PUSH_A, "", 401, NULL,
	    "GET /auth/token 401 " },
	/* Other paths keep their query in the log. */
	{ "POST", "/v2/a/blobs/uploads/?mount=x&password=x", "", 401, NULL,
	    "POST /v2/a/blobs/uploads/?mount=x&password=x 401 " },
};

START_TEST(test_token_params)
{
	struct buf	out = BUF_INIT, log = BUF_INIT, want = BUF_INIT;

	token_run(tokens[_i].method, tokens[_i].uri, tokens[_i].body, &out,
	    &log);
	buf_addf(&want, "Status: %d ", tokens[_i].status);
	ck_assert_msg(strncmp(out.buf, want.buf, want.len) == 0,
	    "case %d: %s", _i, out.buf);
	if (tokens[_i].has != NULL)
		ck_assert_msg(strstr(out.buf, tokens[_i].has) != NULL,
		    "case %d: %s", _i, out.buf);
	ck_assert_msg(strstr(log.buf, tokens[_i].logged) != NULL,
	    "case %d: log %s", _i, log.buf);
	if (strncmp(tokens[_i].uri, "/auth/", 6) == 0)
		ck_assert_msg(strstr(log.buf, "password") == NULL &&
		    strstr(log.buf, WPASS_ENC) == NULL &&
		    strstr(log.buf, "w:pass") == NULL, "case %d: log %s", _i,
		    log.buf);
	buf_release(&out);
	buf_release(&log);
	buf_release(&want);
}
END_TEST

int
main(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("auth");
	tc = tcase_create("core");
	tcase_add_unchecked_fixture(tc, setup_confs, teardown_confs);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_password, 0, nitems(passwords));
	tcase_add_test(tc, test_password_edges);
	tcase_add_loop_test(tc, test_scope_parse, 0, nitems(scopes));
	tcase_add_test(tc, test_login_unknown_costs_the_slowest);
	tcase_add_test(tc, test_login_dummy_kinds);
	tcase_add_loop_test(tc, test_grant, 0, nitems(grants));
	tcase_add_loop_test(tc, test_check, 0, nitems(checks));
	tcase_add_loop_test(tc, test_allows, 0, nitems(allows));
	tcase_add_test(tc, test_basic);
	tcase_add_loop_test(tc, test_token_params, 0, nitems(tokens));
	suite_add_tcase(s, tc);
	return (check_run(s));
}
