/*
 * storage/s3.c: the S3 REST API over net/httpc, signed by net/sigv4.
 *
 * Every request goes through s3_call(): it builds the URL (path-style
 * "endpoint/bucket/key" or virtual-hosted "bucket.host/key"), signs
 * the request and waits for the answer's headers.  S3 answers errors
 * with a small XML document whose Code names the cause; it is logged
 * with the request.  CopyObject, UploadPartCopy and
 * CompleteMultipartUpload may answer 200 and still fail: their body is
 * then an <Error>, checked here.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "net/httpc.h"
#include "net/sigv4.h"
#include "storage/s3.h"

#define S3_LIST_MAX		(8 * 1024 * 1024)
#define S3_SMALL_MAX		(64 * 1024)	/* XML answers but listings */
#define S3_SIGN_MAX		(64 * 1024)	/* bodies signed by SHA-256 */
#define S3_TIMEOUT		30
#define S3_RETRIES		3
#define S3_EXCL_PROBE		".excl-probe"

struct s3 {
	char		*scheme;	/* "http://" or "https://" */
	char		*host;		/* "host[:port]" of the endpoint */
	char		*base;		/* the endpoint's path, "" or "/x" */
	char		*region;
	char		*bucket;
	char		*access_key;
	char		*secret_key;
	char		*session_token;
	char		*prefix;
	int		 path_style;
	long		 timeout;
	int		 retries;
	int		 alone;		/* the probe's: see httpc.h */
	unsigned int	 page;
	int		 excl;		/* If-None-Match: * works */
};

/* A request: "name" NULL is the bucket. */
struct s3_req {
	const char	*method;
	const char	*name;
	const char	*query;		/* encoded, without '?'; or NULL */
	const char	*hdrs[4];
	const void	*body;
	size_t		 len;
	int		 has_body;
	size_t		 max;		/* response body kept */
	int		 pull;
};

static char *
s3_dup(const char *s)
{
	return (s != NULL ? xstrdup(s) : NULL);
}

/* Split "http://host:port/path" into the struct; the default is AWS. */
static void
s3_endpoint(struct s3 *s, const char *ep)
{
	struct buf	 def = BUF_INIT;
	const char	*p, *slash;

	if (ep == NULL || *ep == '\0') {
		buf_addf(&def, "https://s3.%s.amazonaws.com", s->region);
		ep = def.buf;
	}
	p = strstr(ep, "://");
	p = p != NULL ? p + 3 : ep;
	s->scheme = xstrndup(ep, (size_t)(p - ep));
	if ((slash = strchr(p, '/')) == NULL)
		slash = p + strlen(p);
	s->host = xstrndup(p, (size_t)(slash - p));
	s->base = xstrdup(slash);
	while (*s->base != '\0' && s->base[strlen(s->base) - 1] == '/')
		s->base[strlen(s->base) - 1] = '\0';
	buf_release(&def);
}

struct s3 *
s3_new(const struct s3_conf *conf)
{
	struct s3	*s;

	s = xcalloc(1, sizeof(*s));
	s->region = xstrdup(conf->region != NULL ? conf->region :
	    "us-east-1");
	s3_endpoint(s, conf->endpoint);
	s->bucket = s3_dup(conf->bucket);
	s->access_key = s3_dup(conf->access_key);
	s->secret_key = s3_dup(conf->secret_key);
	s->session_token = s3_dup(conf->session_token);
	s->prefix = xstrdup(conf->prefix != NULL ? conf->prefix : "");
	s->path_style = conf->path_style;
	s->timeout = conf->timeout > 0 ? conf->timeout : S3_TIMEOUT;
	s->retries = conf->retries > 0 ? conf->retries : S3_RETRIES;
	s3_page(s, conf->page);
	return (s);
}

void
s3_free(struct s3 *s)
{
	if (s == NULL)
		return;
	free(s->scheme);
	free(s->host);
	free(s->base);
	free(s->region);
	free(s->bucket);
	free(s->access_key);
	if (s->secret_key != NULL)
		explicit_bzero(s->secret_key, strlen(s->secret_key));
	free(s->secret_key);
	free(s->session_token);
	free(s->prefix);
	free(s);
}

int
s3_excl(const struct s3 *s)
{
	return (s->excl);
}

void
s3_page(struct s3 *s, unsigned int page)
{
	s->page = page > 0 && page <= S3_PAGE_MAX ? page : S3_PAGE_MAX;
}

/* --- XML ----------------------------------------------------------------- */

/* Whether "</tag>" starts at "k". */
static int
s3_xml_close(const char *x, size_t len, size_t k, const char *tag,
    size_t tl)
{
	return (k + tl + 3 <= len && x[k] == '<' && x[k + 1] == '/' &&
	    memcmp(x + k + 2, tag, tl) == 0 && x[k + 2 + tl] == '>');
}

int
s3_xml_find(const char *x, size_t len, const char *tag, size_t *pos,
    size_t *start, size_t *end)
{
	size_t	tl = strlen(tag), i, j, k;

	for (i = *pos; i + tl + 2 <= len; i++) {
		if (x[i] != '<' || memcmp(x + i + 1, tag, tl) != 0)
			continue;
		j = i + 1 + tl;
		if (x[j] != '>' && x[j] != '/' &&
		    !isspace((unsigned char)x[j]))
			continue;	/* a longer name */
		while (j < len && x[j] != '>')
			j++;
		if (j >= len)
			return (-1);
		if (x[j - 1] == '/') {
			*start = *end = *pos = j + 1;
			return (0);
		}
		for (k = j + 1; k < len; k++)
			if (s3_xml_close(x, len, k, tag, tl)) {
				*start = j + 1;
				*end = k;
				*pos = k + tl + 3;
				return (0);
			}
		return (-1);
	}
	return (-1);
}

