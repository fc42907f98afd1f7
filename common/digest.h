/*
 * common/digest.h: content digests (sha256, sha512) and hashing.
 *
 * struct digest holds a validated "alg:hex" string; digest_parse()
 * accepts exactly the OCI forms sha256:[a-f0-9]{64} and
 * sha512:[a-f0-9]{128}.
 *
 * struct hasher is a resumable SHA-256: its whole state can be saved to
 * bytes and loaded again in another process, so any worker can continue
 * an upload that another worker started.  Feed it large pieces (64 KiB
 * and up); OpenSSL uses the CPU's SHA extensions.
 */
#ifndef SPECREG_COMMON_DIGEST_H
#define SPECREG_COMMON_DIGEST_H

#include <stddef.h>

#include "common/buf.h"

enum digest_alg {
	DIGEST_SHA256 = 0,
	DIGEST_SHA512
};

#define DIGEST_STR_MAX	(7 + 128 + 1)

/*
 * A plain value: it can be copied with "=" (the hex part is a copy, not
 * a pointer into str, so a copy never dangles).
 */
struct digest {
	enum digest_alg	 alg;
	char		 str[DIGEST_STR_MAX];	/* "sha256:..." */
	char		 hex[128 + 1];		/* str after the ':' */
};

int	digest_parse(const char *, size_t, struct digest *);
int	digest_equal(const struct digest *, const struct digest *);
const char *digest_alg_name(enum digest_alg);
/* One-shot digest of a memory buffer (manifests). */
void	digest_of(enum digest_alg, const void *, size_t, struct digest *);

struct hasher {
	unsigned char	 state[128];	/* an opaque SHA256_CTX */
};

#define HASHER_STATE_LEN	(sizeof(struct hasher) + 8)

void	hasher_init(struct hasher *);
void	hasher_update(struct hasher *, const void *, size_t);
/* Finishing does not disturb the hasher: it can go on afterwards. */
void	hasher_final(const struct hasher *, struct digest *);
void	hasher_save(const struct hasher *, struct buf *);
int	hasher_load(struct hasher *, const void *, size_t);

/* Streaming SHA-512 for the rare upload finished with a sha512 digest. */
struct hasher512;
struct hasher512 *hasher512_new(void);
void	hasher512_update(struct hasher512 *, const void *, size_t);
void	hasher512_final(struct hasher512 *, struct digest *);
void	hasher512_free(struct hasher512 *);

#endif
