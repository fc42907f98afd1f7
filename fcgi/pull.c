/*
 * fcgi/pull.c: server-side pull-through (see pull.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "common/digest.h"
#include "common/log.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "fcgi/metrics.h"
#include "fcgi/pull.h"
#include "fcgi/response.h"
#include "storage/manifest.h"
#include "net/upstream.h"

/* A 429 without Retry-After is remembered this long; any, at most this. */
#define PULL_RETRY_DEFAULT	60
#define PULL_RETRY_MAX		(24 * 3600)
/*
 * A blob's pull lease lasts this many upstream timeouts: renewed after
 * each chunk once a third of it passed, it outlives a read that stalls
 * for a whole timeout.
 */
#define PULL_LEASE_TIMEOUTS	3
/* Pages of an upstream tags list followed at most (Link: rel="next"). */
#define PULL_TAGS_PAGES		100

/* What pull_ask() asks the upstream for. */
enum pull_trip {
	TRIP_GET,		/* a manifest */
	TRIP_HEAD,		/* a manifest's digest */
	TRIP_TAGS		/* the tags list */
};

/* A blob on its way from upstream to the client and the store. */
struct pull_tee {
	struct request		*req;
	struct upstream_blob	*ub;
	struct store_lease	*ls;		/* renewed as bytes come */
	struct buf		 held;		/* the last chunk read */
	int			 client_gone;
};

static enum reg_err
pull_map(struct request *req, struct upstream_ref *r)
{
	return (upstream_map(req->conf, req->name, r) == 0 ? REG_OK :
	    REG_E_NOENT);
}

/* Count what a trip upstream gave: it, nothing, or trouble. */
static void
pull_count(enum reg_err err)
{
	if (err == REG_OK)
		metrics_add(MET_PULL_HITS, 1);
	else if (err == REG_E_NOENT)
		metrics_add(MET_PULL_MISSES, 1);
	else
		metrics_add(MET_PULL_ERRORS, 1);
}

/* The digest to serve: "want", else upstream's claim if true, else ours. */
static enum reg_err
pull_manifest_digest(struct request *req, const struct digest *want,
    const struct upstream_manifest *m, struct digest *d)
{
	struct digest	claim;

	if (want != NULL) {
		digest_of(want->alg, m->body.buf, m->body.len, d);
		if (!digest_equal(d, want))
			return (req_fail(req, REG_E_UNAVAILABLE, "upstream "
			    "sent a manifest that is not %s", want->str));
		return (REG_OK);
	}
	if (digest_parse(m->digest, strlen(m->digest), &claim) == 0) {
		digest_of(claim.alg, m->body.buf, m->body.len, d);
		if (digest_equal(d, &claim))
			return (REG_OK);
		log_warnx("upstream manifest %s: Docker-Content-Digest %s "
		    "is wrong", req->name, claim.str);
	}
	digest_of(DIGEST_SHA256, m->body.buf, m->body.len, d);
	return (REG_OK);
}

/* Keep a manifest fetched by digest; fine to fail (blobs not here). */
static void
pull_manifest_keep(struct request *req, const struct digest *d,
    const struct upstream_manifest *m, const char *media_type)
{
	struct manifest_meta	meta;
	struct buf		detail = BUF_INIT;
	enum reg_err		err;

	err = store_manifest_put(req->store, req->name, NULL, d, media_type,
	    m->body.buf, m->body.len, &meta, &detail);
	if (err != REG_OK)
		log_debug("pulled manifest %s@%s not kept: %s %s", req->name,
		    d->str, reg_err_info(err)->code, detail.buf);
	buf_release(&detail);
}

/* Check what upstream sent and describe it in "meta". */
static enum reg_err
pull_manifest_check(struct request *req, const struct digest *want,
    const struct upstream_manifest *m, struct manifest_meta *meta)
{
	struct manifest_parsed	 mp;
	struct buf		 detail = BUF_INIT;
	enum reg_err		 err;

	if ((err = pull_manifest_digest(req, want, m, &meta->digest)) !=
	    REG_OK)
		return (err);
	if (manifest_parse(m->body.buf, m->body.len,
	    m->content_type[0] != '\0' ? m->content_type : NULL, &mp,
	    &detail) != REG_OK) {
		err = req_fail(req, REG_E_UNAVAILABLE, "upstream manifest: %s",
		    detail.buf);
		buf_release(&detail);
		return (err);
	}
	snprintf(meta->media_type, sizeof(meta->media_type), "%s",
	    mp.media_type);
	meta->size = m->body.len;
	manifest_parsed_release(&mp);
	return (REG_OK);
}

