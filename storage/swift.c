/*
 * storage/swift.c: the Swift object API over net/httpc.
 *
 * Every request goes through swift_call(): it adds the token (getting
 * one first if there is none) and, when Swift answers 401, gets a new
 * token and sends the request once more.  A streamed PUT can be sent
 * again only while its first piece is still the caller's: Swift answers
 * a bad token before "100 Continue", so a 401 arrives before any byte
 * was taken.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "net/httpc.h"
#include "storage/swift.h"

#define SWIFT_AUTH_MAX		(1024 * 1024)	/* a Keystone catalog */
#define SWIFT_INFO_MAX		(1024 * 1024)
#define SWIFT_LIST_MAX		(16 * 1024 * 1024)
/*
 * What a request whose answer has no use for its body may still get:
 * Swift answers a PUT that lost to a newer write of the same object
 * (two hosts refreshing one liveness record at once) 202 with a short
 * HTML page.
 */
#define SWIFT_DROP_MAX		4096
#define SWIFT_TIMEOUT		30
#define SWIFT_RETRIES		3
/* Where the hosts agree on the account's TempURL key. */
#define SWIFT_TEMPURL_OBJ	".temp-url-key"

struct swift {
	char		*auth_url;
	char		*username;
	char		*password;
	char		*container;
	char		*project;
	char		*user_domain;
	char		*project_domain;
	char		*region;
	char		*app_cred_id;
	char		*app_cred_secret;
	long		 timeout;
	int		 retries;
	int		 alone;		/* the probe's: see httpc.h */
	unsigned int	 page;
	/* From the auth service; "" until then. */
	struct buf	 token;		/* "X-Auth-Token: ..." */
	struct buf	 storage_url;	/* no trailing '/' */
	struct buf	 tempurl_key;	/* "" until read or set */
	struct swift_limits limits;	/* max_file_size 0 until read */
};

struct swift_put {
	struct swift	*s;
	struct httpc	*c;
	char		*name;
	int		 flags;
	uint64_t	 size;		/* taken so far */
	EVP_MD_CTX	*md5;
};

/* A request: "name" NULL is the container, "" the account. */
struct swift_req {
	const char	*method;
	const char	*name;
	const char	*query;		/* without '?', or NULL */
	const char	*hdrs[4];
	const void	*body;
	size_t		 len;
	int		 has_body;
	int		 push;		/* the body is pushed, chunked */
	size_t		 max;		/* response body kept */
	int		 pull;
};

static char *
swift_dup(const char *s)
{
	return (s != NULL ? xstrdup(s) : NULL);
}

struct swift *
swift_new(const struct swift_conf *conf)
{
	struct swift	*s;

	s = xcalloc(1, sizeof(*s));
	s->auth_url = swift_dup(conf->auth_url);
	s->username = swift_dup(conf->username);
	s->password = swift_dup(conf->password);
	s->container = swift_dup(conf->container);
	s->project = swift_dup(conf->project);
	s->user_domain = xstrdup(conf->user_domain != NULL ?
	    conf->user_domain : "Default");
	s->project_domain = xstrdup(conf->project_domain != NULL ?
	    conf->project_domain : "Default");
	s->region = swift_dup(conf->region);
	s->app_cred_id = swift_dup(conf->app_cred_id);
	s->app_cred_secret = swift_dup(conf->app_cred_secret);
	s->timeout = conf->timeout > 0 ? conf->timeout : SWIFT_TIMEOUT;
	s->retries = conf->retries > 0 ? conf->retries : SWIFT_RETRIES;
	s->page = conf->page > 0 && conf->page <= SWIFT_PAGE_MAX ?
	    conf->page : SWIFT_PAGE_MAX;
	buf_init(&s->token);
	buf_init(&s->storage_url);
	buf_init(&s->tempurl_key);
	return (s);
}

void
swift_free(struct swift *s)
{
	if (s == NULL)
		return;
	free(s->auth_url);
	free(s->username);
	free(s->password);
	free(s->container);
	free(s->project);
	free(s->user_domain);
	free(s->project_domain);
	free(s->region);
	free(s->app_cred_id);
	free(s->app_cred_secret);
	buf_release(&s->token);
	buf_release(&s->storage_url);
	buf_release(&s->tempurl_key);
	free(s);
}

/* --- Pure helpers -------------------------------------------------------- */

void
swift_object_path(struct buf *out, const char *container, const char *name)
{
	buf_addch(out, '/');
	httpc_escape(out, container, NULL);
	if (name != NULL) {
		buf_addch(out, '/');
		httpc_escape(out, name, "/");
	}
}

void
swift_tempurl_sig(const char *key, const char *method, time_t expires,
    const char *path, char out[65])
{
	static const char	 hex[] = "0123456789abcdef";
	struct buf		 msg = BUF_INIT;
	unsigned char		 mac[EVP_MAX_MD_SIZE];
	unsigned int		 len = 0, i;

	buf_addf(&msg, "%s\n%lld\n%s", method, (long long)expires, path);
	if (HMAC(EVP_sha256(), key, (int)strlen(key),
	    (const unsigned char *)msg.buf, msg.len, mac, &len) == NULL ||
	    len != 32)
		fatalx("swift: HMAC-SHA256 failed");
	for (i = 0; i < len; i++) {
		out[2 * i] = hex[mac[i] >> 4];
		out[2 * i + 1] = hex[mac[i] & 15];
	}
	out[64] = '\0';
	buf_release(&msg);
}

/* "2026-12-05T03:41:11.123456" (UTC); -1 if not that. */
static time_t
swift_list_time(const char *s)
{
	struct tm	 tm;
	const char	*end;

	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL ||
	    (*end != '\0' && *end != '.'))
		return (-1);
	return (timegm(&tm));
}

