/*
 * common/conf.c: the INI configuration through inih.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <ini.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/conf.h"
#include "common/log.h"
#include "common/util.h"
#include "common/xmalloc.h"

enum conf_type {
	CT_STR,
	CT_CREDENTIAL,		/* a string that must be a real secret */
	CT_U64,
	CT_BOOL,
	CT_SENDFILE,
	CT_LOG_FORMAT
};

#define CONF_VAR_MAX	256	/* longest %(NAME) looked up, with NUL */

static const struct conf_key {
	const char	*section;
	const char	*key;
	enum conf_type	 type;
	size_t		 off;
	uint64_t	 min, max;
} conf_keys[] = {
	{ "registry", "public-url", CT_STR,
	    offsetof(struct conf, public_url), 0, 0 },
	{ "registry", "secret", CT_CREDENTIAL,
	    offsetof(struct conf, secret), 0, 0 },
	{ "registry", "service", CT_STR,
	    offsetof(struct conf, service), 0, 0 },
	{ "registry", "token-lifetime", CT_U64,
	    offsetof(struct conf, token_lifetime), 1, 86400 },
	{ "registry", "sendfile", CT_SENDFILE,
	    offsetof(struct conf, sendfile), 0, 0 },
	{ "registry", "x-accel-prefix", CT_STR,
	    offsetof(struct conf, x_accel_prefix), 0, 0 },
	{ "registry", "redirect", CT_BOOL,
	    offsetof(struct conf, redirect), 0, 0 },
	{ "registry", "read-only", CT_BOOL,
	    offsetof(struct conf, read_only), 0, 0 },
	{ "registry", "log-format", CT_LOG_FORMAT,
	    offsetof(struct conf, log_format), 0, 0 },
	{ "storage", "driver", CT_STR, offsetof(struct conf, driver), 0, 0 },
	{ "storage", "expiration", CT_U64,
	    offsetof(struct conf, expiration), 0, UINT32_MAX },
	{ "storage", "upload-expiration", CT_U64,
	    offsetof(struct conf, upload_expiration), 1, UINT32_MAX },
	{ "storage", "prune-grace", CT_U64,
	    offsetof(struct conf, prune_grace), 0, UINT32_MAX },
	{ "storage", "prune-interval", CT_U64,
	    offsetof(struct conf, prune_interval), 0, UINT32_MAX },
	{ "serve", "listen", CT_STR, offsetof(struct conf, listen), 0, 0 },
	{ "serve", "workers", CT_U64,
	    offsetof(struct conf, workers), 1, 512 },
	{ "metrics", "enabled", CT_BOOL,
	    offsetof(struct conf, metrics_enabled), 0, 0 },
	{ "metrics", "username", CT_CREDENTIAL,
	    offsetof(struct conf, metrics_username), 0, 0 },
	{ "metrics", "password", CT_CREDENTIAL,
	    offsetof(struct conf, metrics_password), 0, 0 },
	{ "metrics", "file", CT_STR,
	    offsetof(struct conf, metrics_file), 0, 0 },
};

struct conf_parse {
	struct conf	*conf;
	const char	*name;
	const char	*text;		/* what is left to read, as written */
	struct buf	 raw;		/* the current line, as written */
	struct buf	 sub;		/* ...with its placeholders replaced */
	int		 line;
	int		 failed;
	struct buf	*errs;		/* NULL: errors go to stderr */
};

void
conf_init(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	c->public_url = xstrdup("http://127.0.0.1:5000");
	c->service = xstrdup("specreg");
	c->token_lifetime = 300;
	c->x_accel_prefix = xstrdup("/_specreg_blobs");
	c->driver = xstrdup("filesystem");
	c->upload_expiration = 3600;
	c->prune_grace = 3600;
	c->workers = 4;
	c->upstream_timeout = 30;
	c->metrics_enabled = 1;
	c->upstream_tag_ttl = 300;
	c->upstream_stale_limit = 7 * 24 * 3600;
	c->upstream_cache_expiration = 30 * 24 * 3600;
}

