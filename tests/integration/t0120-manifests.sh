#!/bin/sh
# Manifests: PUT/GET/HEAD/DELETE by tag and digest, exact bytes, Accept
# negotiation, validation (blobs, sizes, JSON, schema 1, media types,
# 4 MiB, digest references, index children), OCI-Subject.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/oci.sh"

start_registry
oci_init
R=test/manifests

# The last response is a manifest whose Content-Type, digest header and
# body agree; its body must be one of the files given.
consistent()
{
	_ct=$(header Content-Type)
	_mt=$(jq -r '.mediaType // empty' "$T/body")
	[ -z "$_mt" ] || [ "$_ct" = "$_mt" ] ||
	    fail "Content-Type $_ct but mediaType $_mt"
	hdr_is Docker-Content-Digest "$(digest_of "$T/body")"
	for _f in "$@"; do
		cmp -s "$T/body" "$_f" && return 0
	done
	fail "body is none of: $*"
}

# GET (or HEAD) REF and expect exactly FILE with type MT.
get_is()
{
	_ref=$1
	_f=$2
	_mt=$3
	shift 3
	expect_status 200 "$@" "$V2/$R/manifests/$_ref"
	hdr_is Content-Type "$_mt"
	hdr_is Docker-Content-Digest "$(digest_of "$_f")"
	hdr_is Content-Length "$(size_of "$_f")"
	body_is_file "$_f"
}

head_is()
{
	_ref=$1
	_f=$2
	_mt=$3
	shift 3
	expect_status 200 -I "$@" "$V2/$R/manifests/$_ref"
	hdr_is Content-Type "$_mt"
	hdr_is Docker-Content-Digest "$(digest_of "$_f")"
	hdr_is Content-Length "$(size_of "$_f")"
	_n=$(curl -s -I -o /dev/null -w '%{size_download}' "$@" \
	    "$V2/$R/manifests/$_ref")
	[ "$_n" = 0 ] || fail "HEAD manifest sent $_n body bytes"
}

note "an OCI manifest by tag"
oci_image o1 2
manifest_put "$R" v1 "$OCI" "$T/o1.json"
do1=$(digest_of "$T/o1.json")
get_is v1 "$T/o1.json" "$OCI" -H "Accept: $OCI"
get_is "$do1" "$T/o1.json" "$OCI" -H "Accept: $OCI"
head_is v1 "$T/o1.json" "$OCI" -H "Accept: $OCI"
head_is "$do1" "$T/o1.json" "$OCI"
# Pushing the same bytes again is fine.
manifest_put "$R" v1 "$OCI" "$T/o1.json"

note "a Docker schema 2 manifest by tag"
docker_image d1 3
manifest_put "$R" d1 "$D2" "$T/d1.json"
dd1=$(digest_of "$T/d1.json")
get_is d1 "$T/d1.json" "$D2" -H "Accept: $D2"
get_is "$dd1" "$T/d1.json" "$D2" -H "Accept: $D2"
head_is d1 "$T/d1.json" "$D2" -H "Accept: $D2"

note "whitespace and key order are kept byte for byte"
mkblobs ws 1
printf '{\n   "layers" : [ %s ],\n  "config": %s,\n "schemaVersion" :2 ,"mediaType":"%s"\n}\n' \
    "$(blob_desc "$OCI_LAYER" "$T/ws.l1")" \
    "$(blob_desc "$OCI_CONFIG" "$T/ws.cfg")" "$OCI" >"$T/ws.json"
manifest_put "$R" ws "$OCI" "$T/ws.json"
get_is ws "$T/ws.json" "$OCI" -H "Accept: $OCI"

note "an OCI manifest without a mediaType field"
mkblobs nomt 1
printf '{"schemaVersion":2,"config":%s,"layers":[%s]}' \
    "$(blob_desc "$OCI_CONFIG" "$T/nomt.cfg")" \
    "$(blob_desc "$OCI_LAYER" "$T/nomt.l1")" >"$T/nomt.json"
manifest_put "$R" nomt "$OCI" "$T/nomt.json"
get_is nomt "$T/nomt.json" "$OCI" -H "Accept: $OCI"
get_is "$(digest_of "$T/nomt.json")" "$T/nomt.json" "$OCI"

note "a tag moves to the newest manifest"
oci_image o2 1
manifest_put "$R" v1 "$OCI" "$T/o2.json"
get_is v1 "$T/o2.json" "$OCI" -H "Accept: $OCI"
# The old one is still there by digest.
get_is "$do1" "$T/o1.json" "$OCI"

