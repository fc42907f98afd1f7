/*
 * common/errors.c: the one table from error to HTTP status and OCI code.
 */
#include "config.h"

#include <stddef.h>

#include "common/errors.h"

static const struct reg_err_info reg_errs[REG_E__COUNT] = {
	[REG_OK]		= { 200, "OK", "ok" },
	[REG_E_NOENT]		= { 500, "UNKNOWN", "internal error" },
	[REG_E_IO]		= { 500, "UNKNOWN", "internal error" },
	[REG_E_NOSPC]		= { 507, "UNKNOWN",
	    "insufficient storage" },
	[REG_E_BUSY]		= { 503, "UNAVAILABLE",
	    "resource busy, retry" },
	[REG_E_EXISTS]		= { 500, "UNKNOWN", "internal error" },
	[REG_E_BLOB_UNKNOWN]	= { 404, "BLOB_UNKNOWN",
	    "blob unknown to registry" },
	[REG_E_BLOB_UPLOAD_INVALID] = { 400, "BLOB_UPLOAD_INVALID",
	    "blob upload invalid" },
	[REG_E_BLOB_UPLOAD_UNKNOWN] = { 404, "BLOB_UPLOAD_UNKNOWN",
	    "blob upload unknown to registry" },
	[REG_E_DIGEST_INVALID]	= { 400, "DIGEST_INVALID",
	    "provided digest did not match uploaded content" },
	[REG_E_MANIFEST_BLOB_UNKNOWN] = { 400, "MANIFEST_BLOB_UNKNOWN",
	    "manifest references a manifest or blob unknown to registry" },
	[REG_E_MANIFEST_INVALID] = { 400, "MANIFEST_INVALID",
	    "manifest invalid" },
	[REG_E_MANIFEST_UNKNOWN] = { 404, "MANIFEST_UNKNOWN",
	    "manifest unknown to registry" },
	[REG_E_NAME_INVALID]	= { 400, "NAME_INVALID",
	    "invalid repository name" },
	[REG_E_NAME_UNKNOWN]	= { 404, "NAME_UNKNOWN",
	    "repository name not known to registry" },
	[REG_E_SIZE_INVALID]	= { 400, "SIZE_INVALID",
	    "provided length did not match content length" },
	[REG_E_UNAUTHORIZED]	= { 401, "UNAUTHORIZED",
	    "authentication required" },
	[REG_E_DENIED]		= { 403, "DENIED",
	    "requested access to the resource is denied" },
	[REG_E_UNSUPPORTED]	= { 405, "UNSUPPORTED",
	    "the operation is unsupported" },
	[REG_E_TOOMANYREQUESTS]	= { 429, "TOOMANYREQUESTS",
	    "too many requests" },
	[REG_E_TAG_INVALID]	= { 400, "TAG_INVALID",
	    "manifest tag did not match URI" },
	[REG_E_RANGE_INVALID]	= { 416, "RANGE_INVALID",
	    "requested range not satisfiable" },
	[REG_E_UPLOAD_RANGE]	= { 416, "BLOB_UPLOAD_INVALID",
	    "chunk does not start at the upload's current offset" },
	[REG_E_TOO_LARGE]	= { 413, "SIZE_INVALID",
	    "payload too large" },
	[REG_E_PAGINATION_INVALID] = { 400, "PAGINATION_NUMBER_INVALID",
	    "invalid number of results requested" },
	[REG_E_BAD_REQUEST]	= { 400, "UNSUPPORTED", "bad request" },
	[REG_E_BODY_INCOMPLETE]	= { 400, "BLOB_UPLOAD_INVALID",
	    "request body incomplete" },
	[REG_E_METHOD]		= { 405, "UNSUPPORTED",
	    "method not allowed" },
	[REG_E_NO_ROUTE]	= { 404, "NOT_FOUND", "no such endpoint" },
	[REG_E_UNAVAILABLE]	= { 503, "UNAVAILABLE",
	    "service unavailable" },
};

/* Map an error to its wire form; out-of-range values become REG_E_IO. */
const struct reg_err_info *
reg_err_info(enum reg_err err)
{
	if ((unsigned)err >= REG_E__COUNT || reg_errs[err].code == NULL)
		err = REG_E_IO;
	return (&reg_errs[err]);
}