void
conf_release(struct conf *c)
{
	size_t	i;

	free(c->path);
	free(c->public_url);
	free(c->secret);
	free(c->service);
	free(c->x_accel_prefix);
	free(c->driver);
	for (i = 0; i < c->nstorage; i++) {
		free(c->storage[i].key);
		free(c->storage[i].value);
		free(c->storage[i].raw);
	}
	free(c->storage);
	free(c->listen);
	free(c->metrics_username);
	free(c->metrics_password);
	free(c->metrics_file);
	for (i = 0; i < c->nusers; i++) {
		free(c->users[i].name);
		free(c->users[i].password);
	}
	free(c->users);
	free(c->login_dummy);
	for (i = 0; i < c->nupstreams; i++) {
		free(c->upstreams[i].host);
		free(c->upstreams[i].url);
		free(c->upstreams[i].username);
		free(c->upstreams[i].password);
	}
	free(c->upstreams);
	memset(c, 0, sizeof(*c));
}

static void
conf_error(struct conf_parse *cp, const char *fmt, ...)
    __attribute__((__format__(__printf__, 2, 3)));

static void
conf_error(struct conf_parse *cp, const char *fmt, ...)
{
	char	msg[512];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cp->failed++;
	if (cp->errs != NULL && cp->failed > 1)
		return;
	if (cp->errs != NULL && cp->line > 0)
		buf_addf(cp->errs, "%s:%d: %s", cp->name, cp->line, msg);
	else if (cp->errs != NULL)
		buf_addf(cp->errs, "%s: %s", cp->name, msg);
	else if (cp->line > 0)
		fprintf(stderr, "%s:%d: %s\n", cp->name, cp->line, msg);
	else
		fprintf(stderr, "%s: %s\n", cp->name, msg);
}

/*
 * If "p" starts a placeholder that is looked up, %(ZUUL_*) or
 * %(SPECREG_*), its name goes to "name" and its length is returned;
 * otherwise 0.
 */
static size_t
conf_var(const char *p, char name[CONF_VAR_MAX])
{
	const char	*end;
	size_t		 len;

	if (strncmp(p, "%(", 2) != 0 || (end = strchr(p + 2, ')')) == NULL)
		return (0);
	len = (size_t)(end - (p + 2));
	if (len >= CONF_VAR_MAX || (strncmp(p + 2, "ZUUL_", 5) != 0 &&
	    strncmp(p + 2, "SPECREG_", 8) != 0))
		return (0);
	memcpy(name, p + 2, len);
	name[len] = '\0';
	return (len + 3);
}

/*
 * A credential (secret, password, upstream and metrics username and
 * password, a storage driver's secrets) is never a placeholder left as
 * written nor empty: either would be a value anyone can read in the
 * shipped file.  0, or -1 with the problem in "msg".  "raw" is the
 * line as written, to name the variable that emptied it.
 */
static int
credential_problem(const char *key, const char *value, const char *raw,
    char *msg, size_t size)
{
	const char	*p, *v;
	char		 name[CONF_VAR_MAX];

	if ((p = strstr(value, "%(")) != NULL) {
		if (conf_var(p, name) > 0 && getenv(name) == NULL)
			snprintf(msg, size, "%s is not set", name);
		else
			snprintf(msg, size, "%s holds an unexpanded \"%%(\"",
			    key);
		return (-1);
	}
	if (*value != '\0')
		return (0);
	for (p = raw; (p = strstr(p, "%(")) != NULL; p += 2) {
		if (conf_var(p, name) > 0 && (v = getenv(name)) != NULL &&
		    *v == '\0') {
			snprintf(msg, size, "%s is empty", name);
			return (-1);
		}
	}
	snprintf(msg, size, "%s is empty", key);
	return (-1);
}

/* 0, or -1 once reported. */
static int
conf_credential(struct conf_parse *cp, const char *key, const char *value)
{
	char	msg[512];

	if (credential_problem(key, value, cp->raw.buf, msg,
	    sizeof(msg)) == 0)
		return (0);
	conf_error(cp, "%s", msg);
	return (-1);
}

int
conf_pair_credential(const struct conf *c, const struct conf_pair *pr,
    struct buf *errs)
{
	char	msg[512];

	if (credential_problem(pr->key, pr->value, pr->raw, msg,
	    sizeof(msg)) == 0)
		return (0);
	buf_addf(errs, "%s:%d: %s\n", c->path != NULL ? c->path : "(config)",
	    pr->line, msg);
	return (-1);
}

