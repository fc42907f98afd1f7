/*
 * fcgi/auth.c: passwords, credentials, scopes and the /v2 access check.
 *
 * The policy, in one place:
 *
 *   - No users configured: everything is allowed.
 *   - pull (and GET /v2/_catalog): anyone, whatever credentials they
 *     send, because docker sends its Docker Hub credentials to mirrors;
 *     in restricted mode (a read user exists) only read and write users.
 *   - push and delete: write users only.
 *   - GET /v2/ answers 401 to a client without valid credentials, so
 *     that "docker login" really checks them and clients learn the
 *     token realm.
 *
 * A request needs an action on its repository (a cross-repository
 * mount also pull on the source, like distribution) or the catalog.
 * auth_grant() says what a user may have; a Bearer token carries what
 * was granted at issue time (see h_token.c).  A token that fails
 * verification is a 401 invalid_token; a valid token without what is
 * needed a 401 insufficient_scope naming every scope needed, so that
 * the client fetches a wider token, unless the user may never have it:
 * then a 403.  Basic credentials are accepted on /v2 as well and carry
 * all a user may do.  Passwords and tokens are never logged.
 *
 * An unknown user name costs what a wrong password of the slowest
 * configured hash does (auth_init()), so that names cannot be told
 * apart by the time a login takes.
 */
#include "config.h"

#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/digest.h"
#include "common/jwt.h"
#include "common/log.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "fcgi/auth.h"

#define AUTH_HEADER_MAX	8192	/* longer Authorization values: ignored */

static const char *const auth_crypt_prefixes[] = {
	"$2y$", "$2b$", "$2a$", "$5$", "$6$"
};

static int
auth_is_crypt(const char *hash)
{
	size_t	i;

	for (i = 0; i < nitems(auth_crypt_prefixes); i++)
		if (strncmp(hash, auth_crypt_prefixes[i],
		    strlen(auth_crypt_prefixes[i])) == 0)
			return (1);
	return (0);
}

static int
auth_crypt_ok(const char *hash, const char *given)
{
	struct crypt_data	*cd;
	const char		*out;
	int			 ok;

	cd = xcalloc(1, sizeof(*cd));
	out = crypt_r(given, hash, cd);
	ok = out != NULL && out[0] != '*' &&
	    ct_equal(out, strlen(out), hash, strlen(hash));
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return (ok);
}

int
auth_password_ok(const char *configured, const char *given)
{
	struct digest	a, b;

	if (configured == NULL || given == NULL)
		return (0);
	if (auth_is_crypt(configured))
		return (auth_crypt_ok(configured, given));
	/* Compare digests, so that not even the length leaks. */
	digest_of(DIGEST_SHA256, configured, strlen(configured), &a);
	digest_of(DIGEST_SHA256, given, strlen(given), &b);
	return (ct_equal(a.str, strlen(a.str), b.str, strlen(b.str)));
}

/*
 * What checking a password against a crypt hash costs, in microseconds
 * of one core: bcrypt 50 us times 2^cost, SHA-crypt 0.2 us a round
 * (5000 by default), as measured on x86-64.  Enough to tell which
 * configured hash is the slowest, and the same answer on every run.
 */
static double
auth_hash_cost(const char *hash)
{
	unsigned long	n;

	if (hash[1] == '2') {
		n = strtoul(hash + 4, NULL, 10);
		return (n >= 4 && n <= 31 ? 50.0 * (double)(1UL << n) : 0);
	}
	n = 5000;
	if (strncmp(hash + 3, "rounds=", 7) == 0)
		n = strtoul(hash + 10, NULL, 10);
	if (n < 1000)
		n = 1000;
	return (0.2 * (double)n);
}

/*
 * An unknown user's password is checked against a copy of the slowest
 * configured hash (its result thrown away), so that it costs what that
 * user's wrong password does.  Without crypt hashes, against a random
 * plain one.
 */
void
auth_init(struct conf *conf)
{
	unsigned char	 raw[16];
	char		 pw[2 * sizeof(raw) + 1];
	const char	*h, *slowest = NULL;
	size_t		 i;

	for (i = 0; i < conf->nusers; i++) {
		h = conf->users[i].password;
		if (auth_is_crypt(h) && (slowest == NULL ||
		    auth_hash_cost(h) > auth_hash_cost(slowest)))
			slowest = h;
	}
	free(conf->login_dummy);
	if (slowest != NULL)
		conf->login_dummy = xstrdup(slowest);
	else {
		random_bytes(raw, sizeof(raw));
		hex_encode(pw, raw, sizeof(raw));
		conf->login_dummy = xstrdup(pw);
	}
}

