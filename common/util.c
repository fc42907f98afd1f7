/*
 * common/util.c: small pure helpers.
 */
#include "config.h"

#include <sys/random.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"

int
slice_eq(struct slice s, const char *str)
{
	if (str == NULL)
		return (s.p == NULL);
	return (s.len == strlen(str) && memcmp(s.p, str, s.len) == 0);
}

int
parse_u64n(const char *s, size_t len, uint64_t min, uint64_t max,
    uint64_t *out)
{
	uint64_t	v = 0;
	size_t		i;

	if (len == 0 || len > 20)
		return (-1);
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (-1);
		if (v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return (-1);
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v < min || v > max)
		return (-1);
	*out = v;
	return (0);
}

int
parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	return (parse_u64n(s, strlen(s), min, max, out));
}

static int
is_lalnum(int c)
{
	return ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'));
}

/*
 * One path component: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*.  Returns the
 * number of bytes consumed, 0 if the component is invalid.
 */
static size_t
name_component(const char *s, size_t len)
{
	size_t	i = 0, sep;

	for (;;) {
		if (i >= len || !is_lalnum((unsigned char)s[i]))
			return (0);
		while (i < len && is_lalnum((unsigned char)s[i]))
			i++;
		if (i == len || s[i] == '/')
			return (i);
		sep = i;
		if (s[i] == '.')
			i++;
		else if (s[i] == '_')
			i += (i + 1 < len && s[i + 1] == '_') ? 2 : 1;
		else if (s[i] == '-')
			while (i < len && s[i] == '-')
				i++;
		if (i == sep)
			return (0);
	}
}

int
name_valid(const char *s, size_t len)
{
	size_t	n;

	if (len == 0 || len > NAME_MAX_LEN)
		return (0);
	for (;;) {
		if ((n = name_component(s, len)) == 0)
			return (0);
		if (n == len)
			return (1);
		/* s[n] is '/': skip it; a trailing '/' fails next round. */
		s += n + 1;
		len -= n + 1;
	}
}

int
tag_valid(const char *s, size_t len)
{
	size_t	i;
	int	c;

	if (len == 0 || len > TAG_MAX_LEN)
		return (0);
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_')
			continue;
		if (i > 0 && (c == '.' || c == '-'))
			continue;
		return (0);
	}
	return (1);
}

int
uuid_valid(const char *s, size_t len)
{
	size_t	i;

	if (len != UUID_LEN)
		return (0);
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return (0);
	return (1);
}

void
random_bytes(void *p, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		n = getrandom(p, len, 0);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			fatal("getrandom");
		}
		p = (char *)p + n;
		len -= (size_t)n;
	}
}

void
uuid_generate(char out[UUID_LEN + 1])
{
	unsigned char	raw[UUID_LEN / 2];

	random_bytes(raw, sizeof(raw));
	hex_encode(out, raw, sizeof(raw));
}

void
hex_encode(char *out, const unsigned char *in, size_t len)
{
	static const char	hex[] = "0123456789abcdef";
	size_t			i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 0xf];
	}
	out[2 * len] = '\0';
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

int
pct_decode(const char *s, size_t len, struct buf *out)
{
	size_t	i;
	int	hi, lo;

	for (i = 0; i < len; i++) {
		if (s[i] == '+') {
			buf_addch(out, ' ');
			continue;
		}
		if (s[i] != '%') {
			buf_addch(out, s[i]);
			continue;
		}
		if (i + 2 >= len)
			return (-1);
		if ((hi = hexval((unsigned char)s[i + 1])) == -1 ||
		    (lo = hexval((unsigned char)s[i + 2])) == -1)
			return (-1);
		if (hi == 0 && lo == 0)
			return (-1);
		buf_addch(out, hi << 4 | lo);
		i += 2;
	}
	return (0);
}

void
pct_encode(struct buf *out, const char *s)
{
	static const char	hex[] = "0123456789ABCDEF";
	unsigned char		c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~/:", c) != NULL) {
			buf_addch(out, c);
			continue;
		}
		buf_addch(out, '%');
		buf_addch(out, hex[c >> 4]);
		buf_addch(out, hex[c & 0xf]);
	}
}