/* A character reference's code point into UTF-8. */
static void
s3_xml_utf8(unsigned long cp, struct buf *out)
{
	if (cp == 0 || cp > 0x10ffff)
		buf_addch(out, '?');
	else if (cp < 0x80)
		buf_addch(out, (int)cp);
	else if (cp < 0x800) {
		buf_addch(out, (int)(0xc0 | (cp >> 6)));
		buf_addch(out, (int)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		buf_addch(out, (int)(0xe0 | (cp >> 12)));
		buf_addch(out, (int)(0x80 | ((cp >> 6) & 0x3f)));
		buf_addch(out, (int)(0x80 | (cp & 0x3f)));
	} else {
		buf_addch(out, (int)(0xf0 | (cp >> 18)));
		buf_addch(out, (int)(0x80 | ((cp >> 12) & 0x3f)));
		buf_addch(out, (int)(0x80 | ((cp >> 6) & 0x3f)));
		buf_addch(out, (int)(0x80 | (cp & 0x3f)));
	}
}

/* The entity at "p" (after '&', up to ';'): its length, or 0. */
static size_t
s3_xml_entity(const char *p, size_t len, struct buf *out)
{
	static const struct {
		const char	*name;
		int		 c;
	} ent[] = {
		{ "lt", '<' }, { "gt", '>' }, { "amp", '&' },
		{ "quot", '"' }, { "apos", '\'' }
	};
	const char	*semi;
	unsigned long	 cp = 0;
	size_t		 n, i;
	int		 hex;

	if ((semi = memchr(p, ';', len < 12 ? len : 12)) == NULL)
		return (0);
	n = (size_t)(semi - p);
	for (i = 0; i < nitems(ent); i++)
		if (strlen(ent[i].name) == n && memcmp(p, ent[i].name, n) == 0) {
			buf_addch(out, ent[i].c);
			return (n + 1);
		}
	if (n < 2 || p[0] != '#')
		return (0);
	hex = p[1] == 'x';
	for (i = hex ? 2 : 1; i < n; i++) {
		if (hex ? !isxdigit((unsigned char)p[i]) :
		    !isdigit((unsigned char)p[i]))
			return (0);
		cp = cp * (hex ? 16 : 10) + (unsigned long)(isdigit(
		    (unsigned char)p[i]) ? p[i] - '0' :
		    tolower((unsigned char)p[i]) - 'a' + 10);
	}
	if (i == (size_t)(hex ? 2 : 1))
		return (0);
	s3_xml_utf8(cp, out);
	return (n + 1);
}

void
s3_xml_text(const char *p, size_t len, struct buf *out)
{
	size_t	i, n;

	for (i = 0; i < len; i++) {
		if (p[i] == '&' && (n = s3_xml_entity(p + i + 1,
		    len - i - 1, out)) > 0) {
			i += n;
			continue;
		}
		buf_addch(out, p[i]);
	}
}

int
s3_xml_get(const char *x, size_t len, const char *tag, struct buf *out)
{
	size_t	pos = 0, a, b;

	if (s3_xml_find(x, len, tag, &pos, &a, &b) == -1)
		return (-1);
	s3_xml_text(x + a, b - a, out);
	return (0);
}

time_t
s3_iso_time(const char *s)
{
	struct tm	 tm;
	const char	*p;

	memset(&tm, 0, sizeof(tm));
	if (s == NULL || (p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return (-1);
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			;
	if (strcmp(p, "Z") != 0 && strcmp(p, "+00:00") != 0)
		return (-1);
	return (timegm(&tm));
}

/* "Sat, 05 Dec 2026 03:41:11 GMT"; 0 if not that. */
static time_t
s3_http_time(const char *s)
{
	struct tm	 tm;
	const char	*p;

	memset(&tm, 0, sizeof(tm));
	if (s == NULL || (p = strptime(s, "%a, %d %b %Y %H:%M:%S GMT",
	    &tm)) == NULL || *p != '\0')
		return (0);
	return (timegm(&tm));
}

struct s3_item {
	struct buf	 name;
	uint64_t	 bytes;
	time_t		 mtime;
	int		 subdir;
};

static int
s3_item_cmp(const void *a, const void *b)
{
	const struct s3_item	*x = a, *y = b;

	return (strcmp(x->name.buf, y->name.buf));
}

/* One <Contents> or <CommonPrefixes>: 0, or -1 if malformed. */
static int
s3_list_item(const char *x, size_t len, size_t skip, int subdir,
    struct s3_item *it)
{
	struct buf	v = BUF_INIT;
	uint64_t	n;
	int		rc = -1;

	memset(it, 0, sizeof(*it));
	buf_init(&it->name);
	it->subdir = subdir;
	if (s3_xml_get(x, len, subdir ? "Prefix" : "Key", &v) == -1 ||
	    v.len < skip)
		goto out;
	buf_addstr(&it->name, v.buf + skip);
	if (!subdir) {
		buf_reset(&v);
		if (s3_xml_get(x, len, "Size", &v) == -1 ||
		    parse_u64(v.buf, 0, UINT64_MAX, &n) == -1)
			goto out;
		it->bytes = n;
		buf_reset(&v);
		if (s3_xml_get(x, len, "LastModified", &v) == -1 ||
		    (it->mtime = s3_iso_time(v.buf)) == -1)
			goto out;
	}
	rc = 0;
out:
	buf_release(&v);
	return (rc);
}

/* The page's entries, sorted; their count, or -1 if malformed. */
static ssize_t
s3_list_items(const char *x, size_t len, size_t skip, struct s3_item **out)
{
	static const char	*const tags[] = { "Contents", "CommonPrefixes" };
	struct s3_item		*v = NULL;
	size_t			 n = 0, t, pos, a, b;

	for (t = 0; t < nitems(tags); t++) {
		pos = 0;
		while (s3_xml_find(x, len, tags[t], &pos, &a, &b) == 0) {
			v = xreallocarray(v, n + 1, sizeof(*v));
			if (s3_list_item(x + a, b - a, skip, t == 1,
			    &v[n]) == -1) {
				buf_release(&v[n].name);
				while (n > 0)
					buf_release(&v[--n].name);
				free(v);
				return (-1);
			}
			n++;
		}
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), s3_item_cmp);
	*out = v;
	return ((ssize_t)n);
}

int
s3_list_parse(const char *x, size_t len, size_t skip, s3_list_fn fn,
    void *arg, struct buf *next, enum reg_err *err)
{
	struct s3_item	*v = NULL;
	struct s3_entry	 e;
	struct buf	 trunc = BUF_INIT;
	ssize_t		 n, i;
	int		 rc = 0;

	*err = REG_OK;
	buf_reset(next);
	if (s3_xml_get(x, len, "ListBucketResult", &trunc) == -1 ||
	    (n = s3_list_items(x, len, skip, &v)) == -1) {
		buf_release(&trunc);
		return (-1);
	}
	buf_reset(&trunc);
	if (s3_xml_get(x, len, "IsTruncated", &trunc) == 0 &&
	    strcmp(trunc.buf, "true") == 0 &&
	    (s3_xml_get(x, len, "NextContinuationToken", next) == -1 ||
	    next->len == 0))
		rc = -1;
	for (i = 0; i < n; i++) {
		if (rc == 0 && *err == REG_OK) {
			e.name = v[i].name.buf;
			e.bytes = v[i].bytes;
			e.mtime = v[i].mtime;
			e.subdir = v[i].subdir;
			*err = fn(&e, arg);
		}
		buf_release(&v[i].name);
	}
	free(v);
	buf_release(&trunc);
	return (rc);
}

void
s3_complete_body(const struct buf *etags, struct buf *out)
{
	const char	*p, *nl;
	unsigned int	 n = 0;

	buf_addstr(out, "<CompleteMultipartUpload>");
	for (p = etags->buf; *p != '\0'; p = *nl != '\0' ? nl + 1 : nl) {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p);
		buf_addf(out, "<Part><PartNumber>%u</PartNumber><ETag>%.*s"
		    "</ETag></Part>", ++n, (int)(nl - p), p);
	}
	buf_addstr(out, "</CompleteMultipartUpload>");
}

/* --- Requests ------------------------------------------------------------ */

/* The encoded path of "name" (NULL: the bucket) as signed and sent. */
static void
s3_path(const struct s3 *s, const char *name, struct buf *out)
{
	buf_addstr(out, s->base);
	if (s->path_style) {
		buf_addch(out, '/');
		httpc_escape(out, s->bucket, NULL);
	}
	buf_addch(out, '/');
	if (name != NULL) {
		httpc_escape(out, s->prefix, "/");
		httpc_escape(out, name, "/");
	}
}

/* The Host header's value. */
static void
s3_host(const struct s3 *s, struct buf *out)
{
	if (!s->path_style)
		buf_addf(out, "%s.", s->bucket);
	buf_addstr(out, s->host);
}

static void
s3_cred(const struct s3 *s, struct sigv4_cred *c)
{
	c->access_key = s->access_key;
	c->secret_key = s->secret_key;
	c->session_token = s->session_token;
	c->region = s->region;
	c->service = "s3";
}

/* Sign "r" (its headers in "h", "Name: value" each) onto "c". */
static void
s3_sign(const struct s3 *s, const struct s3_req *r, const char *path,
    struct httpc *c)
{
	struct sigv4_cred	 cred;
	struct sigv4_req	 sr;
	struct buf		 h[8], auth = BUF_INIT;
	const char		*v[8];
	char			 date[SIGV4_DATE_LEN], sha[65];
	size_t			 n = 0, i;

	for (i = 0; i < nitems(h); i++)
		buf_init(&h[i]);
	memset(&sr, 0, sizeof(sr));
	sr.when = time(NULL);
	sigv4_date(sr.when, date);
	/* A large body is checked by its Content-MD5, not hashed twice. */
	if (r->has_body && r->len > S3_SIGN_MAX)
		sr.payload = SIGV4_UNSIGNED;
	else {
		sigv4_sha256_hex(r->has_body ? r->body : "",
		    r->has_body ? r->len : 0, sha);
		sr.payload = sha;
	}
	buf_addstr(&h[n], "Host: ");
	s3_host(s, &h[n++]);
	buf_addf(&h[n++], "x-amz-date: %s", date);
	buf_addf(&h[n++], "x-amz-content-sha256: %s", sr.payload);
	if (s->session_token != NULL)
		buf_addf(&h[n++], "x-amz-security-token: %s",
		    s->session_token);
	for (i = 0; i < nitems(r->hdrs) && r->hdrs[i] != NULL; i++)
		buf_addstr(&h[n++], r->hdrs[i]);
	for (i = 0; i < n; i++) {
		v[i] = h[i].buf;
		httpc_header(c, h[i].buf);
	}
	s3_cred(s, &cred);
	sr.method = r->method;
	sr.path = path;
	sr.query = r->query;
	sr.headers = v;
	sr.nheaders = n;
	sigv4_authorization(&cred, &sr, &auth);
	buf_reset(&h[0]);
	buf_addf(&h[0], "Authorization: %s", auth.buf);
	httpc_header(c, h[0].buf);
	for (i = 0; i < nitems(h); i++)
		buf_release(&h[i]);
	buf_release(&auth);
}

static struct httpc *
s3_req_new(struct s3 *s, const struct s3_req *r)
{
	struct httpc_opts	 o;
	struct httpc		*c;
	struct buf		 url = BUF_INIT, path = BUF_INIT;

	memset(&o, 0, sizeof(o));
	o.connect_timeout = s->timeout;
	o.stall = s->timeout;
	o.retries = s->retries;
	o.alone = s->alone;
	s3_path(s, r->name, &path);
	buf_addstr(&url, s->scheme);
	s3_host(s, &url);
	buf_addstr(&url, path.buf);
	if (r->query != NULL)
		buf_addf(&url, "?%s", r->query);
	c = httpc_new(r->method, url.buf, &o);
	s3_sign(s, r, path.buf, c);
	/* No "Expect: 100-continue" round trip. */
	httpc_header(c, "Expect:");
	if (r->has_body)
		httpc_body_mem(c, r->body, r->len);
	httpc_recv(c, r->max > 0 || r->pull ? r->max : S3_SMALL_MAX,
	    r->pull);
	buf_release(&url);
	buf_release(&path);
	return (c);
}

static const char *
s3_what(const struct s3 *s, const struct s3_req *r)
{
	return (r->name != NULL ? r->name : s->bucket);
}

/* Log an error answer: its S3 Code and Message (and a Region). */
static void
s3_log_error(const struct s3 *s, const struct s3_req *r, struct httpc *c)
{
	const struct buf	*eb;
	struct buf		 code = BUF_INIT, msg = BUF_INIT,
				 region = BUF_INIT;

	(void)httpc_finish(c);
	eb = httpc_error_body(c);
	if (s3_xml_get(eb->buf, eb->len, "Code", &code) == -1)
		buf_addstr(&code, httpc_status(c) == 403 ?
		    "access denied (keys, signature or clock)" :
		    "no error code");
	(void)s3_xml_get(eb->buf, eb->len, "Message", &msg);
	(void)s3_xml_get(eb->buf, eb->len, "Region", &region);
	if (region.len == 0 && httpc_get(c, "x-amz-bucket-region") != NULL)
		buf_addstr(&region, httpc_get(c, "x-amz-bucket-region"));
	log_warnx("s3: %s %s: status %ld, %s%s%s%s%s", r->method,
	    s3_what(s, r), httpc_status(c), code.buf, msg.len > 0 ? ": " : "",
	    msg.buf, region.len > 0 ? "; the bucket's region is " : "",
	    region.buf);
	buf_release(&code);
	buf_release(&msg);
	buf_release(&region);
}

/* Send "r", wait for the answer's headers: REG_OK, or IO (logged). */
static enum reg_err
s3_call(struct s3 *s, const struct s3_req *r, struct httpc **out)
{
	struct httpc	*c;

	c = s3_req_new(s, r);
	if (httpc_start(c) == -1) {
		log_warnx("s3: %s %s: %s", r->method, s3_what(s, r),
		    httpc_error(c));
		httpc_free(c);
		*out = NULL;
		return (REG_E_IO);
	}
	*out = c;
	return (REG_OK);
}

/* NOENT for a 404 (but a missing bucket), EXISTS for a PUT's 412. */
static enum reg_err
s3_status(const struct s3 *s, const struct s3_req *r, struct httpc *c)
{
	long			 st = httpc_status(c);
	const struct buf	*eb;

	if (st >= 200 && st <= 299)
		return (REG_OK);
	if (st == 412 && strcmp(r->method, "PUT") == 0)
		return (REG_E_EXISTS);
	if (st == 404 && r->name != NULL) {
		(void)httpc_finish(c);
		eb = httpc_error_body(c);
		if (memmem(eb->buf, eb->len, "NoSuchBucket", 12) == NULL)
			return (REG_E_NOENT);
	} else if (st == 404 && strcmp(r->method, "HEAD") == 0)
		return (REG_E_NOENT);
	s3_log_error(s, r, c);
	return (st == 404 ? REG_E_NOENT : REG_E_IO);
}

/* A 200 whose body is an <Error> (copies, completes): IO, logged. */
static enum reg_err
s3_body_error(const struct s3 *s, const struct s3_req *r,
    const struct httpc *c)
{
	const struct buf	*b = httpc_body(c);
	struct buf		 code = BUF_INIT;

	if (memmem(b->buf, b->len, "<Error>", 7) == NULL)
		return (REG_OK);
	(void)s3_xml_get(b->buf, b->len, "Code", &code);
	log_warnx("s3: %s %s: failed after 200: %s", r->method,
	    s3_what(s, r), code.buf);
	buf_release(&code);
	return (REG_E_IO);
}

/* A request with a body in memory (or none), run to its end. */
static enum reg_err
s3_do(struct s3 *s, const struct s3_req *r, struct httpc **out)
{
	struct httpc	*c;
	enum reg_err	 err;

	*out = NULL;
	if ((err = s3_call(s, r, &c)) != REG_OK)
		return (err);
	if ((err = s3_status(s, r, c)) == REG_OK && httpc_finish(c) == -1) {
		log_warnx("s3: %s %s: %s", r->method, s3_what(s, r),
		    httpc_error(c));
		err = REG_E_IO;
	}
	if (err != REG_OK)
		httpc_free(c);
	else
		*out = c;
	return (err);
}

static enum reg_err
s3_do_free(struct s3 *s, const struct s3_req *r)
{
	struct httpc	*c;
	enum reg_err	 err;

	if ((err = s3_do(s, r, &c)) == REG_OK)
		httpc_free(c);
	return (err);
}

/*
 * Whether the store honours If-None-Match: *: a conditional PUT onto
 * an object that is there must be refused (412).  Swift's s3api answers
 * 501, and a store that ignores the header 200: neither has it.
 */
static enum reg_err
s3_probe_excl(struct s3 *s)
{
	struct s3_req	 r;
	struct httpc	*c;
	long		 st;
	enum reg_err	 err;

	if ((err = s3_put(s, S3_EXCL_PROBE, "", 0, 0)) != REG_OK)
		return (err);
	memset(&r, 0, sizeof(r));
	r.method = "PUT";
	r.name = S3_EXCL_PROBE;
	r.has_body = 1;
	r.hdrs[0] = "If-None-Match: *";
	if (s3_call(s, &r, &c) != REG_OK)
		return (REG_E_IO);
	st = httpc_status(c);
	(void)httpc_finish(c);
	httpc_free(c);
	s->excl = st == 412;
	log_debug("s3: conditional PUT onto an object: status %ld, %s", st,
	    s->excl ? "create-only writes" : "none");
	return (REG_OK);
}

static enum reg_err
s3_create_bucket(struct s3 *s)
{
	struct s3_req	r;
	struct buf	body = BUF_INIT;
	enum reg_err	err;

	memset(&r, 0, sizeof(r));
	r.method = "PUT";
	r.has_body = 1;
	if (strcmp(s->region, "us-east-1") != 0) {
		buf_addf(&body, "<CreateBucketConfiguration><LocationConstraint>"
		    "%s</LocationConstraint></CreateBucketConfiguration>",
		    s->region);
		r.body = body.buf;
		r.len = body.len;
	}
	if ((err = s3_do_free(s, &r)) == REG_OK)
		log_info("s3: created bucket %s", s->bucket);
	buf_release(&body);
	return (err);
}

enum reg_err
s3_connect(struct s3 *s)
{
	struct s3_req	r;
	enum reg_err	err;

	memset(&r, 0, sizeof(r));
	r.method = "HEAD";
	if ((err = s3_do_free(s, &r)) == REG_E_NOENT)
		err = s3_create_bucket(s);
	if (err != REG_OK)
		return (err);
	return (s3_probe_excl(s));
}

enum reg_err
s3_ping(struct s3 *s)
{
	struct s3_req	r;

	memset(&r, 0, sizeof(r));
	r.method = "HEAD";
	s->retries = 0;
	s->alone = 1;
	return (s3_do_free(s, &r));
}

/* --- Objects ------------------------------------------------------------- */

static void
s3_unquote(const char *v, char *out, size_t size)
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

enum reg_err
s3_head(struct s3 *s, const char *name, struct s3_stat *st)
{
	struct s3_req	 r;
	struct httpc	*c;
	int64_t		 len;
	enum reg_err	 err;

	memset(&r, 0, sizeof(r));
	r.method = "HEAD";
	r.name = name;
	if ((err = s3_do(s, &r, &c)) != REG_OK)
		return (err);
	memset(st, 0, sizeof(*st));
	len = httpc_length(c);
	st->size = len >= 0 ? (uint64_t)len : 0;
	st->mtime = s3_http_time(httpc_get(c, "Last-Modified"));
	s3_unquote(httpc_get(c, "ETag"), st->etag, sizeof(st->etag));
	httpc_free(c);
	return (REG_OK);
}

static enum reg_err
s3_get_pull(struct s3 *s, const struct s3_req *r, struct httpc *c,
    s3_sink_fn fn, void *arg)
{
	char		chunk[HTTPC_CHUNK];
	ssize_t		n;
	enum reg_err	err;

	/* A range from the end on: the object is there, with no bytes. */
	if (httpc_status(c) == 416)
		return (REG_OK);
	if ((err = s3_status(s, r, c)) != REG_OK)
		return (err);
	while ((n = httpc_read(chunk, sizeof(chunk), c)) > 0)
		if ((err = fn(chunk, (size_t)n, arg)) != REG_OK)
			return (err);
	if (n < 0) {
		log_warnx("s3: GET %s: %s", r->name, httpc_error(c));
		return (REG_E_IO);
	}
	return (REG_OK);
}

enum reg_err
s3_get(struct s3 *s, const char *name, uint64_t off, uint64_t len,
    s3_sink_fn fn, void *arg)
{
	struct s3_req	 r;
	struct httpc	*c;
	struct buf	 range = BUF_INIT;
	enum reg_err	 err;

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
	if ((err = s3_call(s, &r, &c)) == REG_OK) {
		err = s3_get_pull(s, &r, c, fn, arg);
		httpc_free(c);
	}
	buf_release(&range);
	return (err);
}

struct s3_bounded {
	struct buf	*out;
	size_t		 left;
};

static enum reg_err
s3_buf_sink(const void *p, size_t n, void *arg)
{
	struct s3_bounded	*b = arg;

	if (n > b->left) {
		log_warnx("s3: object larger than expected");
		return (REG_E_IO);
	}
	b->left -= n;
	buf_add(b->out, p, n);
	return (REG_OK);
}

enum reg_err
s3_get_buf(struct s3 *s, const char *name, size_t max, struct buf *out)
{
	struct s3_bounded	b = { out, max };

	return (s3_get(s, name, 0, UINT64_MAX, s3_buf_sink, &b));
}

static EVP_MD_CTX *
s3_md5_new(void)
{
	EVP_MD_CTX	*ctx;

	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_md5(), NULL) != 1)
		fatalx("s3: MD5 unavailable");
	return (ctx);
}

