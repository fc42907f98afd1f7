/*
 * tests/unit/check_conf.c: the INI configuration (common/conf.c).
 *
 * Each case loads a snippet with conf_load_string() and checks the
 * return value and, for failures, that the first message on stderr
 * names "t.ini:LINE:" (line 0 is a whole-file check).
 */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/conf.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "tests/unit/check_run.h"

#define ROOT	"[storage]\nroot = /srv/specreg\n"	/* lines 1-2 */
#define SECRET	"[registry]\nsecret = 0123456789abcdef\n"	/* 3-4 */

static FILE	*capture_file;
static int	 capture_saved = -1;

/* Send stderr to a temporary file until capture_end(). */
static void
capture_start(void)
{
	capture_file = tmpfile();
	ck_assert_ptr_nonnull(capture_file);
	fflush(stderr);
	capture_saved = dup(STDERR_FILENO);
	ck_assert_int_ne(capture_saved, -1);
	ck_assert_int_ne(dup2(fileno(capture_file), STDERR_FILENO), -1);
}

/* Restore stderr and append what was written to it to "err". */
static void
capture_end(struct buf *err)
{
	char	chunk[512];
	size_t	n;

	fflush(stderr);
	ck_assert_int_ne(dup2(capture_saved, STDERR_FILENO), -1);
	close(capture_saved);
	rewind(capture_file);
	while ((n = fread(chunk, 1, sizeof(chunk), capture_file)) > 0)
		buf_add(err, chunk, n);
	fclose(capture_file);
}

/* Load "text" as "t.ini", its messages going to "err". */
static int
load(struct conf *c, const char *text, struct buf *err)
{
	int	rc;

	conf_init(c);
	capture_start();
	rc = conf_load_string(c, "t.ini", text);
	capture_end(err);
	return (rc);
}

static const struct {
	const char	*text;
	int		 line;	/* -1: loads; else the first error's line */
} cases[] = {
	/* Good files. */
	{ ROOT, -1 },
	{ "; comment\n# comment\n\n" ROOT, -1 },
	{ "[storage]\r\nroot = /d\r\n", -1 },
	{ ROOT "[registry]\npublic-url = https://r.example\n", -1 },
	{ ROOT "[registry]\nsendfile = off\n", -1 },
	{ ROOT "[registry]\nsendfile = x-sendfile\n", -1 },
	{ ROOT "[registry]\nsendfile = x-accel-redirect\n", -1 },
	{ ROOT "[serve]\nworkers = 1\n", -1 },
	{ ROOT "[serve]\nworkers = 512\n", -1 },
	{ ROOT "[registry]\ntoken-lifetime = 86400\n", -1 },
	{ ROOT "[storage]\nexpiration = 0\n", -1 },
	{ ROOT SECRET "[user \"a\"]\npassword = p\naccess = read\n", -1 },
	{ ROOT "[registry]\n[storage]\n[serve]\n", -1 },
	{ ROOT "[registry]\nread-only = yes\n", -1 },
	{ ROOT "[registry]\nread-only = no\n", -1 },
	{ ROOT "[registry]\nredirect = yes\n", -1 },
	{ ROOT "[registry]\nlog-format = text\n", -1 },
	{ ROOT "[registry]\nlog-format = json\n", -1 },
	{ ROOT "[metrics]\nusername = m\npassword = p\n", -1 },
	{ ROOT "[metrics]\nfile = /run/specreg/metrics\n", -1 },
	/* Unknown keys and sections. */
	{ ROOT "[registry]\nbogus = 1\n", 4 },
	{ ROOT "[nosuch]\nx = 1\n", 4 },
	{ "x = 1\n" ROOT, 1 },
	{ ROOT SECRET "[user \"a\"]\npassword = p\nrole = write\n", 7 },
	{ ROOT "[user \"\"]\npassword = p\n", 4 },
	{ ROOT "[user a]\npassword = p\n", 4 },
	/* Numbers. */
	{ ROOT "[registry]\ntoken-lifetime = 0\n", 4 },
	{ ROOT "[registry]\ntoken-lifetime = 86401\n", 4 },
	{ ROOT "[registry]\ntoken-lifetime = 1x\n", 4 },
	{ ROOT "[registry]\ntoken-lifetime = -5\n", 4 },
	{ ROOT "[registry]\ntoken-lifetime =\n", 4 },
	{ ROOT "[serve]\nworkers = 0\n", 4 },
	{ ROOT "[serve]\nworkers = 513\n", 4 },
	{ ROOT "[storage]\nupload-expiration = 0\n", 4 },
	{ ROOT "[storage]\nprune-grace = 4294967296\n", 4 },
	/* Syntax. */
	{ ROOT "\nnot a key value line\n", 4 },
	{ ROOT "[registry\n", 3 },
	/* Enumerations. */
	{ ROOT "[registry]\nsendfile = on\n", 4 },
	{ ROOT "[registry]\nread-only = true\n", 4 },
	{ ROOT "[registry]\nredirect = 307\n", 4 },
	{ ROOT "[registry]\nlog-format = JSON\n", 4 },
	{ ROOT "[registry]\nlog-format =\n", 4 },
	{ ROOT "[metrics]\nbogus = 1\n", 4 },
	{ ROOT SECRET "[user \"a\"]\npassword = p\naccess = admin\n", 7 },
	/* Whole-file checks come last, without a line. */
	{ ROOT "[registry]\npublic-url = ftp://x\n", 0 },
	{ ROOT "[registry]\npublic-url = http://\n", 0 },
	{ ROOT "[registry]\nx-accel-prefix = blobs\n", 0 },
	{ ROOT SECRET "[user \"a\"]\naccess = read\n", 0 },
	{ ROOT SECRET "[user \"a\"]\npassword = p\n", 0 },
	{ ROOT "[user \"a\"]\npassword = p\naccess = write\n", 0 },
	{ ROOT "[registry]\nsecret = short\n[user \"a\"]\npassword = p\n"
	  "access = write\n", 0 },
	/* [metrics] credentials fail closed. */
	{ ROOT "[metrics]\nusername = m\n", 0 },
	{ ROOT "[metrics]\npassword = p\n", 0 },
	{ ROOT "[metrics]\nusername = m\npassword =\n", 5 },
	{ ROOT "[metrics]\nusername = m\npassword = %(SPECREG_NOT_SET_X)\n",
	  5 },
	{ ROOT "[metrics]\nusername =\npassword = p\n", 4 },
	{ ROOT "[metrics]\nfile = metrics\n", 0 },
};

