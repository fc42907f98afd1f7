/*
 * net/sigv4.h: AWS Signature Version 4, for the S3 client
 * (storage/s3.c): the Authorization header of a request, and presigned
 * query strings (a URL anyone may GET until it expires).
 *
 * Paths are signed as S3 wants them: every segment percent-encoded
 * once, never normalized ("/a/../b" stays as it is, "//" too).  A path
 * or query may come raw or already percent-encoded: a valid "%XX" is
 * kept (its hex in upper case), any other byte outside A-Z a-z 0-9
 * -._~ (and '/' in a path) is encoded.  The caller must send the path
 * and query exactly as sigv4_encode() gives them.
 *
 * Everything here is pure: the time is the caller's, so the published
 * test vectors can be checked.  Secrets are never logged.
 */
#ifndef SPECREG_NET_SIGV4_H
#define SPECREG_NET_SIGV4_H

#include <stddef.h>
#include <time.h>

#include "common/buf.h"

/* The payload hash of a body that is not hashed (a streamed PUT). */
#define SIGV4_UNSIGNED		"UNSIGNED-PAYLOAD"
/* The SHA-256 of no bytes, hex. */
#define SIGV4_EMPTY_SHA256	\
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
/* "YYYYMMDDTHHMMSSZ" and its NUL. */
#define SIGV4_DATE_LEN		17
/* The longest presigned URL's lifetime AWS accepts: 7 days. */
#define SIGV4_EXPIRES_MAX	604800

struct sigv4_cred {
	const char	*access_key;
	const char	*secret_key;
	const char	*session_token;	/* NULL: none */
	const char	*region;
	const char	*service;	/* "s3" */
};

struct sigv4_req {
	const char	*method;
	const char	*path;		/* "/bucket/key", see above */
	const char	*query;		/* without '?'; NULL: none */
	/*
	 * Every header to sign, "Name: value" (Host and X-Amz-Date among
	 * them); the same name may come more than once.
	 */
	const char *const *headers;
	size_t		 nheaders;
	const char	*payload;	/* hex SHA-256, or SIGV4_UNSIGNED */
	time_t		 when;		/* must match X-Amz-Date */
};

/* "YYYYMMDDTHHMMSSZ" of "t" (UTC). */
void	sigv4_date(time_t t, char out[SIGV4_DATE_LEN]);
/* Lower-case hex SHA-256 of "len" bytes: 64 digits and a NUL. */
void	sigv4_sha256_hex(const void *, size_t len, char out[65]);
/* Append "s" percent-encoded as described above; "slash": keep '/'. */
void	sigv4_encode(struct buf *out, const char *s, int slash);

/* Append the canonical request (for the tests and debugging). */
void	sigv4_canonical(const struct sigv4_req *, struct buf *out);
/* Append the value of the Authorization header. */
void	sigv4_authorization(const struct sigv4_cred *,
	    const struct sigv4_req *, struct buf *out);
/*
 * Append the whole query string of a presigned "method" request of
 * "path" on "host" ("host[:port]" as in the URL), signed at "when",
 * valid "expires" seconds: the caller's "query" (may be NULL), then
 * the X-Amz-* parameters, X-Amz-Signature last.
 */
void	sigv4_presign(const struct sigv4_cred *, const char *method,
	    const char *host, const char *path, const char *query,
	    time_t when, long expires, struct buf *out);

#endif
