/*
 * storage/swift.h: a client of OpenStack Swift's object API, for the
 * swift storage driver.  Over net/httpc.
 *
 * One struct swift per worker process: it caches the token and the
 * storage URL it got from the auth service (auth v1: tempauth, swauth;
 * Keystone v3: password or application credential, when the auth URL
 * ends in /v3) and renews them once when Swift answers 401.  All
 * objects live in one container, created by swift_connect() if missing.
 * Object names are relative paths; they are percent-encoded here.
 *
 * Idempotent requests whose body is in memory are retried with
 * back-off on connection errors and 5xx (httpc); a streamed PUT is not.
 * Every PUT's ETag is checked against the MD5 of what was sent, and a
 * streamed or SLO PUT is followed by a HEAD that checks the size, since
 * Swift has been seen to keep wrong or empty objects.
 *
 * Results: REG_OK; REG_E_NOENT (the object or the container is not
 * there); REG_E_EXISTS (a create-only put found the object); REG_E_IO
 * for anything else, logged here.  A server-side copy cannot be
 * create-only on Swift (If-None-Match applies to the copy's source).
 */
#ifndef SPECREG_STORAGE_SWIFT_H
#define SPECREG_STORAGE_SWIFT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/buf.h"
#include "common/conf.h"
#include "common/errors.h"
#include "storage/driver.h"

/* The largest listing page Swift serves, and ours by default. */
#define SWIFT_PAGE_MAX		10000

/* swift_put*() flags. */
#define SWIFT_EXCL		0x1	/* If-None-Match: *, REG_E_EXISTS */

/* The [storage] keys of driver = swift; NULL: not set. */
struct swift_conf {
	const char	*auth_url;
	const char	*username;
	const char	*password;
	const char	*container;
	const char	*project;
	const char	*user_domain;	/* NULL: "Default" */
	const char	*project_domain; /* NULL: "Default" */
	const char	*region;	/* NULL: the first endpoint */
	const char	*app_cred_id;
	const char	*app_cred_secret;
	long		 timeout;	/* seconds: connect, stall */
	int		 retries;
	unsigned int	 page;		/* listing page size; 0: the max */
};

/* Swift's default object size limit, when /info does not say. */
#define SWIFT_MAX_FILE_SIZE	5368709122ULL
#define SWIFT_MAX_SEGMENTS	1000

struct swift_stat {
	uint64_t	 size;
	time_t		 mtime;
	char		 etag[72];	/* unquoted */
	int		 slo;		/* a static large object */
	char		 set[64];	/* X-Object-Meta-Segments, or "" */
};

/* What the cluster's /info says about object sizes. */
struct swift_limits {
	uint64_t	 max_file_size;	/* the largest object */
	uint64_t	 max_segments;	/* in one SLO manifest */
};

/* A listing entry: an object, or a "subdir" (a common prefix). */
struct swift_entry {
	const char	*name;		/* full name; a subdir ends in '/' */
	uint64_t	 bytes;
	time_t		 mtime;
	int		 subdir;
};

/* One segment of an SLO: an object of the container. */
struct swift_segment {
	const char	*name;
	uint64_t	 size;
	const char	*etag;		/* its MD5, hex */
};

typedef enum reg_err (*swift_sink_fn)(const void *, size_t, void *);
/* Called once per entry in name order; non-REG_OK stops the listing. */
typedef enum reg_err (*swift_list_fn)(const struct swift_entry *, void *);

struct swift;
struct swift_put;

/* Copies what it keeps of "conf"; no request yet. */
struct swift	*swift_new(const struct swift_conf *);
void		 swift_free(struct swift *);
/* Authenticate and create the container if it is missing. */
enum reg_err	 swift_connect(struct swift *);
/*
 * Whether the container answers a HEAD (readiness, in a thread of its
 * own): no retries, no kept connection (httpc.h); the client stays so.
 */
enum reg_err	 swift_ping(struct swift *);

enum reg_err	 swift_head(struct swift *, const char *name,
		    struct swift_stat *);
