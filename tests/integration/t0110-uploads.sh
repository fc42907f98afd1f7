#!/bin/sh
# shellcheck disable=SC2086
# Blob uploads: POST, monolithic POST, mounts, streamed and chunked
# PATCH, status, PUT with and without a final body, cancel, errors,
# Transfer-Encoding: chunked, sha512.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/oci.sh"

start_registry
oci_init
R=test/uploads
OCT='-HContent-Type:application/octet-stream'

# Fail unless blob DIGEST is served with exactly the bytes of FILE.
blob_is()
{
	expect_status 200 "$V2/$R/blobs/$1"
	hdr_is Docker-Content-Digest "$1"
	body_is_file "$2"
}

# Check the 201 of a finished upload of DIGEST.
finished()
{
	hdr_is Docker-Content-Digest "$1"
	case $(header Location) in
	*"/v2/$R/blobs/$1") ;;
	*)	fail "upload 201 Location: '$(header Location)'" ;;
	esac
}

note "POST starts an upload"
upload_start "$R"
hdr_is Range 0-0
hdr_nonempty Docker-Upload-UUID
case $(header Location) in
*/v2/$R/blobs/uploads/?*) ;;
*)	fail "POST Location: '$(header Location)'" ;;
esac
note "GET status of the empty upload"
expect_status 204 "$UPLOAD"
hdr_is Range 0-0
hdr_is Docker-Upload-UUID "$UUID"

note "a streamed PATCH, status, then PUT without a body"
randfile "$T/a" 1000
da=$(digest_of "$T/a")
expect_status 202 -X PATCH $OCT --data-binary "@$T/a" "$UPLOAD"
hdr_is Range 0-999
hdr_is Docker-Upload-UUID "$UUID"
hdr_nonempty Location
upload_follow
expect_status 204 "$UPLOAD"
hdr_is Range 0-999
hdr_nonempty Location
expect_status 201 -X PUT "$(add_query "$UPLOAD" "digest=$da")"
finished "$da"
blob_is "$da" "$T/a"

note "PUT with the whole body after POST"
randfile "$T/b" 4097
db=$(digest_of "$T/b")
upload_start "$R"
expect_status 201 -X PUT $OCT --data-binary "@$T/b" \
    "$(add_query "$UPLOAD" "digest=$db")"
finished "$db"
blob_is "$db" "$T/b"

note "PATCH the first part, PUT the rest"
randfile "$T/c" 3000
dc=$(digest_of "$T/c")
head -c 1234 "$T/c" >"$T/c1"
tail -c +1235 "$T/c" >"$T/c2"
upload_start "$R"
expect_status 202 -X PATCH $OCT --data-binary "@$T/c1" "$UPLOAD"
hdr_is Range 0-1233
upload_follow
expect_status 201 -X PUT -H 'Content-Range: 1234-2999' \
    $OCT --data-binary "@$T/c2" "$(add_query "$UPLOAD" "digest=$dc")"
finished "$dc"
blob_is "$dc" "$T/c"

note "monolithic POST ?digest= with the body"
randfile "$T/m" 777
dm=$(digest_of "$T/m")
expect_status 201 -X POST $OCT --data-binary "@$T/m" \
    "$V2/$R/blobs/uploads/?digest=$dm"
finished "$dm"
blob_is "$dm" "$T/m"
note "monolithic POST with a wrong digest"
randfile "$T/m2" 100
dm2=$(digest_of "$T/m2")
expect_err 400 DIGEST_INVALID -X POST $OCT --data-binary "@$T/m2" \
    "$V2/$R/blobs/uploads/?digest=$da"
expect_status 404 -I "$V2/$R/blobs/$dm2"

note "chunked PATCHes with Content-Range, in order and out of order"
randfile "$T/k" 1000
dk=$(digest_of "$T/k")
head -c 100 "$T/k" >"$T/k1"
tail -c +101 "$T/k" | head -c 200 >"$T/k2"
tail -c +301 "$T/k" >"$T/k3"
upload_start "$R"
expect_status 202 -X PATCH -H 'Content-Range: 0-99' \
    $OCT --data-binary "@$T/k1" "$UPLOAD"
