/*
 * fcgi/auth.h: who may do what.
 *
 * With no users configured the registry is open.  Otherwise a request
 * to /v2 carries a Bearer token from /auth/token (HS256 JWT signed with
 * the configured secret, with an expiry and per-repository actions) or
 * Basic credentials.  Pulls are granted to anyone unless a read user is
 * configured (restricted mode).  auth_check() returns REG_OK, or
 * REG_E_UNAUTHORIZED / REG_E_DENIED with req->challenge set to the
 * WWW-Authenticate value for request_run() to send.
 */
#ifndef SPECREG_FCGI_AUTH_H
#define SPECREG_FCGI_AUTH_H

#include "common/conf.h"
#include "common/errors.h"
#include "fcgi/request.h"

/* "name" NULL: the request is not about one repository (/v2/, catalog). */
enum reg_err	auth_check(struct request *, const char *name,
		    enum conf_access);
/* Check a password against a configured one (plain or crypt(3) hash). */
int		auth_password_ok(const char *configured, const char *given);

#endif
