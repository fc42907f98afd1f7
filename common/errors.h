/*
 * common/errors.h: every failure a request can meet, and its wire form.
 *
 * Functions that can fail for a client-visible or I/O reason return
 * enum reg_err.  Storage returns only REG_OK, REG_E_NOENT, REG_E_IO,
 * REG_E_NOSPC, REG_E_BUSY and REG_E_EXISTS; handlers translate NOENT into the OCI code
 * that names what was missing.  reg_err_info() maps every code to its
 * HTTP status, OCI error code and default message; the table lives in
 * errors.c and check_errors fails on a gap.
 */
#ifndef SPECREG_COMMON_ERRORS_H
#define SPECREG_COMMON_ERRORS_H

enum reg_err {
	REG_OK = 0,
	/* Storage-level results; never reach a client untranslated. */
	REG_E_NOENT,
	REG_E_IO,
	REG_E_NOSPC,
	REG_E_BUSY,
	REG_E_EXISTS,		/* a create-only put found the object */
	/* OCI distribution error codes. */
	REG_E_BLOB_UNKNOWN,
	REG_E_BLOB_UPLOAD_INVALID,
	REG_E_BLOB_UPLOAD_UNKNOWN,
	REG_E_DIGEST_INVALID,
	REG_E_MANIFEST_BLOB_UNKNOWN,
	REG_E_MANIFEST_INVALID,
	REG_E_MANIFEST_UNKNOWN,
	REG_E_NAME_INVALID,
	REG_E_NAME_UNKNOWN,
	REG_E_SIZE_INVALID,
	REG_E_UNAUTHORIZED,
	REG_E_DENIED,
	REG_E_UNSUPPORTED,
	REG_E_TOOMANYREQUESTS,
	/* HTTP-level failures, rendered with the nearest OCI code. */
	REG_E_TAG_INVALID,
	REG_E_RANGE_INVALID,
	REG_E_UPLOAD_RANGE,
	REG_E_TOO_LARGE,
	REG_E_PAGINATION_INVALID,
	REG_E_BAD_REQUEST,
	REG_E_BODY_INCOMPLETE,
	REG_E_METHOD,
	REG_E_NO_ROUTE,
	REG_E_UNAVAILABLE,
	REG_E__COUNT
};

struct reg_err_info {
	int		 status;
	const char	*code;
	const char	*message;
};

const struct reg_err_info *reg_err_info(enum reg_err);

#endif