const struct conf_user *
auth_login(const struct conf *conf, const char *name, const char *password)
{
	const struct conf_user	*u;

	if ((u = conf_user_find(conf, name)) == NULL) {
		/* Spend what the slowest known user would. */
		(void)auth_password_ok(conf->login_dummy, password);
		return (NULL);
	}
	return (auth_password_ok(u->password, password) ? u : NULL);
}

/* The credentials after "scheme" and blanks, or NULL for another one. */
static const char *
auth_scheme(const char *hdr, const char *scheme)
{
	size_t	len = strlen(scheme);

	if (hdr == NULL || strnlen(hdr, AUTH_HEADER_MAX + 1) > AUTH_HEADER_MAX)
		return (NULL);
	hdr += strspn(hdr, " \t");
	if (strncasecmp(hdr, scheme, len) != 0 ||
	    (hdr[len] != ' ' && hdr[len] != '\t'))
		return (NULL);
	return (hdr + len + strspn(hdr + len, " \t"));
}

/* A client-supplied user name that is safe to put in a log line. */
static int
auth_printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == '"')
			return (0);
	return (1);
}

enum auth_creds
auth_basic(const struct conf *conf, const char *hdr,
    const struct conf_user **user)
{
	struct buf	 raw = BUF_INIT;
	const char	*b64;
	char		*colon;
	enum auth_creds	 rc = AUTH_CREDS_BAD;

	*user = NULL;
	if ((b64 = auth_scheme(hdr, "Basic")) == NULL)
		return (AUTH_CREDS_NONE);
	if (base64_decode(b64, strcspn(b64, " \t"), &raw) == -1 ||
	    memchr(raw.buf, '\0', raw.len) != NULL ||
	    (colon = strchr(raw.buf, ':')) == NULL)
		goto out;
	/* Only the first ':' separates: passwords may contain more. */
	*colon = '\0';
	if ((*user = auth_login(conf, raw.buf, colon + 1)) != NULL)
		rc = AUTH_CREDS_OK;
	else
		log_debug("auth: bad credentials for \"%s\"",
		    auth_printable(raw.buf) ? raw.buf : "(unprintable)");
out:
	explicit_bzero(raw.buf, raw.len);
	buf_release(&raw);
	return (rc);
}

static unsigned
auth_actions_parse(const char *s, size_t len, enum auth_scope_type type)
{
	static const struct {
		const char	*name;
		unsigned	 repo, registry;
	} names[] = {
		{ "pull", AUTH_PULL, 0 },
		{ "push", AUTH_PUSH, 0 },
		{ "delete", AUTH_DELETE, 0 },
		{ "*", AUTH_PULL | AUTH_PUSH | AUTH_DELETE, AUTH_CATALOG },
	};
	const char	*end = s + len, *comma;
	unsigned	 actions = 0;
	size_t		 i, n;

	for (; s < end; s = comma + 1) {
		if ((comma = memchr(s, ',', (size_t)(end - s))) == NULL)
			comma = end;
		n = (size_t)(comma - s);
		/* Unknown actions are ignored, like distribution does. */
		for (i = 0; i < nitems(names); i++)
			if (strlen(names[i].name) == n &&
			    memcmp(s, names[i].name, n) == 0)
				actions |= type == AUTH_SCOPE_REPOSITORY ?
				    names[i].repo : names[i].registry;
	}
	return (actions);
}

int
auth_scope_parse(const char *s, struct auth_scope *out)
{
	const char	*c1, *c2;
	size_t		 nlen;

	/* The name may hold ':' (host:port), so actions follow the last. */
	if ((c1 = strchr(s, ':')) == NULL || (c2 = strrchr(s, ':')) == c1)
		return (-1);
	memset(out, 0, sizeof(*out));
	if ((size_t)(c1 - s) == 10 && memcmp(s, "repository", 10) == 0)
		out->type = AUTH_SCOPE_REPOSITORY;
	else if ((size_t)(c1 - s) == 8 && memcmp(s, "registry", 8) == 0)
		out->type = AUTH_SCOPE_REGISTRY;
	else
		return (-1);
	nlen = (size_t)(c2 - c1 - 1);
	if (out->type == AUTH_SCOPE_REPOSITORY ?
	    !name_valid(c1 + 1, nlen) :
	    (nlen != 7 || memcmp(c1 + 1, "catalog", 7) != 0))
		return (-1);
	memcpy(out->name, c1 + 1, nlen);
	out->name[nlen] = '\0';
	out->actions = auth_actions_parse(c2 + 1, strlen(c2 + 1), out->type);
	return (out->actions != 0 ? 0 : -1);
}