START_TEST(test_conf_cases)
{
	struct conf	 c;
	struct buf	 err = BUF_INIT, want = BUF_INIT;
	int		 rc;

	rc = load(&c, cases[_i].text, &err);
	if (cases[_i].line == -1) {
		ck_assert_msg(rc == 0, "case %d refused: %s", _i, err.buf);
		ck_assert_uint_eq(err.len, 0);
	} else {
		ck_assert_msg(rc == -1, "case %d accepted", _i);
		if (cases[_i].line > 0)
			buf_addf(&want, "t.ini:%d: ", cases[_i].line);
		else
			buf_addstr(&want, "t.ini: ");
		ck_assert_msg(strncmp(err.buf, want.buf, want.len) == 0,
		    "case %d: expected \"%s\", got \"%s\"", _i, want.buf,
		    err.buf);
	}
	conf_release(&c);
	buf_release(&err);
	buf_release(&want);
}
END_TEST

START_TEST(test_conf_defaults)
{
	struct conf	c;
	struct buf	err = BUF_INIT;

	ck_assert_int_eq(load(&c, ROOT, &err), 0);
	ck_assert_str_eq(c.public_url, "http://127.0.0.1:5000");
	ck_assert_ptr_null(c.secret);
	ck_assert_str_eq(c.service, "specreg");
	ck_assert_uint_eq(c.token_lifetime, 300);
	ck_assert_int_eq(c.sendfile, SENDFILE_OFF);
	ck_assert_str_eq(c.x_accel_prefix, "/_specreg_blobs");
	ck_assert_str_eq(c.driver, "filesystem");
	ck_assert_str_eq(conf_storage_get(&c, "root"), "/srv/specreg");
	ck_assert_uint_eq(c.expiration, 0);
	ck_assert_uint_eq(c.upload_expiration, 3600);
	ck_assert_uint_eq(c.prune_grace, 3600);
	ck_assert_uint_eq(c.prune_interval, 0);
	ck_assert_ptr_null(c.listen);
	ck_assert_uint_eq(c.workers, 4);
	ck_assert_uint_eq(c.nusers, 0);
	ck_assert_int_eq(c.restricted, 0);
	ck_assert_int_eq(c.read_only, 0);
	ck_assert_int_eq(c.redirect, 0);
	ck_assert_int_eq(c.log_format, LOG_FORMAT_TEXT);
	ck_assert_ptr_null(c.metrics_username);
	ck_assert_ptr_null(c.metrics_password);
	ck_assert_ptr_null(c.metrics_file);
	conf_release(&c);
	buf_release(&err);
}
END_TEST