/*
 * Stream "len" bytes from "off" (len UINT64_MAX: to the end) to the
 * sink; "len" 0 asks nothing, and a range past the end gives none.
 */
enum reg_err	 swift_get(struct swift *, const char *name, uint64_t off,
		    uint64_t len, swift_sink_fn, void *);
/* Append a whole object of at most "max" bytes (else REG_E_IO). */
enum reg_err	 swift_get_buf(struct swift *, const char *name, size_t max,
		    struct buf *);
/* "st" (may be NULL) gets the object's size and ETag. */
enum reg_err	 swift_put(struct swift *, const char *name, const void *,
		    size_t, int flags, struct swift_stat *st);
/*
 * A streamed PUT (chunked): open, write the pieces (no more than one
 * is held), close checks the ETag and the size and frees; abort drops
 * the request (nothing is stored).
 */
enum reg_err	 swift_put_open(struct swift *, const char *name, int flags,
		    struct swift_put **);
enum reg_err	 swift_put_write(struct swift_put *, const void *, size_t);
enum reg_err	 swift_put_close(struct swift_put *, struct swift_stat *st);
void		 swift_put_abort(struct swift_put *);
/*
 * A manifest of "n" segments (?multipart-manifest=put), then checked;
 * "set" (NULL: none) names the segments' set in X-Object-Meta-Segments,
 * which copies of the manifest keep.
 */
enum reg_err	 swift_slo_put(struct swift *, const char *name,
		    const struct swift_segment *, size_t n, const char *set,
		    int flags, struct swift_stat *st);
/* Of an SLO only the manifest: its segments may serve copies too. */
enum reg_err	 swift_delete(struct swift *, const char *name);
/* Server-side; an SLO is copied as its manifest, not its bytes. */
enum reg_err	 swift_copy(struct swift *, const char *from, const char *to);
/* Server-side; an SLO is copied as the concatenation of its segments. */
enum reg_err	 swift_copy_whole(struct swift *, const char *from,
		    const char *to);
/*
 * The cluster's limits from its /info (beside the storage URL's path),
 * read once per process; Swift's defaults if it has no /info.
 */
enum reg_err	 swift_limits(struct swift *, struct swift_limits *);
/* The listing page size (tests use small ones); 0: the max. */
void		 swift_page(struct swift *, unsigned int);
/*
 * Every name starting with "prefix"; with a "delimiter" (NULL: none)
 * the names past it fold into subdir entries.  Pages by marker.
 */
enum reg_err	 swift_list(struct swift *, const char *prefix,
		    const char *delimiter, swift_list_fn, void *);
/*
 * A TempURL of "name" for "method" until "expires", signed with
 * HMAC-SHA256 under the account's X-Account-Meta-Temp-URL-Key, which
 * is set (the same for every host: swift.c) if the account has none.
 */
enum reg_err	 swift_tempurl(struct swift *, const char *method,
		    const char *name, time_t expires, struct buf *url);

/* The swift driver (storage/swift_driver.c), for driver.c's table. */
extern const struct stor_key	stor_swift_keys[];
struct stor_driver *stor_swift_open(const struct conf *);
/* Its listing page size: tests page through more entries. */
void		 stor_swift_page(struct stor_driver *, unsigned int);

/* Pure, for the tests. */
/*
 * One JSON listing page: "fn" for each entry, "*n" entries, the last
 * name (the next marker) in "last"; 0, or -1 if malformed.
 */
int		 swift_list_parse(const char *json, swift_list_fn, void *,
		    size_t *n, struct buf *last, enum reg_err *err);
/*
 * The limits in the JSON of /info into "l" (Swift's defaults for what
 * it does not say); 0, or -1 if malformed.
 */
int		 swift_info_parse(const char *json, struct swift_limits *l);
/* "/<container>/<name>" percent-encoded (a '/' stays). */
void		 swift_object_path(struct buf *, const char *container,
		    const char *name);
/* HMAC-SHA256 hex of "METHOD\nexpires\npath" under "key". */
void		 swift_tempurl_sig(const char *key, const char *method,
		    time_t expires, const char *path, char out[65]);

#endif