unsigned
auth_grant(const struct conf *conf, const struct conf_user *user,
    const struct auth_scope *asked)
{
	unsigned	granted = 0;

	if (conf->nusers == 0)
		return (asked->actions);
	if (user != NULL || !conf->restricted)
		granted |= AUTH_PULL | AUTH_CATALOG;
	if (user != NULL && user->access == ACCESS_WRITE)
		granted |= AUTH_PUSH | AUTH_DELETE;
	return (asked->actions & granted);
}

/* Append "s" as the inside of a quoted-string. */
static void
auth_quote(struct buf *b, const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if (s[i] == '"' || s[i] == '\\')
			buf_addch(b, '\\');
		buf_addch(b, s[i]);
	}
}

static int
auth_is_catalog(const struct request *req)
{
	return (req->path != NULL && strcmp(req->path, "/v2/_catalog") == 0);
}

/*
 * What a request needs: the action on its repository and, for a
 * cross-repository mount, pull on the source; or the catalog; or, for
 * /v2/ itself, nothing but valid credentials.
 */
struct auth_needs {
	struct auth_scope	 scopes[2];
	size_t			 n;
};

static void
auth_need(struct auth_needs *nd, enum auth_scope_type type, const char *name,
    unsigned actions)
{
	struct auth_scope	*sc = &nd->scopes[nd->n++];

	memset(sc, 0, sizeof(*sc));
	sc->type = type;
	snprintf(sc->name, sizeof(sc->name), "%s", name);
	sc->actions = actions;
}

/* "POST ...?mount=D&from=NAME": NAME in "from", or 0. */
static int
auth_mount_from(const struct request *req, struct buf *from)
{
	struct buf	mount = BUF_INIT;
	int		is;

	is = req->method == M_POST &&
	    query_get(req->query, "mount", &mount) == 1 &&
	    query_get(req->query, "from", from) == 1 &&
	    name_valid(from->buf, from->len);
	buf_release(&mount);
	return (is);
}

static void
auth_needs(const struct request *req, const char *name,
    enum conf_access need, struct auth_needs *nd)
{
	struct buf	from = BUF_INIT;

	nd->n = 0;
	if (name == NULL) {
		if (auth_is_catalog(req))
			auth_need(nd, AUTH_SCOPE_REGISTRY, "catalog",
			    AUTH_CATALOG);
		return;
	}
	if (need == ACCESS_READ)
		auth_need(nd, AUTH_SCOPE_REPOSITORY, name, AUTH_PULL);
	else
		auth_need(nd, AUTH_SCOPE_REPOSITORY, name,
		    req->method == M_DELETE ? AUTH_DELETE : AUTH_PUSH);
	if (need == ACCESS_WRITE && auth_mount_from(req, &from) &&
	    strcmp(from.buf, name) != 0)
		auth_need(nd, AUTH_SCOPE_REPOSITORY, from.buf, AUTH_PULL);
	buf_release(&from);
}

/* The action of a need, as a token request asks for it. */
static const char *
auth_need_actions(const struct auth_scope *sc)
{
	if (sc->type == AUTH_SCOPE_REGISTRY)
		return ("*");
	if (sc->actions & AUTH_PUSH)
		return ("pull,push");
	return (sc->actions & AUTH_DELETE ? "delete" : "pull");
}

static enum reg_err
auth_unauthorized(struct request *req, const struct auth_needs *nd,
    const char *error)
{
	const struct conf	*conf = req->conf;
	size_t			 i, len = strlen(conf->public_url);

	while (len > 0 && conf->public_url[len - 1] == '/')
		len--;
	buf_reset(&req->challenge);
	buf_addstr(&req->challenge, "Bearer realm=\"");
	auth_quote(&req->challenge, conf->public_url, len);
	buf_addstr(&req->challenge, "/auth/token\",service=\"");
	auth_quote(&req->challenge, conf->service, strlen(conf->service));
	buf_addch(&req->challenge, '"');
	for (i = 0; i < nd->n; i++)
		buf_addf(&req->challenge, "%s%s:%s:%s", i == 0 ? ",scope=\"" :
		    " ", nd->scopes[i].type == AUTH_SCOPE_REGISTRY ?
		    "registry" : "repository", nd->scopes[i].name,
		    auth_need_actions(&nd->scopes[i]));
	if (nd->n > 0)
		buf_addch(&req->challenge, '"');
	if (error != NULL)
		buf_addf(&req->challenge, ",error=\"%s\"", error);
	return (req_fail(req, REG_E_UNAUTHORIZED, "authentication required"));
}