/* An HTTP date; 0 if not one. */
static time_t
swift_http_time(const char *s)
{
	struct tm	 tm;
	const char	*end;

	memset(&tm, 0, sizeof(tm));
	if (s == NULL ||
	    (end = strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm)) == NULL ||
	    *end != '\0')
		return (0);
	return (timegm(&tm));
}

static int
swift_json_str(struct json_object *o, const char *key, const char **out)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return (-1);
	*out = json_object_get_string(v);
	return (0);
}

/* One entry of a listing page; -1 if malformed. */
static int
swift_list_entry(struct json_object *o, struct swift_entry *e)
{
	struct json_object	*v;
	const char		*lm;
	int64_t			 bytes;

	memset(e, 0, sizeof(*e));
	if (!json_object_is_type(o, json_type_object))
		return (-1);
	if (swift_json_str(o, "subdir", &e->name) == 0) {
		e->subdir = 1;
		return (0);
	}
	if (swift_json_str(o, "name", &e->name) == -1 ||
	    swift_json_str(o, "last_modified", &lm) == -1 ||
	    !json_object_object_get_ex(o, "bytes", &v) ||
	    !json_object_is_type(v, json_type_int) ||
	    (bytes = json_object_get_int64(v)) < 0 ||
	    (e->mtime = swift_list_time(lm)) == -1)
		return (-1);
	e->bytes = (uint64_t)bytes;
	return (0);
}

int
swift_list_parse(const char *json, swift_list_fn fn, void *arg, size_t *n,
    struct buf *last, enum reg_err *err)
{
	struct json_object	*root;
	struct swift_entry	 e;
	size_t			 i, len;
	int			 rc = 0;

	*n = 0;
	*err = REG_OK;
	buf_reset(last);
	if ((root = json_tokener_parse(json)) == NULL)
		return (-1);
	if (!json_object_is_type(root, json_type_array)) {
		json_object_put(root);
		return (-1);
	}
	len = json_object_array_length(root);
	for (i = 0; i < len && *err == REG_OK; i++) {
		if (swift_list_entry(json_object_array_get_idx(root, i),
		    &e) == -1) {
			rc = -1;
			break;
		}
		buf_reset(last);
		buf_addstr(last, e.name);
		(*n)++;
		*err = fn(&e, arg);
	}
	json_object_put(root);
	return (rc);
}

/* --- Auth ---------------------------------------------------------------- */

static int
swift_keystone(const struct swift *s)
{
	size_t	len = strlen(s->auth_url);

	while (len > 0 && s->auth_url[len - 1] == '/')
		len--;
	return (len >= 3 && strncmp(s->auth_url + len - 3, "/v3", 3) == 0);
}

static struct httpc *
swift_httpc(const struct swift *s, const char *method, const char *url,
    int retries)
{
	struct httpc_opts	o;

	memset(&o, 0, sizeof(o));
	o.connect_timeout = s->timeout;
	o.stall = s->timeout;
	o.retries = retries;
	o.alone = s->alone;
	return (httpc_new(method, url, &o));
}

/* Keep the token and the storage URL (no trailing '/'). */
static void
swift_auth_keep(struct swift *s, const char *token, const char *url)
{
	size_t	len = strlen(url);

	while (len > 0 && url[len - 1] == '/')
		len--;
	buf_reset(&s->token);
	buf_addf(&s->token, "X-Auth-Token: %s", token);
	buf_reset(&s->storage_url);
	buf_add(&s->storage_url, url, len);
}

/* A header value safe to send back: printable, no CR or LF. */
static int
swift_header_ok(const char *v)
{
	if (v == NULL || *v == '\0')
		return (0);
	for (; *v != '\0'; v++)
		if (*v < ' ' || *v == 0x7f)
			return (0);
	return (1);
}

static enum reg_err
swift_auth_v1(struct swift *s)
{
	struct httpc	*c;
	struct buf	 h = BUF_INIT;
	const char	*tok, *url;
	enum reg_err	 err = REG_E_IO;

	c = swift_httpc(s, "GET", s->auth_url, s->retries);
	buf_addf(&h, "X-Auth-User: %s", s->username);
	httpc_header(c, h.buf);
	buf_reset(&h);
	buf_addf(&h, "X-Auth-Key: %s", s->password);
	httpc_header(c, h.buf);
	buf_release(&h);
	httpc_recv(c, SWIFT_AUTH_MAX, 0);
	if (httpc_run(c) == -1)
		log_warnx("swift: auth: %s", httpc_error(c));
	else if (httpc_status(c) < 200 || httpc_status(c) > 299)
		log_warnx("swift: auth: status %ld", httpc_status(c));
	else if (!swift_header_ok(tok = httpc_get(c, "X-Auth-Token")) ||
	    !swift_header_ok(url = httpc_get(c, "X-Storage-Url")))
		log_warnx("swift: auth: no token or storage URL");
	else {
		swift_auth_keep(s, tok, url);
		err = REG_OK;
	}
	httpc_free(c);
	return (err);
}

