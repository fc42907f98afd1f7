/*
 * fcgi/h_token.c: GET (or POST) /auth/token, the Docker token endpoint.
 *
 * The client asks for scopes ("scope" may repeat and each value holds
 * space-separated scopes) and may send Basic credentials; a POST form
 * may carry them as grant_type=password with username and password
 * instead.  A GET's parameters are its query string; a POST's are its
 * form body only, never its query (RFC 6749, 3.2), so that passwords
 * stay out of URLs and logs.  The answer is a JWT listing, per
 * repository, the actions auth_grant() allows:
 *
 *   {"token": T, "access_token": T, "expires_in": N, "issued_at": ...}
 *
 * Credentials that are sent and wrong are a 401 unless only pulls are
 * asked for and pulls are anonymous (docker sends its Docker Hub
 * credentials to mirrors).  push or delete without credentials is a
 * 401; with the credentials of a user lacking the right the token
 * simply omits the action, like distribution.  A request without any
 * scope is a login check and needs valid credentials.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>

#include "common/jwt.h"
#include "common/log.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "fcgi/auth.h"
#include "fcgi/handlers.h"
#include "fcgi/response.h"

#define TOKEN_MAX_SCOPES	32		/* more are ignored */
#define TOKEN_MAX_FORM		65536

struct token_req {
	struct auth_scope	 scopes[TOKEN_MAX_SCOPES];
	size_t			 nscopes;
	int			 scoped;	/* a scope parameter was sent */
};

/* Add one scope, merging the actions of a repeated one. */
static void
token_add_scope(struct token_req *tr, const struct auth_scope *sc)
{
	size_t	i;

	for (i = 0; i < tr->nscopes; i++)
		if (tr->scopes[i].type == sc->type &&
		    strcmp(tr->scopes[i].name, sc->name) == 0) {
			tr->scopes[i].actions |= sc->actions;
			return;
		}
	if (tr->nscopes < TOKEN_MAX_SCOPES)
		tr->scopes[tr->nscopes++] = *sc;
}

/* query_each() callback: one "scope" value, space-separated scopes. */
static int
token_scope_cb(const char *value, void *arg)
{
	struct token_req	*tr = arg;
	struct auth_scope	 sc;
	const char		*p = value;
	char			 one[NAME_MAX_LEN + 64];
	size_t			 len;

	tr->scoped = 1;
	while (*(p += strspn(p, " ")) != '\0') {
		len = strcspn(p, " ");
		/* Malformed or oversized scopes are ignored. */
		if (len < sizeof(one)) {
			memcpy(one, p, len);
			one[len] = '\0';
			if (auth_scope_parse(one, &sc) == 0)
				token_add_scope(tr, &sc);
		}
		p += len;
	}
	return (0);
}

/* The query string of a GET; the form body, and only it, of a POST. */
static enum reg_err
token_params(struct request *req, struct buf *params)
{
	struct buf	body = BUF_INIT;
	enum reg_err	err = REG_OK;

	if (req->method != M_POST) {
		buf_addstr(params, req->query);
		return (REG_OK);
	}
	if (req->content_type == NULL || strncasecmp(req->content_type,
	    "application/x-www-form-urlencoded", 33) != 0)
		return (REG_OK);
	if ((err = req_read_all(req, TOKEN_MAX_FORM, &body)) == REG_OK &&
	    memchr(body.buf, '\0', body.len) == NULL)
		buf_add(params, body.buf, body.len);
	explicit_bzero(body.buf, body.len);
	buf_release(&body);
	return (err);
}

/* Basic credentials, or an OAuth2 password grant in a POST form. */
static enum auth_creds
token_creds(struct request *req, const char *params,
    const struct conf_user **user)
{
	struct buf	grant = BUF_INIT, name = BUF_INIT, pass = BUF_INIT;
	enum auth_creds	creds;

	creds = auth_basic(req->conf, req->authorization, user);
	if (creds != AUTH_CREDS_NONE || req->method != M_POST)
		return (creds);
	if (query_get(params, "grant_type", &grant) == 1 &&
	    strcmp(grant.buf, "password") == 0 &&
	    query_get(params, "username", &name) == 1 &&
	    query_get(params, "password", &pass) == 1) {
		*user = auth_login(req->conf, name.buf, pass.buf);
		creds = *user != NULL ? AUTH_CREDS_OK : AUTH_CREDS_BAD;
	}
	explicit_bzero(pass.buf, pass.len);
	buf_release(&grant);
	buf_release(&name);
	buf_release(&pass);
	return (creds);
}

/* Must the client authenticate before it gets a token? */
static int
token_needs_login(const struct request *req, const struct token_req *tr,
    enum auth_creds creds)
{
	size_t	i;

	if (req->conf->nusers == 0 || creds == AUTH_CREDS_OK)
		return (0);
	if (!tr->scoped || req->conf->restricted)
		return (1);
	for (i = 0; i < tr->nscopes; i++)
		if (tr->scopes[i].actions & (AUTH_PUSH | AUTH_DELETE))
			return (1);
	return (0);
}