/* A manifest the cache holds, by digest, into "body" and "meta". */
static enum reg_err
pull_cached(struct request *req, const struct digest *d, struct buf *body,
    struct manifest_meta *meta)
{
	enum reg_err	err;

	buf_reset(body);
	memset(meta, 0, sizeof(*meta));
	err = store_cache_manifest_get(req->store, req->name, d, body,
	    meta->media_type);
	if (err != REG_OK) {
		buf_reset(body);
		return (err);
	}
	meta->digest = *d;
	meta->size = body->len;
	return (REG_OK);
}

/* Remember a 429 until its Retry-After (60 s without; 1 day at most). */
static void
pull_retry_note(struct request *req, const struct upstream_ref *r,
    const struct upstream_manifest *m)
{
	uint64_t	secs = m->retry_after;

	if (secs == 0)
		secs = PULL_RETRY_DEFAULT;
	if (secs > PULL_RETRY_MAX)
		secs = PULL_RETRY_MAX;
	log_warnx("upstream %s: rate limited, not asked for %llu s",
	    r->up->host, (unsigned long long)secs);
	if (!req->conf->read_only)
		store_upstream_retry_set(req->store, r->up->host,
		    time(NULL) + (time_t)secs);
}

/*
 * One trip upstream ("ref": a manifest's, or a tags list page, NULL for
 * the first), unless it asked us to wait.
 * "*outage" says whether trouble may be answered from the cache.
 */
static enum reg_err
pull_ask(struct request *req, const struct upstream_ref *r, const char *ref,
    enum pull_trip trip, struct upstream_manifest *m, int *outage)
{
	enum reg_err	err;

	if (store_upstream_retry_get(req->store, r->up->host) != 0) {
		memset(m, 0, sizeof(*m));
		buf_init(&m->body);
		*outage = 1;
		log_debug("upstream %s: rate limited, %s not asked",
		    r->up->host, req->name);
		metrics_add(MET_PULL_ERRORS, 1);
		return (REG_E_UNAVAILABLE);
	}
	if (trip == TRIP_HEAD)
		err = upstream_manifest_head(r, ref, req->accept, m);
	else if (trip == TRIP_GET)
		err = upstream_manifest_get(r, ref, req->accept, m);
	else
		err = upstream_tags_get(r, ref, m);
	*outage = err == REG_E_UNAVAILABLE && upstream_manifest_outage(m);
	if (err == REG_E_UNAVAILABLE && m->status == 429)
		pull_retry_note(req, r, m);
	pull_count(err);
	return (err);
}

/* Keep what upstream sent for "tag" (may be NULL), confirmed now. */
static void
pull_cache_keep(struct request *req, const char *tag,
    const struct manifest_meta *meta, const struct buf *body)
{
	struct cache_tag	ct;

	if (req->conf->read_only)
		return;
	if (store_cache_manifest_put(req->store, req->name, &meta->digest,
	    meta->media_type, body->buf, body->len) != REG_OK)
		return;
	if (tag == NULL)
		return;
	memset(&ct, 0, sizeof(ct));
	ct.digest = meta->digest;
	memcpy(ct.media_type, meta->media_type, sizeof(ct.media_type));
	ct.confirmed = time(NULL);
	store_cache_tag_put(req->store, req->name, tag, &ct);
}

/* GET "tag" or "d" upstream, check it and keep it in the cache. */
static enum reg_err
pull_fetch(struct request *req, const struct upstream_ref *r,
    const char *tag, const struct digest *d, struct buf *body,
    struct manifest_meta *meta, int *outage)
{
	struct upstream_manifest	 m;
	enum reg_err			 err;

