#!/bin/sh
# tests/integration/t0964-swift-requests.sh: what a small blob push and
# a manifest PUT ask of Swift, counted in its proxy's log.
#  1. A small blob push (POST, PUT ?digest=) HEADs its one part (under
#     .segments/<upload>/) once:
#     after writing it (size check); a copy of a single part needs no
#     ETag, so the finish does not HEAD it again.
#     Its repository's link to the blob is written create-only: no
#     HEAD of it, no listing.
#  2. A manifest PUT lists nothing and marks nothing: its config and
#     layer, pushed a moment ago, are younger than half the grace, so
#     their stor_hold() is a HEAD (no liveness record); the manifest's
#     blob, link and tag, new, are each one create-only PUT, no read.
#  3. A HEAD of a blob marks it (its client has the whole grace).
#  4. A manifest GET by tag reads the tag and the manifest, not its link:
#     two GETs.
# The store is a Swift of the test's own.
# front end: any
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?}/tests/integration/lib.sh"
# shellcheck source=tests/integration/oci.sh
. "$top_srcdir/tests/integration/oci.sh"

SPECREG_STORAGE=swift
SPECREG_SWIFT_AUTH=
SPECREG_INI_EXTRA=
start_registry
oci_init
R=count/img
PL=$SWIFT_DIR/log/proxy-server.log

# The proxy logs a request once it answered it; give it a moment.
mark()
{
	sleep 1
	wc -l <"$PL" >"$T/mark"
}

# The requests since mark(), "METHOD PATH STATUS" (PATH after the
# container), in $T/req.
since()
{
	sleep 1
	tail -n +"$(($(cat "$T/mark") + 1))" "$PL" |
	    awk '{ print $5, $6, $8 }' |
	    sed 's|^\([A-Z]*\) /v1/[^/]*/[^/ ]*|\1 |' >"$T/req"
}

# count ERE: how many lines of $T/req match.
count()
{
	grep -Ec "$1" "$T/req"
}

# counted N ERE WHAT: N lines of $T/req match ERE (all lines: ERE .).
counted()
{
	_n=$(count "$2")
	[ "$_n" = "$1" ] || fail "$3: $_n requests, not $1: $(cat "$T/req")"
}

oci_image small 1

note "1. small blob push"
randfile "$T/blob" 3000
mark
blob_push "$R" "$T/blob" >/dev/null || fail "blob_push"
since
counted 1 '^HEAD /\.segments/[0-9a-f]*/' "the push's HEADs of its part"
counted 0 '^(HEAD|GET) /repos/|^GET [^/]*prefix%3Drepos' \
    "the push's looks for its link"

note "2. manifest PUT"
mark
manifest_put "$R" v1 "$OCI" "$T/small.json"
since
counted 0 '^GET [^/]* ' "the manifest PUT's listings"
counted 0 '^PUT /\.liveness/' "the manifest PUT's marks of young blobs"
counted 3 '^PUT /(blobs|repos/count/img/_(manifests|tags))/.* 201$' \
    "the manifest PUT's new objects"
# config and layer: a HEAD of the blob and of the link each.
counted 7 . "the manifest PUT"

note "3. the same manifest to a second tag"
mark
manifest_put "$R" v2 "$OCI" "$T/small.json"
since
counted 0 '^PUT /\.liveness/' "the second PUT's marks of young blobs"
manifest_is "$R" v2 "$(digest_of "$T/small.json")" "$OCI"

note "3b. a HEAD of a blob marks it"
mark
expect_status 200 -I "$V2/$R/blobs/$(digest_of "$T/blob")"
since
counted 1 '^PUT /\.liveness/blobs/' "the HEAD's liveness records"
manifest_is "$R" v1 "$(digest_of "$T/small.json")" "$OCI"

note "4. a manifest GET by tag"
mark
manifest_is "$R" v1 "$(digest_of "$T/small.json")" "$OCI"
since
counted 2 . "the manifest GET"
counted 1 '^GET /repos/count/img/_tags/v1 200$' "the GET's reads of the tag"
