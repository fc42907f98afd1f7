#!/bin/sh
# Blob download: HEAD, GET, Range, 404, DELETE, and blobs belonging to
# the repositories that hold them (unlike zuul-registry, where any
# repository name serves any blob).
#
# Unless SPECREG_SENDFILE is set, everything runs twice: first with
# sendfile off (specreg streams the bytes and does Range itself), then
# with the front end's default (lighttpd serves the file: X-Sendfile).
# On Swift or S3 there is no file to hand over and the default streams
# too: the second pass alone does all the first does.
if [ -z "${SPECREG_SENDFILE:-}" ] &&
    [ "${SPECREG_STORAGE:-filesystem}" = filesystem ]; then
	echo "# pass 1: SPECREG_SENDFILE=off"
	SPECREG_SENDFILE=off sh "$0" || exit $?
	echo "# pass 2: the front end's default"
	SPECREG_SENDFILE=
fi
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/oci.sh"

start_registry
oci_init

randfile "$T/b1" 1000
d=$(blob_push test/blobs "$T/b1") || fail "blob_push"
[ "$d" = "$(digest_of "$T/b1")" ] || fail "blob_push printed '$d'"
blob="$V2/test/blobs/blobs/$d"

note "HEAD and GET of a 1000-byte blob"
expect_status 200 -I "$blob"
hdr_is Content-Length 1000
hdr_is Docker-Content-Digest "$d"
hdr_is Content-Type application/octet-stream
hdr_is Accept-Ranges bytes
n=$(curl -s -I -o /dev/null -w '%{size_download}' "$blob")
[ "$n" = 0 ] || fail "HEAD sent a body of $n bytes"

expect_status 200 "$blob"
hdr_is Content-Length 1000
hdr_is Docker-Content-Digest "$d"
hdr_is Content-Type application/octet-stream
hdr_is Accept-Ranges bytes
body_is_file "$T/b1"

note "Range requests"
expect_status 206 -H 'Range: bytes=0-9' "$blob"
hdr_is Content-Range 'bytes 0-9/1000'
hdr_is Content-Length 10
head -c 10 "$T/b1" >"$T/want"
body_is_file "$T/want"

expect_status 206 -H 'Range: bytes=5-' "$blob"
hdr_is Content-Range 'bytes 5-999/1000'
hdr_is Content-Length 995
tail -c +6 "$T/b1" >"$T/want"
body_is_file "$T/want"

expect_status 206 -H 'Range: bytes=-4' "$blob"
hdr_is Content-Range 'bytes 996-999/1000'
tail -c 4 "$T/b1" >"$T/want"
body_is_file "$T/want"

expect_status 206 -H 'Range: bytes=999-999' "$blob"
hdr_is Content-Range 'bytes 999-999/1000'
tail -c 1 "$T/b1" >"$T/want"
body_is_file "$T/want"

# A last-byte-pos past the end is clamped (RFC 9110 14.1.2).
expect_status 206 -H 'Range: bytes=990-5000' "$blob"
hdr_is Content-Range 'bytes 990-999/1000'
tail -c 10 "$T/b1" >"$T/want"
body_is_file "$T/want"

for r in 'bytes=1000-' 'bytes=1000-1001' 'bytes=5000-6000' \
    'bytes=18446744073709551615-'; do
	expect_status 416 -H "Range: $r" "$blob"
	hdr_is Content-Range 'bytes */1000'
done
# Numbers too large for any integer: past the end (416), or the Range
# ignored (200, the whole blob).  Which one depends on the front end:
# lighttpd applies Range to small responses itself.
for r in 'bytes=99999999999999999999999-' 'bytes=18446744073709551616-' \
    'bytes=0-99999999999999999999999' 'bytes=-99999999999999999999999'; do
	expect_not5xx -H "Range: $r" "$blob"
	case $STATUS in
	416)	;;
	200)	body_is_file "$T/b1" ;;
	206)	hdr_is Content-Range 'bytes 0-999/1000'
		body_is_file "$T/b1" ;;
	*)	fail "Range $r: $STATUS" ;;
	esac
done

note "a large blob streams intact, and a range in its middle"
randfile "$T/big" 5242881
dbig=$(blob_push test/blobs "$T/big") || fail "blob_push big"
expect_status 200 "$V2/test/blobs/blobs/$dbig"
hdr_is Content-Length 5242881
body_is_file "$T/big"
expect_status 206 -H 'Range: bytes=4194300-4194310' "$V2/test/blobs/blobs/$dbig"
hdr_is Content-Range 'bytes 4194300-4194310/5242881'
tail -c +4194301 "$T/big" | head -c 11 >"$T/want"
body_is_file "$T/want"