static enum reg_err
auth_denied(struct request *req, const struct auth_needs *nd)
{
	const struct auth_scope	*sc = &nd->scopes[0];

	return (req_fail(req, REG_E_DENIED, "%s may not %s %s",
	    req->user != NULL ? req->user : "anonymous",
	    sc->actions & AUTH_PUSH ? "push" :
	    sc->actions & AUTH_DELETE ? "delete" : "pull from", sc->name));
}

/* May "user" (NULL: anonymous) do all of it, by the policy alone? */
static int
auth_may(const struct conf *conf, const struct conf_user *user,
    const struct auth_needs *nd)
{
	size_t	i;

	for (i = 0; i < nd->n; i++)
		if (auth_grant(conf, user, &nd->scopes[i]) !=
		    nd->scopes[i].actions)
			return (0);
	return (1);
}

static int
auth_str_is(struct json_object *v, const char *want)
{
	return (json_object_is_type(v, json_type_string) &&
	    strcmp(json_object_get_string(v), want) == 0);
}

/* "key" is the string "want", or an array holding it (like "aud"). */
static int
auth_claim_is(struct json_object *claims, const char *key, const char *want)
{
	struct json_object	*v;
	size_t			 i, n;

	if (!json_object_object_get_ex(claims, key, &v))
		return (0);
	if (!json_object_is_type(v, json_type_array))
		return (auth_str_is(v, want));
	n = json_object_array_length(v);
	for (i = 0; i < n; i++)
		if (auth_str_is(json_object_array_get_idx(v, i), want))
			return (1);
	return (0);
}

/* The actions the "access" claim grants on the resource of "sc". */
static unsigned
auth_token_actions(struct json_object *claims, const struct auth_scope *sc)
{
	struct json_object	*access, *e, *v, *a;
	unsigned		 actions = 0;
	size_t			 i, j, n;

	if (!json_object_object_get_ex(claims, "access", &access) ||
	    !json_object_is_type(access, json_type_array))
		return (0);
	n = json_object_array_length(access);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(access, i);
		if (!json_object_object_get_ex(e, "type", &v) ||
		    !auth_str_is(v, sc->type == AUTH_SCOPE_REPOSITORY ?
		    "repository" : "registry") ||
		    !json_object_object_get_ex(e, "name", &v) ||
		    !auth_str_is(v, sc->name) ||
		    !json_object_object_get_ex(e, "actions", &v) ||
		    !json_object_is_type(v, json_type_array))
			continue;
		for (j = 0; j < json_object_array_length(v); j++) {
			a = json_object_array_get_idx(v, j);
			if (json_object_is_type(a, json_type_string))
				actions |= auth_actions_parse(
				    json_object_get_string(a),
				    (size_t)json_object_get_string_len(a),
				    sc->type);
		}
	}
	return (actions);
}

/*
 * Does a token of "user" (NULL: anonymous) grant all of it?  What
 * anyone may do needs no scope; the rest needs the token's "access"
 * claim and a user who still has the right.
 */
static int
auth_token_grants(const struct conf *conf, const struct conf_user *user,
    struct json_object *claims, const struct auth_needs *nd)
{
	const struct auth_scope	*sc;
	unsigned		 have;
	size_t			 i;

	for (i = 0; i < nd->n; i++) {
		sc = &nd->scopes[i];
		have = auth_grant(conf, NULL, sc) |
		    (auth_token_actions(claims, sc) & auth_grant(conf, user, sc));
		if ((have & sc->actions) != sc->actions)
			return (0);
	}
	return (1);
}

/*
 * The subject of a token issued by this service to a user who still
 * exists ("" for anonymous), or NULL.
 */
static const char *
auth_token_subject(const struct conf *conf, struct json_object *claims)
{
	struct json_object	*v;
	const char		*sub;

	if (!auth_claim_is(claims, "iss", conf->service) ||
	    !auth_claim_is(claims, "aud", conf->service) ||
	    !json_object_object_get_ex(claims, "sub", &v) ||
	    !json_object_is_type(v, json_type_string))
		return (NULL);
	sub = json_object_get_string(v);
	if (*sub == '\0')
		return (conf->restricted ? NULL : sub);
	return (conf_user_find(conf, sub) != NULL ? sub : NULL);
}