START_TEST(test_conf_every_key)
{
	struct conf	c;
	struct buf	err = BUF_INIT;

	ck_assert_int_eq(load(&c,
	    "[registry]\n"
	    "public-url = https://registry.example.org:8443\n"
	    "secret = 0123456789abcdef0123\n"
	    "service = registry.example.org\n"
	    "token-lifetime = 600\n"
	    "sendfile = x-accel-redirect\n"
	    "x-accel-prefix = /_blobs\n"
	    "log-format = json\n"
	    "[storage]\n"
	    "driver = filesystem\n"
	    "root = /var/lib/specreg\n"
	    "expiration = 86400\n"
	    "upload-expiration = 7200\n"
	    "prune-grace = 60\n"
	    "prune-interval = 3600\n"
	    "[serve]\n"
	    "listen = /run/specreg/fcgi.sock\n"
	    "workers = 16\n"
	    "[registry]\n"
	    "token-lifetime = 900\n", &err), 0);
	ck_assert_str_eq(c.public_url, "https://registry.example.org:8443");
	ck_assert_str_eq(c.secret, "0123456789abcdef0123");
	ck_assert_str_eq(c.service, "registry.example.org");
	ck_assert_uint_eq(c.token_lifetime, 900);	/* the last one wins */
	ck_assert_int_eq(c.sendfile, SENDFILE_X_ACCEL);
	ck_assert_str_eq(c.x_accel_prefix, "/_blobs");
	ck_assert_int_eq(c.log_format, LOG_FORMAT_JSON);
	ck_assert_str_eq(conf_storage_get(&c, "root"), "/var/lib/specreg");
	ck_assert_uint_eq(c.expiration, 86400);
	ck_assert_uint_eq(c.upload_expiration, 7200);
	ck_assert_uint_eq(c.prune_grace, 60);
	ck_assert_uint_eq(c.prune_interval, 3600);
	ck_assert_str_eq(c.listen, "/run/specreg/fcgi.sock");
	ck_assert_uint_eq(c.workers, 16);
	conf_release(&c);
	buf_release(&err);
}
END_TEST

START_TEST(test_conf_users)
{
	struct conf		 c;
	struct buf		 err = BUF_INIT;
	const struct conf_user	*u;

	ck_assert_int_eq(load(&c, ROOT SECRET
	    "[user \"alice\"]\npassword = one\naccess = write\n"
	    "[user \"bob\"]\npassword = $6$salt$hash\naccess = read\n"
	    "[user \"alice\"]\npassword = two\n"
	    "[user \"with space\"]\npassword = three\naccess = write\n",
	    &err), 0);
	ck_assert_uint_eq(c.nusers, 3);
	ck_assert_str_eq(c.users[0].name, "alice");
	ck_assert_str_eq(c.users[1].name, "bob");
	ck_assert_str_eq(c.users[2].name, "with space");
	ck_assert_int_eq(c.restricted, 1);
	u = conf_user_find(&c, "alice");
	ck_assert_ptr_nonnull(u);
	ck_assert_str_eq(u->password, "two");	/* sections merge */
	ck_assert_int_eq(u->access, ACCESS_WRITE);
	u = conf_user_find(&c, "bob");
	ck_assert_ptr_nonnull(u);
	ck_assert_str_eq(u->password, "$6$salt$hash");
	ck_assert_int_eq(u->access, ACCESS_READ);
	ck_assert_ptr_null(conf_user_find(&c, "carol"));
	ck_assert_ptr_null(conf_user_find(&c, "Alice"));
	conf_release(&c);
	buf_release(&err);
}
END_TEST

START_TEST(test_conf_write_only_not_restricted)
{
	struct conf	c;
	struct buf	err = BUF_INIT;

	ck_assert_int_eq(load(&c, ROOT SECRET
	    "[user \"w\"]\npassword = p\naccess = write\n", &err), 0);
	ck_assert_int_eq(c.restricted, 0);
	conf_release(&c);
	buf_release(&err);
}
END_TEST

