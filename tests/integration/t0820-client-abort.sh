#!/bin/sh
# tests/integration/t0820-client-abort.sh: bodies that never arrive whole.
#
# A client announces more than it sends and goes away (Content-Length,
# or chunked without the last chunk), in a PATCH, a final PUT, a
# monolithic upload and a manifest PUT (tests/integration/abort.py).
# Whatever the front end makes of it (a short body and an aborted
# FastCGI stdin, or no request at all), nothing is committed: the upload
# status keeps the old offset, no blob or tag appears.  Then the same
# requests, sent whole, succeed.  With a pool of our own, the same is
# done in FastCGI directly: stdin cut off with and without
# CONTENT_LENGTH, and a stdin that ends properly but short of (or past)
# CONTENT_LENGTH, which gets 400 BLOB_UPLOAD_INVALID; stdin in odd
# records (small, padded, among another request's, split across reads)
# is taken whole, one aborted by FCGI_ABORT_REQUEST is not.  The upload's
# data file never keeps the bytes of an aborted body.
# storage: filesystem
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?}/tests/integration/lib.sh"
# shellcheck source=tests/integration/oci.sh
. "$top_srcdir/tests/integration/oci.sh"

need_cmd python3
start_registry
oci_init
R=abort/repo
ABORT="python3 $top_srcdir/tests/integration/abort.py"

randfile "$T/blob" 1100000
D=$(digest_of "$T/blob")
head -c 100000 "$T/blob" >"$T/first"
tail -c +100001 "$T/blob" >"$T/rest"
head -c 300000 "$T/rest" >"$T/rest.part"

# path_of URL: the path and query of an absolute URL.
path_of() {
	printf '%s\n' "$1" | sed -E 's#^[a-z]+://[^/]+##'
}

# at_offset N: upload $UP is at N bytes (status waits for its lock),
# and its data file holds no more: an aborted body left no tail.
at_offset() {
	expect_status 204 "$UP"
	if [ "$1" = 0 ]; then
		hdr_is Range 0-0
	else
		hdr_is Range "0-$(($1 - 1))"
	fi
	uuid=$(path_of "$UP" | sed -E 's#.*/uploads/([^/?]*).*#\1#')
	[ "$(size_of "$DATA/uploads/$uuid/data")" = "$1" ] ||
	    fail "upload data is $(size_of "$DATA/uploads/$uuid/data") bytes, not $1"
}