	memset(meta, 0, sizeof(*meta));
	buf_reset(body);
	err = pull_ask(req, r, d != NULL ? d->str : tag, TRIP_GET, &m,
	    outage);
	if (err == REG_OK &&
	    (err = pull_manifest_check(req, d, &m, meta)) == REG_OK) {
		buf_add(body, m.body.buf, m.body.len);
		pull_cache_keep(req, tag, meta, body);
		if (d != NULL && !req->conf->read_only)
			pull_manifest_keep(req, d, &m, meta->media_type);
	}
	upstream_manifest_release(&m);
	return (err);
}

/* Whether what the upstream confirmed then may still be served. */
static int
pull_stale_ok(const struct request *req, time_t confirmed)
{
	return (req->conf->upstream_stale_limit == 0 || time(NULL) -
	    confirmed <= (time_t)req->conf->upstream_stale_limit);
}

/* Serve the cached "ct" of "tag" while the upstream is in trouble. */
static enum reg_err
pull_stale(struct request *req, const struct upstream_ref *r,
    const char *tag, const struct cache_tag *ct, struct buf *body,
    struct manifest_meta *meta)
{
	time_t	age = time(NULL) - ct->confirmed;

	if (!pull_stale_ok(req, ct->confirmed))
		return (req_fail(req, REG_E_UNAVAILABLE, "upstream %s: "
		    "unavailable, and %s:%s is too old to serve", r->up->host,
		    req->name, tag));
	if (pull_cached(req, &ct->digest, body, meta) != REG_OK)
		return (req_fail(req, REG_E_UNAVAILABLE, "upstream %s",
		    r->up->host));
	log_warnx("upstream %s: unavailable, serving %s:%s as confirmed "
	    "%lld s ago", r->up->host, req->name, tag, (long long)age);
	metrics_add(MET_PULL_STALE, 1);
	return (REG_OK);
}

/* The upstream still names "ct" for the tag: confirm it, 0; else -1. */
static int
pull_confirm(struct request *req, const struct upstream_manifest *m,
    const char *tag, struct cache_tag *ct)
{
	struct digest	claim;

	if (digest_parse(m->digest, strlen(m->digest), &claim) == -1 ||
	    !digest_equal(&claim, &ct->digest))
		return (-1);
	ct->confirmed = time(NULL);
	if (!req->conf->read_only)
		store_cache_tag_put(req->store, req->name, tag, ct);
	return (0);
}

/*
 * A tag: the cached manifest while it is fresh; then a HEAD, and a GET
 * only if the digest changed; the cached one if the upstream is out.
 */
static enum reg_err
pull_tag(struct request *req, const struct upstream_ref *r, const char *tag,
    struct buf *body, struct manifest_meta *meta)
{
	struct upstream_manifest	 m;
	struct cache_tag		 ct;
	enum reg_err			 err;
	int				 have, outage = 0;

	have = store_cache_tag_get(req->store, req->name, tag, &ct) ==
	    REG_OK && pull_cached(req, &ct.digest, body, meta) == REG_OK;
	if (have && time(NULL) - ct.confirmed <
	    (time_t)req->conf->upstream_tag_ttl) {
		metrics_add(MET_PULL_CACHED, 1);
		return (REG_OK);
	}
	if (have) {
		err = pull_ask(req, r, tag, TRIP_HEAD, &m, &outage);
		if (err == REG_OK && pull_confirm(req, &m, tag, &ct) == 0) {
			upstream_manifest_release(&m);
			metrics_add(MET_PULL_CACHED, 1);
			return (REG_OK);
		}
		upstream_manifest_release(&m);
		if (err != REG_OK && !outage) {
			buf_reset(body);
			return (err == REG_E_NOENT ? err : req_fail(req, err,
			    "upstream %s", r->up->host));
		}
	}
	if (!outage)
		err = pull_fetch(req, r, tag, NULL, body, meta, &outage);
	if (err == REG_E_UNAVAILABLE && outage && have)
		return (pull_stale(req, r, tag, &ct, body, meta));
	if (err == REG_E_UNAVAILABLE)
		err = req_fail(req, err, "upstream %s", r->up->host);
	return (err);
}