/* The Keystone v3 request body: password or application credential. */
static char *
swift_v3_body(const struct swift *s)
{
	struct json_object	*root, *auth, *id, *m, *cred, *u, *dom, *sc,
				*pr, *pdom;
	char			*out;

	root = json_object_new_object();
	auth = json_object_new_object();
	id = json_object_new_object();
	m = json_object_new_array();
	cred = json_object_new_object();
	json_object_object_add(root, "auth", auth);
	json_object_object_add(auth, "identity", id);
	json_object_object_add(id, "methods", m);
	if (s->app_cred_id != NULL) {
		json_object_array_add(m,
		    json_object_new_string("application_credential"));
		json_object_object_add(id, "application_credential", cred);
		json_object_object_add(cred, "id",
		    json_object_new_string(s->app_cred_id));
		json_object_object_add(cred, "secret",
		    json_object_new_string(s->app_cred_secret));
	} else {
		json_object_array_add(m, json_object_new_string("password"));
		json_object_object_add(id, "password", cred);
		u = json_object_new_object();
		dom = json_object_new_object();
		json_object_object_add(cred, "user", u);
		json_object_object_add(u, "name",
		    json_object_new_string(s->username));
		json_object_object_add(u, "domain", dom);
		json_object_object_add(dom, "name",
		    json_object_new_string(s->user_domain));
		json_object_object_add(u, "password",
		    json_object_new_string(s->password));
		if (s->project != NULL) {
			sc = json_object_new_object();
			pr = json_object_new_object();
			pdom = json_object_new_object();
			json_object_object_add(auth, "scope", sc);
			json_object_object_add(sc, "project", pr);
			json_object_object_add(pr, "name",
			    json_object_new_string(s->project));
			json_object_object_add(pr, "domain", pdom);
			json_object_object_add(pdom, "name",
			    json_object_new_string(s->project_domain));
		}
	}
	out = xstrdup(json_object_to_json_string_ext(root,
	    JSON_C_TO_STRING_PLAIN));
	json_object_put(root);
	return (out);
}

/* The public object-store endpoint (in "region", if set) of a catalog. */
static const char *
swift_v3_endpoint(const struct swift *s, struct json_object *root)
{
	struct json_object	*tok, *cat, *svc, *eps, *ep;
	const char		*v, *url;
	size_t			 i, j;

	if (!json_object_object_get_ex(root, "token", &tok) ||
	    !json_object_object_get_ex(tok, "catalog", &cat) ||
	    !json_object_is_type(cat, json_type_array))
		return (NULL);
	for (i = 0; i < json_object_array_length(cat); i++) {
		svc = json_object_array_get_idx(cat, i);
		if (swift_json_str(svc, "type", &v) == -1 ||
		    strcmp(v, "object-store") != 0 ||
		    !json_object_object_get_ex(svc, "endpoints", &eps) ||
		    !json_object_is_type(eps, json_type_array))
			continue;
		for (j = 0; j < json_object_array_length(eps); j++) {
			ep = json_object_array_get_idx(eps, j);
			if (swift_json_str(ep, "interface", &v) == -1 ||
			    strcmp(v, "public") != 0 ||
			    swift_json_str(ep, "url", &url) == -1)
				continue;
			if (s->region == NULL ||
			    (swift_json_str(ep, "region_id", &v) == 0 &&
			    strcmp(v, s->region) == 0) ||
			    (swift_json_str(ep, "region", &v) == 0 &&
			    strcmp(v, s->region) == 0))
				return (url);
		}
	}
	return (NULL);
}

static enum reg_err
swift_auth_v3(struct swift *s)
{
	struct httpc		*c;
	struct json_object	*root = NULL;
	struct buf		 url = BUF_INIT;
	const char		*tok, *ep = NULL;
	char			*body;
	size_t			 len = strlen(s->auth_url);
	enum reg_err		 err = REG_E_IO;

	while (len > 0 && s->auth_url[len - 1] == '/')
		len--;
	buf_add(&url, s->auth_url, len);
	buf_addstr(&url, "/auth/tokens");
	body = swift_v3_body(s);
	c = swift_httpc(s, "POST", url.buf, 0);
	httpc_header(c, "Content-Type: application/json");
	httpc_body_mem(c, body, strlen(body));
	httpc_recv(c, SWIFT_AUTH_MAX, 0);
	if (httpc_run(c) == -1)
		log_warnx("swift: keystone: %s", httpc_error(c));
	else if (httpc_status(c) != 201 && httpc_status(c) != 200)
		log_warnx("swift: keystone: status %ld", httpc_status(c));
	else if (!swift_header_ok(tok = httpc_get(c, "X-Subject-Token")) ||
	    (root = json_tokener_parse(httpc_body(c)->buf)) == NULL ||
	    !swift_header_ok(ep = swift_v3_endpoint(s, root)))
		log_warnx("swift: keystone: no token or no object-store "
		    "endpoint%s%s", s->region != NULL ? " in region " : "",
		    s->region != NULL ? s->region : "");
	else {
		swift_auth_keep(s, tok, ep);
		err = REG_OK;
	}
	json_object_put(root);
	httpc_free(c);
	free(body);
	buf_release(&url);
	return (err);
}

static enum reg_err
swift_auth(struct swift *s)
{
	buf_reset(&s->token);
	buf_reset(&s->storage_url);
	return (swift_keystone(s) ? swift_auth_v3(s) : swift_auth_v1(s));
}

/* --- Requests ------------------------------------------------------------ */

static void
swift_url(const struct swift *s, const char *name, const char *query,
    struct buf *url)
{
	buf_add(url, s->storage_url.buf, s->storage_url.len);
	if (name == NULL || *name != '\0')
		swift_object_path(url, s->container, name);
	if (query != NULL)
		buf_addf(url, "?%s", query);
}

static struct httpc *
swift_req_new(struct swift *s, const struct swift_req *r)
{
	struct httpc	*c;
	struct buf	 url = BUF_INIT;
	size_t		 i;

	swift_url(s, r->name, r->query, &url);
	c = swift_httpc(s, r->method, url.buf, r->push ? 0 : s->retries);
	buf_release(&url);
	httpc_header(c, s->token.buf);
	for (i = 0; i < nitems(r->hdrs) && r->hdrs[i] != NULL; i++)
		httpc_header(c, r->hdrs[i]);
	if (r->push)
		httpc_body_push(c, -1);
	else if (r->has_body)
		httpc_body_mem(c, r->body, r->len);
	httpc_recv(c, r->max > 0 || r->pull ? r->max : SWIFT_DROP_MAX,
	    r->pull);
	return (c);
}

