/*
 * net/upstream.c: the client of upstream registries, over net/httpc.
 *
 * A blob is pulled a chunk at a time (httpc_read()), so that memory
 * does not grow with the blob.  Bodies of responses other than 2xx are
 * dropped, and only a 200 is an answer here.
 */
#include "config.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "net/httpc.h"
#include "net/upstream.h"

#define UPSTREAM_TOKEN_MAX	(64 * 1024)
#define UPSTREAM_MAXREDIRS	5
#define TOKEN_CACHE		8
#define TOKEN_TTL		60	/* seconds a token is tried again */

#define UPSTREAM_ACCEPT	"Accept: " \
	"application/vnd.oci.image.index.v1+json, " \
	"application/vnd.oci.image.manifest.v1+json, " \
	"application/vnd.docker.distribution.manifest.list.v2+json, " \
	"application/vnd.docker.distribution.manifest.v2+json"

struct upstream_blob {
	struct httpc		*c;
};

/*
 * Bearer tokens this worker got, per upstream and repository, so that
 * the blobs of one pull do not each repeat the dance.  A token that
 * expired sooner only costs a 401 and a new dance.
 */
static struct token_entry {
	char		 key[sizeof(((struct upstream_ref *)0)->name) + 256];
	struct buf	 hdr;		/* "Authorization: Bearer ..." */
	time_t		 until;
} token_cache[TOKEN_CACHE];

void
upstream_init(void)
{
	httpc_init();
}

int
upstream_map(const struct conf *c, const char *name, struct upstream_ref *r)
{
	const char	*slash, *rest = name;
	char		 host[256] = "docker.io";
	size_t		 hlen;
	int		 n;

	memset(r, 0, sizeof(*r));
	if ((slash = strchr(name, '/')) != NULL) {
		hlen = (size_t)(slash - name);
		if ((memchr(name, '.', hlen) != NULL ||
		    memchr(name, ':', hlen) != NULL ||
		    (hlen == 9 && memcmp(name, "localhost", 9) == 0)) &&
		    hlen < sizeof(host)) {
			memcpy(host, name, hlen);
			host[hlen] = '\0';
			rest = slash + 1;
		}
	}
	if ((r->up = conf_upstream_find(c, host)) == NULL || *rest == '\0')
		return (-1);
	r->conf = c;
	n = snprintf(r->name, sizeof(r->name), "%s%s",
	    strcmp(host, "docker.io") == 0 && strchr(rest, '/') == NULL ?
	    "library/" : "", rest);
	return (n < 0 || (size_t)n >= sizeof(r->name) ? -1 : 0);
}

/* Copy a quoted-string or token value at "*pp" into out; -1 if bad. */
static int
challenge_value(const char **pp, char *out, size_t size)
{
	const char	*p = *pp;
	size_t		 n = 0;
	int		 quoted = (*p == '"');

	if (quoted)
		p++;
	for (; *p != '\0'; p++) {
		if (quoted && *p == '"')
			break;
		if (!quoted && (*p == ',' || *p == ' ' || *p == '\t'))
			break;
		if (quoted && *p == '\\' && p[1] != '\0')
			p++;
		if (n + 1 >= size)
			return (-1);
		out[n++] = *p;
	}
	if (quoted && *p++ != '"')
		return (-1);
	out[n] = '\0';
	*pp = p;
	return (0);
}

int
upstream_challenge_parse(const char *v, struct upstream_challenge *ch)
{
	static const struct {
		const char	*key;
		size_t		 off, size;
	} keys[] = {
		{ "realm", offsetof(struct upstream_challenge, realm), 1024 },
		{ "service", offsetof(struct upstream_challenge, service),
		    256 },
		{ "scope", offsetof(struct upstream_challenge, scope), 512 },
	};
	char		 key[32], skip[1024];
	char		*dst;
	size_t		 n, i, size;

	memset(ch, 0, sizeof(*ch));
	for (n = 0; isalpha((unsigned char)v[n]); n++)
		if (n + 1 >= sizeof(ch->scheme))
			return (-1);
		else
			ch->scheme[n] = (char)tolower((unsigned char)v[n]);
	if (n == 0 || (v[n] != '\0' && v[n] != ' '))
		return (-1);
	for (v += n; *v != '\0';) {
		if (*v == ' ' || *v == '\t' || *v == ',') {
			v++;
			continue;
		}
		for (n = 0; v[n] != '=' && v[n] != '\0' && v[n] != ','; n++)
			;
		if (v[n] != '=' || n == 0 || n >= sizeof(key))
			return (-1);
		memcpy(key, v, n);
		key[n] = '\0';
		v += n + 1;
		dst = skip;
		size = sizeof(skip);
		for (i = 0; i < nitems(keys); i++)
			if (strcasecmp(key, keys[i].key) == 0) {
				dst = (char *)ch + keys[i].off;
				size = keys[i].size;
			}
		if (challenge_value(&v, dst, size) == -1)
			return (-1);
	}
	return (0);
}