enum reg_err
pull_manifest(struct request *req, const char *tag, const struct digest *d,
    struct buf *body, struct manifest_meta *meta)
{
	struct upstream_ref	 r;
	enum reg_err		 err;
	int			 outage;

	if (pull_map(req, &r) != REG_OK)
		return (REG_E_NOENT);
	if (d == NULL)
		return (pull_tag(req, &r, tag, body, meta));
	/* A digest names the same bytes for ever: no need to ask again. */
	if (pull_cached(req, d, body, meta) == REG_OK) {
		metrics_add(MET_PULL_CACHED, 1);
		return (REG_OK);
	}
	err = pull_fetch(req, &r, NULL, d, body, meta, &outage);
	if (err == REG_E_UNAVAILABLE)
		err = req_fail(req, err, "upstream %s", r.up->host);
	return (err);
}

/* Send the chunk held back; a client that went away stops getting any. */
static void
pull_tee_flush(struct pull_tee *t)
{
	if (!t->client_gone && t->held.len > 0 &&
	    resp_write(t->req, t->held.buf, t->held.len) != REG_OK)
		t->client_gone = 1;
	buf_reset(&t->held);
}

/*
 * store_source_fn: upstream bytes for the upload, and one chunk behind
 * for the client.  The last chunk goes out only once the store has
 * checked the digest and kept the blob (pull_blob_stream()), so a
 * client never gets a whole wrong blob.
 */
static ssize_t
pull_tee_read(void *buf, size_t len, void *arg)
{
	struct pull_tee	*t = arg;
	ssize_t		 n;

	if ((n = upstream_blob_read(buf, len, t->ub)) <= 0)
		return (n < 0 ? -1 : 0);
	store_pull_lease_renew(t->req->store, t->ls);
	pull_tee_flush(t);
	buf_add(&t->held, buf, (size_t)n);
	return (n);
}

/*
 * Stream a blob of "size" bytes (its Content-Length) into an upload: a
 * body that runs past the size is cut off there, not written to disk
 * until the digest check fails.
 */
static enum reg_err
pull_blob_stream(struct request *req, const struct digest *d,
    struct upstream_blob *ub, uint64_t size, struct store_lease *ls)
{
	struct pull_tee	 t;
	char		 uuid[UUID_LEN + 1];
	uint64_t	 got;
	enum reg_err	 err;

	memset(&t, 0, sizeof(t));
	t.req = req;
	t.ub = ub;
	t.ls = ls;
	buf_init(&t.held);
	if ((err = store_upload_start(req->store, req->name, uuid)) != REG_OK)
		return (err);
	err = store_upload_finish(req->store, req->name, uuid, d, UINT64_MAX,
	    size, pull_tee_read, &t, &got, &req->detail);
	if (err == REG_OK)
		pull_tee_flush(&t);
	buf_release(&t.held);
	if (err == REG_OK)
		return (resp_end(req));
	store_upload_cancel(req->store, req->name, uuid);
	log_warnx("upstream blob %s not kept: %s", d->str,
	    reg_err_info(err)->code);
	return (req_fail(req, REG_E_UNAVAILABLE, "upstream blob %s", d->str));
}

/*
 * Read-only ([registry] read-only): upstream's bytes go to the client
 * only, and the digest is checked on the way; the last chunk is held
 * back until it matches, as when the store checks it.
 */
static enum reg_err
pull_blob_pass(struct request *req, const struct digest *d,
    struct upstream_blob *ub)
{
	struct pull_tee		 t;
	struct hasher		 h;
	struct hasher512	*h512 = NULL;
	struct digest		 got;
	char			 chunk[65536];
	ssize_t			 n;
	int			 ok;

	memset(&t, 0, sizeof(t));
	t.req = req;
	t.ub = ub;
	buf_init(&t.held);
	if (d->alg == DIGEST_SHA512)
		h512 = hasher512_new();
	else
		hasher_init(&h);
	while ((n = pull_tee_read(chunk, sizeof(chunk), &t)) > 0) {
		if (h512 != NULL)
			hasher512_update(h512, chunk, (size_t)n);
		else
			hasher_update(&h, chunk, (size_t)n);
	}
	if (n == 0 && h512 != NULL)
		hasher512_final(h512, &got);
	else if (n == 0)
		hasher_final(&h, &got);
	hasher512_free(h512);
	ok = n == 0 && digest_equal(&got, d);
	if (ok)
		pull_tee_flush(&t);
	buf_release(&t.held);
	if (ok)
		return (resp_end(req));
	log_warnx("upstream blob %s: cut short or wrong digest", d->str);
	return (req_fail(req, REG_E_UNAVAILABLE, "upstream blob %s", d->str));
}

