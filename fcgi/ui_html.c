/*
 * fcgi/ui_html.c: HTML escaping and formatting for the web UI.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "storage/manifest.h"
#include "fcgi/ui_html.h"

/* The entity that stands for "c", or NULL if it stands for itself. */
static const char *
ui_entity(char c)
{
	switch (c) {
	case '&':
		return ("&amp;");
	case '<':
		return ("&lt;");
	case '>':
		return ("&gt;");
	case '"':
		return ("&quot;");
	case '\'':
		return ("&#39;");
	default:
		return (NULL);
	}
}

void
ui_esc(struct buf *b, const char *s)
{
	const char	*run, *ent;

	if (s == NULL)
		return;
	for (run = s; *s != '\0'; s++) {
		if ((ent = ui_entity(*s)) == NULL)
			continue;
		buf_add(b, run, (size_t)(s - run));
		buf_addstr(b, ent);
		run = s + 1;
	}
	buf_add(b, run, (size_t)(s - run));
}

/* One integer conversion: "mod" is "", "h", "l", "ll" or "z". */
static void
ui_addint(struct buf *b, char conv, const char *mod, va_list *ap)
{
	long long		sv;
	unsigned long long	uv;

	if (conv == 'd') {
		if (strcmp(mod, "ll") == 0)
			sv = va_arg(*ap, long long);
		else if (strcmp(mod, "l") == 0 || strcmp(mod, "z") == 0)
			sv = va_arg(*ap, long);
		else
			sv = va_arg(*ap, int);
		buf_addf(b, "%lld", sv);
		return;
	}
	if (strcmp(mod, "ll") == 0)
		uv = va_arg(*ap, unsigned long long);
	else if (strcmp(mod, "l") == 0 || strcmp(mod, "z") == 0)
		uv = va_arg(*ap, unsigned long);
	else
		uv = va_arg(*ap, unsigned int);
	buf_addf(b, conv == 'x' ? "%llx" : "%llu", uv);
}

void
ui_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	const char	*p;
	char		 mod[3];
	size_t		 n;
	va_list		 aq;

	va_copy(aq, ap);
	while ((p = strchr(fmt, '%')) != NULL) {
		buf_add(b, fmt, (size_t)(p - fmt));
		p++;
		n = strspn(p, "hlz");
		if (n > 2)
			fatalx("ui_addf: bad modifier in \"%s\"", fmt);
		memcpy(mod, p, n);
		mod[n] = '\0';
		if (strcmp(mod, "h") == 0)
			mod[0] = '\0';	/* promoted to int anyway */
		switch (p[n]) {
		case '%':
			buf_addch(b, '%');
			break;
		case 's':
			ui_esc(b, va_arg(aq, const char *));
			break;
		case 'd':
		case 'i':
			ui_addint(b, 'd', mod, &aq);
			break;
		case 'u':
		case 'x':
			ui_addint(b, p[n], mod, &aq);
			break;
		default:
			fatalx("ui_addf: unsupported conversion in \"%s\"",
			    fmt);
		}
		fmt = p + n + 1;
	}
	buf_addstr(b, fmt);
	va_end(aq);
}

void
ui_addf(struct buf *b, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	ui_vaddf(b, fmt, ap);
	va_end(ap);
}

const char *
ui_size(uint64_t n, char out[UI_SIZE_LEN])
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB",
	    "PiB", "EiB" };
	double	v;
	size_t	u;

	if (n < 1024) {
		snprintf(out, UI_SIZE_LEN, "%u B", (unsigned)n);
		return (out);
	}
	v = (double)n / 1024.0;
	for (u = 0; v >= 1023.95 && u + 1 < sizeof(units) / sizeof(units[0]);
	    u++)
		v /= 1024.0;
	snprintf(out, UI_SIZE_LEN, "%.1f %s", v, units[u]);
	return (out);
}

const char *
ui_time(time_t t, char out[UI_TIME_LEN])
{
	struct tm	tm;

	if (t == UI_TIME_NONE || gmtime_r(&t, &tm) == NULL ||
	    strftime(out, UI_TIME_LEN, "%Y-%m-%d %H:%M UTC", &tm) == 0)
		snprintf(out, UI_TIME_LEN, "-");
	return (out);
}

unsigned
ui_bar_width(uint64_t value, uint64_t max, unsigned width)
{
	long double	w;

	if (value == 0 || max == 0)
		return (0);
	if (value >= max)
		return (width);
	w = (long double)value * width / (long double)max;
	return (w < 1 ? 1 : (unsigned)w);
}

const char *
ui_media_type(const char *mt)
{
	static const struct {
		const char	*type, *name;
	} names[] = {
		{ MT_OCI_MANIFEST, "OCI image" },
		{ MT_OCI_INDEX, "OCI index" },
		{ MT_DOCKER_V2, "Docker image" },
		{ MT_DOCKER_LIST, "Docker list" },
	};
	size_t	i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(mt, names[i].type) == 0)
			return (names[i].name);
	return (mt);
}
