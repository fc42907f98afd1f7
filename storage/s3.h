/*
 * storage/s3.h: a client of the S3 REST API (AWS, Ceph's radosgw,
 * Swift's s3api, MinIO, Garage), for the s3 storage driver.  Over
 * net/httpc, every request signed with net/sigv4.
 *
 * One struct s3 per worker process.  All objects live in one bucket,
 * created by s3_connect() if missing, under an optional key prefix:
 * names here are relative to it, and listings give them back so.
 *
 * Requests.  Every body is in memory: S3 (AWS, radosgw) wants a
 * Content-Length on a PUT, so no chunked PUT, and no aws-chunked
 * (Swift's s3api answers 501).  A small body is signed with its
 * SHA-256, a large one UNSIGNED-PAYLOAD and checked by its
 * Content-MD5; x-amz-content-sha256 is always sent.  Idempotent
 * requests are retried with back-off on connection errors and 5xx,
 * SlowDown included (httpc).  An error answer's S3 Code is logged with the request
 * (AccessDenied, NoSuchBucket, a wrong region...).
 *
 * Create-only writes.  s3_connect() tries If-None-Match: * on a probe
 * object once: radosgw and AWS honour it, Swift's s3api answers 501;
 * s3_excl() says which.  Without it S3_EXCL is refused (REG_E_IO).
 *
 * Results: REG_OK; REG_E_NOENT (the object or the bucket is not there);
 * REG_E_EXISTS (a create-only put found the object); REG_E_IO for
 * anything else, logged here.
 */
#ifndef SPECREG_STORAGE_S3_H
#define SPECREG_STORAGE_S3_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/buf.h"
#include "common/conf.h"
#include "common/errors.h"
#include "storage/driver.h"

/* The largest listing page S3 serves, and ours by default. */
#define S3_PAGE_MAX		1000
/* S3's part size limits: every part of an MPU but the last, and all. */
#define S3_PART_MIN		(5ULL * 1024 * 1024)
#define S3_PART_MAX		(5ULL * 1024 * 1024 * 1024)
#define S3_PARTS_MAX		10000
/* The most keys one DeleteObjects takes. */
#define S3_DELETE_MAX		1000

/* s3_put*() flags. */
#define S3_EXCL			0x1	/* If-None-Match: *, REG_E_EXISTS */

/* The [storage] keys of driver = s3 (after the AWS_* defaults). */
struct s3_conf {
	const char	*endpoint;	/* NULL: AWS in "region" */
	const char	*region;	/* NULL: us-east-1 */
	const char	*bucket;
	const char	*access_key;
	const char	*secret_key;
	const char	*session_token;	/* NULL: none */
	const char	*prefix;	/* NULL: none */
	int		 path_style;	/* else virtual-hosted */
	long		 timeout;	/* seconds: connect, stall */
	int		 retries;
	unsigned int	 page;		/* listing page size; 0: the max */
};

struct s3_stat {
	uint64_t	 size;
	time_t		 mtime;
	char		 etag[72];	/* unquoted */
};

/* A listing entry: an object, or a common prefix (subdir). */
struct s3_entry {
	const char	*name;		/* relative; a subdir ends in '/' */
	uint64_t	 bytes;
	time_t		 mtime;
	int		 subdir;
};

/* An unfinished multipart upload. */
struct s3_mpu {
	const char	*name;		/* relative */
	const char	*upload_id;
	time_t		 initiated;
};

typedef enum reg_err (*s3_sink_fn)(const void *, size_t, void *);
/* Called once per entry in name order; non-REG_OK stops the listing. */
typedef enum reg_err (*s3_list_fn)(const struct s3_entry *, void *);
typedef enum reg_err (*s3_mpu_fn)(const struct s3_mpu *, void *);

struct s3;

/* Copies what it keeps of "conf"; no request yet. */
struct s3	*s3_new(const struct s3_conf *);
void		 s3_free(struct s3 *);
/* Create the bucket if it is missing; find whether S3_EXCL works. */
enum reg_err	 s3_connect(struct s3 *);
/*
 * Whether the bucket answers a HEAD (readiness, in a thread of its own):
 * no retries, no kept connection (httpc.h); the client stays so.
 */
enum reg_err	 s3_ping(struct s3 *);
/* Whether the store honours If-None-Match: * on PUT. */
int		 s3_excl(const struct s3 *);
/* The listing page size (tests use small ones); 0: the max. */
void		 s3_page(struct s3 *, unsigned int);

enum reg_err	 s3_head(struct s3 *, const char *name, struct s3_stat *);
/*
 * Stream "len" bytes from "off" (len UINT64_MAX: to the end) to the
 * sink; "len" 0 asks nothing, and a range past the end gives none.
 */
enum reg_err	 s3_get(struct s3 *, const char *name, uint64_t off,
		    uint64_t len, s3_sink_fn, void *);
