#!/bin/sh
# tests/integration/t0970-multihost.sh: three registry hosts on one
# Swift container (or S3 bucket), each with its own pool, front end and directory
# (host_start): nothing in common but the store.
#  1. An upload started on host 1, continued on host 2 and finished on
#     host 3; the blob and an image made of it pull from every host.
#  2. 16 clients push the identical 32 MiB blob through the three hosts
#     at once, SPECREG_HOST_ROUNDS rounds (default 20, odd rounds delete the
#     blob first): every PUT is a 201 and a HEAD right after it, on
#     another host, sees the full size.
#  3. Two hosts race PUTs of different manifests to one tag while a
#     third reads it: every PUT a 201, every read whole, and the tag
#     ends as one of the two.
# The store is Swift (SPECREG_SWIFT_AUTH, or a Swift of the test's
# own), or with SPECREG_STORAGE=s3 a bucket on an S3 store (lib.sh's
# SPECREG_S3_ENDPOINT, or a store of the test's own).
# front end: any
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?}/tests/integration/lib.sh"
# shellcheck source=tests/integration/oci.sh
. "$top_srcdir/tests/integration/oci.sh"

[ "${SPECREG_STORAGE:-}" = s3 ] || SPECREG_STORAGE=swift
: "${SPECREG_WORKERS:=4}"
export SPECREG_WORKERS
for h in 1 2 3; do
	host_start "$h"
done
oci_init
R=multi/img
C=$T/clients
mkdir "$C" || fail "mkdir $C"

# v2 N: host N's /v2 base URL.
v2() {
	eval "printf '%s/v2\n' \"\$URL_$1\""
}

# hdr FILE NAME: a header's value from a curl -D file.
hdr() {
	awk -v n="$2" 'BEGIN { n = tolower(n) ":" } { sub(/\r$/, "") }
	    tolower(substr($0, 1, length(n))) == n {
		v = substr($0, length(n) + 1); sub(/^[ \t]+/, "", v); print v }' "$1"
}

# on N PATH-OR-URL: the upload URL "PATH-OR-URL" (a Location) on host N.
on() {
	_on_path=$(printf '%s\n' "$2" | sed -E 's#^[a-z]+://[^/]+##')
	eval "printf '%s%s\n' \"\$URL_$1\" \"\$_on_path\""
}

note "an upload across three hosts"
randfile "$T/big" $((3 * 1024 * 1024 + 4321))
dbig=$(digest_of "$T/big")
head -c 1048576 "$T/big" >"$T/c1"
tail -c +1048577 "$T/big" | head -c 1048576 >"$T/c2"
tail -c +2097153 "$T/big" >"$T/c3"
V2=$(v2 1)
upload_start "$R"
expect_status 202 -X PATCH -H 'Content-Range: 0-1048575' \
    -H 'Content-Type: application/octet-stream' --data-binary "@$T/c1" \
    "$UPLOAD"
upload_follow
expect_status 204 "$(on 2 "$UPLOAD")"
hdr_is Range 0-1048575
expect_status 202 -X PATCH -H 'Content-Range: 1048576-2097151' \
    -H 'Content-Type: application/octet-stream' --data-binary "@$T/c2" \
    "$(on 2 "$UPLOAD")"
upload_follow
expect_status 201 -X PUT -H 'Content-Type: application/octet-stream' \
    --data-binary "@$T/c3" "$(add_query "$(on 3 "$UPLOAD")" "digest=$dbig")"
hdr_is Docker-Content-Digest "$dbig"
printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}' \
    >"$T/cfg"
dcfg=$(blob_push "$R" "$T/cfg")
printf '{"schemaVersion":2,"mediaType":"%s","config":%s,"layers":[%s]}' \
    "$OCI" "$(blob_desc "$OCI_CONFIG" "$T/cfg")" \
    "$(blob_desc "$OCI_LAYER" "$T/big")" >"$T/m.json"
V2=$(v2 2)
manifest_put "$R" v1 "$OCI" "$T/m.json"
for h in 1 2 3; do
	expect_status 200 -H "Accept: $OCI" "$(v2 "$h")/$R/manifests/v1"
	body_is_file "$T/m.json"
	expect_status 200 "$(v2 "$h")/$R/blobs/$dbig"
	body_is_file "$T/big"
	expect_status 200 "$(v2 "$h")/$R/blobs/$dcfg"
done