note "Accept negotiation on a tag holding schema 2 and OCI"
manifest_put "$R" both "$OCI" "$T/o1.json"
manifest_put "$R" both "$D2" "$T/d1.json"
get_is both "$T/o1.json" "$OCI" -H "Accept: $OCI"
get_is both "$T/d1.json" "$D2" -H "Accept: $D2"
get_is both "$T/o1.json" "$OCI" -H 'Accept: text/plain' -H "Accept: $OCI"
get_is both "$T/d1.json" "$D2" -H 'Accept: application/json' \
    -H "Accept: $D2"
get_is both "$T/o1.json" "$OCI" -H "Accept: $D2_LIST, $OCI, $OCI_INDEX"
get_is both "$T/d1.json" "$D2" -H "Accept: $OCI;q=0.5, $D2"
get_is both "$T/o1.json" "$OCI" -H "Accept: $OCI, $D2; q=0.1"
get_is both "$T/d1.json" "$D2" -H "Accept: $OCI;q=0.2" -H "Accept: $D2;q=0.9"
get_is both "$T/o1.json" "$OCI" -H "Accept: $D2;q=0, */*"
get_is both "$T/d1.json" "$D2" -H "Accept: $OCI;q=0, application/*"
head_is both "$T/d1.json" "$D2" -H "Accept: $D2"
head_is both "$T/o1.json" "$OCI" -H "Accept: $OCI"
expect_status 200 -H 'Accept: */*' "$V2/$R/manifests/both"
consistent "$T/o1.json" "$T/d1.json"
expect_status 200 -H 'Accept:' "$V2/$R/manifests/both"
consistent "$T/o1.json" "$T/d1.json"
note "no Accept at all on a single-type tag"
expect_status 200 -H 'Accept:' "$V2/$R/manifests/d1"
consistent "$T/d1.json"
hdr_is Content-Type "$D2"
expect_status 200 -H 'Accept:' "$V2/$R/manifests/v1"
consistent "$T/o2.json"
hdr_is Content-Type "$OCI"
# Nothing acceptable: a manifest or a 404/406, never a 5xx.
expect_not5xx -H 'Accept: text/plain' "$V2/$R/manifests/both"
[ "$STATUS" != 200 ] || consistent "$T/o1.json" "$T/d1.json"

note "unknown manifests"
expect_err 404 MANIFEST_UNKNOWN -H "Accept: $OCI" "$V2/$R/manifests/nope"
expect_status 404 -I "$V2/$R/manifests/nope"
unknown=sha256:$(printf 'x' | sha256sum | cut -d' ' -f1)
expect_err 404 MANIFEST_UNKNOWN "$V2/$R/manifests/$unknown"
expect_status 404 "$V2/no/such/repo/manifests/latest"
err_code_in NAME_UNKNOWN MANIFEST_UNKNOWN
# A layer is a blob, not a manifest.
expect_status 404 "$V2/$R/manifests/$(digest_of "$T/o1.l1")"
err_code_is MANIFEST_UNKNOWN

note "referenced blobs must exist"
randfile "$T/missing" 99
printf '{"schemaVersion":2,"mediaType":"%s","config":%s,"layers":[%s]}' \
    "$OCI" "$(blob_desc "$OCI_CONFIG" "$T/o1.cfg")" \
    "$(blob_desc "$OCI_LAYER" "$T/missing")" >"$T/bad.json"
expect_err 400 MANIFEST_BLOB_UNKNOWN -X PUT -H "Content-Type: $OCI" \
    --data-binary "@$T/bad.json" "$V2/$R/manifests/bad"
expect_status 404 "$V2/$R/manifests/$(digest_of "$T/bad.json")"
expect_status 404 -H "Accept: $OCI" "$V2/$R/manifests/bad"
printf '{"schemaVersion":2,"mediaType":"%s","config":%s,"layers":[%s]}' \
    "$OCI" "$(blob_desc "$OCI_CONFIG" "$T/missing")" \
    "$(blob_desc "$OCI_LAYER" "$T/o1.l1")" >"$T/bad.json"
expect_err 400 MANIFEST_BLOB_UNKNOWN -X PUT -H "Content-Type: $OCI" \
    --data-binary "@$T/bad.json" "$V2/$R/manifests/bad"