/*
 * Send "r" and wait for the answer's headers, with a new token once on
 * a 401.  REG_OK with the answer in "*out" (httpc_free() it), or
 * REG_E_IO, logged.
 */
static enum reg_err
swift_call(struct swift *s, const struct swift_req *r, struct httpc **out)
{
	struct httpc	*c;
	int		 try;

	*out = NULL;
	for (try = 0; try < 2; try++) {
		if (s->token.len == 0 && swift_auth(s) != REG_OK)
			return (REG_E_IO);
		c = swift_req_new(s, r);
		if (httpc_start(c) == -1) {
			log_warnx("swift: %s %s: %s", r->method,
			    r->name != NULL ? r->name : s->container,
			    httpc_error(c));
			httpc_free(c);
			return (REG_E_IO);
		}
		if (httpc_status(c) != 401 || try == 1)
			break;
		log_debug("swift: token refused, renewing it");
		httpc_free(c);
		buf_reset(&s->token);
	}
	*out = c;
	return (REG_OK);
}

/* NOENT for a 404, IO (logged) for any status but "ok" and 2xx. */
static enum reg_err
swift_status(const struct swift *s, const struct swift_req *r,
    const struct httpc *c)
{
	long	st = httpc_status(c);

	if (st >= 200 && st <= 299)
		return (REG_OK);
	if (st == 404)
		return (REG_E_NOENT);
	if (st == 412 && strcmp(r->method, "PUT") == 0)
		return (REG_E_EXISTS);
	log_warnx("swift: %s %s: status %ld", r->method,
	    r->name != NULL ? r->name : s->container, st);
	return (REG_E_IO);
}

/* A request with a body in memory (or none), run to its end. */
static enum reg_err
swift_do(struct swift *s, const struct swift_req *r, struct httpc **out)
{
	struct httpc	*c;
	enum reg_err	 err;

	*out = NULL;
	if ((err = swift_call(s, r, &c)) != REG_OK)
		return (err);
	if ((err = swift_status(s, r, c)) == REG_OK && httpc_finish(c) == -1) {
		log_warnx("swift: %s %s: %s", r->method,
		    r->name != NULL ? r->name : s->container, httpc_error(c));
		err = REG_E_IO;
	}
	if (err != REG_OK)
		httpc_free(c);
	else
		*out = c;
	return (err);
}

static enum reg_err
swift_do_free(struct swift *s, const struct swift_req *r)
{
	struct httpc	*c;
	enum reg_err	 err;

	if ((err = swift_do(s, r, &c)) == REG_OK)
		httpc_free(c);
	return (err);
}

enum reg_err
swift_connect(struct swift *s)
{
	struct swift_req	r;
	enum reg_err		err;

	memset(&r, 0, sizeof(r));
	r.method = "HEAD";
	if ((err = swift_do_free(s, &r)) != REG_E_NOENT)
		return (err);
	r.method = "PUT";
	r.has_body = 1;
	if ((err = swift_do_free(s, &r)) == REG_OK)
		log_info("swift: created container %s", s->container);
	return (err);
}

enum reg_err
swift_ping(struct swift *s)
{
	struct swift_req	r;

	memset(&r, 0, sizeof(r));
	r.method = "HEAD";
	s->retries = 0;
	s->alone = 1;
	return (swift_do_free(s, &r));
}

/* --- Objects ------------------------------------------------------------- */

static void
swift_unquote(const char *v, char *out, size_t size)
{
	size_t	len;

	out[0] = '\0';
	if (v == NULL)
		return;
	if (*v == '"')
		v++;
	len = strcspn(v, "\"");
	if (len < size) {
		memcpy(out, v, len);
		out[len] = '\0';
	}
}

static void
swift_stat_of(const struct httpc *c, struct swift_stat *st)
{
	const char	*v;
	int64_t		 len = httpc_length(c);

	memset(st, 0, sizeof(*st));
	st->size = len >= 0 ? (uint64_t)len : 0;
	st->mtime = swift_http_time(httpc_get(c, "Last-Modified"));
	swift_unquote(httpc_get(c, "ETag"), st->etag, sizeof(st->etag));
	v = httpc_get(c, "X-Static-Large-Object");
	st->slo = v != NULL && strcasecmp(v, "true") == 0;
	if ((v = httpc_get(c, "X-Object-Meta-Segments")) != NULL &&
	    strlen(v) < sizeof(st->set))
		memcpy(st->set, v, strlen(v) + 1);
}

enum reg_err
swift_head(struct swift *s, const char *name, struct swift_stat *st)
{
	struct swift_req	 r;
	struct httpc		*c;
	enum reg_err		 err;

	memset(&r, 0, sizeof(r));
	r.method = "HEAD";
	r.name = name;
	if ((err = swift_do(s, &r, &c)) != REG_OK)
		return (err);
	swift_stat_of(c, st);
	httpc_free(c);
	return (REG_OK);
}

