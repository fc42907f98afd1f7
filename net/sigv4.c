/*
 * net/sigv4.c: AWS Signature Version 4.
 *
 * The signature is HMAC-SHA256 over a "string to sign" that holds the
 * SHA-256 of the canonical request (method, path, sorted query, sorted
 * lower-case headers, the names of the signed headers, the payload
 * hash), under a key derived from the secret, the date, the region and
 * the service.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "net/sigv4.h"

#define SIGV4_ALG	"AWS4-HMAC-SHA256"

/* A query parameter, both halves encoded. */
struct sigv4_param {
	struct buf	 k;
	struct buf	 v;
};

/* A header: lower-case name, trimmed value. */
struct sigv4_hdr {
	struct buf	 name;
	struct buf	 value;
};

static const char	 sigv4_hex[] = "0123456789abcdef";

static void
sigv4_tohex(const unsigned char *md, size_t len, char *out)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		out[2 * i] = sigv4_hex[md[i] >> 4];
		out[2 * i + 1] = sigv4_hex[md[i] & 15];
	}
	out[2 * len] = '\0';
}

void
sigv4_date(time_t t, char out[SIGV4_DATE_LEN])
{
	struct tm	tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, SIGV4_DATE_LEN, "%Y%m%dT%H%M%SZ", &tm) !=
	    SIGV4_DATE_LEN - 1)
		fatalx("sigv4: time %lld out of range", (long long)t);
}

void
sigv4_sha256_hex(const void *p, size_t len, char out[65])
{
	unsigned char	md[EVP_MAX_MD_SIZE];
	unsigned int	n = 0;

	if (EVP_Digest(p, len, md, &n, EVP_sha256(), NULL) != 1 || n != 32)
		fatalx("sigv4: SHA-256 failed");
	sigv4_tohex(md, n, out);
}

static void
sigv4_hmac(const void *key, size_t klen, const char *msg,
    unsigned char out[32])
{
	unsigned int	n = 0;

	if (HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg,
	    strlen(msg), out, &n) == NULL || n != 32)
		fatalx("sigv4: HMAC-SHA256 failed");
}

static int
sigv4_unreserved(int c)
{
	return (isascii(c) && (isalnum(c) || c == '-' || c == '.' ||
	    c == '_' || c == '~'));
}

void
sigv4_encode(struct buf *out, const char *s, int slash)
{
	const unsigned char	*p = (const unsigned char *)s;

	for (; *p != '\0'; p++) {
		if (sigv4_unreserved(*p) || (slash && *p == '/'))
			buf_addch(out, *p);
		else if (*p == '%' && isxdigit(p[1]) && isxdigit(p[2])) {
			buf_addf(out, "%%%c%c", toupper(p[1]), toupper(p[2]));
			p += 2;
		} else
			buf_addf(out, "%%%02X", *p);
	}
}

static int
sigv4_param_cmp(const void *a, const void *b)
{
	const struct sigv4_param	*x = a, *y = b;
	int				 r;

	if ((r = strcmp(x->k.buf, y->k.buf)) != 0)
		return (r);
	return (strcmp(x->v.buf, y->v.buf));
}

/* Split "query" at '&', encode both halves, sort; the count. */
static size_t
sigv4_params(const char *query, struct sigv4_param **out)
{
	struct sigv4_param	*v = NULL;
	size_t			 n = 0;
	char			*dup, *item, *next, *eq;

	dup = xstrdup(query);
	for (item = dup; item != NULL; item = next) {
		if ((next = strchr(item, '&')) != NULL)
			*next++ = '\0';
		if (*item == '\0')
			continue;
		v = xreallocarray(v, n + 1, sizeof(*v));
		buf_init(&v[n].k);
		buf_init(&v[n].v);
		if ((eq = strchr(item, '=')) != NULL) {
			*eq = '\0';
			sigv4_encode(&v[n].v, eq + 1, 0);
		}
		sigv4_encode(&v[n].k, item, 0);
		n++;
	}
	free(dup);
	if (n > 1)
		qsort(v, n, sizeof(*v), sigv4_param_cmp);
	*out = v;
	return (n);
}

static void
sigv4_query(const char *query, struct buf *out)
{
	struct sigv4_param	*v;
	size_t			 n, i;

	if (query == NULL)
		return;
	n = sigv4_params(query, &v);
	for (i = 0; i < n; i++) {
		buf_addf(out, "%s%s=%s", i > 0 ? "&" : "", v[i].k.buf,
		    v[i].v.buf);
		buf_release(&v[i].k);
		buf_release(&v[i].v);
	}
	free(v);
}

/* "Name: value" into a lower-case name and a trimmed, squeezed value. */
static void
sigv4_hdr_parse(const char *line, struct sigv4_hdr *h)
{
	const char	*p;
	int		 space = 0;

	buf_init(&h->name);
	buf_init(&h->value);
	for (p = line; *p != '\0' && *p != ':'; p++)
		buf_addch(&h->name, tolower((unsigned char)*p));
	if (*p == ':')
		p++;
	for (; *p != '\0'; p++) {
		if (isspace((unsigned char)*p)) {
			space = h->value.len > 0;
			continue;
		}
		if (space)
			buf_addch(&h->value, ' ');
		space = 0;
		buf_addch(&h->value, *p);
	}
}

/*
 * The headers parsed and sorted by name, stably (the values of one
 * name keep their order); the count.
 */
static size_t
sigv4_hdrs(const struct sigv4_req *r, struct sigv4_hdr **out)
{
	struct sigv4_hdr	*v, t;
	size_t			 i, j;

	v = xcalloc(r->nheaders + 1, sizeof(*v));
	for (i = 0; i < r->nheaders; i++) {
		sigv4_hdr_parse(r->headers[i], &t);
		for (j = i; j > 0 && strcmp(v[j - 1].name.buf,
		    t.name.buf) > 0; j--)
			v[j] = v[j - 1];
		v[j] = t;
	}
	*out = v;
	return (r->nheaders);
}

