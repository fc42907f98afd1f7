/*
 * net/upstream.h: fetch what the store lacks from an upstream
 * registry (server-side pull-through, [upstream] in the configuration).
 *
 * A repository name maps to one configured upstream: "quay.io/org/img"
 * to the quay.io upstream as "org/img" (a first component with a '.' or
 * a ':', or "localhost", names a registry host, as in Docker), anything
 * else to the docker.io upstream ("alpine" becomes "library/alpine").
 * No matching upstream: upstream_map() returns -1 and the caller answers
 * as if pull-through did not exist.
 *
 * Transfers are net/httpc, http and https only, with the configured
 * timeout; they follow redirects and do the Docker token dance once when
 * the upstream answers 401 with a Bearer challenge (the upstream's
 * credentials go to the realm as Basic), or answer a Basic challenge.
 * Results: REG_OK; REG_E_NOENT when the upstream answered 404; anything
 * else (unreachable, 5xx, auth refused, too large) is REG_E_UNAVAILABLE,
 * logged here and never the upstream's own status.  Nothing here
 * verifies digests or writes to the store: the caller does both.
 */
#ifndef SPECREG_NET_UPSTREAM_H
#define SPECREG_NET_UPSTREAM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/buf.h"
#include "common/conf.h"
#include "common/digest.h"
#include "common/errors.h"
#include "common/util.h"
#include "net/httpc.h"

/* Bytes a blob transfer holds at most (plus one libcurl write). */
#define UPSTREAM_CHUNK		HTTPC_CHUNK
/* The largest manifest fetched: the store's MANIFEST_MAX. */
#define UPSTREAM_MANIFEST_MAX	(4 * 1024 * 1024)
/* Bytes of an upstream tags list at most (a page of it). */
#define UPSTREAM_TAGS_MAX	(4 * 1024 * 1024)
/* Bytes of the next page's path and query, NUL included. */
#define UPSTREAM_NEXT_MAX	1024

struct upstream_ref {
	const struct conf		*conf;
	const struct conf_upstream	*up;
	char				 name[NAME_MAX_LEN + 9];
};

struct upstream_challenge {
	char	 scheme[16];		/* lower case: "bearer", "basic" */
	char	 realm[1024];
	char	 service[256];
	char	 scope[512];
};

struct upstream_manifest {
	struct buf	 body;
	char		 content_type[256];	/* "" if none */
	char		 digest[DIGEST_STR_MAX];	/* "" if none */
	long		 status;	/* final HTTP status, 0: no answer */
	uint64_t	 retry_after;	/* a 429's Retry-After, seconds */
	char		 next[UPSTREAM_NEXT_MAX];	/* tags: "" if last */
};

struct upstream_blob;

/* Once, before fork(). */
void		upstream_init(void);
/* Pure: 0 and "*out" for the upstream of "name", -1 for none. */
int		upstream_map(const struct conf *, const char *name,
		    struct upstream_ref *out);
/* Pure: parse a WWW-Authenticate value; 0 or -1 (malformed, too long). */
int		upstream_challenge_parse(const char *,
		    struct upstream_challenge *);
/*
 * Pure: the next page of the tags list of "r" that a Link header value
 * names ('<URL>; rel="next"'), as "/tags/list?QUERY" into "out" ("" if
 * it names none): 0, or -1 if the next page leads anywhere else
 * (another host, repository or resource) or is longer than
 * UPSTREAM_NEXT_MAX.
 */
int		upstream_link_next(const struct upstream_ref *,
		    const char *link, char out[UPSTREAM_NEXT_MAX]);

/*
 * GET a manifest by tag or digest ("ref"), at most UPSTREAM_MANIFEST_MAX bytes.
 * "accept" (may be NULL: every known type) is sent as Accept.  Release
 * "*m" with upstream_manifest_release() whatever the result; its status
 * and Retry-After are filled whenever the upstream answered.
 */
enum reg_err	upstream_manifest_get(const struct upstream_ref *,
		    const char *ref, const char *accept,
		    struct upstream_manifest *m);
/*
 * HEAD of a manifest: as upstream_manifest_get() without a body, for
 * its digest and content type.
 */
enum reg_err	upstream_manifest_head(const struct upstream_ref *,
		    const char *ref, const char *accept,
		    struct upstream_manifest *m);
/*
 * GET a page of the repository's tags list ("page" NULL: the first, as
 * the upstream sends it without "n"; else a previous m->next), at most
 * UPSTREAM_TAGS_MAX bytes, into m->body (the JSON as sent), and the
 * next page into m->next; status and Retry-After as for a manifest.
 */
enum reg_err	upstream_tags_get(const struct upstream_ref *,
		    const char *page, struct upstream_manifest *m);
/* Whether a failed trip ("m" after REG_E_UNAVAILABLE) may serve stale. */
int		upstream_manifest_outage(const struct upstream_manifest *m);
void		upstream_manifest_release(struct upstream_manifest *);

/*
 * Start a GET (or HEAD) of a blob and wait for its headers.  "*size" is
 * the Content-Length, UINT64_MAX if the upstream sent none.  On REG_OK
 * read the body with upstream_blob_read() (a store_source_fn: bytes, 0
 * at the clean end, -1 on a failed or short transfer), then close.
 */
enum reg_err	upstream_blob_open(const struct upstream_ref *,
		    const struct digest *, int head, struct upstream_blob **,
		    uint64_t *size);
ssize_t		upstream_blob_read(void *, size_t, void *);
void		upstream_blob_close(struct upstream_blob *);

#endif
