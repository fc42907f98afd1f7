/*
 * common/jwt.h: HS256 JSON Web Tokens.
 *
 * jwt_sign() appends header.payload.signature to "out"; the claims are
 * not consumed.  jwt_verify() accepts only {"alg":"HS256","typ":"JWT"}
 * headers (never "none"), compares the signature in constant time,
 * requires a numeric "exp" after "now" and returns the claims, owned by
 * the caller (json_object_put()), or -1 for any malformed, forged or
 * expired token.
 */
#ifndef SPECREG_COMMON_JWT_H
#define SPECREG_COMMON_JWT_H

#include <time.h>

#include <json-c/json.h>

#include "common/buf.h"

void	jwt_sign(const char *secret, struct json_object *claims,
	    struct buf *out);
int	jwt_verify(const char *secret, const char *token, time_t now,
	    struct json_object **claims);

#endif
