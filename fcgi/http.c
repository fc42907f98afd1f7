/*
 * fcgi/http.c: Accept, Range and Content-Range.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "fcgi/http.h"

struct media_range {
	const char	*type;		/* a type, a type wildcard or any */
	size_t		 len;
	int		 q;		/* 0..1000 */
};

static const char *
http_skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return (p);
}

/* Parse "q=0.5" style values into thousandths; -1 if malformed. */
static int
http_parse_q(const char *p, const char *end)
{
	int	q = 0, scale = 1000;

	if (p < end && (*p == '0' || *p == '1')) {
		q = (*p - '0') * 1000;
		p++;
	} else
		return (-1);
	if (p < end && *p == '.') {
		for (p++; p < end && *p >= '0' && *p <= '9' && scale > 1; p++) {
			scale /= 10;
			q += (*p - '0') * scale;
		}
	}
	p = http_skip_ws(p, end);
	if (p != end || q > 1000)
		return (-1);
	return (q);
}

/* Parse one comma-separated element of Accept. */
static void
http_parse_range(const char *p, const char *end, struct media_range *mr)
{
	const char	*semi, *param, *eq;
	int		 q;

	p = http_skip_ws(p, end);
	semi = memchr(p, ';', (size_t)(end - p));
	mr->type = p;
	mr->len = (size_t)((semi != NULL ? semi : end) - p);
	while (mr->len > 0 && (p[mr->len - 1] == ' ' || p[mr->len - 1] == '\t'))
		mr->len--;
	mr->q = 1000;
	while (semi != NULL) {
		param = http_skip_ws(semi + 1, end);
		semi = memchr(param, ';', (size_t)(end - param));
		eq = memchr(param, '=', (size_t)((semi ? semi : end) - param));
		if (eq != NULL && eq - param == 1 &&
		    (*param == 'q' || *param == 'Q')) {
			q = http_parse_q(http_skip_ws(eq + 1, end),
			    semi ? semi : end);
			mr->q = q < 0 ? 0 : q;
		}
	}
}

/* How specifically "mr" matches "type": 3 exact, 2 subtype wildcard,
 * 1 full wildcard, 0 not at all. */
static int
http_range_matches(const struct media_range *mr, const char *type)
{
	const char	*slash;
	size_t		 tlen = strlen(type);

	if (mr->len == tlen && strncasecmp(mr->type, type, tlen) == 0)
		return (3);
	if (mr->len == 3 && memcmp(mr->type, "*/*", 3) == 0)
		return (1);
	if (mr->len >= 2 && mr->type[mr->len - 1] == '*' &&
	    mr->type[mr->len - 2] == '/' &&
	    (slash = strchr(type, '/')) != NULL &&
	    (size_t)(slash - type) == mr->len - 2 &&
	    strncasecmp(mr->type, type, mr->len - 2) == 0)
		return (2);
	return (0);
}

/* The q-value the Accept header gives "type": most specific range wins. */
static int
http_accept_q(const char *accept, const char *type)
{
	struct media_range	 mr;
	const char		*p, *comma, *end;
	int			 best = 0, q = 0, m;

	end = accept + strlen(accept);
	for (p = accept; p < end; p = comma + 1) {
		if ((comma = memchr(p, ',', (size_t)(end - p))) == NULL)
			comma = end;
		http_parse_range(p, comma, &mr);
		m = http_range_matches(&mr, type);
		if (m > best || (m == best && m > 0 && mr.q > q)) {
			best = m;
			q = mr.q;
		}
		if (comma == end)
			break;
	}
	return (q);
}

int
accept_choose(const char *accept, const char *const *types, size_t n)
{
	size_t	i;
	int	best = -1, bestq = 0, q;

	if (n == 0)
		return (-1);
	if (accept == NULL || *accept == '\0')
		return (0);
	for (i = 0; i < n; i++) {
		q = http_accept_q(accept, types[i]);
		if (q > bestq) {
			bestq = q;
			best = (int)i;
		}
	}
	return (best);
}

int
range_parse(const char *range, uint64_t size, uint64_t *off, uint64_t *len)
{
	const char	*dash;
	uint64_t	 a, b;

	if (range == NULL || strncmp(range, "bytes=", 6) != 0 ||
	    strchr(range, ',') != NULL ||
	    (dash = strchr(range + 6, '-')) == NULL)
		return (0);
	range += 6;
	if (dash == range) {
		/* Suffix: the last N bytes. */
		if (parse_u64(dash + 1, 0, UINT64_MAX, &b) == -1)
			return (0);
		if (b == 0 || size == 0)
			return (-1);
		if (b > size)
			b = size;
		*off = size - b;
		*len = b;
		return (1);
	}
	if (parse_u64n(range, (size_t)(dash - range), 0, UINT64_MAX, &a) == -1)
		return (0);
	if (dash[1] == '\0')
		b = UINT64_MAX;
	else if (parse_u64(dash + 1, 0, UINT64_MAX, &b) == -1 || b < a)
		return (0);
	if (a >= size)
		return (-1);
	if (b >= size)
		b = size - 1;
	*off = a;
	*len = b - a + 1;
	return (1);
}

int
content_range_parse(const char *s, uint64_t *start, uint64_t *end)
{
	const char	*dash, *stop;

	if (strncmp(s, "bytes ", 6) == 0 || strncmp(s, "bytes=", 6) == 0)
		s += 6;
	if ((dash = strchr(s, '-')) == NULL)
		return (-1);
	if ((stop = strchr(dash, '/')) == NULL)
		stop = dash + strlen(dash);
	if (parse_u64n(s, (size_t)(dash - s), 0, UINT64_MAX, start) == -1 ||
	    parse_u64n(dash + 1, (size_t)(stop - dash - 1), 0, UINT64_MAX,
	    end) == -1 || *end < *start)
		return (-1);
	return (0);
}