/* Copy the answer's header "name", "" if absent or too long. */
static void
header_copy(const struct httpc *c, const char *name, char *out, size_t size)
{
	const char	*v;
	size_t		 len;

	out[0] = '\0';
	/* Too long to be ours: as if absent. */
	if ((v = httpc_get(c, name)) != NULL && (len = strlen(v)) < size)
		memcpy(out, v, len + 1);
}

/*
 * A GET or HEAD of "url"; "hdr" (may be NULL) is an extra header.  A blob
 * ("pull") may be big: give up on a stall, not on a long transfer.
 */
static struct httpc *
upstream_new(const struct conf *conf, const char *method, const char *url,
    const char *hdr, size_t max, int pull)
{
	struct httpc_opts	 o;
	struct httpc		*c;
	long			 t = (long)conf->upstream_timeout;

	memset(&o, 0, sizeof(o));
	o.connect_timeout = t;
	o.follow = 1;
	if (pull)
		o.stall = t;
	else
		o.timeout = t;
	c = httpc_new(method, url, &o);
	if (hdr != NULL)
		httpc_header(c, hdr);
	httpc_recv(c, max, pull);
	return (c);
}

/* Send the upstream's credentials as Basic (libcurl: same host only). */
static void
upstream_basic(struct httpc *c, const struct conf_upstream *up)
{
	httpc_basic(c, up->username, up->password);
}

/* Start the transfer and wait for the final response's headers. */
static enum reg_err
upstream_start(struct httpc *c, const char *what)
{
	if (httpc_start(c) == 0)
		return (REG_OK);
	log_warnx("upstream %s: %s", what, httpc_error(c));
	return (REG_E_UNAVAILABLE);
}

/* Run the transfer to its end. */
static enum reg_err
upstream_finish(struct httpc *c, const char *what)
{
	if (httpc_finish(c) == 0)
		return (REG_OK);
	log_warnx("upstream %s: %s", what, httpc_error(c));
	return (REG_E_UNAVAILABLE);
}

static time_t
token_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec);
}

/* The cache entry for "r": its own, or the one to reuse. */
static struct token_entry *
token_entry(const struct upstream_ref *r, int *found)
{
	struct token_entry	*te, *old = &token_cache[0];
	char			 key[sizeof(te->key)];
	size_t			 i;

	snprintf(key, sizeof(key), "%s %s", r->up->host, r->name);
	for (i = 0; i < TOKEN_CACHE; i++) {
		te = &token_cache[i];
		if (strcmp(te->key, key) == 0) {
			*found = 1;
			return (te);
		}
		if (te->until < old->until)
			old = te;
	}
	*found = 0;
	memcpy(old->key, key, sizeof(old->key));
	old->until = 0;
	return (old);
}

/* Append a cached "Authorization" header for "r" to "hdr", if any. */
static void
token_cached(const struct upstream_ref *r, struct buf *hdr)
{
	struct token_entry	*te;
	int			 found;

	te = token_entry(r, &found);
	if (found && te->until > token_now())
		buf_add(hdr, te->hdr.buf, te->hdr.len);
}

static void
token_keep(const struct upstream_ref *r, const struct buf *hdr)
{
	struct token_entry	*te;
	int			 found;

	te = token_entry(r, &found);
	buf_reset(&te->hdr);
	buf_add(&te->hdr, hdr->buf, hdr->len);
	te->until = token_now() + TOKEN_TTL;
}

