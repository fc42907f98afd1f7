#!/bin/sh
# tests/integration/t0964-swift-requests.sh: what a small blob push and
# a manifest PUT ask of Swift, counted in its proxy's log.
#  1. A small blob push (POST, PUT ?digest=) HEADs its one part (under
#     .segments/<upload>/) once:
#     after writing it (size check); a copy of a single part needs no
#     ETag, so the finish does not HEAD it again.
#  2. A manifest PUT lists nothing: the use() of its blob, new, looks
#     for the object and its trash entry, not for a directory.
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

oci_image small 1

note "1. small blob push"
randfile "$T/blob" 3000
mark
blob_push "$R" "$T/blob" >/dev/null || fail "blob_push"
since
n=$(count '^HEAD /\.segments/[0-9a-f]*/')
[ "$n" = 1 ] || fail "the push HEADed its part $n times: $(cat "$T/req")"

note "2. manifest PUT"
mark
manifest_put "$R" v1 "$OCI" "$T/small.json"
since
n=$(count '^GET [^/]* ')
[ "$n" = 0 ] || fail "the manifest PUT listed $n times: $(cat "$T/req")"
manifest_is "$R" v1 "$(digest_of "$T/small.json")" "$OCI"