/* Append the canonical headers and, to "names", the signed headers. */
static void
sigv4_headers(const struct sigv4_req *r, struct buf *out, struct buf *names)
{
	struct sigv4_hdr	*v;
	size_t			 n, i;

	n = sigv4_hdrs(r, &v);
	for (i = 0; i < n; i++) {
		if (i > 0 && strcmp(v[i - 1].name.buf, v[i].name.buf) == 0)
			buf_addf(out, ",%s", v[i].value.buf);
		else {
			if (i > 0) {
				buf_addch(out, '\n');
				buf_addch(names, ';');
			}
			buf_addf(out, "%s:%s", v[i].name.buf, v[i].value.buf);
			buf_addstr(names, v[i].name.buf);
		}
	}
	buf_addch(out, '\n');
	for (i = 0; i < n; i++) {
		buf_release(&v[i].name);
		buf_release(&v[i].value);
	}
	free(v);
}

static void
sigv4_canonical_names(const struct sigv4_req *r, struct buf *out,
    struct buf *names)
{
	buf_addf(out, "%s\n", r->method);
	sigv4_encode(out, r->path, 1);
	buf_addch(out, '\n');
	sigv4_query(r->query, out);
	buf_addch(out, '\n');
	sigv4_headers(r, out, names);
	buf_addf(out, "\n%s\n%s", names->buf, r->payload);
}

void
sigv4_canonical(const struct sigv4_req *r, struct buf *out)
{
	struct buf	names = BUF_INIT;

	sigv4_canonical_names(r, out, &names);
	buf_release(&names);
}

/* "YYYYMMDD/region/service/aws4_request" */
static void
sigv4_scope(const struct sigv4_cred *c, const char *date, struct buf *out)
{
	buf_addf(out, "%.8s/%s/%s/aws4_request", date, c->region, c->service);
}

/* The hex signature of "canon" (a canonical request) at "date". */
static void
sigv4_sign(const struct sigv4_cred *c, const char *date,
    const struct buf *canon, char sig[65])
{
	struct buf	sts = BUF_INIT, key = BUF_INIT;
	unsigned char	k[32];
	char		day[9], hash[65];

	sigv4_sha256_hex(canon->buf, canon->len, hash);
	buf_addf(&sts, SIGV4_ALG "\n%s\n", date);
	sigv4_scope(c, date, &sts);
	buf_addf(&sts, "\n%s", hash);

	buf_addf(&key, "AWS4%s", c->secret_key);
	memcpy(day, date, 8);
	day[8] = '\0';
	sigv4_hmac(key.buf, key.len, day, k);
	sigv4_hmac(k, sizeof(k), c->region, k);
	sigv4_hmac(k, sizeof(k), c->service, k);
	sigv4_hmac(k, sizeof(k), "aws4_request", k);
	sigv4_hmac(k, sizeof(k), sts.buf, k);
	sigv4_tohex(k, sizeof(k), sig);
	explicit_bzero(key.buf, key.len);
	buf_release(&key);
	buf_release(&sts);
}

void
sigv4_authorization(const struct sigv4_cred *c, const struct sigv4_req *r,
    struct buf *out)
{
	struct buf	canon = BUF_INIT, names = BUF_INIT;
	char		date[SIGV4_DATE_LEN], sig[65];

	sigv4_date(r->when, date);
	sigv4_canonical_names(r, &canon, &names);
	sigv4_sign(c, date, &canon, sig);
	buf_addf(out, SIGV4_ALG " Credential=%s/", c->access_key);
	sigv4_scope(c, date, out);
	buf_addf(out, ", SignedHeaders=%s, Signature=%s", names.buf, sig);
	buf_release(&canon);
	buf_release(&names);
}

void
sigv4_presign(const struct sigv4_cred *c, const char *method,
    const char *host, const char *path, const char *query, time_t when,
    long expires, struct buf *out)
{
	struct buf		 q = BUF_INIT, hdr = BUF_INIT, canon = BUF_INIT;
	struct sigv4_req	 r;
	const char		*hdrs[1];
	char			 date[SIGV4_DATE_LEN], sig[65];

	sigv4_date(when, date);
	if (query != NULL && *query != '\0')
		buf_addf(&q, "%s&", query);
	buf_addf(&q, "X-Amz-Algorithm=" SIGV4_ALG "&X-Amz-Credential=");
	sigv4_encode(&q, c->access_key, 0);
	buf_addstr(&q, "%2F");
	sigv4_scope(c, date, &hdr);
	sigv4_encode(&q, hdr.buf, 0);
	buf_addf(&q, "&X-Amz-Date=%s&X-Amz-Expires=%ld", date, expires);
	if (c->session_token != NULL) {
		buf_addstr(&q, "&X-Amz-Security-Token=");
		sigv4_encode(&q, c->session_token, 0);
	}
	buf_addstr(&q, "&X-Amz-SignedHeaders=host");
	buf_reset(&hdr);
	buf_addf(&hdr, "Host: %s", host);
	hdrs[0] = hdr.buf;
	memset(&r, 0, sizeof(r));
	r.method = method;
	r.path = path;
	r.query = q.buf;
	r.headers = hdrs;
	r.nheaders = 1;
	r.payload = SIGV4_UNSIGNED;
	r.when = when;
	sigv4_canonical(&r, &canon);
	sigv4_sign(c, date, &canon, sig);
	buf_addf(out, "%s&X-Amz-Signature=%s", q.buf, sig);
	buf_release(&q);
	buf_release(&hdr);
	buf_release(&canon);
}