int
query_each(const char *query, const char *key,
    int (*fn)(const char *, void *), void *arg)
{
	struct buf	 v = BUF_INIT;
	const char	*p, *amp, *eq;
	size_t		 klen = strlen(key);
	int		 rc = 0;

	for (p = query; p != NULL && *p != '\0' && rc == 0; p = amp) {
		amp = strchr(p, '&');
		eq = memchr(p, '=', amp ? (size_t)(amp - p) : strlen(p));
		if (amp != NULL)
			amp++;
		if (eq == NULL || (size_t)(eq - p) != klen ||
		    memcmp(p, key, klen) != 0)
			continue;
		eq++;
		buf_reset(&v);
		if (pct_decode(eq, amp ? (size_t)(amp - 1 - eq) : strlen(eq),
		    &v) == -1)
			rc = -1;
		else
			rc = fn(v.buf, arg);
	}
	buf_release(&v);
	return (rc);
}

struct query_first {
	struct buf	*out;
	int		 found;
};

static int
query_first_cb(const char *v, void *arg)
{
	struct query_first	*qf = arg;

	buf_addstr(qf->out, v);
	qf->found = 1;
	return (1);
}

int
query_get(const char *query, const char *key, struct buf *out)
{
	struct query_first	qf = { out, 0 };

	if (query_each(query, key, query_first_cb, &qf) == -1)
		return (-1);
	return (qf.found);
}

static const char b64std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void
b64_encode(struct buf *out, const void *data, size_t len, const char *al,
    int pad)
{
	const unsigned char	*p = data;
	uint32_t		 v;
	size_t			 i;

	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		buf_addch(out, al[v >> 18 & 63]);
		buf_addch(out, al[v >> 12 & 63]);
		buf_addch(out, al[v >> 6 & 63]);
		buf_addch(out, al[v & 63]);
	}
	if (i == len)
		return;
	v = (uint32_t)p[i] << 16;
	if (i + 1 < len)
		v |= (uint32_t)p[i + 1] << 8;
	buf_addch(out, al[v >> 18 & 63]);
	buf_addch(out, al[v >> 12 & 63]);
	if (i + 1 < len)
		buf_addch(out, al[v >> 6 & 63]);
	else if (pad)
		buf_addch(out, '=');
	if (pad)
		buf_addch(out, '=');
}

static int
b64_decode(const char *s, size_t len, struct buf *out, const char *al)
{
	uint32_t	 v = 0;
	size_t		 i, n = 0;
	const char	*c;

	while (len > 0 && s[len - 1] == '=')
		len--;
	for (i = 0; i < len; i++) {
		if (s[i] == '\0' || (c = strchr(al, s[i])) == NULL)
			return (-1);
		v = v << 6 | (uint32_t)(c - al);
		if (++n == 4) {
			buf_addch(out, v >> 16 & 0xff);
			buf_addch(out, v >> 8 & 0xff);
			buf_addch(out, v & 0xff);
			n = 0;
			v = 0;
		}
	}
	if (n == 1)
		return (-1);
	if (n == 2)
		buf_addch(out, v >> 4 & 0xff);
	if (n == 3) {
		buf_addch(out, v >> 10 & 0xff);
		buf_addch(out, v >> 2 & 0xff);
	}
	return (0);
}

void
base64_encode(struct buf *out, const void *data, size_t len)
{
	b64_encode(out, data, len, b64std, 1);
}

void
base64url_encode(struct buf *out, const void *data, size_t len)
{
	b64_encode(out, data, len, b64url, 0);
}

int
base64_decode(const char *s, size_t len, struct buf *out)
{
	return (b64_decode(s, len, out, b64std));
}

int
base64url_decode(const char *s, size_t len, struct buf *out)
{
	return (b64_decode(s, len, out, b64url));
}

int
ct_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	const unsigned char	*x = a, *y = b;
	unsigned char		 d = 0;
	size_t			 i;

	if (alen != blen)
		return (0);
	for (i = 0; i < alen; i++)
		d |= x[i] ^ y[i];
	return (d == 0);
}