enum reg_err
swift_get(struct swift *s, const char *name, uint64_t off, uint64_t len,
    swift_sink_fn fn, void *arg)
{
	struct swift_req	 r;
	struct httpc		*c;
	struct buf		 range = BUF_INIT;
	char			 chunk[HTTPC_CHUNK];
	ssize_t			 n;
	enum reg_err		 err;

	if (len == 0)
		return (REG_OK);
	memset(&r, 0, sizeof(r));
	r.method = "GET";
	r.name = name;
	r.pull = 1;
	if (off > 0 || len != UINT64_MAX) {
		buf_addf(&range, "Range: bytes=%llu-", (unsigned long long)off);
		if (len != UINT64_MAX)
			buf_addf(&range, "%llu",
			    (unsigned long long)(off + len - 1));
		r.hdrs[0] = range.buf;
	}
	err = swift_call(s, &r, &c);
	buf_release(&range);
	if (err != REG_OK)
		return (err);
	/* A range from the end on: the object is there, with no bytes. */
	if (httpc_status(c) == 416) {
		httpc_free(c);
		return (REG_OK);
	}
	if ((err = swift_status(s, &r, c)) == REG_OK) {
		while ((n = httpc_read(chunk, sizeof(chunk), c)) > 0)
			if ((err = fn(chunk, (size_t)n, arg)) != REG_OK)
				break;
		if (n < 0) {
			log_warnx("swift: GET %s: %s", name, httpc_error(c));
			err = REG_E_IO;
		}
	}
	httpc_free(c);
	return (err);
}

struct swift_bounded {
	struct buf	*out;
	size_t		 left;
};

static enum reg_err
swift_buf_sink(const void *p, size_t n, void *arg)
{
	struct swift_bounded	*b = arg;

	if (n > b->left) {
		log_warnx("swift: object larger than expected");
		return (REG_E_IO);
	}
	b->left -= n;
	buf_add(b->out, p, n);
	return (REG_OK);
}

enum reg_err
swift_get_buf(struct swift *s, const char *name, size_t max, struct buf *out)
{
	struct swift_bounded	b = { out, max };

	return (swift_get(s, name, 0, UINT64_MAX, swift_buf_sink, &b));
}

static void
swift_md5_hex(EVP_MD_CTX *ctx, char out[33])
{
	static const char	hex[] = "0123456789abcdef";
	unsigned char		md[EVP_MAX_MD_SIZE];
	unsigned int		len = 0, i;

	if (EVP_DigestFinal_ex(ctx, md, &len) != 1 || len != 16)
		fatalx("swift: MD5 failed");
	for (i = 0; i < len; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[32] = '\0';
}

static EVP_MD_CTX *
swift_md5_new(void)
{
	EVP_MD_CTX	*ctx;

	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_md5(), NULL) != 1)
		fatalx("swift: MD5 unavailable");
	return (ctx);
}

static void
swift_md5(const void *p, size_t len, char out[33])
{
	EVP_MD_CTX	*ctx = swift_md5_new();

	if (EVP_DigestUpdate(ctx, p, len) != 1)
		fatalx("swift: MD5 failed");
	swift_md5_hex(ctx, out);
	EVP_MD_CTX_free(ctx);
}

/* The answer's ETag is "md5": REG_OK, else IO, logged. */
static enum reg_err
swift_etag_check(const char *name, const struct httpc *c, const char *md5)
{
	char	etag[72];

	/*
	 * 202: a newer write of the same object won (SWIFT_DROP_MAX), and
	 * ours is not stored: there is nothing of ours to check.
	 */
	if (httpc_status(c) == 202) {
		log_debug("swift: PUT %s: a newer write won", name);
		return (REG_OK);
	}
	swift_unquote(httpc_get(c, "ETag"), etag, sizeof(etag));
	if (strcasecmp(etag, md5) == 0)
		return (REG_OK);
	log_warnx("swift: PUT %s: ETag \"%s\", sent MD5 %s", name, etag, md5);
	return (REG_E_IO);
}

/* After a write: Swift has "size" bytes at "name"; "st" gets the stat. */
static enum reg_err
swift_size_check(struct swift *s, const char *name, uint64_t size,
    struct swift_stat *st)
{
	struct swift_stat	tmp;
	enum reg_err		err;

	if (st == NULL)
		st = &tmp;
	if ((err = swift_head(s, name, st)) != REG_OK) {
		log_warnx("swift: PUT %s: not there after the write", name);
		return (REG_E_IO);
	}
	if (st->size == size)
		return (REG_OK);
	log_warnx("swift: PUT %s: %llu bytes stored, %llu sent", name,
	    (unsigned long long)st->size, (unsigned long long)size);
	return (REG_E_IO);
}

enum reg_err
swift_put(struct swift *s, const char *name, const void *p, size_t len,
    int flags, struct swift_stat *st)
{
	struct swift_req	 r;
	struct httpc		*c;
	struct buf		 etag = BUF_INIT;
	char			 md5[33];
	enum reg_err		 err;

	swift_md5(p, len, md5);
	buf_addf(&etag, "ETag: %s", md5);
	memset(&r, 0, sizeof(r));
	r.method = "PUT";
	r.name = name;
	r.body = p;
	r.len = len;
	r.has_body = 1;
	r.hdrs[0] = etag.buf;
	r.hdrs[1] = "Content-Type: application/octet-stream";
	if (flags & SWIFT_EXCL)
		r.hdrs[2] = "If-None-Match: *";
	if ((err = swift_do(s, &r, &c)) == REG_OK) {
		err = swift_etag_check(name, c, md5);
		httpc_free(c);
	}
	buf_release(&etag);
	if (err == REG_OK && st != NULL) {
		memset(st, 0, sizeof(*st));
		st->size = len;
		memcpy(st->etag, md5, sizeof(md5));
	}
	return (err);
}

/* --- Streamed PUT -------------------------------------------------------- */

static enum reg_err
swift_put_start(struct swift_put *p)
{
	struct swift_req	r;

	memset(&r, 0, sizeof(r));
	r.method = "PUT";
	r.name = p->name;
	r.push = 1;
	r.hdrs[0] = "Content-Type: application/octet-stream";
	if (p->flags & SWIFT_EXCL)
		r.hdrs[1] = "If-None-Match: *";
	if (p->s->token.len == 0 && swift_auth(p->s) != REG_OK)
		return (REG_E_IO);
	p->c = swift_req_new(p->s, &r);
	return (REG_OK);
}