static void
auth_set_user(struct request *req, const struct conf_user *u)
{
	free(req->user);
	req->user = xstrdup(u->name);
}

/*
 * A valid token without what the request needs: 401 insufficient_scope
 * when a wider token could help (the user may have it, or an anonymous
 * client may log in), like distribution; 403 when the user may never
 * have it.
 */
static enum reg_err
auth_check_token(struct request *req, const char *token,
    const struct auth_needs *nd)
{
	const struct conf	*conf = req->conf;
	const struct conf_user	*u;
	struct json_object	*claims;
	const char		*sub;
	int			 ok;

	if (jwt_verify(conf->secret, token, time(NULL), &claims) == -1)
		return (auth_unauthorized(req, nd, "invalid_token"));
	if ((sub = auth_token_subject(conf, claims)) == NULL) {
		json_object_put(claims);
		return (auth_unauthorized(req, nd, "invalid_token"));
	}
	if ((u = conf_user_find(conf, sub)) != NULL)
		auth_set_user(req, u);
	ok = auth_token_grants(conf, u, claims, nd);
	json_object_put(claims);
	if (ok)
		return (REG_OK);
	if (u == NULL || auth_may(conf, u, nd))
		return (auth_unauthorized(req, nd, "insufficient_scope"));
	return (auth_denied(req, nd));
}

enum reg_err
auth_check(struct request *req, const char *name, enum conf_access need)
{
	const struct conf_user	*u;
	struct auth_needs	 nd;
	const char		*token;

	if (req->conf->nusers == 0 || req->operator)
		return (REG_OK);
	auth_needs(req, name, need, &nd);
	if ((token = auth_scheme(req->authorization, "Bearer")) != NULL)
		return (auth_check_token(req, token, &nd));
	if (auth_basic(req->conf, req->authorization, &u) == AUTH_CREDS_OK) {
		auth_set_user(req, u);
		/* A token would not give a Basic user more. */
		return (auth_may(req->conf, u, &nd) ? REG_OK :
		    auth_denied(req, &nd));
	}
	/* No or bad credentials: anonymous; /v2/ itself wants a login. */
	if (nd.n > 0 && auth_may(req->conf, NULL, &nd))
		return (REG_OK);
	return (auth_unauthorized(req, &nd, NULL));
}

int
auth_allows(struct request *req, const char *name, enum conf_access need)
{
	const struct conf_user	*u = NULL;
	struct auth_needs	 nd;

	if (req->conf->nusers == 0)
		return (1);
	nd.n = 0;
	if (name == NULL)
		auth_need(&nd, AUTH_SCOPE_REGISTRY, "catalog", AUTH_CATALOG);
	else
		auth_need(&nd, AUTH_SCOPE_REPOSITORY, name,
		    need == ACCESS_WRITE ? AUTH_PUSH | AUTH_DELETE : AUTH_PULL);
	if (req->user != NULL)
		u = conf_user_find(req->conf, req->user);
	else if (auth_basic(req->conf, req->authorization, &u) ==
	    AUTH_CREDS_OK)
		auth_set_user(req, u);
	else
		u = NULL;
	return (auth_may(req->conf, u, &nd));
}

/* [metrics] username and password, when set, as Basic credentials. */
static int
auth_scrape_ok(const struct conf *c, const char *h)
{
	struct buf	 raw = BUF_INIT;
	char		*colon;
	int		 ok = 0;

	if (c->metrics_username == NULL)
		return (1);
	if (h == NULL || strncasecmp(h, "Basic ", 6) != 0)
		return (0);
	h += 6;
	if (base64_decode(h, strcspn(h, " \t"), &raw) == 0 &&
	    memchr(raw.buf, '\0', raw.len) == NULL &&
	    (colon = strchr(raw.buf, ':')) != NULL) {
		*colon = '\0';
		ok = strcmp(raw.buf, c->metrics_username) == 0 &&
		    auth_password_ok(c->metrics_password, colon + 1);
	}
	explicit_bzero(raw.buf, raw.len);
	buf_release(&raw);
	return (ok);
}

enum reg_err
auth_scrape(struct request *req)
{
	if (auth_scrape_ok(req->conf, req->authorization))
		return (REG_OK);
	buf_reset(&req->challenge);
	buf_addstr(&req->challenge, "Basic realm=\"specreg metrics\"");
	return (req_fail(req, REG_E_UNAUTHORIZED,
	    "metrics need the [metrics] credentials"));
}
