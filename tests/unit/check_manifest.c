/*
 * tests/unit/check_manifest.c: manifest_parse() on valid and invalid
 * manifests of every supported kind.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/util.h"
#include "storage/manifest.h"
#include "tests/unit/check_run.h"

#define H1	"1111111111111111111111111111111111111111111111111111111111111111"
#define H2	"2222222222222222222222222222222222222222222222222222222222222222"
#define H3	"3333333333333333333333333333333333333333333333333333333333333333"
#define D1	"sha256:" H1
#define D2	"sha256:" H2
#define D3	"sha256:" H3

#define DOCKER_CONFIG	"application/vnd.docker.container.image.v1+json"
#define DOCKER_LAYER	"application/vnd.docker.image.rootfs.diff.tar.gzip"
#define OCI_CONFIG	"application/vnd.oci.image.config.v1+json"
#define OCI_LAYER	"application/vnd.oci.image.layer.v1.tar+gzip"
#define OCI_EMPTY	"application/vnd.oci.empty.v1+json"

#define DESC(mt, d, size) \
	"{\"mediaType\":\"" mt "\",\"digest\":\"" d "\",\"size\":" #size "}"

#define SCHEMA2 \
	"{\"schemaVersion\":2,\"mediaType\":\"" MT_DOCKER_V2 "\"," \
	"\"config\":" DESC(DOCKER_CONFIG, D1, 1469) "," \
	"\"layers\":[" DESC(DOCKER_LAYER, D2, 2797) "," \
	DESC(DOCKER_LAYER, D3, 0) "]}"

#define OCI_IMAGE_NOMT \
	"{\"schemaVersion\":2," \
	"\"config\":" DESC(OCI_CONFIG, D1, 10) "," \
	"\"layers\":[" DESC(OCI_LAYER, D2, 20) "]}"

#define OCI_ARTIFACT \
	"{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_MANIFEST "\"," \
	"\"artifactType\":\"application/vnd.example.sbom.v1\"," \
	"\"config\":" DESC(OCI_EMPTY, D1, 2) "," \
	"\"layers\":[]," \
	"\"subject\":" DESC(MT_OCI_MANIFEST, D3, 555) "," \
	"\"annotations\":{\"org.example\":\"x/y\"}}\n"

#define DOCKER_LIST \
	"{\"schemaVersion\":2,\"mediaType\":\"" MT_DOCKER_LIST "\"," \
	"\"manifests\":[{\"mediaType\":\"" MT_DOCKER_V2 "\",\"digest\":\"" \
	D1 "\",\"size\":7143,\"platform\":{\"architecture\":\"ppc64le\"," \
	"\"os\":\"linux\"}}," DESC(MT_DOCKER_V2, D2, 7682) "]}"

#define OCI_INDEX_NOMT \
	"{\"schemaVersion\":2,\"manifests\":[" \
	DESC(MT_OCI_MANIFEST, D1, 100) "]}"

#define SCHEMA1 \
	"{\"schemaVersion\":1,\"name\":\"a\",\"tag\":\"b\"," \
	"\"architecture\":\"amd64\",\"fsLayers\":[]}"

static const struct {
	const char		*what;
	const char		*content_type;
	const char		*body;
	enum reg_err		 err;
	const char		*media_type;	/* on success */
	enum manifest_kind	 kind;
	size_t			 nrefs;
	int			 has_subject;
	const char		*detail;	/* substring, on failure */
} cases[] = {
	{ "schema2", MT_DOCKER_V2, SCHEMA2, REG_OK,
	    MT_DOCKER_V2, MANIFEST_IMAGE, 2, 0, NULL },
	{ "schema2, no Content-Type", NULL, SCHEMA2, REG_OK,
	    MT_DOCKER_V2, MANIFEST_IMAGE, 2, 0, NULL },
	{ "schema2, Content-Type with charset",
	    MT_DOCKER_V2 "; charset=utf-8", SCHEMA2, REG_OK,
	    MT_DOCKER_V2, MANIFEST_IMAGE, 2, 0, NULL },
	{ "OCI manifest, type from Content-Type", MT_OCI_MANIFEST,
	    OCI_IMAGE_NOMT, REG_OK, MT_OCI_MANIFEST, MANIFEST_IMAGE, 1, 0,
	    NULL },
	{ "OCI manifest, type inferred", NULL, OCI_IMAGE_NOMT, REG_OK,
	    MT_OCI_MANIFEST, MANIFEST_IMAGE, 1, 0, NULL },
	{ "OCI artifact with subject", MT_OCI_MANIFEST, OCI_ARTIFACT,
	    REG_OK, MT_OCI_MANIFEST, MANIFEST_IMAGE, 0, 1, NULL },
	{ "docker manifest list", MT_DOCKER_LIST, DOCKER_LIST, REG_OK,
	    MT_DOCKER_LIST, MANIFEST_INDEX, 2, 0, NULL },
	{ "OCI index, type inferred", "application/json", OCI_INDEX_NOMT,
	    REG_OK, MT_OCI_INDEX, MANIFEST_INDEX, 1, 0, NULL },
	{ "OCI index, type from Content-Type", MT_OCI_INDEX, OCI_INDEX_NOMT,
	    REG_OK, MT_OCI_INDEX, MANIFEST_INDEX, 1, 0, NULL },

	{ "not JSON", MT_DOCKER_V2, "hello", REG_E_MANIFEST_INVALID,
	    NULL, 0, 0, 0, "not valid JSON" },
	{ "truncated JSON", MT_DOCKER_V2, "{\"schemaVersion\":2",
	    REG_E_MANIFEST_INVALID, NULL, 0, 0, 0, "truncated" },
	{ "trailing garbage", MT_DOCKER_V2, SCHEMA2 "x",
	    REG_E_MANIFEST_INVALID, NULL, 0, 0, 0, NULL },
	{ "two objects", MT_DOCKER_V2, SCHEMA2 "{}",
	    REG_E_MANIFEST_INVALID, NULL, 0, 0, 0, NULL },
	{ "JSON array", NULL, "[]", REG_E_MANIFEST_INVALID, NULL, 0, 0, 0,
	    "not a JSON object" },
	{ "schema1 body", NULL, SCHEMA1, REG_E_MANIFEST_INVALID, NULL, 0,
	    0, 0, "schema 1" },
	{ "schema1 Content-Type", MT_DOCKER_V1S, SCHEMA2,
	    REG_E_MANIFEST_INVALID, NULL, 0, 0, 0, "schema 1" },
	{ "schemaVersion 3", NULL,
	    "{\"schemaVersion\":3,\"manifests\":[]}",
	    REG_E_MANIFEST_INVALID, NULL, 0, 0, 0, "schemaVersion" },
	{ "schemaVersion missing", NULL, "{\"manifests\":[]}",
	    REG_E_MANIFEST_INVALID, NULL, 0, 0, 0, "schemaVersion" },
	{ "mediaType vs Content-Type", MT_OCI_MANIFEST, SCHEMA2,
	    REG_E_MANIFEST_INVALID, NULL, 0, 0, 0, "does not match" },
	{ "unknown Content-Type", "text/plain", OCI_IMAGE_NOMT,
	    REG_E_MANIFEST_INVALID, NULL, 0, 0, 0, "unsupported" },
	{ "index body as image type", MT_OCI_MANIFEST, OCI_INDEX_NOMT,
	    REG_E_MANIFEST_INVALID, NULL, 0, 0, 0, "\"manifests\" member" },
	{ "image body as index type", MT_OCI_INDEX, OCI_IMAGE_NOMT,
	    REG_E_MANIFEST_INVALID, NULL, 0, 0, 0, NULL },
	{ "docker type without mediaType", MT_DOCKER_V2, OCI_IMAGE_NOMT,
	    REG_E_MANIFEST_INVALID, NULL, 0, 0, 0, "without mediaType" },
	{ "bad layer digest", NULL,
	    "{\"schemaVersion\":2,\"config\":" DESC(OCI_CONFIG, D1, 1) ","
	    "\"layers\":[" DESC(OCI_LAYER, "sha256:abc", 1) "]}",
	    REG_E_MANIFEST_INVALID, NULL, 0, 0, 0, "layers[0] has no valid "
	    "digest" },
	{ "upper-case digest", NULL,
	    "{\"schemaVersion\":2,\"config\":" DESC(OCI_CONFIG,
	    "sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	    "AAAAAAAAA", 1) ",\"layers\":[]}",
	    REG_E_MANIFEST_INVALID, NULL, 0, 0, 0, "config has no valid" },
	{ "negative size", NULL,
	    "{\"schemaVersion\":2,\"config\":" DESC(OCI_CONFIG, D1, 1) ","
	    "\"layers\":[" DESC(OCI_LAYER, D2, -5) "]}",
	    REG_E_MANIFEST_INVALID, NULL, 0, 0, 0, "negative size" },
	{ "fractional size", NULL,
	    "{\"schemaVersion\":2,\"config\":" DESC(OCI_CONFIG, D1, 1.5) ","
	    "\"layers\":[]}",
	    REG_E_MANIFEST_INVALID, NULL, 0, 0, 0, "integer size" },
	{ "missing size", NULL,
	    "{\"schemaVersion\":2,\"config\":" DESC(OCI_CONFIG, D1, 1) ","
	    "\"layers\":[{\"mediaType\":\"" OCI_LAYER "\",\"digest\":\"" D2
	    "\"}]}",
	    REG_E_MANIFEST_INVALID, NULL, 0, 0, 0, "integer size" },
	{ "missing config", MT_OCI_MANIFEST,
	    "{\"schemaVersion\":2,\"layers\":[]}",
	    REG_E_MANIFEST_INVALID, NULL, 0, 0, 0, "no config" },
	{ "missing layers", MT_OCI_MANIFEST,
	    "{\"schemaVersion\":2,\"config\":" DESC(OCI_CONFIG, D1, 1) "}",
	    REG_E_MANIFEST_INVALID, NULL, 0, 0, 0, "\"layers\"" },
	{ "index without manifests", MT_OCI_INDEX, "{\"schemaVersion\":2}",
	    REG_E_MANIFEST_INVALID, NULL, 0, 0, 0, "\"manifests\"" },
	{ "bad subject", MT_OCI_MANIFEST,
	    "{\"schemaVersion\":2,\"config\":" DESC(OCI_CONFIG, D1, 1) ","
	    "\"layers\":[],\"subject\":{\"digest\":\"x\"}}",
	    REG_E_MANIFEST_INVALID, NULL, 0, 0, 0, "subject" },
	{ "annotation not a string", MT_OCI_INDEX,
	    "{\"schemaVersion\":2,\"manifests\":[],"
	    "\"annotations\":{\"a\":1}}",
	    REG_E_MANIFEST_INVALID, NULL, 0, 0, 0, "annotation" },
	{ "invalid UTF-8", NULL,
	    "{\"schemaVersion\":2,\"manifests\":[],\"x\":\"\xff\"}",
	    REG_E_MANIFEST_INVALID, NULL, 0, 0, 0, NULL },
};

START_TEST(test_parse)
{
	struct manifest_parsed	 mp;
	struct buf		 detail = BUF_INIT;
	enum reg_err		 err;

	err = manifest_parse(cases[_i].body, strlen(cases[_i].body),
	    cases[_i].content_type, &mp, &detail);
	ck_assert_msg(err == cases[_i].err, "%s: got %d (%s), want %d",
	    cases[_i].what, err, detail.buf, cases[_i].err);
	if (err == REG_OK) {
		ck_assert_str_eq(mp.media_type, cases[_i].media_type);
		ck_assert_int_eq(mp.kind, cases[_i].kind);
		ck_assert_uint_eq(mp.nrefs, cases[_i].nrefs);
		ck_assert_int_eq(mp.has_subject, cases[_i].has_subject);
		ck_assert_int_eq(mp.has_config, mp.kind == MANIFEST_IMAGE);
		manifest_parsed_release(&mp);
	} else {
		ck_assert_msg(detail.len > 0, "%s: no detail", cases[_i].what);
		if (cases[_i].detail != NULL)
			ck_assert_msg(strstr(detail.buf, cases[_i].detail) !=
			    NULL, "%s: detail \"%s\" lacks \"%s\"",
			    cases[_i].what, detail.buf, cases[_i].detail);
		ck_assert_ptr_null(mp.refs);
		ck_assert_ptr_null(mp.annotations);
	}
	buf_release(&detail);
}
END_TEST

START_TEST(test_fields)
{
	struct manifest_parsed	 mp;
	struct buf		 detail = BUF_INIT;

	ck_assert_int_eq(manifest_parse(SCHEMA2, strlen(SCHEMA2), NULL, &mp,
	    &detail), REG_OK);
	ck_assert_str_eq(mp.config.digest.str, D1);
	ck_assert_uint_eq(mp.config.size, 1469);
	ck_assert_str_eq(mp.config.media_type, DOCKER_CONFIG);
	ck_assert_str_eq(mp.refs[0].digest.str, D2);
	ck_assert_uint_eq(mp.refs[0].size, 2797);
	ck_assert_str_eq(mp.refs[1].digest.str, D3);
	ck_assert_uint_eq(mp.refs[1].size, 0);
	ck_assert_str_eq(mp.artifact_type, "");
	ck_assert_ptr_null(mp.annotations);
	manifest_parsed_release(&mp);

	ck_assert_int_eq(manifest_parse(OCI_ARTIFACT, strlen(OCI_ARTIFACT),
	    MT_OCI_MANIFEST, &mp, &detail), REG_OK);
	ck_assert_str_eq(mp.artifact_type, "application/vnd.example.sbom.v1");
	ck_assert_str_eq(mp.config.media_type, OCI_EMPTY);
	ck_assert_str_eq(mp.subject.digest.str, D3);
	ck_assert_uint_eq(mp.subject.size, 555);
	ck_assert_str_eq(mp.annotations, "{\"org.example\":\"x/y\"}");
	manifest_parsed_release(&mp);
	buf_release(&detail);
}
END_TEST

/* Deep nesting is refused by the depth limit, not by the stack. */
START_TEST(test_nesting)
{
	struct manifest_parsed	 mp;
	struct buf		 body = BUF_INIT, detail = BUF_INIT;
	size_t			 i;

	buf_addstr(&body, "{\"schemaVersion\":2,\"manifests\":[],\"x\":");
	for (i = 0; i < 100000; i++)
		buf_addch(&body, '[');
	for (i = 0; i < 100000; i++)
		buf_addch(&body, ']');
	buf_addch(&body, '}');
	ck_assert_int_eq(manifest_parse(body.buf, body.len, NULL, &mp,
	    &detail), REG_E_MANIFEST_INVALID);
	ck_assert_ptr_nonnull(strstr(detail.buf, "deep"));
	buf_release(&body);
	buf_release(&detail);
}
END_TEST

/* A NUL byte ends json-c's input early: the rest must not be ignored. */
START_TEST(test_nul)
{
	struct manifest_parsed	 mp;
	struct buf		 body = BUF_INIT, detail = BUF_INIT;

	buf_addstr(&body, OCI_INDEX_NOMT);
	buf_addch(&body, '\0');
	buf_addstr(&body, "junk");
	ck_assert_int_eq(manifest_parse(body.buf, body.len, NULL, &mp,
	    &detail), REG_E_MANIFEST_INVALID);
	buf_release(&body);
	buf_release(&detail);
}
END_TEST

START_TEST(test_type_known)
{
	ck_assert_int_eq(manifest_type_known(MT_DOCKER_V2), 1);
	ck_assert_int_eq(manifest_type_known(MT_DOCKER_LIST), 1);
	ck_assert_int_eq(manifest_type_known(MT_OCI_MANIFEST), 1);
	ck_assert_int_eq(manifest_type_known(MT_OCI_INDEX), 1);
	ck_assert_int_eq(manifest_type_known(MT_DOCKER_V1S), 0);
	ck_assert_int_eq(manifest_type_known("application/json"), 0);
}
END_TEST

int
main(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("manifest");
	tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_parse, 0, nitems(cases));
	tcase_add_test(tc, test_fields);
	tcase_add_test(tc, test_nesting);
	tcase_add_test(tc, test_nul);
	tcase_add_test(tc, test_type_known);
	suite_add_tcase(s, tc);
	return (check_run(s));
}