/* Fetch blob "d" from the upstream and answer with it. */
static enum reg_err
pull_blob_fetch(struct request *req, const struct upstream_ref *r,
    const struct digest *d, struct store_lease *ls)
{
	struct upstream_blob	*ub;
	uint64_t		 size;
	enum reg_err		 err;

	err = upstream_blob_open(r, d, req->method == M_HEAD, &ub, &size);
	pull_count(err);
	if (err == REG_E_UNAVAILABLE)
		return (req_fail(req, err, "upstream %s", r->up->host));
	if (err != REG_OK)
		return (err);
	if (size == UINT64_MAX && req->method != M_HEAD) {
		/* Nothing would bound it: an endless body fills the disk. */
		upstream_blob_close(ub);
		log_warnx("upstream %s: blob %s without Content-Length",
		    r->up->host, d->str);
		return (req_fail(req, REG_E_UNAVAILABLE, "upstream blob %s "
		    "without a length", d->str));
	}
	resp_status(req, 200);
	resp_header(req, "Content-Type", "application/octet-stream");
	resp_header(req, "Docker-Content-Digest", d->str);
	if (size != UINT64_MAX)
		resp_length(req, size);
	if (req->method == M_HEAD)
		err = resp_end(req);
	else if (req->conf->read_only)
		err = pull_blob_pass(req, d, ub);
	else
		err = pull_blob_stream(req, d, ub, size, ls);
	upstream_blob_close(ub);
	return (err);
}

enum reg_err
pull_blob(struct request *req, const struct digest *d, int *arrived)
{
	struct upstream_ref	 r;
	struct store_lease	*ls = NULL;
	uint64_t		 size;
	enum reg_err		 err;

	*arrived = 0;
	if (pull_map(req, &r) != REG_OK)
		return (REG_E_NOENT);
	if (store_upstream_retry_get(req->store, r.up->host) != 0) {
		metrics_add(MET_PULL_ERRORS, 1);
		return (req_fail(req, REG_E_UNAVAILABLE, "upstream %s: rate "
		    "limited", r.up->host));
	}
	/*
	 * One GET at a time; the others wait, then serve what it kept.
	 * A store that fails to coordinate costs a second fetch at worst.
	 */
	if (req->method == M_GET && !req->conf->read_only) {
		err = store_pull_lease(req->store, req->name, d,
		    PULL_LEASE_TIMEOUTS * (time_t)req->conf->upstream_timeout,
		    &ls);
		if (err == REG_E_BUSY)
			return (req_fail(req, REG_E_UNAVAILABLE, "upstream "
			    "blob %s: another fetch of it is still going on",
			    d->str));
		if ((err == REG_OK || err == REG_E_EXISTS) &&
		    store_blob_stat(req->store, req->name, d, &size) ==
		    REG_OK) {
			store_pull_lease_end(req->store, ls);
			*arrived = 1;
			return (REG_OK);
		}
	}
	err = pull_blob_fetch(req, &r, d, ls);
	store_pull_lease_end(req->store, ls);
	return (err);
}

/* Add the valid tags of an upstream tags list; -1 if it is not one. */
static int
pull_tags_parse(const struct buf *body, char ***out, size_t *nout)
{
	struct json_object	*root, *arr = NULL, *v;
	const char		*t;
	size_t			 i, n;

	if ((root = json_tokener_parse(body->buf)) == NULL)
		return (-1);
	if (!json_object_object_get_ex(root, "tags", &arr) ||
	    !json_object_is_type(arr, json_type_array)) {
		json_object_put(root);
		return (arr == NULL ? 0 : -1);	/* "tags": null is none */
	}
	n = json_object_array_length(arr);
	*out = xreallocarray(*out, *nout + n + 1, sizeof(**out));
	for (i = 0; i < n; i++) {
		v = json_object_array_get_idx(arr, i);
		t = json_object_get_string(v);
		if (json_object_is_type(v, json_type_string) &&
		    tag_valid(t, strlen(t)))
			(*out)[(*nout)++] = xstrdup(t);
	}
	json_object_put(root);
	return (0);
}