/* conf_substitute(), with ZUUL_A=x, SPECREG_B=y, ZUUL_E="" set. */
static const struct {
	const char	*in, *out;
} subs[] = {
	{ "", "" },
	{ "plain", "plain" },
	{ "%(ZUUL_A)", "x" },
	{ "a%(ZUUL_A)b%(ZUUL_A)c", "axbxc" },
	{ "%(SPECREG_B)", "y" },
	{ "%(ZUUL_E)", "" },
	{ "%(ZUUL_UNSET)", "%(ZUUL_UNSET)" },
	{ "%(SPECREG_UNSET)", "%(SPECREG_UNSET)" },
	{ "%(HOME)", "%(HOME)" },
	{ "%(zuul_A)", "%(zuul_A)" },
	{ "%(ZUUL_A", "%(ZUUL_A" },
	{ "%ZUUL_A", "%ZUUL_A" },
	{ "%%(ZUUL_A)", "%x" },
	{ "%()", "%()" },
	{ "%(%(ZUUL_A))", "%(x)" },
	{ "%(ZUUL_C)", "%(ZUUL_A)" },	/* values are not expanded again */
};

START_TEST(test_conf_substitute)
{
	struct buf	out = BUF_INIT;

	ck_assert_int_eq(setenv("ZUUL_A", "x", 1), 0);
	ck_assert_int_eq(setenv("SPECREG_B", "y", 1), 0);
	ck_assert_int_eq(setenv("ZUUL_C", "%(ZUUL_A)", 1), 0);
	ck_assert_int_eq(setenv("ZUUL_E", "", 1), 0);
	ck_assert_int_eq(setenv("HOME", "/root", 1), 0);
	unsetenv("ZUUL_UNSET");
	unsetenv("SPECREG_UNSET");
	conf_substitute(subs[_i].in, &out);
	ck_assert_str_eq(out.buf, subs[_i].out);
	buf_release(&out);
}
END_TEST

/* Substitution happens before parsing, so it can reach any value. */
START_TEST(test_conf_load_substitutes)
{
	struct conf	c;
	struct buf	err = BUF_INIT;

	ck_assert_int_eq(setenv("ZUUL_REGISTRY_SECRET", "from-the-env-0123",
	    1), 0);
	ck_assert_int_eq(setenv("SPECREG_ROOT", "/data", 1), 0);
	unsetenv("ZUUL_REGISTRY_USER");
	ck_assert_int_eq(load(&c, "[registry]\n"
	    "secret = %(ZUUL_REGISTRY_SECRET)\n"
	    "service = %(ZUUL_REGISTRY_USER)\n"
	    "[storage]\nroot = %(SPECREG_ROOT)/specreg\n", &err), 0);
	ck_assert_str_eq(c.secret, "from-the-env-0123");
	ck_assert_str_eq(c.service, "%(ZUUL_REGISTRY_USER)");
	ck_assert_str_eq(conf_storage_get(&c, "root"), "/data/specreg");
	conf_release(&c);
	buf_release(&err);
}
END_TEST

/*
 * Credentials are never a placeholder left as written nor empty; the
 * message names the variable.  ZUUL_SET and ZUUL_CHAIN are set (the
 * latter to a placeholder), ZUUL_EMPTY and SPECREG_EMPTY are empty and
 * ZUUL_UNSET is not set.
 */
#define UPSTREAM	"[upstream]\nquay.io = https://quay.io\n"	/* 3-4 */

static const struct {
	const char	*text;
	const char	*msg;	/* all of stderr; NULL: loads */
} creds[] = {
	{ ROOT "[registry]\nsecret = %(ZUUL_UNSET)\n",
	    "t.ini:4: ZUUL_UNSET is not set\n" },
	{ ROOT "[registry]\nsecret = 0123456789abcdef%(SPECREG_UNSET)\n",
	    "t.ini:4: SPECREG_UNSET is not set\n" },
	{ ROOT "[registry]\nsecret = %(ZUUL_EMPTY)\n",
	    "t.ini:4: ZUUL_EMPTY is empty\n" },
	{ ROOT "[registry]\nsecret =\n", "t.ini:4: secret is empty\n" },
	{ ROOT "[registry]\nsecret = %(OTHER_X)-0123456789abcdef\n",
	    "t.ini:4: secret holds an unexpanded \"%(\"\n" },
	{ ROOT "[registry]\nsecret = %(ZUUL_CHAIN)\n",
	    "t.ini:4: secret holds an unexpanded \"%(\"\n" },
	{ ROOT "[registry]\nsecret = %(ZUUL_SET)\n", NULL },
	{ ROOT SECRET "[user \"a\"]\npassword = %(ZUUL_UNSET)\n"
	    "access = write\n", "t.ini:6: ZUUL_UNSET is not set\n" },
	{ ROOT SECRET "[user \"a\"]\naccess = write\n"
	    "password = %(SPECREG_EMPTY)\n", "t.ini:7: SPECREG_EMPTY is empty\n" },
	{ ROOT SECRET "[user \"a\"]\npassword =\naccess = write\n",
	    "t.ini:6: password is empty\n" },
	{ ROOT SECRET "[user \"a\"]\npassword = %(ZUUL_SET)\n"
	    "access = write\n", NULL },
	{ ROOT UPSTREAM "quay.io.username = robot\n"
	    "quay.io.password = %(ZUUL_UNSET)\n",
	    "t.ini:6: ZUUL_UNSET is not set\n" },
	{ ROOT UPSTREAM "quay.io.username = %(ZUUL_EMPTY)\n"
	    "quay.io.password = p\n", "t.ini:5: ZUUL_EMPTY is empty\n" },
	{ ROOT UPSTREAM "quay.io.username = %(ZUUL_SET)\n"
	    "quay.io.password = %(ZUUL_SET)\n", NULL },
	/* Other keys keep zuul-registry's rule: the placeholder stays. */
	{ ROOT "[registry]\nservice = %(ZUUL_UNSET)\n", NULL },
	{ ROOT "[registry]\nservice = %(ZUUL_EMPTY)x\n", NULL },
};