hdr_is Range 0-99
upload_follow
expect_status 202 -X PATCH -H 'Content-Range: 100-299' \
    $OCT --data-binary "@$T/k2" "$UPLOAD"
hdr_is Range 0-299
upload_follow
# A gap, a repeat and an overlap are all refused with 416 and do not
# change the upload.  distribution-spec v1.1 only requires the 416;
# the older text also asked for the current Range on it: if it is
# there, it must be right.
range_if_any()
{
	[ -z "$(header Range)" ] || hdr_is Range "$1"
}
expect_status 416 -X PATCH -H 'Content-Range: 500-699' \
    $OCT --data-binary "@$T/k3" "$UPLOAD"
range_if_any 0-299
expect_status 416 -X PATCH -H 'Content-Range: 0-99' \
    $OCT --data-binary "@$T/k1" "$UPLOAD"
range_if_any 0-299
expect_status 416 -X PATCH -H 'Content-Range: 200-399' \
    $OCT --data-binary "@$T/k2" "$UPLOAD"
range_if_any 0-299
expect_status 204 "$UPLOAD"
hdr_is Range 0-299
expect_status 202 -X PATCH -H 'Content-Range: 300-999' \
    $OCT --data-binary "@$T/k3" "$UPLOAD"
hdr_is Range 0-999
upload_follow
expect_status 201 -X PUT "$(add_query "$UPLOAD" "digest=$dk")"
finished "$dk"
blob_is "$dk" "$T/k"

note "a wrong digest at PUT is DIGEST_INVALID and stores nothing"
randfile "$T/w" 500
dw=$(digest_of "$T/w")
upload_start "$R"
expect_status 202 -X PATCH $OCT --data-binary "@$T/w" "$UPLOAD"
upload_follow
wrong=sha256:$(printf 'wrong' | sha256sum | cut -d' ' -f1)
expect_err 400 DIGEST_INVALID -X PUT "$(add_query "$UPLOAD" "digest=$wrong")"
expect_status 404 -I "$V2/$R/blobs/$wrong"
expect_status 404 -I "$V2/$R/blobs/$dw"
note "PUT without a digest is refused"
upload_start "$R"
expect_4xx -X PUT $OCT --data-binary "@$T/w" "$UPLOAD"
expect_status 404 -I "$V2/$R/blobs/$dw"

note "unknown and cancelled uploads"
upload_start "$R"
expect_status 202 -X PATCH $OCT --data-binary "@$T/w" "$UPLOAD"
upload_follow
expect_status 204 -X DELETE "$UPLOAD"
expect_err 404 BLOB_UPLOAD_UNKNOWN "$UPLOAD"
expect_err 404 BLOB_UPLOAD_UNKNOWN -X PATCH $OCT --data-binary "@$T/w" \
    "$UPLOAD"
expect_err 404 BLOB_UPLOAD_UNKNOWN -X PUT "$(add_query "$UPLOAD" "digest=$dw")"
expect_err 404 BLOB_UPLOAD_UNKNOWN -X DELETE "$UPLOAD"
expect_status 404 -I "$V2/$R/blobs/$dw"
# An id of the right shape that was never issued: flip its last digit.
upload_start "$R"
id=$UUID
[ -n "$id" ] || id=${UPLOAD##*/}
id=${id%%\?*}
last=$(printf '%s' "$id" | tail -c 1)
case $last in
0)	new=1 ;;
*)	new=0 ;;
esac
bogus="$V2/$R/blobs/uploads/${id%?}$new"
expect_err 404 BLOB_UPLOAD_UNKNOWN "$bogus"
expect_err 404 BLOB_UPLOAD_UNKNOWN -X PATCH $OCT --data-binary "@$T/w" \
    "$bogus"