/* The token in a token endpoint's JSON answer; it goes into a header. */
static int
token_parse(const struct buf *body, struct buf *token)
{
	struct json_object	*root, *v;
	const char		*p;
	int			 rc = -1;

	if ((root = json_tokener_parse(body->buf)) == NULL)
		return (-1);
	if ((json_object_object_get_ex(root, "token", &v) ||
	    json_object_object_get_ex(root, "access_token", &v)) &&
	    json_object_is_type(v, json_type_string) &&
	    json_object_get_string_len(v) > 0) {
		for (p = json_object_get_string(v); *p > ' ' && *p < 0x7f; p++)
			;
		if (*p == '\0') {
			buf_addstr(token, json_object_get_string(v));
			rc = 0;
		}
	}
	json_object_put(root);
	return (rc);
}

/* realm?service=...&scope=... */
static void
token_url(const struct upstream_challenge *ch, struct buf *url)
{
	char	 sep = strchr(ch->realm, '?') != NULL ? '&' : '?';

	buf_addstr(url, ch->realm);
	if (ch->service[0] != '\0') {
		buf_addf(url, "%cservice=", sep);
		httpc_escape(url, ch->service, NULL);
		sep = '&';
	}
	if (ch->scope[0] != '\0') {
		buf_addf(url, "%cscope=", sep);
		httpc_escape(url, ch->scope, NULL);
	}
}

/* The Docker token dance: "Authorization: Bearer ..." into "hdr". */
static enum reg_err
token_get(const struct upstream_ref *r, const struct upstream_challenge *ch,
    struct buf *hdr)
{
	struct httpc	*c;
	struct buf	 url = BUF_INIT, token = BUF_INIT;
	enum reg_err	 err;

	if (strncmp(ch->realm, "http://", 7) != 0 &&
	    strncmp(ch->realm, "https://", 8) != 0) {
		log_warnx("upstream %s: bad token realm", r->up->host);
		return (REG_E_UNAVAILABLE);
	}
	token_url(ch, &url);
	c = upstream_new(r->conf, "GET", url.buf, NULL, UPSTREAM_TOKEN_MAX, 0);
	if (r->up->username != NULL)
		upstream_basic(c, r->up);
	if ((err = upstream_start(c, r->up->host)) == REG_OK &&
	    (err = upstream_finish(c, r->up->host)) == REG_OK &&
	    (httpc_status(c) != 200 ||
	    token_parse(httpc_body(c), &token) == -1)) {
		log_warnx("upstream %s: token endpoint answered %ld",
		    r->up->host, httpc_status(c));
		err = REG_E_UNAVAILABLE;
	}
	if (err == REG_OK)
		buf_addf(hdr, "Authorization: Bearer %s", token.buf);
	buf_release(&token);
	buf_release(&url);
	httpc_free(c);
	return (err);
}

/*
 * Request "/v2/<name><path>" and wait for the headers, answering one
 * 401 with credentials.  REG_OK with any status in httpc_status(*out);
 * "*out" is set whatever the result: httpc_free() it.
 */
static enum reg_err
upstream_open(const struct upstream_ref *r, const char *path,
    const char *accept, int head, size_t max, int pull, struct httpc **out)
{
	struct upstream_challenge	 ch;
	struct buf			 url = BUF_INIT, auth = BUF_INIT;
	struct httpc			*c = NULL;
	char				 www_auth[1536];
	enum reg_err			 err;
	int				 try;

	buf_addf(&url, "%s/v2/%s%s", r->up->url, r->name, path);
	token_cached(r, &auth);
	for (try = 0; try < 2; try++) {
		c = upstream_new(r->conf, head ? "HEAD" : "GET", url.buf,
		    auth.len > 0 ? auth.buf : NULL, max, pull);
		if (accept != NULL)
			httpc_header(c, accept);
		if (try == 1 && auth.len == 0)
			upstream_basic(c, r->up);
		if ((err = upstream_start(c, r->up->host)) != REG_OK ||
		    httpc_status(c) != 401 || try == 1)
			break;
		header_copy(c, "WWW-Authenticate", www_auth, sizeof(www_auth));
		if (upstream_challenge_parse(www_auth, &ch) == -1 ||
		    (strcmp(ch.scheme, "bearer") != 0 &&
		    (strcmp(ch.scheme, "basic") != 0 ||
		    r->up->username == NULL)))
			break;
		buf_reset(&auth);
		if (strcmp(ch.scheme, "bearer") == 0) {
			if ((err = token_get(r, &ch, &auth)) != REG_OK)
				break;
			token_keep(r, &auth);
		}
		httpc_free(c);
	}
	buf_release(&auth);
	buf_release(&url);
	*out = c;
	return (err);
}