/* The MD5 of a context: hex (33) and, if "b64" is not NULL, base64. */
static void
s3_md5_final(EVP_MD_CTX *ctx, char hex[33], char b64[25])
{
	static const char	 digits[] = "0123456789abcdef";
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 len = 0, i;

	if (EVP_DigestFinal_ex(ctx, md, &len) != 1 || len != 16)
		fatalx("s3: MD5 failed");
	for (i = 0; i < len; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[32] = '\0';
	if (b64 != NULL)
		EVP_EncodeBlock((unsigned char *)b64, md, 16);
}

static void
s3_md5(const void *p, size_t len, char hex[33], char b64[25])
{
	EVP_MD_CTX	*ctx = s3_md5_new();

	if (EVP_DigestUpdate(ctx, p, len) != 1)
		fatalx("s3: MD5 failed");
	s3_md5_final(ctx, hex, b64);
	EVP_MD_CTX_free(ctx);
}

/*
 * The answer's ETag is "md5": REG_OK, else IO, logged.  No ETag at all
 * is Swift's s3api saying that a newer write of the object won (Swift's
 * 202): what the store holds is that write, as a last writer wins, and
 * the store checked our bytes against Content-MD5 anyway.
 */
static enum reg_err
s3_etag_check(const char *name, const struct httpc *c, const char *md5)
{
	const char	*v = httpc_get(c, "ETag");
	char		 etag[72];

	if (v == NULL || strcmp(v, "") == 0 || strcmp(v, "\"\"") == 0) {
		log_debug("s3: PUT %s: no ETag: a newer write won", name);
		return (REG_OK);
	}
	s3_unquote(v, etag, sizeof(etag));
	if (strcasecmp(etag, md5) == 0)
		return (REG_OK);
	log_warnx("s3: PUT %s: ETag \"%s\", sent MD5 %s", name, etag, md5);
	return (REG_E_IO);
}

enum reg_err
s3_put(struct s3 *s, const char *name, const void *p, size_t len, int flags)
{
	struct s3_req	 r;
	struct httpc	*c;
	struct buf	 md5h = BUF_INIT;
	char		 hex[33], b64[25];
	enum reg_err	 err;

	if ((flags & S3_EXCL) && !s->excl) {
		log_warnx("s3: PUT %s: the store has no create-only writes",
		    name);
		return (REG_E_IO);
	}
	s3_md5(p, len, hex, b64);
	buf_addf(&md5h, "Content-MD5: %s", b64);
	memset(&r, 0, sizeof(r));
	r.method = "PUT";
	r.name = name;
	r.body = p;
	r.len = len;
	r.has_body = 1;
	r.hdrs[0] = md5h.buf;
	r.hdrs[1] = "Content-Type: application/octet-stream";
	if (flags & S3_EXCL)
		r.hdrs[2] = "If-None-Match: *";
	if ((err = s3_do(s, &r, &c)) == REG_OK) {
		err = s3_etag_check(name, c, hex);
		httpc_free(c);
	}
	buf_release(&md5h);
	return (err);
}

enum reg_err
s3_delete(struct s3 *s, const char *name)
{
	struct s3_stat	st;
	struct s3_req	r;
	enum reg_err	err;

	/* S3 answers 204 for a missing key: NOENT must come from a HEAD. */
	if ((err = s3_head(s, name, &st)) != REG_OK)
		return (err);
	memset(&r, 0, sizeof(r));
	r.method = "DELETE";
	r.name = name;
	return (s3_do_free(s, &r));
}

/* Append "s" with XML's special characters escaped. */
static void
s3_xml_escape(struct buf *out, const char *s)
{
	for (; *s != '\0'; s++)
		switch (*s) {
		case '&':
			buf_addstr(out, "&amp;");
			break;
		case '<':
			buf_addstr(out, "&lt;");
			break;
		case '>':
			buf_addstr(out, "&gt;");
			break;
		case '"':
			buf_addstr(out, "&quot;");
			break;
		default:
			buf_addch(out, *s);
		}
}

void
s3_delete_body(const struct s3 *s, const char *const *names, size_t n,
    struct buf *out)
{
	size_t	i;

	buf_addstr(out, "<Delete><Quiet>true</Quiet>");
	for (i = 0; i < n; i++) {
		buf_addstr(out, "<Object><Key>");
		s3_xml_escape(out, s != NULL ? s->prefix : "");
		s3_xml_escape(out, names[i]);
		buf_addstr(out, "</Key></Object>");
	}
	buf_addstr(out, "</Delete>");
}

enum reg_err
s3_delete_many(struct s3 *s, const char *const *names, size_t n)
{
	struct s3_req	 r;
	struct httpc	*c;
	struct buf	 body = BUF_INIT, md5h = BUF_INIT, code = BUF_INIT;
	char		 hex[33], b64[25];
	enum reg_err	 err;

	if (n == 0)
		return (REG_OK);
	if (n > S3_DELETE_MAX)
		fatalx("s3: %zu keys in one DeleteObjects", n);
	s3_delete_body(s, names, n, &body);
	/* Swift's s3api wants it, AWS too. */
	s3_md5(body.buf, body.len, hex, b64);
	buf_addf(&md5h, "Content-MD5: %s", b64);
	memset(&r, 0, sizeof(r));
	r.method = "POST";
	r.query = "delete=";
	r.body = body.buf;
	r.len = body.len;
	r.has_body = 1;
	r.hdrs[0] = md5h.buf;
	r.hdrs[1] = "Content-Type: application/xml";
	if ((err = s3_do(s, &r, &c)) == REG_OK) {
		/* Quiet: only the keys that failed come back. */
		if (s3_xml_get(httpc_body(c)->buf, httpc_body(c)->len,
		    "Error", &code) == 0) {
			log_warnx("s3: DeleteObjects in %s: %s", s->bucket,
			    code.buf);
			err = REG_E_IO;
		}
		httpc_free(c);
	}
	buf_release(&body);
	buf_release(&md5h);
	buf_release(&code);
	return (err);
}

/* "x-amz-copy-source: /bucket/prefix+name", encoded. */
static void
s3_copy_source(const struct s3 *s, const char *from, struct buf *out)
{
	buf_addstr(out, "x-amz-copy-source: /");
	httpc_escape(out, s->bucket, NULL);
	buf_addch(out, '/');
	httpc_escape(out, s->prefix, "/");
	httpc_escape(out, from, "/");
}

/* A request that answers 200 with an XML body, maybe an <Error>. */
static enum reg_err
s3_do_xml(struct s3 *s, const struct s3_req *r, struct buf *out,
    const char *tag)
{
	struct httpc	*c;
	enum reg_err	 err;

	if ((err = s3_do(s, r, &c)) != REG_OK)
		return (err);
	if ((err = s3_body_error(s, r, c)) == REG_OK && tag != NULL &&
	    s3_xml_get(httpc_body(c)->buf, httpc_body(c)->len, tag,
	    out) == -1) {
		log_warnx("s3: %s %s: no %s in the answer", r->method,
		    s3_what(s, r), tag);
		err = REG_E_IO;
	}
	httpc_free(c);
	return (err);
}

enum reg_err
s3_copy(struct s3 *s, const char *from, const char *to)
{
	struct s3_req	r;
	struct buf	src = BUF_INIT;
	enum reg_err	err;

	s3_copy_source(s, from, &src);
	memset(&r, 0, sizeof(r));
	r.method = "PUT";
	r.name = to;
	r.has_body = 1;
	r.hdrs[0] = src.buf;
	/* Onto itself S3 wants new metadata; a new mtime comes with it. */
	if (strcmp(from, to) == 0) {
		r.hdrs[1] = "x-amz-metadata-directive: REPLACE";
		r.hdrs[2] = "Content-Type: application/octet-stream";
	}
	err = s3_do_xml(s, &r, NULL, NULL);
	buf_release(&src);
	/* The source missing is a 404 NoSuchKey: NOENT. */
	return (err);
}

/* --- Listing ------------------------------------------------------------- */

static void
s3_list_query(const struct s3 *s, const char *prefix, const char *delimiter,
    const char *after, const struct buf *token, struct buf *q)
{
	struct buf	full = BUF_INIT;

	/* The parameters in sorted order, as they are signed. */
	if (token->len > 0) {
		buf_addstr(q, "continuation-token=");
		httpc_escape(q, token->buf, NULL);
		buf_addch(q, '&');
	}
	if (delimiter != NULL && *delimiter != '\0') {
		buf_addstr(q, "delimiter=");
		httpc_escape(q, delimiter, NULL);
		buf_addch(q, '&');
	}
	buf_addf(q, "list-type=2&max-keys=%u&prefix=", s->page);
	buf_addf(&full, "%s%s", s->prefix, prefix != NULL ? prefix : "");
	httpc_escape(q, full.buf, NULL);
	if (after != NULL) {
		buf_reset(&full);
		buf_addf(&full, "%s%s", s->prefix, after);
		buf_addstr(q, "&start-after=");
		httpc_escape(q, full.buf, NULL);
	}
	buf_release(&full);
}

enum reg_err
s3_list(struct s3 *s, const char *prefix, const char *delimiter,
    s3_list_fn fn, void *arg)
{
	return (s3_list_after(s, prefix, delimiter, NULL, fn, arg));
}

enum reg_err
s3_list_after(struct s3 *s, const char *prefix, const char *delimiter,
    const char *after, s3_list_fn fn, void *arg)
{
	struct s3_req	 r;
	struct httpc	*c;
	struct buf	 q = BUF_INIT, token = BUF_INIT;
	enum reg_err	 err, ferr;

	memset(&r, 0, sizeof(r));
	r.method = "GET";
	r.max = S3_LIST_MAX;
	do {
		buf_reset(&q);
		s3_list_query(s, prefix, delimiter, after, &token, &q);
		r.query = q.buf;
		if ((err = s3_do(s, &r, &c)) != REG_OK)
			break;
		if (s3_list_parse(httpc_body(c)->buf, httpc_body(c)->len,
		    strlen(s->prefix), fn, arg, &token, &ferr) == -1) {
			log_warnx("s3: listing %s: malformed answer",
			    s->bucket);
			err = REG_E_IO;
		} else
			err = ferr;
		httpc_free(c);
	} while (err == REG_OK && token.len > 0);
	buf_release(&token);
	buf_release(&q);
	return (err);
}

/* --- Multipart uploads --------------------------------------------------- */

enum reg_err
s3_mpu_create(struct s3 *s, const char *name, struct buf *id)
{
	struct s3_req	r;

	memset(&r, 0, sizeof(r));
	r.method = "POST";
	r.name = name;
	r.query = "uploads=";
	r.has_body = 1;
	r.hdrs[0] = "Content-Type: application/octet-stream";
	buf_reset(id);
	return (s3_do_xml(s, &r, id, "UploadId"));
}

static void
s3_part_query(unsigned int n, const char *id, struct buf *q)
{
	buf_addf(q, "partNumber=%u&uploadId=", n);
	httpc_escape(q, id, NULL);
}

enum reg_err
s3_mpu_part(struct s3 *s, const char *name, const char *id, unsigned int n,
    const void *p, size_t len, struct buf *etag)
{
	struct s3_req	 r;
	struct httpc	*c;
	struct buf	 q = BUF_INIT, md5h = BUF_INIT;
	char		 hex[33], b64[25];
	enum reg_err	 err;

	s3_md5(p, len, hex, b64);
	buf_addf(&md5h, "Content-MD5: %s", b64);
	s3_part_query(n, id, &q);
	memset(&r, 0, sizeof(r));
	r.method = "PUT";
	r.name = name;
	r.query = q.buf;
	r.body = p;
	r.len = len;
	r.has_body = 1;
	r.hdrs[0] = md5h.buf;
	if ((err = s3_do(s, &r, &c)) == REG_OK) {
		if ((err = s3_etag_check(name, c, hex)) == REG_OK)
			buf_addf(etag, "\"%s\"", hex);
		httpc_free(c);
	}
	buf_release(&q);
	buf_release(&md5h);
	return (err);
}

enum reg_err
s3_mpu_copy(struct s3 *s, const char *name, const char *id, unsigned int n,
    const char *src, uint64_t off, uint64_t len, struct buf *etag)
{
	struct s3_req	r;
	struct buf	q = BUF_INIT, source = BUF_INIT, range = BUF_INIT;
	enum reg_err	err;

	s3_part_query(n, id, &q);
	s3_copy_source(s, src, &source);
	buf_addf(&range, "x-amz-copy-source-range: bytes=%llu-%llu",
	    (unsigned long long)off, (unsigned long long)(off + len - 1));
	memset(&r, 0, sizeof(r));
	r.method = "PUT";
	r.name = name;
	r.query = q.buf;
	r.has_body = 1;
	r.hdrs[0] = source.buf;
	r.hdrs[1] = range.buf;
	err = s3_do_xml(s, &r, etag, "ETag");
	buf_release(&q);
	buf_release(&source);
	buf_release(&range);
	return (err);
}

enum reg_err
s3_mpu_complete(struct s3 *s, const char *name, const char *id,
    const struct buf *etags)
{
	struct s3_req	r;
	struct buf	q = BUF_INIT, body = BUF_INIT;
	enum reg_err	err;

	buf_addstr(&q, "uploadId=");
	httpc_escape(&q, id, NULL);
	s3_complete_body(etags, &body);
	memset(&r, 0, sizeof(r));
	r.method = "POST";
	r.name = name;
	r.query = q.buf;
	r.body = body.buf;
	r.len = body.len;
	r.has_body = 1;
	r.hdrs[0] = "Content-Type: application/xml";
	err = s3_do_xml(s, &r, NULL, NULL);
	buf_release(&q);
	buf_release(&body);
	return (err);
}

enum reg_err
s3_mpu_abort(struct s3 *s, const char *name, const char *id)
{
	struct s3_req	r;
	struct buf	q = BUF_INIT;
	enum reg_err	err;

	buf_addstr(&q, "uploadId=");
	httpc_escape(&q, id, NULL);
	memset(&r, 0, sizeof(r));
	r.method = "DELETE";
	r.name = name;
	r.query = q.buf;
	err = s3_do_free(s, &r);
	buf_release(&q);
	return (err);
}

/* One ListMultipartUploads page; "next" the markers' query part. */
static enum reg_err
s3_mpu_page(const struct s3 *s, const struct buf *body, s3_mpu_fn fn,
    void *arg, struct buf *next)
{
	struct buf	 k = BUF_INIT, id = BUF_INIT, t = BUF_INIT;
	struct s3_mpu	 m;
	size_t		 pos = 0, a, b, skip = strlen(s->prefix);
	enum reg_err	 err = REG_OK;

	buf_reset(next);
	while (err == REG_OK && s3_xml_find(body->buf, body->len, "Upload",
	    &pos, &a, &b) == 0) {
		buf_reset(&k);
		buf_reset(&id);
		buf_reset(&t);
		if (s3_xml_get(body->buf + a, b - a, "Key", &k) == -1 ||
		    s3_xml_get(body->buf + a, b - a, "UploadId", &id) == -1 ||
		    k.len < skip)
			continue;
		(void)s3_xml_get(body->buf + a, b - a, "Initiated", &t);
		m.name = k.buf + skip;
		m.upload_id = id.buf;
		m.initiated = s3_iso_time(t.buf);
		err = fn(&m, arg);
	}
	buf_reset(&t);
	if (err == REG_OK && s3_xml_get(body->buf, body->len, "IsTruncated",
	    &t) == 0 && strcmp(t.buf, "true") == 0) {
		buf_reset(&k);
		buf_reset(&id);
		if (s3_xml_get(body->buf, body->len, "NextKeyMarker", &k) == -1 ||
		    k.len == 0)
			err = REG_E_IO;
		(void)s3_xml_get(body->buf, body->len, "NextUploadIdMarker",
		    &id);
		buf_addstr(next, "key-marker=");
		httpc_escape(next, k.buf, NULL);
		buf_addstr(next, "&upload-id-marker=");
		httpc_escape(next, id.buf, NULL);
		buf_addch(next, '&');
	}
	buf_release(&k);
	buf_release(&id);
	buf_release(&t);
	return (err);
}

enum reg_err
s3_mpu_list(struct s3 *s, const char *prefix, s3_mpu_fn fn, void *arg)
{
	struct s3_req	 r;
	struct httpc	*c;
	struct buf	 q = BUF_INIT, next = BUF_INIT, full = BUF_INIT;
	enum reg_err	 err;

	buf_addf(&full, "%s%s", s->prefix, prefix);
	memset(&r, 0, sizeof(r));
	r.method = "GET";
	r.max = S3_LIST_MAX;
	do {
		buf_reset(&q);
		buf_addstr(&q, next.buf);
		buf_addstr(&q, "prefix=");
		httpc_escape(&q, full.buf, NULL);
		buf_addstr(&q, "&uploads=");
		r.query = q.buf;
		if ((err = s3_do(s, &r, &c)) != REG_OK)
			break;
		err = s3_mpu_page(s, httpc_body(c), fn, arg, &next);
		httpc_free(c);
	} while (err == REG_OK && next.len > 0);
	buf_release(&q);
	buf_release(&next);
	buf_release(&full);
	return (err);
}

/* --- Presigned URLs ------------------------------------------------------ */

enum reg_err
s3_presign(struct s3 *s, const char *name, time_t ttl, struct buf *url)
{
	struct sigv4_cred	 cred;
	struct buf		 path = BUF_INIT, host = BUF_INIT;

	if (ttl <= 0 || ttl > SIGV4_EXPIRES_MAX)
		ttl = SIGV4_EXPIRES_MAX;
	s3_cred(s, &cred);
	s3_path(s, name, &path);
	s3_host(s, &host);
	buf_addf(url, "%s%s%s?", s->scheme, host.buf, path.buf);
	sigv4_presign(&cred, "GET", host.buf, path.buf, NULL, time(NULL),
	    (long)ttl, url);
	buf_release(&path);
	buf_release(&host);
	return (REG_OK);
}
