/*
 * storage/upstream.c: a small libcurl client for upstream registries.
 *
 * Every transfer runs on a multi handle so that a blob can be pulled a
 * chunk at a time: the write callback keeps at most UPSTREAM_CHUNK bytes
 * and pauses the transfer beyond that; upstream_blob_read() hands them
 * out and resumes it.  Memory does not grow with the blob.  Bodies of
 * responses other than 200 are dropped.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "storage/store.h"
#include "storage/upstream.h"

#define UPSTREAM_TOKEN_MAX	(64 * 1024)
#define UPSTREAM_MAXREDIRS	5
#define TOKEN_CACHE		8
#define TOKEN_TTL		60	/* seconds a token is tried again */

#define UPSTREAM_ACCEPT	"Accept: " \
	"application/vnd.oci.image.index.v1+json, " \
	"application/vnd.oci.image.manifest.v1+json, " \
	"application/vnd.docker.distribution.manifest.list.v2+json, " \
	"application/vnd.docker.distribution.manifest.v2+json"

struct xfer {
	CURL			*h;
	CURLM			*m;
	struct curl_slist	*hdrs;
	size_t			 max;		/* body bound */
	int			 stream;	/* pause at UPSTREAM_CHUNK */
	/* The current response. */
	long			 status;
	int			 headers_done;
	char			 www_auth[1536];
	char			 content_type[256];
	char			 digest[DIGEST_STR_MAX];
	/* Body bytes held, from "off". */
	struct buf		 body;
	size_t			 off;
	int			 too_big;
	int			 paused;
	int			 done;
	CURLcode		 result;
};

struct upstream_blob {
	struct xfer		 x;
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
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		log_warnx("curl_global_init failed");
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

/* Copy a header's value, trimmed, if "line" is that header. */
static void
header_take(const char *line, size_t len, const char *name, char *out,
    size_t size)
{
	size_t	nlen = strlen(name);

	if (len <= nlen || strncasecmp(line, name, nlen) != 0 ||
	    line[nlen] != ':')
		return;
	line += nlen + 1;
	len -= nlen + 1;
	while (len > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)line[len - 1]))
		len--;
	if (len >= size)
		len = 0;	/* too long to be ours: as if absent */
	memcpy(out, line, len);
	out[len] = '\0';
}

static size_t
xfer_header(char *line, size_t size, size_t n, void *arg)
{
	struct xfer	*x = arg;
	long		 code = 0;

	(void)size;
	if (n >= 5 && strncmp(line, "HTTP/", 5) == 0) {
		x->headers_done = 0;
		x->www_auth[0] = x->content_type[0] = x->digest[0] = '\0';
	} else if (n <= 2 && (line[0] == '\r' || line[0] == '\n')) {
		curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
		/* A redirect libcurl follows is not the answer. */
		if (code >= 200 && !(code >= 301 && code <= 308 &&
		    code != 304 && code != 305 && code != 306)) {
			x->status = code;
			x->headers_done = 1;
		}
	} else {
		header_take(line, n, "WWW-Authenticate", x->www_auth,
		    sizeof(x->www_auth));
		header_take(line, n, "Content-Type", x->content_type,
		    sizeof(x->content_type));
		header_take(line, n, "Docker-Content-Digest", x->digest,
		    sizeof(x->digest));
	}
	return (n);
}

static size_t
xfer_write(char *data, size_t size, size_t n, void *arg)
{
	struct xfer	*x = arg;

	(void)size;
	if (!x->headers_done || x->status != 200)
		return (n);
	if (x->stream && x->body.len - x->off >= UPSTREAM_CHUNK) {
		x->paused = 1;
		return (CURL_WRITEFUNC_PAUSE);
	}
	if (x->off > 0 && x->off == x->body.len) {
		buf_reset(&x->body);
		x->off = 0;
	}
	if (x->body.len + n > x->max) {
		x->too_big = 1;
		return (0);
	}
	buf_add(&x->body, data, n);
	return (n);
}