enum reg_err
swift_put_open(struct swift *s, const char *name, int flags,
    struct swift_put **out)
{
	struct swift_put	*p;

	p = xcalloc(1, sizeof(*p));
	p->s = s;
	p->name = xstrdup(name);
	p->flags = flags;
	p->md5 = swift_md5_new();
	if (swift_put_start(p) != REG_OK) {
		swift_put_abort(p);
		return (REG_E_IO);
	}
	*out = p;
	return (REG_OK);
}

/* The server answered before taking the body: why, as a result. */
static enum reg_err
swift_put_early(struct swift_put *p)
{
	struct swift_req	r;

	memset(&r, 0, sizeof(r));
	r.method = "PUT";
	r.name = p->name;
	if (httpc_start(p->c) == -1) {
		log_warnx("swift: PUT %s: %s", p->name, httpc_error(p->c));
		return (REG_E_IO);
	}
	return (swift_status(p->s, &r, p->c) == REG_E_EXISTS ?
	    REG_E_EXISTS : REG_E_IO);
}

enum reg_err
swift_put_write(struct swift_put *p, const void *data, size_t len)
{
	int	renewed = 0;

	if (EVP_DigestUpdate(p->md5, data, len) != 1)
		fatalx("swift: MD5 failed");
	while (httpc_write(p->c, data, len) == -1) {
		/* A refused token, before any byte was taken: once more. */
		if (p->size > 0 || renewed || httpc_start(p->c) == -1 ||
		    httpc_status(p->c) != 401)
			return (swift_put_early(p));
		log_debug("swift: token refused, renewing it");
		renewed = 1;
		httpc_free(p->c);
		p->c = NULL;
		buf_reset(&p->s->token);
		if (swift_put_start(p) != REG_OK)
			return (REG_E_IO);
	}
	p->size += len;
	return (REG_OK);
}

enum reg_err
swift_put_close(struct swift_put *p, struct swift_stat *st)
{
	struct swift_req	r;
	char			md5[33];
	enum reg_err		err;

	memset(&r, 0, sizeof(r));
	r.method = "PUT";
	r.name = p->name;
	swift_md5_hex(p->md5, md5);
	if (httpc_start(p->c) == -1) {
		log_warnx("swift: PUT %s: %s", p->name, httpc_error(p->c));
		err = REG_E_IO;
	} else if ((err = swift_status(p->s, &r, p->c)) == REG_OK &&
	    (err = swift_etag_check(p->name, p->c, md5)) == REG_OK) {
		if (httpc_status(p->c) != 202)
			err = swift_size_check(p->s, p->name, p->size, st);
		else if (st != NULL) {
			memset(st, 0, sizeof(*st));
			st->size = p->size;
			memcpy(st->etag, md5, sizeof(md5));
		}
	}
	swift_put_abort(p);
	return (err);
}

void
swift_put_abort(struct swift_put *p)
{
	if (p == NULL)
		return;
	httpc_free(p->c);
	EVP_MD_CTX_free(p->md5);
	free(p->name);
	free(p);
}

/* --- SLO, delete, copy --------------------------------------------------- */

/* The manifest's JSON; "etag" gets the MD5 of the segments' ETags. */
static char *
swift_slo_body(const struct swift *s, const struct swift_segment *seg,
    size_t n, char etag[33])
{
	struct json_object	*root, *o;
	struct buf		 path = BUF_INIT, etags = BUF_INIT;
	char			*out;
	size_t			 i;

	root = json_object_new_array();
	for (i = 0; i < n; i++) {
		buf_reset(&path);
		buf_addf(&path, "%s/%s", s->container, seg[i].name);
		o = json_object_new_object();
		json_object_object_add(o, "path",
		    json_object_new_string(path.buf));
		json_object_object_add(o, "etag",
		    json_object_new_string(seg[i].etag));
		json_object_object_add(o, "size_bytes",
		    json_object_new_int64((int64_t)seg[i].size));
		json_object_array_add(root, o);
		buf_addstr(&etags, seg[i].etag);
	}
	swift_md5(etags.buf, etags.len, etag);
	out = xstrdup(json_object_to_json_string_ext(root,
	    JSON_C_TO_STRING_PLAIN));
	json_object_put(root);
	buf_release(&etags);
	buf_release(&path);
	return (out);
}

enum reg_err
swift_slo_put(struct swift *s, const char *name,
    const struct swift_segment *seg, size_t n, const char *set, int flags,
    struct swift_stat *st)
{
	struct swift_req	 r;
	struct httpc		*c;
	struct buf		 meta = BUF_INIT;
	char			*body, etag[33];
	uint64_t		 size = 0;
	size_t			 i;
	enum reg_err		 err;

	for (i = 0; i < n; i++)
		size += seg[i].size;
	body = swift_slo_body(s, seg, n, etag);
	memset(&r, 0, sizeof(r));
	r.method = "PUT";
	r.name = name;
	r.query = "multipart-manifest=put";
	r.body = body;
	r.len = strlen(body);
	r.has_body = 1;
	r.hdrs[0] = "Content-Type: application/octet-stream";
	if (set != NULL) {
		buf_addf(&meta, "X-Object-Meta-Segments: %s", set);
		r.hdrs[1] = meta.buf;
	}
	if (flags & SWIFT_EXCL)
		r.hdrs[set != NULL ? 2 : 1] = "If-None-Match: *";
	if ((err = swift_do(s, &r, &c)) == REG_OK) {
		err = swift_etag_check(name, c, etag);
		httpc_free(c);
	}
	buf_release(&meta);
	free(body);
	if (err == REG_OK)
		err = swift_size_check(s, name, size, st);
	return (err);
}

