/*
 * common/digest.c: content digests and a resumable SHA-256.
 *
 * The resumable hasher uses OpenSSL's low-level SHA256_CTX, a plain
 * struct of words, because EVP contexts cannot be serialised.  It runs
 * the same assembly (SHA-NI where present) as EVP does.
 */
#include "config.h"

#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <stdlib.h>
#include <string.h>

#include "common/digest.h"
#include "common/log.h"
#include "common/util.h"
#include "common/xmalloc.h"

/* Saved states start with this tag so a foreign blob is refused. */
static const unsigned char hasher_magic[8] = "SRSHA2\x00\x01";

_Static_assert(sizeof(SHA256_CTX) <= sizeof(((struct hasher *)0)->state),
    "SHA256_CTX does not fit struct hasher");

static const struct {
	const char	*name;
	size_t		 hexlen;
} digest_algs[] = {
	[DIGEST_SHA256] = { "sha256", 64 },
	[DIGEST_SHA512] = { "sha512", 128 },
};

const char *
digest_alg_name(enum digest_alg alg)
{
	return (digest_algs[alg].name);
}

int
digest_parse(const char *s, size_t len, struct digest *out)
{
	size_t	a, nlen, i;

	for (a = 0; a < nitems(digest_algs); a++) {
		nlen = strlen(digest_algs[a].name);
		if (len != nlen + 1 + digest_algs[a].hexlen ||
		    memcmp(s, digest_algs[a].name, nlen) != 0 ||
		    s[nlen] != ':')
			continue;
		for (i = nlen + 1; i < len; i++)
			if (!((s[i] >= '0' && s[i] <= '9') ||
			    (s[i] >= 'a' && s[i] <= 'f')))
				return (-1);
		out->alg = (enum digest_alg)a;
		memcpy(out->str, s, len);
		out->str[len] = '\0';
		memcpy(out->hex, s + nlen + 1, len - nlen - 1);
		out->hex[len - nlen - 1] = '\0';
		return (0);
	}
	return (-1);
}

int
digest_equal(const struct digest *a, const struct digest *b)
{
	return (a->alg == b->alg && strcmp(a->str, b->str) == 0);
}

static void
digest_set(enum digest_alg alg, const unsigned char *md, struct digest *out)
{
	size_t	nlen = strlen(digest_algs[alg].name);

	out->alg = alg;
	memcpy(out->str, digest_algs[alg].name, nlen);
	out->str[nlen] = ':';
	hex_encode(out->str + nlen + 1, md, digest_algs[alg].hexlen / 2);
	memcpy(out->hex, out->str + nlen + 1, digest_algs[alg].hexlen + 1);
}

void
digest_of(enum digest_alg alg, const void *data, size_t len,
    struct digest *out)
{
	unsigned char	md[SHA512_DIGEST_LENGTH];

	if (alg == DIGEST_SHA512)
		SHA512(data, len, md);
	else
		SHA256(data, len, md);
	digest_set(alg, md, out);
}

void
hasher_init(struct hasher *h)
{
	memset(h, 0, sizeof(*h));
	SHA256_Init((SHA256_CTX *)h->state);
}

void
hasher_update(struct hasher *h, const void *data, size_t len)
{
	SHA256_Update((SHA256_CTX *)h->state, data, len);
}

void
hasher_final(const struct hasher *h, struct digest *out)
{
	SHA256_CTX	c;
	unsigned char	md[SHA256_DIGEST_LENGTH];

	memcpy(&c, h->state, sizeof(c));
	SHA256_Final(md, &c);
	digest_set(DIGEST_SHA256, md, out);
}

void
hasher_save(const struct hasher *h, struct buf *out)
{
	buf_add(out, hasher_magic, sizeof(hasher_magic));
	buf_add(out, h->state, sizeof(h->state));
}

int
hasher_load(struct hasher *h, const void *data, size_t len)
{
	if (len != HASHER_STATE_LEN ||
	    memcmp(data, hasher_magic, sizeof(hasher_magic)) != 0)
		return (-1);
	memcpy(h->state, (const char *)data + sizeof(hasher_magic),
	    sizeof(h->state));
	return (0);
}

struct hasher512 {
	EVP_MD_CTX	*ctx;
};

struct hasher512 *
hasher512_new(void)
{
	struct hasher512	*h;

	h = xmalloc(sizeof(*h));
	if ((h->ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(h->ctx, EVP_sha512(), NULL) != 1)
		fatalx("hasher512_new: EVP failure");
	return (h);
}

void
hasher512_update(struct hasher512 *h, const void *data, size_t len)
{
	if (EVP_DigestUpdate(h->ctx, data, len) != 1)
		fatalx("hasher512_update: EVP failure");
}

void
hasher512_final(struct hasher512 *h, struct digest *out)
{
	unsigned char	md[EVP_MAX_MD_SIZE];
	unsigned int	n;

	if (EVP_DigestFinal_ex(h->ctx, md, &n) != 1)
		fatalx("hasher512_final: EVP failure");
	digest_set(DIGEST_SHA512, md, out);
}

void
hasher512_free(struct hasher512 *h)
{
	if (h == NULL)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}
