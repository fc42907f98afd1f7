/*
 * common/conf.h: the INI configuration, parsed and validated once.
 *
 * conf_load() reads the file, substitutes %(ZUUL_*) and %(SPECREG_*)
 * placeholders from the environment (unknown ones stay literal), parses
 * it with inih against a key table and validates every value.  A
 * credential (secret, password, an upstream's username and password)
 * still holding "%(" or empty is an error naming the variable.  Errors
 * are reported as "file:line: message" and make conf_load() return -1.
 * After a successful load the struct is treated as const: every worker
 * shares it read-only.  Only conf.c uses inih.
 */
#ifndef SPECREG_COMMON_CONF_H
#define SPECREG_COMMON_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define CONF_DEFAULT_PATH	"/etc/specreg/specreg.ini"

enum conf_access {
	ACCESS_NONE = 0,
	ACCESS_READ = 1,
	ACCESS_WRITE = 2
};

enum conf_log_format {
	LOG_FORMAT_TEXT = 0,		/* one line of words per request */
	LOG_FORMAT_JSON			/* one JSON object per request */
};

enum conf_sendfile {
	SENDFILE_OFF = 0,
	SENDFILE_X_SENDFILE,		/* lighttpd, Apache mod_xsendfile */
	SENDFILE_X_ACCEL		/* nginx X-Accel-Redirect */
};

struct conf_user {
	char			*name;
	char			*password;	/* plain or crypt(3) hash */
	enum conf_access	 access;
};

/*
 * [storage]: a key of the driver (storage/driver.c's table checks them
 * against the driver's keys), in file order.
 */
struct conf_pair {
	char			*key;
	char			*value;		/* placeholders replaced */
	char			*raw;		/* the line as written */
	int			 line;
};

/* [upstream]: "HOST = URL", "HOST.username", "HOST.password". */
struct conf_upstream {
	char			*host;		/* "docker.io", "quay.io" */
	char			*url;		/* base URL, no trailing '/' */
	char			*username;	/* NULL: anonymous */
	char			*password;
};

struct conf {
	char			*path;
	int			 debug;

	/* [registry] */
	char			*public_url;
	char			*secret;
	char			*service;
	uint64_t		 token_lifetime;
	enum conf_sendfile	 sendfile;
	char			*x_accel_prefix;
	int			 redirect;	/* blob GETs: 307 to the store */
	int			 read_only;	/* refuse every write */
	enum conf_log_format	 log_format;

	/* [storage] */
	char			*driver;
	struct conf_pair	*storage;	/* the driver's keys */
	size_t			 nstorage;
	uint64_t		 expiration;
	uint64_t		 upload_expiration;
	uint64_t		 prune_grace;
	uint64_t		 prune_interval;

	/* [serve] */
	char			*listen;
	uint64_t		 workers;

	/* [metrics] */
	int			 metrics_enabled;	/* 0: no counting, no /metrics */
	char			*metrics_username;	/* NULL: no credentials */
	char			*metrics_password;
	char			*metrics_file;	/* NULL: the default place */

	/* [user "NAME"], in file order */
	struct conf_user	*users;
	size_t			 nusers;
	int			 restricted;	/* a read user exists */
	/*
	 * What an unknown user's password is checked against, so that it
	 * costs what the slowest configured hash does (a copy of that
	 * hash): set by auth_init() (fcgi/auth.c) before the workers start.
	 */
	char			*login_dummy;

	/* [upstream], in file order; none: no pull-through. */
	struct conf_upstream	*upstreams;
	size_t			 nupstreams;
	uint64_t		 upstream_timeout;	/* seconds */
	/*
	 * Seconds a pulled tag is fresh, served stale (0: for ever), and
	 * cached content goes unpulled before prune removes it (0: never).
	 */
	uint64_t		 upstream_tag_ttl;
	uint64_t		 upstream_stale_limit;
	uint64_t		 upstream_cache_expiration;
};

void	conf_init(struct conf *);
void	conf_release(struct conf *);
/* Find the file to read when no -c was given; returns a static path. */
const char *conf_default_path(const char *argv0);
int	conf_load(struct conf *, const char *path);
/*
 * conf_load() for a running server (SIGHUP): nothing goes to stderr;
 * on -1, "errs" gets one line, the first "file:line: message" and how
 * many more there were.
 */
int	conf_load_quiet(struct conf *, const char *path, struct buf *errs);
int	conf_load_string(struct conf *, const char *name, const char *text);
/* Replace %(ZUUL_*) and %(SPECREG_*) placeholders from the environment. */
void	conf_substitute(const char *, struct buf *);
const struct conf_user *conf_user_find(const struct conf *, const char *);
/* The value of [storage] key "key", NULL if it is not set. */
const char *conf_storage_get(const struct conf *, const char *key);
/*
 * conf_load()'s check of a credential for a [storage] pair: 0, or -1
 * with "file:line: message" appended to "errs".
 */
int	conf_pair_credential(const struct conf *, const struct conf_pair *,
	    struct buf *errs);
const struct conf_upstream *conf_upstream_find(const struct conf *,
	    const char *host);

#endif