/* REG_OK for 200, NOENT for 404, else logged and UNAVAILABLE. */
static enum reg_err
upstream_status(const struct upstream_ref *r, const struct httpc *c,
    const char *what)
{
	if (httpc_status(c) == 200)
		return (REG_OK);
	if (httpc_status(c) == 404)
		return (REG_E_NOENT);
	log_warnx("upstream %s: %s %s: status %ld", r->up->host, r->name,
	    what, httpc_status(c));
	return (REG_E_UNAVAILABLE);
}

/* Seconds a Retry-After asks for: delta-seconds or an HTTP-date. */
static uint64_t
retry_after_parse(const char *v)
{
	struct tm	 tm;
	const char	*end;
	uint64_t	 secs;
	time_t		 when, now = time(NULL);

	if (v == NULL)
		return (0);
	if (parse_u64(v, 0, UINT32_MAX, &secs) == 0)
		return (secs);
	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm)) == NULL ||
	    *end != '\0' || (when = timegm(&tm)) == (time_t)-1 || when <= now)
		return (0);
	return ((uint64_t)(when - now));
}

/* What the upstream said beyond the body: status, Retry-After. */
static void
manifest_status_take(const struct httpc *c, struct upstream_manifest *m)
{
	m->status = httpc_status(c);
	if (m->status == 429)
		m->retry_after = retry_after_parse(httpc_get(c,
		    "Retry-After"));
}

/* GET (or HEAD, no body) of a manifest; see upstream_manifest_get(). */
static enum reg_err
manifest_request(const struct upstream_ref *r, const char *ref,
    const char *accept, int head, struct upstream_manifest *m)
{
	struct httpc	*c;
	struct buf	 path = BUF_INIT, hdr = BUF_INIT;
	enum reg_err	 err;

	memset(m, 0, sizeof(*m));
	buf_init(&m->body);
	buf_addf(&path, "/manifests/%s", ref);
	/*
	 * Every known type and the client's: distribution answers 404
	 * for an OCI manifest to a bare wildcard Accept, and specreg too
	 * serves what it has rather than nothing.
	 */
	buf_addstr(&hdr, UPSTREAM_ACCEPT);
	if (accept != NULL && *accept != '\0' &&
	    strcspn(accept, "\r\n") == strlen(accept))
		buf_addf(&hdr, ", %s", accept);
	err = upstream_open(r, path.buf, hdr.buf, head, UPSTREAM_MANIFEST_MAX,
	    0, &c);
	if (err == REG_OK)
		manifest_status_take(c, m);
	if (err == REG_OK && (err = upstream_status(r, c, path.buf)) ==
	    REG_OK && (err = upstream_finish(c, r->up->host)) == REG_OK) {
		header_copy(c, "Content-Type", m->content_type,
		    sizeof(m->content_type));
		header_copy(c, "Docker-Content-Digest", m->digest,
		    sizeof(m->digest));
		buf_add(&m->body, httpc_body(c)->buf, httpc_body(c)->len);
	}
	httpc_free(c);
	buf_release(&hdr);
	buf_release(&path);
	return (err);
}

enum reg_err
upstream_manifest_get(const struct upstream_ref *r, const char *ref,
    const char *accept, struct upstream_manifest *m)
{
	return (manifest_request(r, ref, accept, 0, m));
}

enum reg_err
upstream_manifest_head(const struct upstream_ref *r, const char *ref,
    const char *accept, struct upstream_manifest *m)
{
	return (manifest_request(r, ref, accept, 1, m));
}

/* "s" starts with "prefix": what follows it, else NULL. */
static const char *
skip_prefix(const char *s, size_t len, const char *prefix)
{
	size_t	n = strlen(prefix);

	return (len >= n && memcmp(s, prefix, n) == 0 ? s + n : NULL);
}

/* A Link target of the tags list of "r": its "/tags/list?..." or NULL. */
static const char *
link_target(const struct upstream_ref *r, const char *url, size_t len)
{
	const char	*p, *q, *end = url + len;
	char		 repo[NAME_MAX_LEN + 16];
	size_t		 i;

	for (i = 0; i < len; i++)
		if (url[i] <= ' ' || url[i] > '~' || url[i] == '#')
			return (NULL);
	if ((p = skip_prefix(url, len, r->up->url)) != NULL && *p == '/')
		url = p;
	else if (len == 0 || url[0] != '/' || (len > 1 && url[1] == '/'))
		return (NULL);	/* another host, or not a path */
	(void)snprintf(repo, sizeof(repo), "/v2/%s", r->name);
	if ((p = skip_prefix(url, (size_t)(end - url), repo)) == NULL ||
	    (q = skip_prefix(p, (size_t)(end - p), "/tags/list")) == NULL ||
	    (q != end && *q != '?'))
		return (NULL);
	return (p);
}