/* [storage]: a key the driver table checks (storage/driver.c). */
static void
conf_storage_key(struct conf_parse *cp, const char *key, const char *value)
{
	struct conf		*c = cp->conf;
	struct conf_pair	*pr;
	size_t			 i;

	for (i = 0; i < c->nstorage; i++)
		if (strcmp(c->storage[i].key, key) == 0)
			break;
	if (i == c->nstorage) {
		c->storage = xreallocarray(c->storage, c->nstorage + 1,
		    sizeof(*c->storage));
		pr = &c->storage[c->nstorage++];
		pr->key = xstrdup(key);
	} else {
		pr = &c->storage[i];
		free(pr->value);
		free(pr->raw);
	}
	pr->value = xstrdup(value);
	pr->raw = xstrdup(cp->raw.buf);
	pr->line = cp->line;
}

const char *
conf_storage_get(const struct conf *c, const char *key)
{
	size_t	i;

	for (i = 0; i < c->nstorage; i++)
		if (strcmp(c->storage[i].key, key) == 0)
			return (c->storage[i].value);
	return (NULL);
}

/* [user "NAME"]: returns the user, adding it on first sight. */
static struct conf_user *
conf_user_section(struct conf_parse *cp, const char *section)
{
	struct conf	*c = cp->conf;
	const char	*q;
	size_t		 i, len;

	if (strncmp(section, "user \"", 6) != 0 ||
	    (q = strchr(section + 6, '"')) == NULL || q[1] != '\0' ||
	    q == section + 6)
		return (NULL);
	len = (size_t)(q - (section + 6));
	for (i = 0; i < c->nusers; i++)
		if (strlen(c->users[i].name) == len &&
		    memcmp(c->users[i].name, section + 6, len) == 0)
			return (&c->users[i]);
	c->users = xreallocarray(c->users, c->nusers + 1,
	    sizeof(*c->users));
	memset(&c->users[c->nusers], 0, sizeof(*c->users));
	c->users[c->nusers].name = xstrndup(section + 6, len);
	return (&c->users[c->nusers++]);
}

static void
conf_replace(char **sp, const char *value)
{
	free(*sp);
	*sp = xstrdup(value);
}

static void
conf_user_key(struct conf_parse *cp, struct conf_user *u, const char *key,
    const char *value)
{
	if (strcmp(key, "password") == 0) {
		if (conf_credential(cp, key, value) == 0)
			conf_replace(&u->password, value);
	} else if (strcmp(key, "access") == 0) {
		if (strcmp(value, "read") == 0)
			u->access = ACCESS_READ;
		else if (strcmp(value, "write") == 0)
			u->access = ACCESS_WRITE;
		else
			conf_error(cp, "access must be read or write, not "
			    "\"%s\"", value);
	} else
		conf_error(cp, "unknown key \"%s\" in user section", key);
}

/* A registry host name: lower-case letters, digits, '.', '-'. */
static int
upstream_host_valid(const char *h, size_t len)
{
	size_t	i;

	if (len == 0 || len > 253)
		return (0);
	for (i = 0; i < len; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyz0123456789.-", h[i]) ==
		    NULL)
			return (0);
	return (1);
}

/* The upstream of "host" (len bytes), added on first sight. */
static struct conf_upstream *
conf_upstream_get(struct conf *c, const char *host, size_t len)
{
	size_t	i;

	for (i = 0; i < c->nupstreams; i++)
		if (strlen(c->upstreams[i].host) == len &&
		    memcmp(c->upstreams[i].host, host, len) == 0)
			return (&c->upstreams[i]);
	c->upstreams = xreallocarray(c->upstreams, c->nupstreams + 1,
	    sizeof(*c->upstreams));
	memset(&c->upstreams[c->nupstreams], 0, sizeof(*c->upstreams));
	c->upstreams[c->nupstreams].host = xstrndup(host, len);
	return (&c->upstreams[c->nupstreams++]);
}