enum reg_err
swift_delete(struct swift *s, const char *name)
{
	struct swift_req	r;

	memset(&r, 0, sizeof(r));
	r.method = "DELETE";
	r.name = name;
	return (swift_do_free(s, &r));
}

static enum reg_err
swift_copy_query(struct swift *s, const char *from, const char *to,
    const char *query)
{
	struct swift_req	 r;
	struct buf		 src = BUF_INIT, path = BUF_INIT;
	enum reg_err		 err;

	swift_object_path(&path, s->container, from);
	buf_addf(&src, "X-Copy-From: %s", path.buf);
	memset(&r, 0, sizeof(r));
	r.method = "PUT";
	r.name = to;
	r.query = query;
	r.has_body = 1;
	r.hdrs[0] = src.buf;
	err = swift_do_free(s, &r);
	buf_release(&path);
	buf_release(&src);
	return (err);
}

enum reg_err
swift_copy(struct swift *s, const char *from, const char *to)
{
	return (swift_copy_query(s, from, to, "multipart-manifest=get"));
}

enum reg_err
swift_copy_whole(struct swift *s, const char *from, const char *to)
{
	return (swift_copy_query(s, from, to, NULL));
}

/* --- Limits ------------------------------------------------------------- */

/* A positive integer member of "section", or "*out" unchanged. */
static int
swift_info_u64(struct json_object *root, const char *section,
    const char *key, uint64_t *out)
{
	struct json_object	*sec, *v;
	int64_t			 n;

	if (!json_object_object_get_ex(root, section, &sec))
		return (0);
	if (!json_object_is_type(sec, json_type_object))
		return (-1);
	if (!json_object_object_get_ex(sec, key, &v))
		return (0);
	if (!json_object_is_type(v, json_type_int) ||
	    (n = json_object_get_int64(v)) <= 0)
		return (-1);
	*out = (uint64_t)n;
	return (0);
}

int
swift_info_parse(const char *json, struct swift_limits *l)
{
	struct json_object	*root;
	int			 rc = -1;

	l->max_file_size = SWIFT_MAX_FILE_SIZE;
	l->max_segments = SWIFT_MAX_SEGMENTS;
	if ((root = json_tokener_parse(json)) == NULL)
		return (-1);
	if (json_object_is_type(root, json_type_object) &&
	    swift_info_u64(root, "swift", "max_file_size",
	    &l->max_file_size) == 0 &&
	    swift_info_u64(root, "slo", "max_manifest_segments",
	    &l->max_segments) == 0)
		rc = 0;
	json_object_put(root);
	return (rc);
}

/* The path part of the storage URL: "/v1/AUTH_test". */
static const char *
swift_url_path(const struct swift *s)
{
	const char	*p = strstr(s->storage_url.buf, "://");

	if (p == NULL || (p = strchr(p + 3, '/')) == NULL)
		return ("");
	return (p);
}

/* GET /info: a cluster that hides it (expose_info) keeps the defaults. */
static enum reg_err
swift_info(struct swift *s, struct swift_limits *l)
{
	struct httpc	*c;
	struct buf	 url = BUF_INIT;
	enum reg_err	 err = REG_E_IO;

	if (s->token.len == 0 && swift_auth(s) != REG_OK)
		return (REG_E_IO);
	buf_add(&url, s->storage_url.buf,
	    (size_t)(swift_url_path(s) - s->storage_url.buf));
	buf_addstr(&url, "/info");
	c = swift_httpc(s, "GET", url.buf, s->retries);
	httpc_recv(c, SWIFT_INFO_MAX, 0);
	if (httpc_run(c) == -1)
		log_warnx("swift: GET %s: %s", url.buf, httpc_error(c));
	else if (httpc_status(c) == 404 || httpc_status(c) == 403) {
		log_info("swift: no /info, assuming a %llu-byte object limit",
		    SWIFT_MAX_FILE_SIZE);
		(void)swift_info_parse("{}", l);
		err = REG_OK;
	} else if (httpc_status(c) < 200 || httpc_status(c) > 299)
		log_warnx("swift: GET %s: status %ld", url.buf,
		    httpc_status(c));
	else if (swift_info_parse(httpc_body(c)->buf, l) == -1)
		log_warnx("swift: GET %s: malformed JSON", url.buf);
	else
		err = REG_OK;
	httpc_free(c);
	buf_release(&url);
	return (err);
}

enum reg_err
swift_limits(struct swift *s, struct swift_limits *l)
{
	enum reg_err	err;

	if (s->limits.max_file_size == 0) {
		if ((err = swift_info(s, &s->limits)) != REG_OK)
			return (err);
		log_debug("swift: objects up to %llu bytes, %llu segments",
		    (unsigned long long)s->limits.max_file_size,
		    (unsigned long long)s->limits.max_segments);
	}
	*l = s->limits;
	return (REG_OK);
}

void
swift_page(struct swift *s, unsigned int page)
{
	s->page = page > 0 && page <= SWIFT_PAGE_MAX ? page : SWIFT_PAGE_MAX;
}

/* --- Listing ------------------------------------------------------------- */

static void
swift_list_query(const struct swift *s, const char *prefix,
    const char *delimiter, const struct buf *marker, struct buf *q)
{
	buf_addf(q, "format=json&limit=%u", s->page);
	if (prefix != NULL && *prefix != '\0') {
		buf_addstr(q, "&prefix=");
		httpc_escape(q, prefix, NULL);
	}
	if (delimiter != NULL && *delimiter != '\0') {
		buf_addstr(q, "&delimiter=");
		httpc_escape(q, delimiter, NULL);
	}
	if (marker->len > 0) {
		buf_addstr(q, "&marker=");
		httpc_escape(q, marker->buf, NULL);
	}
}