static void
xfer_release(struct xfer *x)
{
	if (x->m != NULL && x->h != NULL)
		curl_multi_remove_handle(x->m, x->h);
	if (x->h != NULL)
		curl_easy_cleanup(x->h);
	if (x->m != NULL)
		curl_multi_cleanup(x->m);
	curl_slist_free_all(x->hdrs);
	buf_release(&x->body);
	memset(x, 0, sizeof(*x));
}

/* Set up a transfer of "url"; "hdr" (may be NULL) is an extra header. */
static void
xfer_init(struct xfer *x, const struct conf *c, const char *url,
    const char *hdr, size_t max, int stream)
{
	long	t = (long)c->upstream_timeout;

	memset(x, 0, sizeof(*x));
	buf_init(&x->body);
	x->max = max;
	x->stream = stream;
	if ((x->h = curl_easy_init()) == NULL ||
	    (x->m = curl_multi_init()) == NULL)
		fatalx("out of memory for libcurl");
	if (hdr != NULL)
		x->hdrs = curl_slist_append(x->hdrs, hdr);
	curl_easy_setopt(x->h, CURLOPT_URL, url);
	curl_easy_setopt(x->h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(x->h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(x->h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(x->h, CURLOPT_MAXREDIRS, (long)UPSTREAM_MAXREDIRS);
	curl_easy_setopt(x->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->h, CURLOPT_CONNECTTIMEOUT, t);
	/* Blobs may be big: give up on a stall, not on a long transfer. */
	if (stream) {
		curl_easy_setopt(x->h, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(x->h, CURLOPT_LOW_SPEED_TIME, t);
	} else
		curl_easy_setopt(x->h, CURLOPT_TIMEOUT, t);
	curl_easy_setopt(x->h, CURLOPT_USERAGENT, "specreg/" PACKAGE_VERSION);
	curl_easy_setopt(x->h, CURLOPT_HTTPHEADER, x->hdrs);
	curl_easy_setopt(x->h, CURLOPT_HEADERFUNCTION, xfer_header);
	curl_easy_setopt(x->h, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, xfer_write);
	curl_easy_setopt(x->h, CURLOPT_WRITEDATA, x);
}

/* Send the upstream's credentials as Basic (libcurl: same host only). */
static void
xfer_basic(struct xfer *x, const struct conf_upstream *up)
{
	curl_easy_setopt(x->h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	curl_easy_setopt(x->h, CURLOPT_USERNAME, up->username);
	curl_easy_setopt(x->h, CURLOPT_PASSWORD, up->password);
}

/* Move the transfer on: one perform, then wait for its socket. */
static void
xfer_pump(struct xfer *x)
{
	struct CURLMsg	*msg;
	int		 running, left;

	if (curl_multi_perform(x->m, &running) != CURLM_OK) {
		x->done = 1;
		x->result = CURLE_FAILED_INIT;
		return;
	}
	if (running == 0) {
		x->done = 1;
		x->result = CURLE_FAILED_INIT;
		while ((msg = curl_multi_info_read(x->m, &left)) != NULL)
			if (msg->msg == CURLMSG_DONE)
				x->result = msg->data.result;
		return;
	}
	if (!x->paused)
		curl_multi_poll(x->m, NULL, 0, 1000, NULL);
}

/* Start the transfer and wait for the final response's headers. */
static enum reg_err
xfer_start(struct xfer *x, const char *what)
{
	curl_multi_add_handle(x->m, x->h);
	while (!x->headers_done && !x->done)
		xfer_pump(x);
	if (x->headers_done)
		return (REG_OK);
	log_warnx("upstream %s: %s", what, curl_easy_strerror(x->result));
	return (REG_E_UNAVAILABLE);
}

/* Run the transfer to its end. */
static enum reg_err
xfer_finish(struct xfer *x, const char *what)
{
	while (!x->done)
		xfer_pump(x);
	if (x->result == CURLE_OK && !x->too_big)
		return (REG_OK);
	log_warnx("upstream %s: %s", what, x->too_big ? "response too large" :
	    curl_easy_strerror(x->result));
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
token_url(CURL *h, const struct upstream_challenge *ch, struct buf *url)
{
	char	*e;
	char	 sep = strchr(ch->realm, '?') != NULL ? '&' : '?';

	buf_addstr(url, ch->realm);
	if (ch->service[0] != '\0') {
		e = curl_easy_escape(h, ch->service, 0);
		buf_addf(url, "%cservice=%s", sep, e);
		curl_free(e);
		sep = '&';
	}
	if (ch->scope[0] != '\0') {
		e = curl_easy_escape(h, ch->scope, 0);
		buf_addf(url, "%cscope=%s", sep, e);
		curl_free(e);
	}
}

/* The Docker token dance: "Authorization: Bearer ..." into "hdr". */
static enum reg_err
token_get(const struct upstream_ref *r, const struct upstream_challenge *ch,
    struct buf *hdr)
{
	struct xfer	 x;
	struct buf	 url = BUF_INIT, token = BUF_INIT;
	enum reg_err	 err;

	if (strncmp(ch->realm, "http://", 7) != 0 &&
	    strncmp(ch->realm, "https://", 8) != 0) {
		log_warnx("upstream %s: bad token realm", r->up->host);
		return (REG_E_UNAVAILABLE);
	}
	xfer_init(&x, r->conf, "", NULL, UPSTREAM_TOKEN_MAX, 0);
	token_url(x.h, ch, &url);
	curl_easy_setopt(x.h, CURLOPT_URL, url.buf);
	if (r->up->username != NULL)
		xfer_basic(&x, r->up);
	if ((err = xfer_start(&x, r->up->host)) == REG_OK &&
	    (err = xfer_finish(&x, r->up->host)) == REG_OK &&
	    (x.status != 200 || token_parse(&x.body, &token) == -1)) {
		log_warnx("upstream %s: token endpoint answered %ld",
		    r->up->host, x.status);
		err = REG_E_UNAVAILABLE;
	}
	if (err == REG_OK)
		buf_addf(hdr, "Authorization: Bearer %s", token.buf);
	buf_release(&token);
	buf_release(&url);
	xfer_release(&x);
	return (err);
}

/*
 * Request "/v2/<name><path>" and wait for the headers, answering one
 * 401 with credentials.  REG_OK with any status in x->status.
 */
static enum reg_err
upstream_open(const struct upstream_ref *r, const char *path,
    const char *accept, int head, size_t max, int stream, struct xfer *x)
{
	struct upstream_challenge	 ch;
	struct buf			 url = BUF_INIT, auth = BUF_INIT;
	enum reg_err			 err;
	int				 try;

	buf_addf(&url, "%s/v2/%s%s", r->up->url, r->name, path);
	token_cached(r, &auth);
	for (try = 0; try < 2; try++) {
		xfer_init(x, r->conf, url.buf, auth.len > 0 ? auth.buf : NULL,
		    max, stream);
		if (accept != NULL)
			x->hdrs = curl_slist_append(x->hdrs, accept);
		curl_easy_setopt(x->h, CURLOPT_HTTPHEADER, x->hdrs);
		if (head)
			curl_easy_setopt(x->h, CURLOPT_NOBODY, 1L);
		if (try == 1 && auth.len == 0)
			xfer_basic(x, r->up);
		if ((err = xfer_start(x, r->up->host)) != REG_OK ||
		    x->status != 401 || try == 1)
			break;
		if (upstream_challenge_parse(x->www_auth, &ch) == -1 ||
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
		xfer_release(x);
	}
	buf_release(&auth);
	buf_release(&url);
	return (err);
}

/* REG_OK for 200, NOENT for 404, else logged and UNAVAILABLE. */
static enum reg_err
upstream_status(const struct upstream_ref *r, const struct xfer *x,
    const char *what)
{
	if (x->status == 200)
		return (REG_OK);
	if (x->status == 404)
		return (REG_E_NOENT);
	log_warnx("upstream %s: %s %s: status %ld", r->up->host, r->name,
	    what, x->status);
	return (REG_E_UNAVAILABLE);
}

/* What the upstream said beyond the body: status, Retry-After. */
static void
manifest_status_take(const struct xfer *x, struct upstream_manifest *m)
{
	curl_off_t	secs = 0;

	m->status = x->status;
	if (x->status == 429 && curl_easy_getinfo(x->h,
	    CURLINFO_RETRY_AFTER, &secs) == CURLE_OK && secs > 0)
		m->retry_after = (uint64_t)secs;
}

/* GET (or HEAD, no body) of a manifest; see upstream_manifest_get(). */
static enum reg_err
manifest_request(const struct upstream_ref *r, const char *ref,
    const char *accept, int head, struct upstream_manifest *m)
{
	struct xfer	 x;
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
	err = upstream_open(r, path.buf, hdr.buf, head, MANIFEST_MAX, 0, &x);
	if (err == REG_OK)
		manifest_status_take(&x, m);
	if (err == REG_OK && (err = upstream_status(r, &x, path.buf)) ==
	    REG_OK && (err = xfer_finish(&x, r->up->host)) == REG_OK) {
		memcpy(m->content_type, x.content_type,
		    sizeof(m->content_type));
		memcpy(m->digest, x.digest, sizeof(m->digest));
		buf_add(&m->body, x.body.buf, x.body.len);
	}
	xfer_release(&x);
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

enum reg_err
upstream_tags_get(const struct upstream_ref *r, struct upstream_manifest *m)
{
	struct xfer	 x;
	enum reg_err	 err;

	memset(m, 0, sizeof(*m));
	buf_init(&m->body);
	err = upstream_open(r, "/tags/list", NULL, 0, UPSTREAM_TAGS_MAX, 0,
	    &x);
	if (err == REG_OK)
		manifest_status_take(&x, m);
	if (err == REG_OK && (err = upstream_status(r, &x, "/tags/list")) ==
	    REG_OK && (err = xfer_finish(&x, r->up->host)) == REG_OK)
		buf_add(&m->body, x.body.buf, x.body.len);
	xfer_release(&x);
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
	curl_off_t		 len = -1;
	enum reg_err		 err;

	ub = xcalloc(1, sizeof(*ub));
	buf_addf(&path, "/blobs/%s", d->str);
	err = upstream_open(r, path.buf, NULL, head,
	    UPSTREAM_CHUNK + CURL_MAX_WRITE_SIZE, 1, &ub->x);
	if (err == REG_OK)
		err = upstream_status(r, &ub->x, path.buf);
	buf_release(&path);
	if (err != REG_OK) {
		upstream_blob_close(ub);
		return (err);
	}
	curl_easy_getinfo(ub->x.h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
	*size = len >= 0 ? (uint64_t)len : UINT64_MAX;
	*out = ub;
	return (REG_OK);
}

ssize_t
upstream_blob_read(void *buf, size_t len, void *arg)
{
	struct upstream_blob	*ub = arg;
	struct xfer		*x = &ub->x;
	size_t			 n;

	while (x->body.len == x->off && !x->done) {
		if (x->paused) {
			x->paused = 0;
			curl_easy_pause(x->h, CURLPAUSE_CONT);
		} else
			xfer_pump(x);
	}
	if ((n = x->body.len - x->off) == 0)
		return (x->result == CURLE_OK && !x->too_big ? 0 : -1);
	if (n > len)
		n = len;
	memcpy(buf, x->body.buf + x->off, n);
	x->off += n;
	return ((ssize_t)n);
}

void
upstream_blob_close(struct upstream_blob *ub)
{
	if (ub == NULL)
		return;
	xfer_release(&ub->x);
	free(ub);
}

/* No answer at all (timeout, refused), 429 or 5xx: an outage. */
int
upstream_manifest_outage(const struct upstream_manifest *m)
{
	return (m->status == 0 || m->status == 429 || m->status >= 500);
}