/* [upstream] numbers: 1 if "key" is one (value checked), else 0. */
static int
conf_upstream_number(struct conf_parse *cp, const char *key,
    const char *value)
{
	uint64_t	*v, lo = 0, hi = UINT32_MAX;

	if (strcmp(key, "timeout") == 0) {
		v = &cp->conf->upstream_timeout;
		lo = 1;
		hi = 3600;
	} else if (strcmp(key, "tag-ttl") == 0)
		v = &cp->conf->upstream_tag_ttl;
	else if (strcmp(key, "stale-limit") == 0)
		v = &cp->conf->upstream_stale_limit;
	else if (strcmp(key, "cache-expiration") == 0)
		v = &cp->conf->upstream_cache_expiration;
	else
		return (0);
	if (parse_u64(value, lo, hi, v) == -1)
		conf_error(cp, "%s must be a number from %llu to %llu", key,
		    (unsigned long long)lo, (unsigned long long)hi);
	return (1);
}

/* [upstream]: the numbers above, "HOST = URL", "HOST.username|password". */
static void
conf_upstream_key(struct conf_parse *cp, const char *key, const char *value)
{
	struct conf_upstream	*u;
	const char		*dot;
	size_t			 len;

	if (conf_upstream_number(cp, key, value))
		return;
	dot = strrchr(key, '.');
	if (dot != NULL && (strcmp(dot, ".username") == 0 ||
	    strcmp(dot, ".password") == 0))
		len = (size_t)(dot - key);
	else {
		dot = NULL;
		len = strlen(key);
	}
	if (!upstream_host_valid(key, len)) {
		conf_error(cp, "bad upstream host name \"%s\"", key);
		return;
	}
	u = conf_upstream_get(cp->conf, key, len);
	if (dot == NULL) {
		len = strlen(value);
		while (len > 0 && value[len - 1] == '/')
			len--;
		free(u->url);
		u->url = xstrndup(value, len);
	} else if (conf_credential(cp, key, value) == -1)
		return;
	else if (strcmp(dot, ".username") == 0)
		conf_replace(&u->username, value);
	else
		conf_replace(&u->password, value);
}

static void
conf_set(struct conf_parse *cp, const struct conf_key *k, const char *value)
{
	char		**sp;
	uint64_t	 *up, v;

	switch (k->type) {
	case CT_CREDENTIAL:
		if (conf_credential(cp, k->key, value) == -1)
			break;
		/* FALLTHROUGH */
	case CT_STR:
		sp = (char **)((char *)cp->conf + k->off);
		free(*sp);
		*sp = xstrdup(value);
		break;
	case CT_U64:
		up = (uint64_t *)((char *)cp->conf + k->off);
		if (parse_u64(value, k->min, k->max, &v) == -1) {
			conf_error(cp, "%s must be a number from %llu to %llu",
			    k->key, (unsigned long long)k->min,
			    (unsigned long long)k->max);
			break;
		}
		*up = v;
		break;
	case CT_BOOL:
		if (strcmp(value, "yes") == 0 || strcmp(value, "no") == 0)
			*(int *)((char *)cp->conf + k->off) =
			    strcmp(value, "yes") == 0;
		else
			conf_error(cp, "%s must be yes or no", k->key);
		break;
	case CT_SENDFILE:
		if (strcmp(value, "off") == 0)
			cp->conf->sendfile = SENDFILE_OFF;
		else if (strcmp(value, "x-sendfile") == 0)
			cp->conf->sendfile = SENDFILE_X_SENDFILE;
		else if (strcmp(value, "x-accel-redirect") == 0)
			cp->conf->sendfile = SENDFILE_X_ACCEL;
		else
			conf_error(cp, "sendfile must be off, x-sendfile or "
			    "x-accel-redirect");
		break;
	case CT_LOG_FORMAT:
		if (strcmp(value, "text") == 0)
			cp->conf->log_format = LOG_FORMAT_TEXT;
		else if (strcmp(value, "json") == 0)
			cp->conf->log_format = LOG_FORMAT_JSON;
		else
			conf_error(cp, "log-format must be text or json");
		break;
	}
}

