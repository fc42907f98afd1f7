/*
 * fcgi/prefetch.c: warm the pull-through cache (see prefetch.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/digest.h"
#include "common/log.h"
#include "common/util.h"
#include "fcgi/exchange.h"
#include "fcgi/prefetch.h"
#include "fcgi/request.h"
#include "net/upstream.h"
#include "storage/manifest.h"
#include "storage/store.h"

#define PREFETCH_ACCEPT	"application/vnd.oci.image.index.v1+json, " \
	"application/vnd.oci.image.manifest.v1+json, " \
	"application/vnd.docker.distribution.manifest.list.v2+json, " \
	"application/vnd.docker.distribution.manifest.v2+json"

/* One GET in memory: its parameters and what came back. */
struct prefetch_io {
	const char	*uri;
	int		 keep;		/* keep the body (a manifest) */
	struct buf	 out;		/* headers, then the body if kept */
	size_t		 head_len;	/* 0 until the headers ended */
};

static const char *
prefetch_param(void *arg, const char *name)
{
	struct prefetch_io	*pio = arg;

	if (strcmp(name, "REQUEST_METHOD") == 0)
		return ("GET");
	if (strcmp(name, "REQUEST_URI") == 0)
		return (pio->uri);
	if (strcmp(name, "HTTP_ACCEPT") == 0)
		return (PREFETCH_ACCEPT);
	return (NULL);
}

static ssize_t
prefetch_read(void *arg, void *data, size_t len)
{
	(void)arg;
	(void)data;
	(void)len;
	return (0);
}

/* Keep the headers, and the body of a manifest (bounded). */
static int
prefetch_write(void *arg, const void *data, size_t len)
{
	struct prefetch_io	*pio = arg;
	const char		*end;

	if (pio->head_len > 0 && !pio->keep)
		return (0);
	if (pio->out.len + len > MANIFEST_MAX + 64 * 1024)
		return (-1);
	buf_add(&pio->out, data, len);
	if (pio->head_len == 0 &&
	    (end = strstr(pio->out.buf, "\r\n\r\n")) != NULL)
		pio->head_len = (size_t)(end - pio->out.buf) + 4;
	return (0);
}

static int
prefetch_body_error(void *arg)
{
	(void)arg;
	return (0);
}

/*
 * GET "path" under /v2/NAME through the handlers; 0 if it answered 200.
 * With "body", the manifest's bytes and media type come back.
 */
static int
prefetch_get(const struct conf *conf, struct store *st, const char *name,
    const char *path, struct buf *body, char *media_type, size_t mtsize)
{
	struct prefetch_io	 pio;
	struct request_io	 io;
	struct request		 req;
	struct buf		 uri = BUF_INIT;
	const char		*ct;
	int			 ok;

	memset(&pio, 0, sizeof(pio));
	buf_init(&pio.out);
	buf_addf(&uri, "/v2/%s%s", name, path);
	pio.uri = uri.buf;
	pio.keep = body != NULL;
	io.param = prefetch_param;
	io.read = prefetch_read;
	io.write = prefetch_write;
	io.body_error = prefetch_body_error;
	io.arg = &pio;
	request_init(&req, conf, st, &io);
	req.operator = 1;
	exchange_run(&req);
	ok = req.status == 200 && pio.head_len > 0;
	if (!ok)
		log_warnx("prefetch: GET %s: %d %s", uri.buf, req.status,
		    req.detail.buf != NULL ? req.detail.buf : "");
	if (ok && body != NULL) {
		buf_add(body, pio.out.buf + pio.head_len,
		    pio.out.len - pio.head_len);
		media_type[0] = '\0';
		if ((ct = strstr(pio.out.buf, "\r\nContent-Type: ")) != NULL &&
		    ct < pio.out.buf + pio.head_len)
			snprintf(media_type, mtsize, "%.*s",
			    (int)strcspn(ct + 16, "\r\n"), ct + 16);
	}
	request_release(&req);
	buf_release(&pio.out);
	buf_release(&uri);
	return (ok ? 0 : -1);
}

static int	prefetch_manifest(const struct conf *, struct store *,
		    const char *, const char *, int);

/* Everything a manifest references: children, config, layers. */
static int
prefetch_refs(const struct conf *conf, struct store *st, const char *name,
    const struct manifest_parsed *mp, int depth)
{
	struct buf	path = BUF_INIT;
	size_t		i;
	int		rc = 0;

	if (mp->has_config) {
		buf_addf(&path, "/blobs/%s", mp->config.digest.str);
		rc |= prefetch_get(conf, st, name, path.buf, NULL, NULL, 0);
	}
	for (i = 0; i < mp->nrefs; i++) {
		buf_reset(&path);
		if (mp->kind == MANIFEST_IMAGE) {
			buf_addf(&path, "/blobs/%s", mp->refs[i].digest.str);
			rc |= prefetch_get(conf, st, name, path.buf, NULL,
			    NULL, 0);
		} else
			rc |= prefetch_manifest(conf, st, name,
			    mp->refs[i].digest.str, depth + 1);
	}
	buf_release(&path);
	return (rc);
}

/* The manifest "ref" of "name" and what it references. */
static int
prefetch_manifest(const struct conf *conf, struct store *st,
    const char *name, const char *ref, int depth)
{
	struct manifest_parsed	 mp;
	struct buf		 path = BUF_INIT, body = BUF_INIT;
	struct buf		 detail = BUF_INIT;
	char			 mt[256];
	int			 rc = -1;

	buf_addf(&path, "/manifests/%s", ref);
	if (depth > 2)
		log_warnx("prefetch: %s@%s: nested too deep", name, ref);
	else if (prefetch_get(conf, st, name, path.buf, &body, mt,
	    sizeof(mt)) == 0) {
		if (manifest_parse(body.buf, body.len, mt[0] != '\0' ? mt :
		    NULL, &mp, &detail) != REG_OK)
			log_warnx("prefetch: %s:%s: %s", name, ref,
			    detail.buf);
		else {
			rc = prefetch_refs(conf, st, name, &mp, depth);
			manifest_parsed_release(&mp);
		}
	}
	buf_release(&path);
	buf_release(&body);
	buf_release(&detail);
	return (rc);
}

int
prefetch_main(const struct conf *conf, char **refs, int nrefs)
{
	struct store	*st;
	const char	*colon;
	char		 name[NAME_MAX_LEN + 1];
	int		 i, rc = 0;
	size_t		 len;

	if ((st = store_open(conf)) == NULL)
		return (EXIT_FAILURE);
	upstream_init();
	for (i = 0; i < nrefs; i++) {
		colon = strrchr(refs[i], ':');
		if (colon == NULL || strchr(colon, '/') != NULL ||
		    (len = (size_t)(colon - refs[i])) >= sizeof(name) ||
		    !name_valid(refs[i], len) ||
		    !tag_valid(colon + 1, strlen(colon + 1))) {
			fprintf(stderr, "specreg: prefetch: \"%s\" is not "
			    "NAME:TAG\n", refs[i]);
			rc = 1;
			continue;
		}
		memcpy(name, refs[i], len);
		name[len] = '\0';
		if (prefetch_manifest(conf, st, name, colon + 1, 0) != 0)
			rc = 1;
		else
			log_info("prefetch: %s done", refs[i]);
	}
	store_close(st);
	return (rc == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