enum reg_err
swift_list(struct swift *s, const char *prefix, const char *delimiter,
    swift_list_fn fn, void *arg)
{
	struct swift_req	 r;
	struct httpc		*c;
	struct buf		 q = BUF_INIT, marker = BUF_INIT;
	size_t			 n;
	enum reg_err		 err, ferr;

	memset(&r, 0, sizeof(r));
	r.method = "GET";
	r.max = SWIFT_LIST_MAX;
	do {
		buf_reset(&q);
		swift_list_query(s, prefix, delimiter, &marker, &q);
		r.query = q.buf;
		if ((err = swift_do(s, &r, &c)) != REG_OK)
			break;
		/* 204: an empty container. */
		if (httpc_status(c) == 204)
			n = 0;
		else if (swift_list_parse(httpc_body(c)->buf, fn, arg, &n,
		    &marker, &ferr) == -1) {
			log_warnx("swift: listing %s: malformed JSON",
			    s->container);
			err = REG_E_IO;
		} else
			err = ferr;
		httpc_free(c);
	} while (err == REG_OK && n == s->page);
	buf_release(&marker);
	buf_release(&q);
	return (err);
}

/* --- TempURL ------------------------------------------------------------- */

/*
 * The account's X-Account-Meta-Temp-URL-Key, "" if it has none.
 */
static enum reg_err
swift_tempurl_read(struct swift *s, struct buf *key)
{
	struct swift_req	 r;
	struct httpc		*c;
	const char		*v;
	enum reg_err		 err;

	memset(&r, 0, sizeof(r));
	r.method = "HEAD";
	r.name = "";
	if ((err = swift_do(s, &r, &c)) != REG_OK)
		return (err);
	buf_reset(key);
	if ((v = httpc_get(c, "X-Account-Meta-Temp-URL-Key")) != NULL)
		buf_addstr(key, v);
	httpc_free(c);
	return (REG_OK);
}

/*
 * Give the account a TempURL key.  Several hosts (or workers) may find
 * none at the same moment; if each set a key of its own, the last POST
 * would win and the others would sign with a key Swift no longer
 * holds.  So the key is first agreed in the container: each proposes a
 * random one with a create-only PUT of SWIFT_TEMPURL_OBJ, exactly one
 * PUT wins, and everyone reads the winner back and sets that one.  All
 * the POSTs carry the same value, so their order does not matter, and
 * the key is read back once more from the account: an operator's key
 * set meanwhile wins over ours.
 */
static enum reg_err
swift_tempurl_set(struct swift *s, struct buf *key)
{
	struct swift_req	 r;
	struct buf		 hdr = BUF_INIT;
	unsigned char		 raw[32];
	char			 hex[2 * sizeof(raw) + 1];
	enum reg_err		 err;
	size_t			 i;

	random_bytes(raw, sizeof(raw));
	for (i = 0; i < sizeof(raw); i++)
		snprintf(hex + 2 * i, 3, "%02x", raw[i]);
	err = swift_put(s, SWIFT_TEMPURL_OBJ, hex, strlen(hex), SWIFT_EXCL,
	    NULL);
	if (err != REG_OK && err != REG_E_EXISTS)
		return (err);
	buf_reset(key);
	if ((err = swift_get_buf(s, SWIFT_TEMPURL_OBJ, 256, key)) != REG_OK)
		return (err);
	if (key->len == 0 || memchr(key->buf, '\n', key->len) != NULL) {
		log_warnx("swift: %s is not a key", SWIFT_TEMPURL_OBJ);
		return (REG_E_IO);
	}
	buf_addf(&hdr, "X-Account-Meta-Temp-URL-Key: %s", key->buf);
	memset(&r, 0, sizeof(r));
	r.method = "POST";
	r.name = "";
	r.hdrs[0] = hdr.buf;
	r.has_body = 1;
	err = swift_do_free(s, &r);
	buf_release(&hdr);
	if (err == REG_OK)
		log_info("swift: set the account's TempURL key");
	return (err);
}

/* The account's TempURL key, read (or set) once per process. */
static enum reg_err
swift_tempurl_key(struct swift *s)
{
	enum reg_err	err;

	if (s->tempurl_key.len > 0)
		return (REG_OK);
	if ((err = swift_tempurl_read(s, &s->tempurl_key)) != REG_OK)
		return (err);
	if (s->tempurl_key.len > 0)
		return (REG_OK);
	if ((err = swift_tempurl_set(s, &s->tempurl_key)) != REG_OK ||
	    (err = swift_tempurl_read(s, &s->tempurl_key)) != REG_OK)
		return (err);
	return (s->tempurl_key.len > 0 ? REG_OK : REG_E_IO);
}

enum reg_err
swift_tempurl(struct swift *s, const char *method, const char *name,
    time_t expires, struct buf *url)
{
	struct buf	 path = BUF_INIT;
	char		 sig[65];
	enum reg_err	 err;

	if (s->token.len == 0 && swift_auth(s) != REG_OK)
		return (REG_E_IO);
	if ((err = swift_tempurl_key(s)) != REG_OK)
		return (err);
	/* Swift signs the decoded path it was asked for. */
	buf_addf(&path, "%s/%s/%s", swift_url_path(s), s->container, name);
	swift_tempurl_sig(s->tempurl_key.buf, method, expires, path.buf, sig);
	swift_url(s, name, NULL, url);
	buf_addf(url, "?temp_url_sig=%s&temp_url_expires=%lld", sig,
	    (long long)expires);
	buf_release(&path);
	return (REG_OK);
}