static int
conf_handler(void *arg, const char *section, const char *key,
    const char *value)
{
	struct conf_parse	*cp = arg;
	struct conf_user	*u;
	size_t			 i;

	if ((u = conf_user_section(cp, section)) != NULL) {
		conf_user_key(cp, u, key, value);
		return (1);
	}
	if (strcmp(section, "upstream") == 0) {
		conf_upstream_key(cp, key, value);
		return (1);
	}
	for (i = 0; i < nitems(conf_keys); i++) {
		if (strcmp(conf_keys[i].section, section) == 0 &&
		    strcmp(conf_keys[i].key, key) == 0) {
			conf_set(cp, &conf_keys[i], value);
			return (1);
		}
	}
	if (strcmp(section, "storage") == 0)
		conf_storage_key(cp, key, value);
	else
		conf_error(cp, "unknown key \"%s\" in section [%s]", key,
		    section);
	return (1);
}

/*
 * inih's line reader: counts lines so errors can name them, and
 * replaces placeholders one line at a time, so that a credential's
 * check can see the line as written.
 */
static char *
conf_reader(char *str, int num, void *arg)
{
	struct conf_parse	*cp = arg;
	const char		*nl;
	size_t			 len;

	if (*cp->text == '\0' || num < 2)
		return (NULL);
	nl = strchr(cp->text, '\n');
	len = nl != NULL ? (size_t)(nl - cp->text) + 1 : strlen(cp->text);
	buf_reset(&cp->raw);
	buf_add(&cp->raw, cp->text, len);
	cp->text += len;
	cp->line++;
	buf_reset(&cp->sub);
	conf_substitute(cp->raw.buf, &cp->sub);
	if (cp->sub.len > (size_t)num - 1) {
		/* inih would silently split it: refuse instead. */
		conf_error(cp, "line longer than %d bytes", num - 2);
		return (NULL);
	}
	memcpy(str, cp->sub.buf, cp->sub.len + 1);
	return (str);
}

static int
url_valid(const char *u)
{
	return ((strncmp(u, "http://", 7) == 0 && u[7] != '\0') ||
	    (strncmp(u, "https://", 8) == 0 && u[8] != '\0'));
}

/* [metrics]: credentials come in pairs and fail closed. */
static void
conf_validate_metrics(struct conf_parse *cp)
{
	const struct conf	*c = cp->conf;

	/* Empty or unexpanded values were refused as read (CT_CREDENTIAL). */
	if ((c->metrics_username == NULL) != (c->metrics_password == NULL))
		conf_error(cp, "[metrics] needs both a username and a "
		    "password, or neither");
	if (c->metrics_file != NULL && c->metrics_file[0] != '/')
		conf_error(cp, "[metrics] file must be an absolute path");
}

static void
conf_validate(struct conf_parse *cp)
{
	struct conf	*c = cp->conf;
	size_t		 i;

	cp->line = 0;
	if (!url_valid(c->public_url))
		conf_error(cp, "public-url must start with http:// or https://");
	if (c->x_accel_prefix[0] != '/')
		conf_error(cp, "x-accel-prefix must start with /");
	for (i = 0; i < c->nusers; i++) {
		if (c->users[i].password == NULL)
			conf_error(cp, "user \"%s\" has no password",
			    c->users[i].name);
		if (c->users[i].access == ACCESS_NONE)
			conf_error(cp, "user \"%s\" has no access",
			    c->users[i].name);
		if (c->users[i].access == ACCESS_READ)
			c->restricted = 1;
	}
	for (i = 0; i < c->nupstreams; i++) {
		if (c->upstreams[i].url == NULL ||
		    !url_valid(c->upstreams[i].url))
			conf_error(cp, "upstream \"%s\" needs an http:// or "
			    "https:// URL", c->upstreams[i].host);
		if ((c->upstreams[i].username == NULL) !=
		    (c->upstreams[i].password == NULL))
			conf_error(cp, "upstream \"%s\" needs both a "
			    "username and a password", c->upstreams[i].host);
	}
	conf_validate_metrics(cp);
	if (c->nusers > 0 && (c->secret == NULL || strlen(c->secret) < 16))
		conf_error(cp, "users need a [registry] secret of at least "
		    "16 characters to sign tokens");
}

void
conf_substitute(const char *in, struct buf *out)
{
	const char	*p, *val;
	char		 name[CONF_VAR_MAX];
	size_t		 len;

	while ((p = strstr(in, "%(")) != NULL) {
		buf_add(out, in, (size_t)(p - in));
		if ((len = conf_var(p, name)) > 0 &&
		    (val = getenv(name)) != NULL) {
			buf_addstr(out, val);
			in = p + len;
		} else {
			buf_add(out, p, 2);
			in = p + 2;
		}
	}
	buf_addstr(out, in);
}