ROUNDS=${SPECREG_HOST_ROUNDS:-20}
CLIENTS=16
SIZE=$((32 * 1024 * 1024))
note "$CLIENTS clients push one 32 MiB blob through 3 hosts, $ROUNDS rounds"
BLOB=$T/blob32
randfile "$BLOB" "$SIZE"
DBLOB=$(digest_of "$BLOB")

# pusher ID: one full upload of $BLOB through host ID % 3 + 1 (POST,
# PATCH and PUT), then a HEAD on the next host; writes "post patch put
# head length" to $C/ID.  Runs in the background: no assertions.
pusher() {
	_h=$(($1 % 3 + 1))
	_u=$(v2 "$_h")
	_o=$C/$1
	_post=$(curl -s -m 300 -o /dev/null -D "$_o.h1" -w '%{http_code}' \
	    -X POST -H 'Content-Length: 0' "$_u/$R/blobs/uploads/")
	_loc=$(on "$_h" "$(hdr "$_o.h1" Location)")
	_patch=$(curl -s -m 300 -o /dev/null -D "$_o.h2" -w '%{http_code}' \
	    -X PATCH -H 'Content-Type: application/octet-stream' \
	    -H 'Expect:' -T "$BLOB" "$_loc")
	_l2=$(hdr "$_o.h2" Location)
	[ -z "$_l2" ] || _loc=$(on "$_h" "$_l2")
	_put=$(curl -s -m 300 -o /dev/null -w '%{http_code}' -X PUT \
	    "$(add_query "$_loc" "digest=$DBLOB")")
	_head=$(curl -s -m 300 -o /dev/null -D "$_o.h3" -w '%{http_code}' \
	    -I "$(v2 $((_h % 3 + 1)))/$R/blobs/$DBLOB")
	echo "$_post $_patch $_put $_head $(hdr "$_o.h3" Content-Length)" >"$_o"
}

blob_race "$(v2 1)/$R/blobs/$DBLOB"
for h in 1 2 3; do
	expect_status 200 "$(v2 "$h")/$R/blobs/$DBLOB"
	body_is_file "$BLOB"
done

note "two hosts race PUTs of different manifests to one tag"
V2=$(v2 1)
oci_image ma 1
oci_image mb 2
da=$(digest_of "$T/ma.json")
db=$(digest_of "$T/mb.json")
N=${SPECREG_RACE:-30}
# racer NAME HOST: PUT $T/NAME.json to the tag N times through HOST.
racer() {
	_j=0
	while [ "$_j" -lt "$N" ]; do
		curl -s -m 60 -o /dev/null -w '%{http_code}\n' -X PUT \
		    -H "Content-Type: $OCI" --data-binary "@$T/$1.json" \
		    "$(v2 "$2")/$R/manifests/race"
		_j=$((_j + 1))
	done >"$C/race.$1"
}
# reader: GET the tag on host 3 until the racers are done.
reader() {
	while [ ! -e "$C/race.done" ]; do
		_s=$(curl -s -m 60 -o "$C/rbody" -D "$C/rhdr" -w '%{http_code}' \
		    -H "Accept: $OCI" "$(v2 3)/$R/manifests/race")
		echo "$_s $(hdr "$C/rhdr" Docker-Content-Digest)" \
		    "$(digest_of "$C/rbody")"
	done >"$C/race.reader"
}
rm -f "$C"/*
manifest_put "$R" race "$OCI" "$T/ma.json"
reader &
rpid=$!
racer ma 1 &
p1=$!
racer mb 2 &
p2=$!
wait "$p1"
wait "$p2"
: >"$C/race.done"
wait "$rpid"
for m in ma mb; do
	[ "$(grep -c . "$C/race.$m")" = "$N" ] || fail "racer $m did not finish"
	bad=$(grep -v '^201$' "$C/race.$m" | sort | uniq -c)
	[ -z "$bad" ] || fail "racer $m got: $bad"
done
bad=$(awk -v a="$da" -v b="$db" \
    '$1 != 200 || $2 != $3 || ($2 != a && $2 != b)' "$C/race.reader" | head -5)
[ -z "$bad" ] || fail "reader saw: $bad"
for h in 1 2 3; do
	expect_status 200 -H "Accept: $OCI" "$(v2 "$h")/$R/manifests/race"
	got=$(header Docker-Content-Digest)
	[ "$got" = "$da" ] || [ "$got" = "$db" ] || fail "host $h: tag is $got"
	[ "$(digest_of "$T/body")" = "$got" ] || fail "host $h: body is not $got"
done
exit 0