note "declared sizes must match (the incorrect-sized-layer bug)"
l1=$(size_of "$T/o1.l1")
for sz in $((l1 + 1)) $((l1 - 1)) 0; do
	printf '{"schemaVersion":2,"mediaType":"%s","config":%s,"layers":[{"mediaType":"%s","digest":"%s","size":%s}]}' \
	    "$OCI" "$(blob_desc "$OCI_CONFIG" "$T/o1.cfg")" "$OCI_LAYER" \
	    "$(digest_of "$T/o1.l1")" "$sz" >"$T/bad.json"
	expect_status 400 -X PUT -H "Content-Type: $OCI" \
	    --data-binary "@$T/bad.json" "$V2/$R/manifests/badsize"
	err_code_in MANIFEST_INVALID MANIFEST_BLOB_UNKNOWN SIZE_INVALID
	expect_status 404 "$V2/$R/manifests/$(digest_of "$T/bad.json")"
done
c1=$(size_of "$T/d1.cfg")
printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"%s","digest":"%s","size":%s},"layers":[%s]}' \
    "$D2" "$D2_CONFIG" "$(digest_of "$T/d1.cfg")" $((c1 + 1)) \
    "$(blob_desc "$D2_LAYER" "$T/d1.l1")" >"$T/bad.json"
expect_status 400 -X PUT -H "Content-Type: $D2" \
    --data-binary "@$T/bad.json" "$V2/$R/manifests/badsize"
expect_status 404 -H "Accept: $OCI" -H "Accept: $D2" \
    "$V2/$R/manifests/badsize"

note "malformed manifests"
for body in '{' 'not json' '[]' 'null' '{"schemaVersion":2}' \
    '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{},"layers":[]}' \
    '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"x","digest":"sha256:zz","size":1},"layers":[]}' \
    '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"x","digest":"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","size":-1},"layers":[]}' \
    '{"schemaVersion":3,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]}'; do
	printf '%s' "$body" >"$T/bad.json"
	expect_err 400 MANIFEST_INVALID -X PUT -H "Content-Type: $OCI" \
	    --data-binary "@$T/bad.json" "$V2/$R/manifests/garbage"
done
expect_status 404 -H "Accept: $OCI" "$V2/$R/manifests/garbage"

note "schema 1 is refused"
printf '{"schemaVersion":1,"name":"%s","tag":"s1","architecture":"amd64","fsLayers":[{"blobSum":"%s"}],"history":[{"v1Compatibility":"{}"}],"signatures":[]}' \
    "$R" "$(digest_of "$T/o1.l1")" >"$T/s1.json"
for mt in application/vnd.docker.distribution.manifest.v1+prettyjws \
    application/vnd.docker.distribution.manifest.v1+json; do
	expect_4xx -X PUT -H "Content-Type: $mt" --data-binary "@$T/s1.json" \
	    "$V2/$R/manifests/s1"
	[ "$STATUS" = 400 ] || [ "$STATUS" = 415 ] ||
	    fail "schema 1 answered $STATUS"
done
expect_status 404 "$V2/$R/manifests/$(digest_of "$T/s1.json")"

note "mediaType and Content-Type must agree"
expect_err 400 MANIFEST_INVALID -X PUT -H "Content-Type: $D2" \
    --data-binary "@$T/o1.json" "$V2/$R/manifests/mismatch"
expect_err 400 MANIFEST_INVALID -X PUT -H "Content-Type: $OCI" \
    --data-binary "@$T/d1.json" "$V2/$R/manifests/mismatch"
expect_err 400 MANIFEST_INVALID -X PUT -H "Content-Type: $OCI_INDEX" \
    --data-binary "@$T/o1.json" "$V2/$R/manifests/mismatch"
expect_status 404 -H "Accept: $OCI" -H "Accept: $D2" \
    "$V2/$R/manifests/mismatch"