# no_blob DIGEST: HEAD is 404 and there is no file for it.
no_blob() {
	expect_status 404 -I "$V2/$R/blobs/$1"
	[ ! -e "$DATA/blobs/sha256/$(echo "${1#sha256:}" | cut -c1-2)/${1#sha256:}" ] ||
	    fail "blob $1 is in the store"
}

note "an upload with a first chunk of 100000 bytes"
upload_start "$R"
expect_status 202 -X PATCH -H 'Content-Type: application/octet-stream' \
    -H 'Content-Range: 0-99999' --data-binary "@$T/first" "$UPLOAD"
upload_follow
UP=$UPLOAD
at_offset 100000
up=$(path_of "$UP")

note "PATCH: 300000 of 1000000 bytes, then the client is gone"
$ABORT http "$HOSTPORT" PATCH "$up" 1000000 "$T/rest.part" \
    -H 'Content-Range: 100000-1099999' \
    -H 'Content-Type: application/octet-stream' || fail "abort.py"
at_offset 100000

note "PATCH, chunked, without its last chunk"
$ABORT http "$HOSTPORT" PATCH "$up" - "$T/rest.part" --chunked \
    -H 'Content-Type: application/octet-stream' || fail "abort.py"
at_offset 100000

note "final PUT: 300000 of 1000000 bytes"
$ABORT http "$HOSTPORT" PUT "$(add_query "$up" "digest=$D")" 1000000 \
    "$T/rest.part" -H 'Content-Range: 100000-1099999' \
    -H 'Content-Type: application/octet-stream' || fail "abort.py"
at_offset 100000
no_blob "$D"

note "monolithic POST ?digest=: 300000 of 1100000 bytes"
$ABORT http "$HOSTPORT" POST "/v2/$R/blobs/uploads/?digest=$D" 1100000 \
    "$T/rest.part" -H 'Content-Type: application/octet-stream' ||
    fail "abort.py"
no_blob "$D"

note "manifest PUT: half of it"
oci_image img 1
half=$(($(size_of "$T/img.json") / 2))
head -c "$half" "$T/img.json" >"$T/img.half"
$ABORT http "$HOSTPORT" PUT "/v2/$R/manifests/cut" \
    "$(size_of "$T/img.json")" "$T/img.half" \
    -H "Content-Type: $OCI" || fail "abort.py"
sleep 1
expect_status 404 -H "Accept: $OCI" "$V2/$R/manifests/cut"
expect_status 404 -H "Accept: $OCI" "$V2/$R/manifests/$(digest_of "$T/img.json")"

if [ "$FRONT_SPAWNS" != 1 ]; then
	note "FastCGI: stdin cut off, with and without CONTENT_LENGTH"
	$ABORT fcgi "$FCGI_ADDR" PATCH "$up" 1000000 "$T/rest.part" \
	    -p HTTP_CONTENT_RANGE=100000-1099999 || fail "abort.py"
	at_offset 100000
	$ABORT fcgi "$FCGI_ADDR" PATCH "$up" - "$T/rest.part" ||
	    fail "abort.py"
	at_offset 100000
	$ABORT fcgi "$FCGI_ADDR" PUT "$(add_query "$up" "digest=$D")" - \
	    "$T/rest.part" || fail "abort.py"
	at_offset 100000
	no_blob "$D"

	note "FastCGI: stdin ends short of CONTENT_LENGTH, or past it"
	for cl in 1000000 299999 0; do
		st=$($ABORT fcgi "$FCGI_ADDR" PATCH "$up" "$cl" \
		    "$T/rest.part" --eof 2>"$T/fcgi.out") || fail "abort.py"
		[ "$st" = 400 ] || {
			cat "$T/fcgi.out" >&2
			fail "CONTENT_LENGTH $cl for 300000 bytes: $st"
		}
		grep -q BLOB_UPLOAD_INVALID "$T/fcgi.out" ||
		    fail "no BLOB_UPLOAD_INVALID: $(cat "$T/fcgi.out")"
		at_offset 100000
	done
	st=$($ABORT fcgi "$FCGI_ADDR" PUT "$(add_query "$up" "digest=$D")" \
	    1000000 "$T/rest.part" --eof 2>"$T/fcgi.out") || fail "abort.py"
	[ "$st" = 400 ] || fail "short final PUT: $st"
	at_offset 100000
	no_blob "$D"

	note "FastCGI: stdin in small padded records, among another request's, in pieces"
	st=$($ABORT fcgi "$FCGI_ADDR" PATCH "$up" 300000 "$T/rest.part" \
	    --eof --records 1001 --pad --noise --trickle \
	    -p HTTP_CONTENT_RANGE=100000-399999 2>"$T/fcgi.out") ||
	    fail "abort.py"
	[ "$st" = 202 ] || fail "odd records: $st: $(cat "$T/fcgi.out")"
	at_offset 400000
	note "FastCGI: FCGI_ABORT_REQUEST after part of a body"
	st=$($ABORT fcgi "$FCGI_ADDR" PATCH "$up" 1000000 "$T/rest.part" \
	    --abort --records 4096 --trickle \
	    -p HTTP_CONTENT_RANGE=400000-1399999 2>"$T/fcgi.out") ||
	    fail "abort.py"
	[ "$st" != 202 ] || fail "an aborted body was taken"
	at_offset 400000
	note "FastCGI: a chunked body (no CONTENT_LENGTH) in records of 7 bytes"
	st=$($ABORT fcgi "$FCGI_ADDR" PATCH "$up" - "$T/rest.part" --eof \
	    --records 7 2>"$T/fcgi.out") || fail "abort.py"
	[ "$st" = 202 ] || fail "7-byte records: $st: $(cat "$T/fcgi.out")"
	at_offset 700000
	expect_status 204 -X DELETE "$UP"
	upload_start "$R"
	expect_status 202 -X PATCH -H 'Content-Type: application/octet-stream' \
	    -H 'Content-Range: 0-99999' --data-binary "@$T/first" "$UPLOAD"
	upload_follow
	UP=$UPLOAD
	at_offset 100000
	up=$(path_of "$UP")
fi

note "sent whole, the same requests succeed"
expect_status 202 -X PATCH -H 'Content-Type: application/octet-stream' \
    -H 'Content-Range: 100000-399999' --data-binary "@$T/rest.part" "$UP"
at_offset 400000
tail -c +300001 "$T/rest" >"$T/last"
expect_status 201 -X PUT -H 'Content-Type: application/octet-stream' \
    -H 'Content-Range: 400000-1099999' --data-binary "@$T/last" \
    "$(add_query "$UP" "digest=$D")"
hdr_is Docker-Content-Digest "$D"
expect_status 200 "$V2/$R/blobs/$D"
body_is_file "$T/blob"
manifest_put "$R" cut "$OCI" "$T/img.json"
expect_status 200 -H "Accept: $OCI" "$V2/$R/manifests/cut"
body_is_file "$T/img.json"

if grep 'died' "$T/specreg.log" >&2; then
	fail "a worker died"
fi
exit 0