static struct json_object *
token_actions(unsigned actions)
{
	static const struct {
		unsigned	 bit;
		const char	*name;
	} names[] = {
		{ AUTH_PULL, "pull" }, { AUTH_PUSH, "push" },
		{ AUTH_DELETE, "delete" }, { AUTH_CATALOG, "*" },
	};
	struct json_object	*a = json_object_new_array();
	size_t			 i;

	for (i = 0; i < nitems(names); i++)
		if (actions & names[i].bit)
			json_object_array_add(a,
			    json_object_new_string(names[i].name));
	return (a);
}

/* The distribution "access" claim: what "user" may do of what was asked. */
static struct json_object *
token_access(const struct request *req, const struct token_req *tr,
    const struct conf_user *user)
{
	struct json_object	*access = json_object_new_array(), *e;
	unsigned		 granted;
	size_t			 i;

	for (i = 0; i < tr->nscopes; i++) {
		if ((granted = auth_grant(req->conf, user,
		    &tr->scopes[i])) == 0)
			continue;
		e = json_object_new_object();
		json_object_object_add(e, "type", json_object_new_string(
		    tr->scopes[i].type == AUTH_SCOPE_REPOSITORY ?
		    "repository" : "registry"));
		json_object_object_add(e, "name",
		    json_object_new_string(tr->scopes[i].name));
		json_object_object_add(e, "actions", token_actions(granted));
		json_object_array_add(access, e);
	}
	return (access);
}

/*
 * The signing key.  Without users nothing checks tokens, and a secret
 * is not required: sign with a per-process random key then.
 */
static const char *
token_key(const struct conf *conf)
{
	static char	key[65];
	unsigned char	raw[32];

	if (conf->secret != NULL)
		return (conf->secret);
	if (key[0] == '\0') {
		random_bytes(raw, sizeof(raw));
		hex_encode(key, raw, sizeof(raw));
	}
	return (key);
}

static void
token_sign(const struct request *req, struct json_object *access,
    const struct conf_user *user, time_t now, struct buf *out)
{
	const struct conf	*conf = req->conf;
	struct json_object	*claims = json_object_new_object();
	char			 jti[UUID_LEN + 1];

	uuid_generate(jti);
	json_object_object_add(claims, "iss",
	    json_object_new_string(conf->service));
	json_object_object_add(claims, "sub",
	    json_object_new_string(user != NULL ? user->name : ""));
	json_object_object_add(claims, "aud",
	    json_object_new_string(conf->service));
	json_object_object_add(claims, "iat", json_object_new_int64(now));
	json_object_object_add(claims, "nbf", json_object_new_int64(now));
	json_object_object_add(claims, "exp", json_object_new_int64(now +
	    (int64_t)conf->token_lifetime));
	json_object_object_add(claims, "jti", json_object_new_string(jti));
	json_object_object_add(claims, "access", access);
	jwt_sign(token_key(conf), claims, out);
	json_object_put(claims);
}

static enum reg_err
token_answer(struct request *req, const struct token_req *tr,
    const struct conf_user *user)
{
	struct json_object	*res;
	struct buf		 tok = BUF_INIT;
	struct tm		 tm;
	char			 issued[32];
	time_t			 now = time(NULL);

	token_sign(req, token_access(req, tr, user), user, now, &tok);
	gmtime_r(&now, &tm);
	strftime(issued, sizeof(issued), "%Y-%m-%dT%H:%M:%SZ", &tm);
	res = json_object_new_object();
	json_object_object_add(res, "token", json_object_new_string(tok.buf));
	json_object_object_add(res, "access_token",
	    json_object_new_string(tok.buf));
	json_object_object_add(res, "expires_in",
	    json_object_new_int64((int64_t)req->conf->token_lifetime));
	json_object_object_add(res, "issued_at",
	    json_object_new_string(issued));
	buf_release(&tok);
	resp_header(req, "Cache-Control", "no-store");
	return (resp_json(req, res));
}

enum reg_err
h_token(struct request *req)
{
	struct token_req	*tr;
	struct buf		 params = BUF_INIT;
	const struct conf_user	*user = NULL;
	enum auth_creds		 creds;
	enum reg_err		 err;

	tr = xcalloc(1, sizeof(*tr));
	if ((err = token_params(req, &params)) != REG_OK)
		goto out;
	if (query_each(params.buf, "scope", token_scope_cb, tr) == -1) {
		err = req_fail(req, REG_E_BAD_REQUEST, "badly encoded scope");
		goto out;
	}
	creds = token_creds(req, params.buf, &user);
	if (user != NULL)
		req->user = xstrdup(user->name);
	if (token_needs_login(req, tr, creds)) {
		buf_reset(&req->challenge);
		buf_addf(&req->challenge, "Basic realm=\"%s\"",
		    req->conf->service);
		err = req_fail(req, REG_E_UNAUTHORIZED, "%s",
		    creds == AUTH_CREDS_BAD ? "bad credentials" :
		    "credentials required");
		goto out;
	}
	err = token_answer(req, tr, creds == AUTH_CREDS_OK ? user : NULL);
out:
	explicit_bzero(params.buf, params.len);
	buf_release(&params);
	free(tr);
	return (err);
}