int
upstream_link_next(const struct upstream_ref *r, const char *link,
    char out[UPSTREAM_NEXT_MAX])
{
	const char	*lt, *gt, *end, *t;
	char		 params[256];
	size_t		 n, i;

	out[0] = '\0';
	for (lt = strchr(link, '<'); lt != NULL; lt = strchr(end, '<')) {
		if ((gt = strchr(lt, '>')) == NULL)
			return (0);	/* not a link: no next page */
		end = gt + strcspn(gt, ",");
		n = (size_t)(end - gt - 1);
		if (n >= sizeof(params))
			n = sizeof(params) - 1;
		for (i = 0; i < n; i++)
			params[i] = (char)tolower((unsigned char)gt[1 + i]);
		params[n] = '\0';
		if (strstr(params, "rel=\"next\"") == NULL &&
		    strstr(params, "rel=next") == NULL)
			continue;
		t = link_target(r, lt + 1, (size_t)(gt - lt - 1));
		n = t == NULL ? 0 : (size_t)(gt - t);
		if (t == NULL || n >= UPSTREAM_NEXT_MAX)
			return (-1);
		memcpy(out, t, n);
		out[n] = '\0';
		return (0);
	}
	return (0);
}

enum reg_err
upstream_tags_get(const struct upstream_ref *r, const char *page,
    struct upstream_manifest *m)
{
	struct httpc	*c;
	const char	*link;
	enum reg_err	 err;

	memset(m, 0, sizeof(*m));
	buf_init(&m->body);
	if (page == NULL)
		page = "/tags/list";
	err = upstream_open(r, page, NULL, 0, UPSTREAM_TAGS_MAX, 0, &c);
	if (err == REG_OK)
		manifest_status_take(c, m);
	if (err == REG_OK && (err = upstream_status(r, c, "/tags/list")) ==
	    REG_OK && (err = upstream_finish(c, r->up->host)) == REG_OK)
		buf_add(&m->body, httpc_body(c)->buf, httpc_body(c)->len);
	if (err == REG_OK && (link = httpc_get(c, "Link")) != NULL &&
	    upstream_link_next(r, link, m->next) == -1) {
		log_warnx("upstream %s: %s: tags list Link not followed: %s",
		    r->up->host, r->name, link);
		m->next[0] = '\0';
	}
	httpc_free(c);
	return (err);
}

void
upstream_manifest_release(struct upstream_manifest *m)
{
	buf_release(&m->body);
}

enum reg_err
upstream_blob_open(const struct upstream_ref *r, const struct digest *d,
    int head, struct upstream_blob **out, uint64_t *size)
{
	struct upstream_blob	*ub;
	struct buf		 path = BUF_INIT;
	int64_t			 len;
	enum reg_err		 err;

	ub = xcalloc(1, sizeof(*ub));
	buf_addf(&path, "/blobs/%s", d->str);
	err = upstream_open(r, path.buf, NULL, head, 0, 1, &ub->c);
	if (err == REG_OK)
		err = upstream_status(r, ub->c, path.buf);
	buf_release(&path);
	if (err != REG_OK) {
		upstream_blob_close(ub);
		return (err);
	}
	len = httpc_length(ub->c);
	*size = len >= 0 ? (uint64_t)len : UINT64_MAX;
	*out = ub;
	return (REG_OK);
}

ssize_t
upstream_blob_read(void *buf, size_t len, void *arg)
{
	struct upstream_blob	*ub = arg;

	return (httpc_read(buf, len, ub->c));
}

void
upstream_blob_close(struct upstream_blob *ub)
{
	if (ub == NULL)
		return;
	httpc_free(ub->c);
	free(ub);
}

/* No answer at all (timeout, refused), 429 or 5xx: an outage. */
int
upstream_manifest_outage(const struct upstream_manifest *m)
{
	return (m->status == 0 || m->status == 429 || m->status >= 500);
}
