/*
 * common/jwt.c: HS256 JSON Web Tokens (RFC 7519), nothing else.
 *
 * The header is fixed on signing.  Verification checks, in this order:
 * the shape (exactly three non-empty parts), the header (alg exactly
 * "HS256", typ absent or "JWT", no "crit"), the signature (recomputed,
 * encoded and compared in constant time, so only the canonical encoding
 * is accepted), and only then the claims: an integer "exp" after "now",
 * and "nbf" and "iat", when present, integers not in the future.
 */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/jwt.h"
#include "common/util.h"

#define JWT_HEADER	"{\"alg\":\"HS256\",\"typ\":\"JWT\"}"
#define JWT_MAX_LEN	16384	/* longer tokens are refused unread */
#define JWT_LEEWAY	60	/* seconds of clock skew for nbf and iat */

/* Append base64url(HMAC-SHA256(secret, data)) to "out". */
static int
jwt_mac(const char *secret, const char *data, size_t len, struct buf *out)
{
	unsigned char	mac[EVP_MAX_MD_SIZE];
	unsigned int	maclen = 0;
	size_t		klen = strlen(secret);

	if (klen > INT_MAX || HMAC(EVP_sha256(), secret, (int)klen,
	    (const unsigned char *)data, len, mac, &maclen) == NULL)
		return (-1);
	base64url_encode(out, mac, maclen);
	return (0);
}

void
jwt_sign(const char *secret, struct json_object *claims, struct buf *out)
{
	struct buf	 sig = BUF_INIT;
	const char	*payload;
	size_t		 start = out->len;

	payload = json_object_to_json_string_ext(claims,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	base64url_encode(out, JWT_HEADER, strlen(JWT_HEADER));
	buf_addch(out, '.');
	base64url_encode(out, payload, strlen(payload));
	/* HMAC-SHA256 cannot fail on a valid digest and key. */
	(void)jwt_mac(secret, out->buf + start, out->len - start, &sig);
	buf_addch(out, '.');
	buf_add(out, sig.buf, sig.len);
	buf_release(&sig);
}

/* Decode one base64url part into a JSON object, or NULL. */
static struct json_object *
jwt_part(const char *p, size_t len)
{
	struct buf		 raw = BUF_INIT;
	struct json_tokener	*tok;
	struct json_object	*obj = NULL;

	if (base64url_decode(p, len, &raw) == -1 || raw.len == 0 ||
	    memchr(raw.buf, '\0', raw.len) != NULL)
		goto out;
	if ((tok = json_tokener_new()) == NULL)
		goto out;
	obj = json_tokener_parse_ex(tok, raw.buf, (int)raw.len);
	if (json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		obj = NULL;
	}
	json_tokener_free(tok);
out:
	buf_release(&raw);
	return (obj);
}

static int
jwt_header_ok(struct json_object *hdr)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(hdr, "alg", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), "HS256") != 0)
		return (0);
	if (json_object_object_get_ex(hdr, "typ", &v) &&
	    (!json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), "JWT") != 0))
		return (0);
	if (json_object_object_get_ex(hdr, "crit", NULL))
		return (0);
	return (1);
}

/* A NumericDate claim: 1 and "*t" if present and an integer, else 0. */
static int
jwt_time(struct json_object *claims, const char *key, int64_t *t)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(claims, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return (0);
	*t = json_object_get_int64(v);
	return (1);
}

static int
jwt_claims_ok(struct json_object *claims, time_t now)
{
	int64_t	t;

	if (!jwt_time(claims, "exp", &t) || t <= (int64_t)now)
		return (0);
	if (json_object_object_get_ex(claims, "nbf", NULL) &&
	    (!jwt_time(claims, "nbf", &t) || t > (int64_t)now + JWT_LEEWAY))
		return (0);
	if (json_object_object_get_ex(claims, "iat", NULL) &&
	    (!jwt_time(claims, "iat", &t) || t > (int64_t)now + JWT_LEEWAY))
		return (0);
	return (1);
}

int
jwt_verify(const char *secret, const char *token, time_t now,
    struct json_object **claims)
{
	struct buf		 sig = BUF_INIT;
	struct json_object	*hdr = NULL, *obj = NULL;
	const char		*d1, *d2;
	size_t			 len;
	int			 rc = -1;

	*claims = NULL;
	if (secret == NULL || token == NULL ||
	    (len = strnlen(token, JWT_MAX_LEN + 1)) > JWT_MAX_LEN)
		return (-1);
	if ((d1 = strchr(token, '.')) == NULL ||
	    (d2 = strchr(d1 + 1, '.')) == NULL ||
	    strchr(d2 + 1, '.') != NULL ||
	    d1 == token || d2 == d1 + 1 || d2[1] == '\0')
		return (-1);
	if ((hdr = jwt_part(token, (size_t)(d1 - token))) == NULL ||
	    !jwt_header_ok(hdr))
		goto out;
	if (jwt_mac(secret, token, (size_t)(d2 - token), &sig) == -1 ||
	    !ct_equal(sig.buf, sig.len, d2 + 1, len - (size_t)(d2 + 1 - token)))
		goto out;
	if ((obj = jwt_part(d1 + 1, (size_t)(d2 - d1 - 1))) == NULL ||
	    !jwt_claims_ok(obj, now))
		goto out;
	*claims = obj;
	obj = NULL;
	rc = 0;
out:
	json_object_put(hdr);
	json_object_put(obj);
	buf_release(&sig);
	return (rc);
}