note "the empty blob"
: >"$T/empty"
de=$(blob_push test/blobs "$T/empty") || fail "blob_push empty"
empty=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
[ "$de" = "sha256:$empty" ] || fail "empty digest $de"
expect_status 200 "$V2/test/blobs/blobs/$de"
hdr_is Content-Length 0
hdr_is Docker-Content-Digest "$de"
[ "$(size_of "$T/body")" = 0 ] || fail "empty blob has a body"

note "a blob belongs to the repository it was pushed to"
for r in other/repo never/pushed/here quay.io/org/img library/alpine; do
	expect_err 404 BLOB_UNKNOWN "$V2/$r/blobs/$d"
	expect_status 404 -I "$V2/$r/blobs/$d"
	expect_err 404 BLOB_UNKNOWN -X DELETE "$V2/$r/blobs/$d"
done
expect_status 200 "$blob"
body_is_file "$T/b1"

note "a DELETE through another repository cannot break an image"
R=test/blobs
oci_image img 2
manifest_put test/blobs v1 "$OCI" "$T/img.json"
dl=$(digest_of "$T/img.l1")
dm=$(digest_of "$T/img.json")
expect_err 404 BLOB_UNKNOWN -X DELETE "$V2/nobody/else/blobs/$dl"
expect_err 404 BLOB_UNKNOWN -X DELETE "$V2/nobody/else/blobs/$dm"
expect_status 200 "$V2/test/blobs/blobs/$dl"
body_is_file "$T/img.l1"
expect_status 200 "$V2/test/blobs/manifests/v1"
body_is_file "$T/img.json"
note "nor a DELETE of what a manifest of the repository references"
expect_err 405 UNSUPPORTED -X DELETE "$V2/test/blobs/blobs/$dl"
expect_err 405 UNSUPPORTED -X DELETE "$V2/test/blobs/blobs/$dm"
expect_status 200 "$V2/test/blobs/blobs/$dl"
body_is_file "$T/img.l1"
note "once the manifest is deleted, its blobs may be"
expect_status 202 -X DELETE "$V2/test/blobs/manifests/$dm"
expect_status 202 -X DELETE "$V2/test/blobs/blobs/$dl"
expect_err 404 BLOB_UNKNOWN "$V2/test/blobs/blobs/$dl"

note "a second repository holds a blob once it pushes it too"
blob_push other/repo "$T/b1" >/dev/null || fail "blob_push other/repo"
expect_status 200 "$V2/other/repo/blobs/$d"
body_is_file "$T/b1"
expect_status 202 -X DELETE "$V2/other/repo/blobs/$d"
expect_err 404 BLOB_UNKNOWN "$V2/other/repo/blobs/$d"
expect_status 200 "$blob"
body_is_file "$T/b1"

note "unknown blobs"
unknown=sha256:$(printf 'nope' | sha256sum | cut -d' ' -f1)
expect_err 404 BLOB_UNKNOWN "$V2/test/blobs/blobs/$unknown"
expect_status 404 -I "$V2/test/blobs/blobs/$unknown"
expect_err 404 BLOB_UNKNOWN "$V2/no/such/repo/blobs/$unknown"

note "DELETE"
randfile "$T/b2" 333
d2=$(blob_push test/blobs "$T/b2") || fail "blob_push b2"
expect_status 200 -I "$V2/test/blobs/blobs/$d2"
expect_status 202 -X DELETE "$V2/test/blobs/blobs/$d2"
expect_status 404 -I "$V2/test/blobs/blobs/$d2"
expect_err 404 BLOB_UNKNOWN "$V2/test/blobs/blobs/$d2"
expect_err 404 BLOB_UNKNOWN "$V2/other/repo/blobs/$d2"
expect_err 404 BLOB_UNKNOWN -X DELETE "$V2/test/blobs/blobs/$d2"
# The other blobs are untouched.
expect_status 200 "$blob"
body_is_file "$T/b1"
# And the deleted one can be pushed again.
d2b=$(blob_push test/blobs "$T/b2") || fail "blob_push b2 again"
expect_status 200 "$V2/test/blobs/blobs/$d2b"
body_is_file "$T/b2"

exit 0