note "the 4 MiB limit: exactly 4 MiB is accepted, one byte more is 413"
# bigman FILE SIZE: a valid OCI manifest padded with an annotation.
bigman()
{
	_pre=$(printf '{"schemaVersion":2,"mediaType":"%s","config":%s,"layers":[%s],"annotations":{"pad":"' \
	    "$OCI" "$(blob_desc "$OCI_CONFIG" "$T/o1.cfg")" \
	    "$(blob_desc "$OCI_LAYER" "$T/o1.l1")")
	_suf='"}}'
	_pad=$(($2 - ${#_pre} - ${#_suf}))
	{
		printf '%s' "$_pre"
		head -c "$_pad" /dev/zero | tr '\0' x
		printf '%s' "$_suf"
	} >"$1"
	[ "$(size_of "$1")" = "$2" ] || fail "bigman: wrong size"
}
bigman "$T/big.json" 4194304
manifest_put "$R" big "$OCI" "$T/big.json"
get_is big "$T/big.json" "$OCI" -H "Accept: $OCI"
bigman "$T/big.json" 4194305
expect_status 413 -X PUT -H "Content-Type: $OCI" -H 'Expect:' \
    --data-binary "@$T/big.json" "$V2/$R/manifests/toobig"
expect_status 404 "$V2/$R/manifests/$(digest_of "$T/big.json")"
bigman "$T/big.json" 9000000
expect_status 413 -X PUT -H "Content-Type: $OCI" -H 'Expect:' \
    --data-binary "@$T/big.json" "$V2/$R/manifests/toobig"
expect_status 404 -H "Accept: $OCI" "$V2/$R/manifests/toobig"

note "PUT by digest"
oci_image byd 1
dbyd=$(digest_of "$T/byd.json")
manifest_put "$R" "$dbyd" "$OCI" "$T/byd.json"
get_is "$dbyd" "$T/byd.json" "$OCI"
expect_status 200 "$V2/$R/tags/list"
jq -e --arg d "$dbyd" '.tags | index($d) == null' "$T/body" >/dev/null ||
    fail "push by digest created a tag"
expect_err 400 DIGEST_INVALID -X PUT -H "Content-Type: $OCI" \
    --data-binary "@$T/o1.json" "$V2/$R/manifests/$dbyd"
get_is "$dbyd" "$T/byd.json" "$OCI"
expect_err 400 DIGEST_INVALID -X PUT -H "Content-Type: $OCI" \
    --data-binary "@$T/o1.json" "$V2/$R/manifests/$unknown"
expect_status 404 "$V2/$R/manifests/$unknown"

note "an OCI index of two manifests"
oci_image amd 2
oci_image arm 1
manifest_put "$R" "$(digest_of "$T/amd.json")" "$OCI" "$T/amd.json"
manifest_put "$R" "$(digest_of "$T/arm.json")" "$OCI" "$T/arm.json"
printf '{"schemaVersion":2,"mediaType":"%s","manifests":[%s,%s]}' \
    "$OCI_INDEX" \
    "$(printf '{"mediaType":"%s","digest":"%s","size":%s,"platform":{"architecture":"amd64","os":"linux"}}' \
    "$OCI" "$(digest_of "$T/amd.json")" "$(size_of "$T/amd.json")")" \
    "$(printf '{"mediaType":"%s","digest":"%s","size":%s,"platform":{"architecture":"arm64","os":"linux","variant":"v8"}}' \
    "$OCI" "$(digest_of "$T/arm.json")" "$(size_of "$T/arm.json")")" \
    >"$T/index.json"
manifest_put "$R" multi "$OCI_INDEX" "$T/index.json"
get_is multi "$T/index.json" "$OCI_INDEX" -H "Accept: $OCI_INDEX" \
    -H "Accept: $OCI"
get_is "$(digest_of "$T/index.json")" "$T/index.json" "$OCI_INDEX"
get_is "$(digest_of "$T/arm.json")" "$T/arm.json" "$OCI"

note "a Docker manifest list"
docker_image l1 1
docker_image l2 2
manifest_put "$R" "$(digest_of "$T/l1.json")" "$D2" "$T/l1.json"
manifest_put "$R" "$(digest_of "$T/l2.json")" "$D2" "$T/l2.json"
printf '{"schemaVersion":2,"mediaType":"%s","manifests":[{"mediaType":"%s","digest":"%s","size":%s,"platform":{"architecture":"amd64","os":"linux"}},{"mediaType":"%s","digest":"%s","size":%s,"platform":{"architecture":"s390x","os":"linux"}}]}' \
    "$D2_LIST" "$D2" "$(digest_of "$T/l1.json")" "$(size_of "$T/l1.json")" \
    "$D2" "$(digest_of "$T/l2.json")" "$(size_of "$T/l2.json")" \
    >"$T/list.json"
manifest_put "$R" list "$D2_LIST" "$T/list.json"
get_is list "$T/list.json" "$D2_LIST" -H "Accept: $D2_LIST, $D2"

note "an index whose child is missing or has the wrong size"
oci_image ghost 1
printf '{"schemaVersion":2,"mediaType":"%s","manifests":[{"mediaType":"%s","digest":"%s","size":%s}]}' \
    "$OCI_INDEX" "$OCI" "$(digest_of "$T/ghost.json")" \
    "$(size_of "$T/ghost.json")" >"$T/badidx.json"
expect_status 400 -X PUT -H "Content-Type: $OCI_INDEX" \
    --data-binary "@$T/badidx.json" "$V2/$R/manifests/badidx"
err_code_in MANIFEST_BLOB_UNKNOWN MANIFEST_UNKNOWN MANIFEST_INVALID
printf '{"schemaVersion":2,"mediaType":"%s","manifests":[{"mediaType":"%s","digest":"%s","size":%s}]}' \
    "$OCI_INDEX" "$OCI" "$(digest_of "$T/amd.json")" \
    $(($(size_of "$T/amd.json") + 1)) >"$T/badidx.json"
expect_status 400 -X PUT -H "Content-Type: $OCI_INDEX" \
    --data-binary "@$T/badidx.json" "$V2/$R/manifests/badidx"
expect_status 404 -H "Accept: $OCI_INDEX" "$V2/$R/manifests/badidx"

note "OCI-Subject"
printf '{}' >"$T/empty.json"
blob_push "$R" "$T/empty.json" >/dev/null || fail "push {}"
mkblobs sig 1
printf '{"schemaVersion":2,"mediaType":"%s","artifactType":"application/vnd.example.sig","config":%s,"layers":[%s],"subject":{"mediaType":"%s","digest":"%s","size":%s}}' \
    "$OCI" "$(blob_desc application/vnd.oci.empty.v1+json "$T/empty.json")" \
    "$(blob_desc application/octet-stream "$T/sig.l1")" \
    "$OCI" "$do1" "$(size_of "$T/o1.json")" >"$T/sig.json"
manifest_put "$R" "$(digest_of "$T/sig.json")" "$OCI" "$T/sig.json"
hdr_is OCI-Subject "$do1"
get_is "$(digest_of "$T/sig.json")" "$T/sig.json" "$OCI"
manifest_put "$R" plain "$OCI" "$T/o2.json"
hdr_absent OCI-Subject

note "DELETE by tag untags, DELETE by digest removes the manifest"
oci_image del 1
ddel=$(digest_of "$T/del.json")
manifest_put "$R" t1 "$OCI" "$T/del.json"
manifest_put "$R" t2 "$OCI" "$T/del.json"
expect_status 202 -X DELETE "$V2/$R/manifests/t1"
expect_err 404 MANIFEST_UNKNOWN -H "Accept: $OCI" "$V2/$R/manifests/t1"
get_is t2 "$T/del.json" "$OCI" -H "Accept: $OCI"
get_is "$ddel" "$T/del.json" "$OCI"
expect_err 404 MANIFEST_UNKNOWN -X DELETE "$V2/$R/manifests/t1"
manifest_put "$R" t3 "$OCI" "$T/del.json"
expect_status 202 -X DELETE "$V2/$R/manifests/$ddel"
for ref in t2 t3 "$ddel"; do
	expect_err 404 MANIFEST_UNKNOWN -H "Accept: $OCI" \
	    "$V2/$R/manifests/$ref"
done
expect_status 200 "$V2/$R/tags/list"
jq -e '.tags | (index("t1") == null and index("t2") == null and
    index("t3") == null)' "$T/body" >/dev/null ||
    fail "deleted tags still listed: $(cat "$T/body")"
expect_err 404 MANIFEST_UNKNOWN -X DELETE "$V2/$R/manifests/$ddel"
note "DELETE of a tag holding two media types"
expect_status 202 -X DELETE "$V2/$R/manifests/both"
expect_err 404 MANIFEST_UNKNOWN -H "Accept: $OCI" -H "Accept: $D2" \
    "$V2/$R/manifests/both"
# Other tags and manifests are untouched.
get_is d1 "$T/d1.json" "$D2" -H "Accept: $D2"
get_is v1 "$T/o2.json" "$OCI" -H "Accept: $OCI"

note "a reference that is no tag: a read or delete is 404, a push 400"
# The OCI conformance suite reads .INVALID_MANIFEST_NAME and expects
# 404; distribution has no route for it, whatever the method.
for ref in .INVALID_MANIFEST_NAME -lead "$(printf '%0129d' 0)"; do
	expect_err 404 MANIFEST_UNKNOWN -H "Accept: $OCI" \
	    "$V2/$R/manifests/$ref"
	expect_status 404 -I -H "Accept: $OCI" "$V2/$R/manifests/$ref"
	expect_err 404 MANIFEST_UNKNOWN -X DELETE "$V2/$R/manifests/$ref"
	expect_err 400 TAG_INVALID -X PUT -H "Content-Type: $OCI" \
	    --data-binary "@$T/o1.json" "$V2/$R/manifests/$ref"
done

exit 0
