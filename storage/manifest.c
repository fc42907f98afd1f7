/*
 * storage/manifest.c: parse and check an image manifest or index.
 *
 * The body is parsed with json-c in strict mode with a depth limit and
 * UTF-8 validation; anything after the top-level object but white
 * space is refused.  The media type is decided in this order:
 *   1. a schema 1 Content-Type or body (schemaVersion 1) is refused;
 *   2. the Content-Type, parameters stripped (";charset=..."), is used
 *      unless it is missing or the generic "application/json";
 *   3. the body's "mediaType", which must agree with (2) if both exist;
 *   4. neither: an OCI index if there is a "manifests" array, an OCI
 *      image manifest if there are "config" and "layers".
 * Docker types must carry "mediaType" in the body (as the Docker
 * specification requires); OCI types may omit it.  Whatever the type,
 * the body's shape must fit it: an image has "config" and "layers" and
 * no "manifests", an index the opposite, so one byte string can never
 * be read as two kinds of manifest.  "subject", "artifactType" and
 * "annotations" are read for OCI types only.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "common/buf.h"
#include "common/digest.h"
#include "common/errors.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "storage/manifest.h"

/* Real manifests nest 5 or 6 levels deep. */
#define MANIFEST_DEPTH	32

static const char *const manifest_types[] = {
	MT_DOCKER_V2,
	MT_DOCKER_LIST,
	MT_OCI_MANIFEST,
	MT_OCI_INDEX,
};

static enum reg_err
mp_fail(struct buf *detail, const char *fmt, ...)
	__attribute__((__format__(__printf__, 2, 3)));

static enum reg_err
mp_fail(struct buf *detail, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	buf_vaddf(detail, fmt, ap);
	va_end(ap);
	return (REG_E_MANIFEST_INVALID);
}

int
manifest_type_known(const char *mt)
{
	size_t	i;

	for (i = 0; i < nitems(manifest_types); i++)
		if (strcmp(mt, manifest_types[i]) == 0)
			return (1);
	return (0);
}

static int
type_is_index(const char *mt)
{
	return (strcmp(mt, MT_OCI_INDEX) == 0 ||
	    strcmp(mt, MT_DOCKER_LIST) == 0);
}

static int
type_is_oci(const char *mt)
{
	return (strcmp(mt, MT_OCI_MANIFEST) == 0 ||
	    strcmp(mt, MT_OCI_INDEX) == 0);
}

static int
type_is_schema1(const char *mt)
{
	return (strcasecmp(mt, MT_DOCKER_V1) == 0 ||
	    strcasecmp(mt, MT_DOCKER_V1S) == 0);
}

/*
 * Copy a Content-Type without its parameters and surrounding white
 * space into "out"; lower case, as media types compare case-blind.
 * Returns -1 if it does not fit.
 */
static int
content_type_base(const char *ct, char *out, size_t outsz)
{
	size_t	len;

	while (*ct == ' ' || *ct == '\t')
		ct++;
	len = strcspn(ct, ";");
	while (len > 0 && (ct[len - 1] == ' ' || ct[len - 1] == '\t'))
		len--;
	if (len >= outsz)
		return (-1);
	memcpy(out, ct, len);
	out[len] = '\0';
	for (; *out != '\0'; out++)
		if (*out >= 'A' && *out <= 'Z')
			*out = *out - 'A' + 'a';
	return (0);
}

/* Parse exactly one JSON object that fills the whole body. */
static enum reg_err
json_parse_body(const void *body, size_t len, struct json_object **out,
    struct buf *detail)
{
	struct json_tokener		*tok;
	struct json_object		*obj;
	enum json_tokener_error		 jerr;
	size_t				 end;

	if (len > INT32_MAX)
		return (mp_fail(detail, "manifest too large to parse"));
	tok = json_tokener_new_ex(MANIFEST_DEPTH);
	if (tok == NULL)
		return (mp_fail(detail, "out of memory parsing manifest"));
	json_tokener_set_flags(tok,
	    JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, body, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (obj == NULL) {
		if (jerr == json_tokener_continue)
			return (mp_fail(detail, "manifest is truncated JSON"));
		return (mp_fail(detail, "manifest is not valid JSON: %s "
		    "at byte %zu", json_tokener_error_desc(jerr), end));
	}
	if (end != len) {
		json_object_put(obj);
		return (mp_fail(detail, "unexpected data after the manifest "
		    "at byte %zu", end));
	}
	if (!json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		return (mp_fail(detail, "manifest is not a JSON object"));
	}
	*out = obj;
	return (REG_OK);
}

/*
 * Optional string member "key" of "obj": 0 and *s = NULL if absent,
 * 1 if present and a string of at most "max" bytes without NUL, -1 if
 * present and anything else.
 */
static int
json_str(struct json_object *obj, const char *key, size_t max,
    const char **s)
{
	struct json_object	*v;
	size_t			 len;

	*s = NULL;
	if (!json_object_object_get_ex(obj, key, &v))
		return (0);
	if (!json_object_is_type(v, json_type_string))
		return (-1);
	*s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (len > max || strlen(*s) != len)
		return (-1);
	return (1);
}

/* A media type or artifact type: printable ASCII, no space. */
static int
media_type_valid(const char *s)
{
	if (*s == '\0')
		return (0);
	for (; *s != '\0'; s++)
		if (*s <= ' ' || *s >= 0x7f)
			return (0);
	return (1);
}

static enum reg_err
desc_parse(struct json_object *obj, const char *what,
    struct manifest_desc *d, struct buf *detail)
{
	struct json_object	*v;
	const char		*s;
	int64_t			 size;