/* Append a whole object of at most "max" bytes (else REG_E_IO). */
enum reg_err	 s3_get_buf(struct s3 *, const char *name, size_t max,
		    struct buf *);
enum reg_err	 s3_put(struct s3 *, const char *name, const void *,
		    size_t, int flags);
enum reg_err	 s3_delete(struct s3 *, const char *name);
/*
 * At most S3_DELETE_MAX objects at once (DeleteObjects, with its
 * Content-MD5); a missing one is no error.
 */
enum reg_err	 s3_delete_many(struct s3 *, const char *const *names,
		    size_t n);
/* Server-side (CopyObject, up to 5 GiB); onto itself: a new mtime. */
enum reg_err	 s3_copy(struct s3 *, const char *from, const char *to);
/*
 * Every name starting with "prefix"; with a "delimiter" (NULL: none)
 * the names past it fold into subdir entries.  ListObjectsV2, paged by
 * continuation token.
 */
enum reg_err	 s3_list(struct s3 *, const char *prefix,
		    const char *delimiter, s3_list_fn, void *);
/* The same, only names after "after" (NULL: all). */
enum reg_err	 s3_list_after(struct s3 *, const char *prefix,
		    const char *delimiter, const char *after, s3_list_fn,
		    void *);

/* Multipart uploads; "id" is the UploadId. */
enum reg_err	 s3_mpu_create(struct s3 *, const char *name,
		    struct buf *id);
/* Part "n" (1...) from memory; "etag" gets its ETag (quoted). */
enum reg_err	 s3_mpu_part(struct s3 *, const char *name, const char *id,
		    unsigned int n, const void *, size_t, struct buf *etag);
/* Part "n" as bytes [off, off + len) of the object "src". */
enum reg_err	 s3_mpu_copy(struct s3 *, const char *name, const char *id,
		    unsigned int n, const char *src, uint64_t off,
		    uint64_t len, struct buf *etag);
/* "etags" holds the parts' ETags in order, one a line. */
enum reg_err	 s3_mpu_complete(struct s3 *, const char *name,
		    const char *id, const struct buf *etags);
enum reg_err	 s3_mpu_abort(struct s3 *, const char *name, const char *id);
/* The unfinished uploads of names starting with "prefix". */
enum reg_err	 s3_mpu_list(struct s3 *, const char *prefix, s3_mpu_fn,
		    void *);

/* A presigned GET URL of "name", valid "ttl" seconds from now. */
enum reg_err	 s3_presign(struct s3 *, const char *name, time_t ttl,
		    struct buf *url);

/* The s3 driver (storage/s3_driver.c), for driver.c's table. */
extern const struct stor_key	stor_s3_keys[];
struct stor_driver *stor_s3_open(const struct conf *);
/* Its listing page size: tests page through more entries. */
void		 stor_s3_page(struct stor_driver *, unsigned int);
/*
 * The most bytes one server-side copy takes (S3: 5 GiB): tests lower
 * it to try what blobs over 5 GiB do.
 */
void		 stor_s3_copy_max(struct stor_driver *, uint64_t);

/* --- Pure, for the tests ------------------------------------------------ */

/*
 * A bounded reader of the few XML answers S3 gives.  s3_xml_find()
 * looks in [*pos, len) of "xml" for the next element <tag>...</tag>
 * (or <tag/>) and sets [*start, *end) to its content and *pos past it:
 * 0, or -1 if there is none (or it is not closed).  Elements of the
 * same name are not nested in S3's answers, and this does not handle
 * that.  s3_xml_text() appends a content with the five predefined
 * entities and numeric references decoded; s3_xml_get() is both, for
 * the first "tag" in [0, len): 0, or -1.
 */
int		 s3_xml_find(const char *xml, size_t len, const char *tag,
		    size_t *pos, size_t *start, size_t *end);
void		 s3_xml_text(const char *, size_t, struct buf *);
int		 s3_xml_get(const char *xml, size_t len, const char *tag,
		    struct buf *out);
/* "2026-12-05T03:41:11.000Z" (ISO 8601, UTC); -1 if not that. */
time_t		 s3_iso_time(const char *);
/*
 * One ListObjectsV2 page: "fn" for each entry in name order (objects
 * and common prefixes merged), names made relative by dropping "skip"
 * bytes; "next" gets the continuation token ("" at the last page).
 * 0, or -1 if malformed.
 */
int		 s3_list_parse(const char *xml, size_t len, size_t skip,
		    s3_list_fn, void *, struct buf *next, enum reg_err *err);
/* The body of a CompleteMultipartUpload request. */
void		 s3_complete_body(const struct buf *etags, struct buf *out);
/* The body of a DeleteObjects request ("s" NULL: no key prefix). */
void		 s3_delete_body(const struct s3 *s, const char *const *names,
		    size_t n, struct buf *out);

#endif
