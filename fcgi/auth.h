/*
 * fcgi/auth.h: who may do what.
 *
 * With no users configured the registry is open.  Otherwise a request
 * to /v2 carries a Bearer token from /auth/token (HS256 JWT signed with
 * the configured secret, with an expiry and per-repository actions) or
 * Basic credentials.  Pulls are granted to anyone unless a read user is
 * configured (restricted mode).  A request of an operator command run
 * on the host (req->operator: specreg prefetch) needs no credentials.
 * auth_check() returns REG_OK, or
 * REG_E_UNAUTHORIZED / REG_E_DENIED with req->challenge set to the
 * WWW-Authenticate value for exchange_run() to send.  route_run()
 * calls them.
 */
#ifndef SPECREG_FCGI_AUTH_H
#define SPECREG_FCGI_AUTH_H

#include "common/conf.h"
#include "common/errors.h"
#include "fcgi/request.h"

/* "name" NULL: the request is not about one repository (/v2/, catalog). */
enum reg_err	auth_check(struct request *, const char *name,
		    enum conf_access);
/*
 * GET /metrics: REG_OK without [metrics] credentials or with them as
 * Basic credentials, else REG_E_UNAUTHORIZED with req->challenge set.
 */
enum reg_err	auth_scrape(struct request *);
/*
 * For the web UI, whose browsers send Basic credentials only: may the
 * request's user do "need" on repository "name" (NULL: list the
 * registry)?  1 or 0, without answering anything.  Valid credentials
 * set req->user (checked once per request); bad ones count as
 * anonymous, as on /v2.
 */
int		auth_allows(struct request *, const char *name,
		    enum conf_access need);
/*
 * Before the workers start: pick what an unknown user's password is
 * checked against (conf->login_dummy, a copy of the slowest configured
 * hash), so that auth_login() costs the same for a name that does not
 * exist as for a wrong password of that user.
 */
void		auth_init(struct conf *);
/* Check a password against a configured one (plain or crypt(3) hash). */
int		auth_password_ok(const char *configured, const char *given);
/* The configured user with this name and password, or NULL. */
const struct conf_user *auth_login(const struct conf *, const char *name,
		    const char *password);

/*
 * Basic credentials in an Authorization header value.  AUTH_CREDS_NONE:
 * no header or another scheme; AUTH_CREDS_BAD: malformed, unknown user
 * or wrong password; AUTH_CREDS_OK: "*user" is set.
 */
enum auth_creds {
	AUTH_CREDS_NONE = 0,
	AUTH_CREDS_BAD,
	AUTH_CREDS_OK
};
enum auth_creds	auth_basic(const struct conf *, const char *authorization,
		    const struct conf_user **user);

/* Token scopes: "repository:NAME:pull,push" or "registry:catalog:*". */
#define AUTH_PULL	0x01
#define AUTH_PUSH	0x02
#define AUTH_DELETE	0x04
#define AUTH_CATALOG	0x08	/* "*" on registry:catalog */

enum auth_scope_type {
	AUTH_SCOPE_REPOSITORY = 0,
	AUTH_SCOPE_REGISTRY
};

struct auth_scope {
	enum auth_scope_type	 type;
	char			 name[NAME_MAX_LEN + 1];
	unsigned		 actions;
};

/* 0 and "*out" for a scope we understand, -1 for anything else. */
int		auth_scope_parse(const char *, struct auth_scope *out);
/* The actions of "asked" that "user" (NULL: anonymous) may have. */
unsigned	auth_grant(const struct conf *, const struct conf_user *user,
		    const struct auth_scope *asked);

#endif