expect_err 404 BLOB_UPLOAD_UNKNOWN -X PUT "$bogus?digest=$dw"
expect_err 404 BLOB_UPLOAD_UNKNOWN -X DELETE "$bogus"

note "cross-repository mount"
expect_status 201 -X POST -H 'Content-Length: 0' \
    "$V2/test/dst/blobs/uploads/?mount=$da&from=$R"
hdr_is Docker-Content-Digest "$da"
case $(header Location) in
*"/v2/test/dst/blobs/$da") ;;
*)	fail "mount Location: '$(header Location)'" ;;
esac
expect_status 200 "$V2/test/dst/blobs/$da"
body_is_file "$T/a"
note "a mount from a repository that does not hold the blob is an upload"
for q in "mount=$db" "mount=$db&from=never/pushed" "mount=$db&from=test/dst" \
    "mount=$db&from=bad..name"; do
	expect_status 202 -X POST -H 'Content-Length: 0' \
	    "$V2/test/dst2/blobs/uploads/?$q"
	hdr_nonempty Docker-Upload-UUID
	expect_err 404 BLOB_UNKNOWN "$V2/test/dst2/blobs/$db"
done
note "mount of an unknown blob falls back to an upload"
randfile "$T/u" 2000
du=$(digest_of "$T/u")
for q in "mount=$du&from=$R" "mount=$du"; do
	expect_status 202 -X POST -H 'Content-Length: 0' \
	    "$V2/test/dst/blobs/uploads/?$q"
	hdr_nonempty Location
	hdr_nonempty Docker-Upload-UUID
	UPLOAD=$(abs_url "$(header Location)")
	expect_status 201 -X PUT $OCT --data-binary "@$T/u" \
	    "$(add_query "$UPLOAD" "digest=$du")"
	expect_status 200 "$V2/test/dst/blobs/$du"
	body_is_file "$T/u"
	expect_status 202 -X DELETE "$V2/test/dst/blobs/$du"
done
note "unknown query parameters are ignored"
expect_status 202 -X POST -H 'Content-Length: 0' "$V2/$R/blobs/uploads/?foo=bar"

note "Transfer-Encoding: chunked PATCH of 3 MiB"
randfile "$T/big" 3145731
dbig=$(digest_of "$T/big")
upload_start "$R"
expect_status 202 -X PATCH -H 'Transfer-Encoding: chunked' \
    $OCT --data-binary "@$T/big" "$UPLOAD"
hdr_is Range 0-3145730
upload_follow
expect_status 201 -X PUT "$(add_query "$UPLOAD" "digest=$dbig")"
blob_is "$dbig" "$T/big"
note "Transfer-Encoding: chunked PUT"
expect_status 202 -X DELETE "$V2/$R/blobs/$dbig"
upload_start "$R"
expect_status 201 -X PUT -H 'Transfer-Encoding: chunked' \
    $OCT --data-binary "@$T/big" "$(add_query "$UPLOAD" "digest=$dbig")"
blob_is "$dbig" "$T/big"

note "sha512 digests"
randfile "$T/s" 5000
d512=sha512:$(sha512sum "$T/s" | cut -d' ' -f1)
expect_status 201 -X POST $OCT --data-binary "@$T/s" \
    "$V2/$R/blobs/uploads/?digest=$d512"
finished "$d512"
blob_is "$d512" "$T/s"
expect_status 200 -I "$V2/$R/blobs/$d512"
hdr_is Content-Length 5000
randfile "$T/s2" 70000
d512b=sha512:$(sha512sum "$T/s2" | cut -d' ' -f1)
upload_start "$R"
expect_status 202 -X PATCH $OCT --data-binary "@$T/s2" "$UPLOAD"
upload_follow
expect_status 201 -X PUT "$(add_query "$UPLOAD" "digest=$d512b")"
finished "$d512b"
blob_is "$d512b" "$T/s2"

exit 0