/*
 * One page of the upstream's tags list ("page" NULL: the first) added
 * to "*out"; the next one into "page" ("" after the last).
 */
static enum reg_err
pull_tags_page(struct request *req, const struct upstream_ref *r,
    char page[UPSTREAM_NEXT_MAX], char ***out, size_t *nout, int *outage)
{
	struct upstream_manifest	m;
	enum reg_err			err;

	err = pull_ask(req, r, page[0] == '\0' ? NULL : page, TRIP_TAGS, &m,
	    outage);
	if (err == REG_OK && pull_tags_parse(&m.body, out, nout) == -1) {
		log_warnx("upstream %s: %s: not a tags list", r->up->host,
		    req->name);
		err = REG_E_UNAVAILABLE;
	}
	page[0] = '\0';
	if (err == REG_OK)
		memcpy(page, m.next, sizeof(m.next));
	upstream_manifest_release(&m);
	return (err);
}

/*
 * Fetch the upstream's tags list, following its pages (PULL_TAGS_PAGES
 * at most), into "*out" and keep it, or fail.
 */
static enum reg_err
pull_tags_fetch(struct request *req, const struct upstream_ref *r,
    char ***out, size_t *nout, int *outage)
{
	char		page[UPSTREAM_NEXT_MAX] = "";
	enum reg_err	err;
	int		n = 0;

	do
		err = pull_tags_page(req, r, page, out, nout, outage);
	while (err == REG_OK && page[0] != '\0' && ++n < PULL_TAGS_PAGES);
	if (err == REG_OK && page[0] != '\0')
		log_warnx("upstream %s: %s: tags list longer than %d pages; "
		    "the rest left out", r->up->host, req->name,
		    PULL_TAGS_PAGES);
	if (err != REG_OK) {
		store_strv_free(*out, *nout);
		*out = NULL;
		*nout = 0;
		return (err);
	}
	if (!req->conf->read_only)
		store_cache_tags_put(req->store, req->name, *out, *nout,
		    time(NULL));
	return (REG_OK);
}

enum reg_err
pull_tags(struct request *req, char ***out, size_t *nout)
{
	struct upstream_ref	 r;
	char			**held = NULL;
	size_t			 nheld = 0;
	time_t			 confirmed = 0;
	enum reg_err		 err;
	int			 have, outage = 0;

	*out = NULL;
	*nout = 0;
	if (pull_map(req, &r) != REG_OK ||
	    (store_tags_list(req->store, req->name, NULL, 1, &held, &nheld,
	    &have) == REG_OK && !store_cache_held(req->store, req->name))) {
		store_strv_free(held, nheld);
		return (REG_E_NOENT);
	}
	store_strv_free(held, nheld);
	have = store_cache_tags_get(req->store, req->name, &held, &nheld,
	    &confirmed) == REG_OK;
	if (have && time(NULL) - confirmed <
	    (time_t)req->conf->upstream_tag_ttl)
		err = REG_OK;
	else if ((err = pull_tags_fetch(req, &r, out, nout, &outage)) ==
	    REG_OK) {
		store_strv_free(held, nheld);
		return (REG_OK);
	} else if (err == REG_E_UNAVAILABLE && outage && have &&
	    pull_stale_ok(req, confirmed)) {
		log_warnx("upstream %s: unavailable, serving the tags of %s "
		    "as listed %lld s ago", r.up->host, req->name,
		    (long long)(time(NULL) - confirmed));
		metrics_add(MET_PULL_STALE, 1);
		err = REG_OK;
	}
	if (err == REG_OK) {
		*out = held;
		*nout = nheld;
		return (REG_OK);
	}
	store_strv_free(held, nheld);
	return (err == REG_E_UNAVAILABLE ? req_fail(req, err, "upstream %s",
	    r.up->host) : err);
}
