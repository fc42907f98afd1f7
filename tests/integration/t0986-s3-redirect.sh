#!/bin/sh
# tests/integration/t0986-s3-redirect.sh: [registry] redirect = yes on
# S3 (the store SPECREG_S3_ENDPOINT names, or one s3_start starts).
#  1. A blob GET answers 307, Location a presigned GET on the store
#     (X-Amz-Algorithm AWS4-HMAC-SHA256, X-Amz-Expires 300) and
#     Docker-Content-Digest; curl -L gets the exact bytes, a Range too.
#  2. The store refuses a tampered signature and a PUT to the URL.
#  3. A blob the repository does not hold is a 404, not a redirect; HEAD
#     stays a 200 with Content-Length.
# front end: any
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?}/tests/integration/lib.sh"
# shellcheck source=tests/integration/oci.sh
. "$top_srcdir/tests/integration/oci.sh"

# The S3 store comes with lib.sh's SPECREG_STORAGE=s3 (s3_bucket).
command -v s3_bucket >/dev/null 2>&1 ||
    skip "lib.sh has no S3 store (s3_bucket)"
# shellcheck disable=SC2034 # read by lib.sh
SPECREG_STORAGE=s3
# shellcheck disable=SC2034
SPECREG_INI_EXTRA='[registry]
redirect = yes'
start_registry
oci_init

# qparam URL NAME: a query parameter's value.
qparam() {
	printf '%s\n' "$1" | sed -n "s/.*[?&]$2=\([^&]*\).*/\1/p"
}

randfile "$T/a" $((3 * 1024 * 1024 + 17))
randfile "$T/b" 4099
da=$(blob_push r/a "$T/a")
db=$(blob_push r/b "$T/b")

note "a blob GET answers 307 with a presigned URL"
expect_status 307 "$V2/r/a/blobs/$da"
hdr_is Docker-Content-Digest "$da"
loc=$(header Location)
case $loc in
"$SPECREG_S3_ENDPOINT/$S3_BUCKET/blobs/sha256/"*"?X-Amz-Algorithm=AWS4-HMAC-SHA256&"*) ;;
*) fail "Location is not a presigned URL on the store: $loc" ;;
esac
[ "$(qparam "$loc" X-Amz-Expires)" = 300 ] ||
    fail "X-Amz-Expires is not 300: $loc"
expect_status 200 "$loc"
cmp -s "$T/body" "$T/a" || fail "the URL's bytes differ"
curl -s -L -o "$T/got" "$V2/r/a/blobs/$da" || fail "curl -L"
cmp -s "$T/got" "$T/a" || fail "curl -L: the bytes differ"
note "a Range goes along to the store"
expect_status 206 -L -H 'Range: bytes=1000-1999' "$V2/r/a/blobs/$da"
tail -c +1001 "$T/a" | head -c 1000 | cmp -s - "$T/body" ||
    fail "the range's bytes differ"

note "the store refuses a tampered URL and a PUT"
sig=$(qparam "$loc" X-Amz-Signature)
bad=$(printf %s "$sig" | tr 0-9a-f 1-9a-f0)
expect_status 403 "$(printf %s "$loc" | sed "s/$sig/$bad/")"
expect_status 403 -X PUT --data-binary x "$loc"

note "another repository's blob is a 404; HEAD is a 200"
expect_err 404 BLOB_UNKNOWN "$V2/r/a/blobs/$db"
hdr_absent Location
expect_status 307 "$V2/r/b/blobs/$db"
expect_status 200 -I "$V2/r/a/blobs/$da"
hdr_is Content-Length "$(size_of "$T/a")"
hdr_absent Location
exit 0