	if (!json_object_is_type(obj, json_type_object))
		return (mp_fail(detail, "%s is not a descriptor object",
		    what));
	if (json_str(obj, "mediaType", sizeof(d->media_type) - 1, &s) != 1 ||
	    !media_type_valid(s))
		return (mp_fail(detail, "%s has no valid mediaType", what));
	memcpy(d->media_type, s, strlen(s) + 1);
	if (json_str(obj, "digest", DIGEST_STR_MAX - 1, &s) != 1 ||
	    digest_parse(s, strlen(s), &d->digest) == -1)
		return (mp_fail(detail, "%s has no valid digest", what));
	if (!json_object_object_get_ex(obj, "size", &v) ||
	    !json_object_is_type(v, json_type_int))
		return (mp_fail(detail, "%s (%s) has no integer size", what,
		    d->digest.str));
	size = json_object_get_int64(v);
	if (size < 0)
		return (mp_fail(detail, "%s (%s) has a negative size", what,
		    d->digest.str));
	d->size = (uint64_t)size;
	return (REG_OK);
}

/* The array member "key": each element a descriptor, into mp->refs. */
static enum reg_err
descs_parse(struct json_object *root, const char *key,
    struct manifest_parsed *mp, struct buf *detail)
{
	struct json_object	*arr;
	char			 what[64];
	size_t			 i, n;
	enum reg_err		 err;

	if (!json_object_object_get_ex(root, key, &arr) ||
	    !json_object_is_type(arr, json_type_array))
		return (mp_fail(detail, "manifest has no \"%s\" array", key));
	n = json_object_array_length(arr);
	mp->refs = xcalloc(n == 0 ? 1 : n, sizeof(*mp->refs));
	for (i = 0; i < n; i++) {
		(void)snprintf(what, sizeof(what), "%s[%zu]", key, i);
		err = desc_parse(json_object_array_get_idx(arr, i), what,
		    &mp->refs[i], detail);
		if (err != REG_OK)
			return (err);
		mp->nrefs++;
	}
	return (REG_OK);
}

/* "annotations": an object of strings, kept as compact JSON. */
static enum reg_err
annotations_parse(struct json_object *root, struct manifest_parsed *mp,
    struct buf *detail)
{
	struct json_object	*ann;
	struct json_object_iter	 it;