START_TEST(test_conf_credentials)
{
	struct conf	c;
	struct buf	err = BUF_INIT;
	int		rc;

	ck_assert_int_eq(setenv("ZUUL_SET", "0123456789abcdef-env", 1), 0);
	ck_assert_int_eq(setenv("ZUUL_CHAIN", "%(ZUUL_SET)", 1), 0);
	ck_assert_int_eq(setenv("ZUUL_EMPTY", "", 1), 0);
	ck_assert_int_eq(setenv("SPECREG_EMPTY", "", 1), 0);
	unsetenv("ZUUL_UNSET");
	unsetenv("SPECREG_UNSET");
	unsetenv("OTHER_X");
	rc = load(&c, creds[_i].text, &err);
	if (creds[_i].msg == NULL)
		ck_assert_msg(rc == 0, "case %d refused: %s", _i, err.buf);
	else {
		ck_assert_msg(rc == -1, "case %d accepted", _i);
		ck_assert_str_eq(err.buf, creds[_i].msg);
	}
	conf_release(&c);
	buf_release(&err);
}
END_TEST

/*
 * [storage] keeps the driver's pairs for storage/driver.c, which checks
 * the credentials among them with conf_pair_credential(): the rules and
 * messages of every other credential.
 */
static const struct {
	const char	*value;
	const char	*msg;	/* NULL: a good credential */
} pair_creds[] = {
	{ "%(ZUUL_UNSET)", "t.ini:3: ZUUL_UNSET is not set\n" },
	{ "%(ZUUL_EMPTY)", "t.ini:3: ZUUL_EMPTY is empty\n" },
	{ "", "t.ini:3: password is empty\n" },
	{ "%(OTHER_X)", "t.ini:3: password holds an unexpanded \"%(\"\n" },
	{ "%(ZUUL_SET)", NULL },
	{ "plain", NULL },
};

START_TEST(test_conf_storage_pairs)
{
	struct conf	c;
	struct buf	text = BUF_INIT, err = BUF_INIT, errs = BUF_INIT;

	ck_assert_int_eq(setenv("ZUUL_SET", "0123456789abcdef-env", 1), 0);
	ck_assert_int_eq(setenv("ZUUL_EMPTY", "", 1), 0);
	unsetenv("ZUUL_UNSET");
	unsetenv("OTHER_X");
	buf_addf(&text, ROOT "password = %s\nroot = /srv/other\n",
	    pair_creds[_i].value);
	ck_assert_int_eq(load(&c, text.buf, &err), 0);
	c.path = xstrdup("t.ini");
	ck_assert_uint_eq(c.nstorage, 2);
	ck_assert_str_eq(c.storage[0].key, "root");
	ck_assert_str_eq(conf_storage_get(&c, "root"), "/srv/other");
	ck_assert_ptr_null(conf_storage_get(&c, "nosuch"));
	ck_assert_str_eq(c.storage[1].key, "password");
	ck_assert_int_eq(c.storage[1].line, 3);
	if (pair_creds[_i].msg == NULL) {
		ck_assert_int_eq(conf_pair_credential(&c, &c.storage[1],
		    &errs), 0);
		ck_assert_uint_eq(errs.len, 0);
	} else {
		ck_assert_int_eq(conf_pair_credential(&c, &c.storage[1],
		    &errs), -1);
		ck_assert_str_eq(errs.buf, pair_creds[_i].msg);
	}
	conf_release(&c);
	buf_release(&text);
	buf_release(&err);
	buf_release(&errs);
}
END_TEST