/*
 * Parse "text"; errors go to "errs" (the first, then how many more)
 * or, if it is NULL, to stderr one a line.
 */
static int
conf_parse_text(struct conf *c, const char *name, const char *text,
    struct buf *errs)
{
	struct conf_parse	 cp;
	int			 rc;

	memset(&cp, 0, sizeof(cp));
	cp.conf = c;
	cp.name = name;
	cp.text = text;
	cp.errs = errs;
	buf_init(&cp.raw);
	buf_init(&cp.sub);
	rc = ini_parse_stream(conf_reader, &cp, conf_handler, &cp);
	if (rc > 0) {
		cp.line = rc;
		conf_error(&cp, "syntax error");
	} else if (rc < 0) {
		conf_error(&cp, "cannot parse");
	}
	if (!cp.failed)
		conf_validate(&cp);
	if (errs != NULL && cp.failed > 1)
		buf_addf(errs, " (and %d more)", cp.failed - 1);
	buf_release(&cp.raw);
	buf_release(&cp.sub);
	return (cp.failed ? -1 : 0);
}

int
conf_load_string(struct conf *c, const char *name, const char *text)
{
	return (conf_parse_text(c, name, text, NULL));
}

static int
conf_read_file(struct conf *c, const char *path, struct buf *errs)
{
	struct buf	 text = BUF_INIT, msg = BUF_INIT;
	char		 chunk[4096];
	FILE		*f;
	size_t		 n;
	int		 rc;

	if ((f = fopen(path, "r")) == NULL)
		buf_addf(&msg, "%s: %s", path, strerror(errno));
	else {
		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			buf_add(&text, chunk, n);
		fclose(f);
		if (memchr(text.buf, '\0', text.len) != NULL)
			buf_addf(&msg, "%s: contains a NUL byte", path);
	}
	if (msg.len > 0) {
		if (errs != NULL)
			buf_addstr(errs, msg.buf);
		else
			fprintf(stderr, "%s\n", msg.buf);
		rc = -1;
	} else {
		free(c->path);
		c->path = xstrdup(path);
		rc = conf_parse_text(c, path, text.buf, errs);
	}
	buf_release(&msg);
	buf_release(&text);
	return (rc);
}

int
conf_load(struct conf *c, const char *path)
{
	return (conf_read_file(c, path, NULL));
}

int
conf_load_quiet(struct conf *c, const char *path, struct buf *errs)
{
	return (conf_read_file(c, path, errs));
}

const char *
conf_default_path(const char *argv0)
{
	static char	 path[PATH_MAX];
	const char	*env, *slash;
	ssize_t		 n;

	if ((env = getenv("SPECREG_CONFIG")) != NULL && *env != '\0')
		return (env);
	n = readlink("/proc/self/exe", path, sizeof(path) - 1);
	if (n <= 0 && argv0 != NULL && strchr(argv0, '/') != NULL) {
		snprintf(path, sizeof(path), "%s", argv0);
		n = (ssize_t)strlen(path);
	}
	if (n > 0) {
		path[n] = '\0';
		if ((slash = strrchr(path, '/')) != NULL &&
		    (size_t)(slash - path) + sizeof("/specreg.ini") <=
		    sizeof(path)) {
			memcpy(path + (slash - path), "/specreg.ini",
			    sizeof("/specreg.ini"));
			if (access(path, R_OK) == 0)
				return (path);
		}
	}
	return (CONF_DEFAULT_PATH);
}

const struct conf_user *
conf_user_find(const struct conf *c, const char *name)
{
	size_t	i;

	for (i = 0; i < c->nusers; i++)
		if (strcmp(c->users[i].name, name) == 0)
			return (&c->users[i]);
	return (NULL);
}

const struct conf_upstream *
conf_upstream_find(const struct conf *c, const char *host)
{
	size_t	i;

	for (i = 0; i < c->nupstreams; i++)
		if (strcmp(c->upstreams[i].host, host) == 0)
			return (&c->upstreams[i]);
	return (NULL);
}