	if (!json_object_object_get_ex(root, "annotations", &ann))
		return (REG_OK);
	if (!json_object_is_type(ann, json_type_object))
		return (mp_fail(detail, "annotations is not an object"));
	json_object_object_foreachC(ann, it) {
		if (!json_object_is_type(it.val, json_type_string))
			return (mp_fail(detail, "annotation \"%s\" is not a "
			    "string", it.key));
	}
	mp->annotations = xstrdup(json_object_to_json_string_ext(ann,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	return (REG_OK);
}

/* The OCI 1.1 members: artifactType, subject, annotations. */
static enum reg_err
oci_extras_parse(struct json_object *root, struct manifest_parsed *mp,
    struct buf *detail)
{
	struct json_object	*v;
	const char		*s;
	enum reg_err		 err;

	switch (json_str(root, "artifactType", sizeof(mp->artifact_type) - 1,
	    &s)) {
	case 1:
		if (!media_type_valid(s))
			return (mp_fail(detail, "artifactType is invalid"));
		memcpy(mp->artifact_type, s, strlen(s) + 1);
		break;
	case -1:
		return (mp_fail(detail, "artifactType is invalid"));
	}
	if (json_object_object_get_ex(root, "subject", &v)) {
		err = desc_parse(v, "subject", &mp->subject, detail);
		if (err != REG_OK)
			return (err);
		mp->has_subject = 1;
	}
	return (annotations_parse(root, mp, detail));
}

/* Decide the media type (see the top of this file). */
static enum reg_err
media_type_decide(struct json_object *root, const char *content_type,
    struct manifest_parsed *mp, struct buf *detail)
{
	char		 ct[256] = "";
	const char	*bt;

	if (content_type != NULL &&
	    content_type_base(content_type, ct, sizeof(ct)) == -1)
		return (mp_fail(detail, "Content-Type is too long"));
	if (strcmp(ct, "application/json") == 0)
		ct[0] = '\0';
	if (json_str(root, "mediaType", sizeof(mp->media_type) - 1, &bt) ==
	    -1)
		return (mp_fail(detail, "mediaType is not a valid string"));
	if (bt != NULL && ct[0] != '\0' && strcmp(bt, ct) != 0)
		return (mp_fail(detail, "mediaType \"%s\" does not match "
		    "Content-Type \"%s\"", bt, ct));
	if (bt == NULL && (strcmp(ct, MT_DOCKER_V2) == 0 ||
	    strcmp(ct, MT_DOCKER_LIST) == 0))
		return (mp_fail(detail, "Docker manifest without mediaType"));
	if (bt == NULL && ct[0] == '\0') {
		if (json_object_object_get_ex(root, "manifests", NULL))
			bt = MT_OCI_INDEX;
		else if (json_object_object_get_ex(root, "config", NULL) &&
		    json_object_object_get_ex(root, "layers", NULL))
			bt = MT_OCI_MANIFEST;
		else
			return (mp_fail(detail, "no media type given and none "
			    "can be inferred"));
	}
	if (bt == NULL)
		bt = ct;
	if (!manifest_type_known(bt))
		return (mp_fail(detail, "unsupported manifest media type "
		    "\"%s\"", bt));
	memcpy(mp->media_type, bt, strlen(bt) + 1);
	return (REG_OK);
}

static enum reg_err
schema_version_check(struct json_object *root, struct buf *detail)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(root, "schemaVersion", &v) ||
	    !json_object_is_type(v, json_type_int))
		return (mp_fail(detail, "schemaVersion is missing"));
	if (json_object_get_int64(v) == 1)
		return (mp_fail(detail, "schema 1 manifests are not "
		    "supported"));
	if (json_object_get_int64(v) != 2)
		return (mp_fail(detail, "schemaVersion must be 2"));
	return (REG_OK);
}

static enum reg_err
image_parse(struct json_object *root, struct manifest_parsed *mp,
    struct buf *detail)
{
	struct json_object	*v;
	enum reg_err		 err;

	if (json_object_object_get_ex(root, "manifests", NULL))
		return (mp_fail(detail, "image manifest has a \"manifests\" "
		    "member"));
	if (!json_object_object_get_ex(root, "config", &v))
		return (mp_fail(detail, "image manifest has no config"));
	err = desc_parse(v, "config", &mp->config, detail);
	if (err != REG_OK)
		return (err);
	mp->has_config = 1;
	mp->kind = MANIFEST_IMAGE;
	return (descs_parse(root, "layers", mp, detail));
}

static enum reg_err
index_parse(struct json_object *root, struct manifest_parsed *mp,
    struct buf *detail)
{
	if (json_object_object_get_ex(root, "config", NULL) ||
	    json_object_object_get_ex(root, "layers", NULL))
		return (mp_fail(detail, "index has a \"config\" or "
		    "\"layers\" member"));
	mp->kind = MANIFEST_INDEX;
	return (descs_parse(root, "manifests", mp, detail));
}

static enum reg_err
manifest_parse_json(struct json_object *root, const char *content_type,
    struct manifest_parsed *mp, struct buf *detail)
{
	enum reg_err	 err;

	if ((err = schema_version_check(root, detail)) != REG_OK)
		return (err);
	if ((err = media_type_decide(root, content_type, mp, detail)) !=
	    REG_OK)
		return (err);
	if (type_is_index(mp->media_type))
		err = index_parse(root, mp, detail);
	else
		err = image_parse(root, mp, detail);
	if (err == REG_OK && type_is_oci(mp->media_type))
		err = oci_extras_parse(root, mp, detail);
	return (err);
}

enum reg_err
manifest_parse(const void *body, size_t len, const char *content_type,
    struct manifest_parsed *mp, struct buf *detail)
{
	struct json_object	*root = NULL;
	char			 ct[256];
	enum reg_err		 err;

	memset(mp, 0, sizeof(*mp));
	if (content_type != NULL &&
	    content_type_base(content_type, ct, sizeof(ct)) == 0 &&
	    type_is_schema1(ct))
		return (mp_fail(detail, "schema 1 manifests are not "
		    "supported"));
	if ((err = json_parse_body(body, len, &root, detail)) != REG_OK)
		return (err);
	err = manifest_parse_json(root, content_type, mp, detail);
	json_object_put(root);
	if (err != REG_OK)
		manifest_parsed_release(mp);
	return (err);
}

void
manifest_parsed_release(struct manifest_parsed *mp)
{
	free(mp->refs);
	free(mp->annotations);
	memset(mp, 0, sizeof(*mp));
}