/* inih splits long lines; a long secret must not be cut silently. */
START_TEST(test_conf_long_line)
{
	struct conf	 c;
	struct buf	 text = BUF_INIT;
	size_t		 i;

	buf_addstr(&text, "[registry]\nsecret = ");
	for (i = 0; i < 300; i++)
		buf_addch(&text, 'a' + (int)(i % 26));
	buf_addstr(&text, "\n[storage]\nroot = /tmp/x\n");
	conf_init(&c);
	ck_assert_int_eq(conf_load_string(&c, "long.ini", text.buf), -1);
	conf_release(&c);
	buf_release(&text);
}
END_TEST

START_TEST(test_conf_load_file)
{
	struct conf	 c;
	struct buf	 err = BUF_INIT;
	char		 path[] = "/tmp/check_conf.XXXXXX";
	int		 fd;
	const char	*text = ROOT "[serve]\nworkers = 7\n";

	fd = mkstemp(path);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
	conf_init(&c);
	ck_assert_int_eq(conf_load(&c, path), 0);
	ck_assert_str_eq(c.path, path);
	ck_assert_uint_eq(c.workers, 7);
	conf_release(&c);

	/* A file with a NUL byte, and a missing file, name the file. */
	fd = open(path, O_WRONLY | O_APPEND);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, "\0", 1), 1);
	close(fd);
	conf_init(&c);
	capture_start();
	ck_assert_int_eq(conf_load(&c, path), -1);
	unlink(path);
	ck_assert_int_eq(conf_load(&c, path), -1);
	capture_end(&err);
	ck_assert_msg(strncmp(err.buf, path, strlen(path)) == 0 &&
	    strstr(err.buf + 1, path) != NULL, "messages: %s", err.buf);
	conf_release(&c);
	buf_release(&err);
}
END_TEST

/*
 * What a running server reloads with: nothing on stderr, one line with
 * the first error and the count of the others.
 */
START_TEST(test_conf_load_quiet)
{
	struct conf	 c;
	struct buf	 err = BUF_INIT, why = BUF_INIT, want = BUF_INIT;
	char		 path[] = "/tmp/check_conf.XXXXXX";
	int		 fd;
	const char	*text = ROOT "[registry]\nbogus = 1\nread-only = maybe\n"
	    "[serve]\nworkers = 0\n";

	fd = mkstemp(path);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
	conf_init(&c);
	capture_start();
	ck_assert_int_eq(conf_load_quiet(&c, path, &why), -1);
	capture_end(&err);
	ck_assert_uint_eq(err.len, 0);
	buf_addf(&want, "%s:4: unknown key \"bogus\" in section [registry] "
	    "(and 2 more)", path);
	ck_assert_str_eq(why.buf, want.buf);
	conf_release(&c);

	/* A missing file says so on the same one line. */
	unlink(path);
	buf_reset(&why);
	conf_init(&c);
	ck_assert_int_eq(conf_load_quiet(&c, path, &why), -1);
	ck_assert_msg(strncmp(why.buf, path, strlen(path)) == 0 &&
	    strchr(why.buf, '\n') == NULL, "why: %s", why.buf);
	conf_release(&c);
	buf_release(&err);
	buf_release(&why);
	buf_release(&want);
}
END_TEST

int
main(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("conf");
	tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_conf_cases, 0, nitems(cases));
	tcase_add_test(tc, test_conf_defaults);
	tcase_add_test(tc, test_conf_every_key);
	tcase_add_test(tc, test_conf_users);
	tcase_add_test(tc, test_conf_write_only_not_restricted);
	tcase_add_test(tc, test_conf_load_file);
	tcase_add_test(tc, test_conf_load_quiet);
	tcase_add_test(tc, test_conf_long_line);
	suite_add_tcase(s, tc);
	tc = tcase_create("substitute");
	tcase_add_loop_test(tc, test_conf_substitute, 0, nitems(subs));
	tcase_add_test(tc, test_conf_load_substitutes);
	tcase_add_loop_test(tc, test_conf_credentials, 0, nitems(creds));
	tcase_add_loop_test(tc, test_conf_storage_pairs, 0,
	    nitems(pair_creds));
	suite_add_tcase(s, tc);
	return (check_run(s));
}
