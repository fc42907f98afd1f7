#!/bin/sh
# tests/integration/t0987-swift-large.sh: blobs larger than Swift's
# largest object, on a Swift whose max_file_size is 16 MiB
# (SAIO_MAX_FILE_SIZE), seen through the Swift API (test:tester).
#  1. A 100 MiB blob pushed in chunked PATCHes of odd sizes (one below
#     1 MiB, two that span the limit) and a PUT with the last bytes
#     becomes an SLO manifest at the blob's place over the upload's 9
#     parts of at most 16 MiB, where they were written, under
#     .segments/<upload>/ beside the record naming the blob; nothing
#     stays under uploads/.  HEAD says its size; fsck is clean (it reads
#     the blob).
#  2. Pulled back whole and by ranges across segment boundaries, from
#     specreg and through the 307 redirect (a second host with
#     redirect = yes, Swift serves the TempURL of the manifest).
#  3. The same bytes pushed again in one PUT: 201, and the blob keeps
#     its first set of segments, the second push's set is gone.
#  4. Deleted from the repository and pruned (grace 2 s): the manifest
#     goes to .trash/ with its segments still there; after the grace and
#     STORE_TMP_MIN_AGE (60 s) the trash entry goes and its segments with
#     it; the next prune takes the blob's liveness record; fsck is clean
#     and nothing of the blob is left.
# front end: any
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?}/tests/integration/lib.sh"
# shellcheck source=tests/integration/oci.sh
. "$top_srcdir/tests/integration/oci.sh"

# shellcheck disable=SC2034 # read by lib.sh
SPECREG_STORAGE=swift
LIMIT=16777216
SAIO_MAX_FILE_SIZE=$LIMIT
export SAIO_MAX_FILE_SIZE
host_start 1
# shellcheck disable=SC2034
SPECREG_INI_EXTRA='[registry]
redirect = yes'
host_start 2
URL=$URL_1
oci_init
R=test/large

curl -sS -f "${SPECREG_SWIFT_AUTH%/auth/v1.0}/info" >"$T/info" ||
    fail "no /info"
grep -q "\"max_file_size\": *$LIMIT" "$T/info" ||
    harness_error "Swift's max_file_size is not $LIMIT: $(cat "$T/info")"
curl -sS -f -o /dev/null -D "$T/auth.h" -H 'X-Auth-User: test:tester' \
    -H 'X-Auth-Key: testing' "$SPECREG_SWIFT_AUTH" ||
    fail "auth v1.0 at $SPECREG_SWIFT_AUTH failed"
SURL=$(sed -n 's/^[Xx]-[Ss]torage-[Uu]rl: *//p' "$T/auth.h" | tr -d '\r')
TOKEN=$(sed -n 's/^[Xx]-[Aa]uth-[Tt]oken: *//p' "$T/auth.h" | tr -d '\r')
C=$SURL/$SWIFT_CONTAINER

# listing NAME: "name bytes" of every object in $T/list.NAME.
listing() {
	curl -sS -f -H "X-Auth-Token: $TOKEN" \
	    "$C?limit=10000&format=json" >"$T/list.$1.json" ||
	    fail "listing the container failed"
	jq -r '.[] | "\(.name) \(.bytes)"' "$T/list.$1.json" >"$T/list.$1" ||
	    fail "listing $1 is not JSON"
}

# count NAME PATTERN: how many names of listing NAME match PATTERN.
count() {
	grep -c "$2" "$T/list.$1" || true
}

# prune GRACE: specreg prune with that grace and upload-expiration.
prune() {
	{
		cat "$T/host1/specreg.ini"
		echo "prune-grace = $1"
		echo "upload-expiration = $1"
	} >"$T/prune.ini"
	echo "--- prune $*" >>"$T/prune.log"
	"$SPECREG_BIN" -c "$T/prune.ini" prune 2>>"$T/prune.log" ||
	    fail "prune $* failed: $(tail -5 "$T/prune.log")"
}

# fsck_clean WHAT: fsck exits 0 and says nothing.
fsck_clean() {
	_fc_rc=0
	"$SPECREG_BIN" -c "$T/host1/specreg.ini" fsck >"$T/fsck.out" \
	    2>"$T/fsck.err" || _fc_rc=$?
	if [ "$_fc_rc" != 0 ] || [ -s "$T/fsck.out" ]; then
		fail "fsck $1 (exit $_fc_rc): $(head -20 "$T/fsck.out")" \
		    "$(tail -3 "$T/fsck.err")"
	fi
}

# piece FROM LEN: bytes [FROM, FROM+LEN) of the blob, in $T/piece.
piece() {
	tail -c +$(($1 + 1)) "$T/big" | head -c "$2" >"$T/piece"
}

# range_is URL FIRST LAST [CURL ARGS]: a GET of bytes FIRST-LAST.
range_is() {
	_ri_url=$1
	_ri_a=$2
	_ri_b=$3
	shift 3
	expect_status 206 "$@" -H "Range: bytes=$_ri_a-$_ri_b" "$_ri_url"
	piece "$_ri_a" $((_ri_b - _ri_a + 1))
	cmp -s "$T/body" "$T/piece" || fail "bytes $_ri_a-$_ri_b differ"
}

SIZE=104857600
randfile "$T/big" $SIZE
D=$(digest_of "$T/big")
HEX=${D#sha256:}
BLOB=blobs/sha256/$(printf '%.2s' "$HEX")/$HEX

note "part 1: $SIZE bytes in PATCHes of odd sizes, limit $LIMIT"
upload_start "$R"
FIRST=$UUID
at=0
for len in 23068679 1048573 40000037 7340033; do
	piece $at $len
	expect_status 202 -X PATCH -H 'Expect:' \
	    -H 'Content-Type: application/octet-stream' \
	    -H "Content-Range: $at-$((at + len - 1))" \
	    --data-binary "@$T/piece" "$UPLOAD"
	upload_follow
	at=$((at + len))
done
piece $at $((SIZE - at))
expect_status 201 -X PUT -H 'Expect:' \
    -H 'Content-Type: application/octet-stream' \
    --data-binary "@$T/piece" "$(add_query "$UPLOAD" "digest=$D")"
listing pushed
SEGS=".segments/$FIRST/[0-9]"
n=$(count pushed "^$SEGS")
[ "$n" = 9 ] || fail "$n segments, not 9: $(cat "$T/list.pushed")"
big=$(grep "^$SEGS" "$T/list.pushed" | awk -v l=$LIMIT '$2 > l' | head -1)
[ -z "$big" ] || fail "a segment over the limit: $big"
sum=$(grep "^$SEGS" "$T/list.pushed" | awk '{ s += $2 } END { print s }')
[ "$sum" = $SIZE ] || fail "the segments hold $sum bytes"
grep -q "^\.segments/$FIRST/blob " "$T/list.pushed" ||
    fail "no record of the blob in the set"
[ "$(count pushed '^uploads/')" = 0 ] ||
    fail "the upload stayed: $(grep '^uploads/' "$T/list.pushed")"
curl -sS -f -I -H "X-Auth-Token: $TOKEN" "$C/$BLOB" | tr -d '\r' \
    >"$T/slo.h" || fail "no object at $BLOB"
grep -qi '^x-static-large-object: true' "$T/slo.h" ||
    fail "$BLOB is not an SLO: $(cat "$T/slo.h")"
grep -qi "^x-object-meta-segments: $FIRST" "$T/slo.h" ||
    fail "$BLOB does not name its set: $(cat "$T/slo.h")"
expect_status 200 -I "$V2/$R/blobs/$D"
hdr_is Content-Length $SIZE
fsck_clean "after the push"

note "part 2: pulled whole and by ranges, from specreg and Swift"
expect_status 200 "$V2/$R/blobs/$D"
cmp -s "$T/body" "$T/big" || fail "the blob pulled back differs"
range_is "$V2/$R/blobs/$D" $((LIMIT - 100)) $((LIMIT + 99))
range_is "$V2/$R/blobs/$D" 23068600 24117300
range_is "$V2/$R/blobs/$D" 1000 $((3 * LIMIT + 5))
range_is "$V2/$R/blobs/$D" $((SIZE - 1000)) $((SIZE - 1))
expect_status 307 "$URL_2/v2/$R/blobs/$D"
loc=$(header Location)
case $loc in
*temp_url_sig=*) ;;
*)	fail "not a TempURL: $loc" ;;
esac
expect_status 200 -L "$URL_2/v2/$R/blobs/$D"
cmp -s "$T/body" "$T/big" || fail "the blob from the TempURL differs"
range_is "$URL_2/v2/$R/blobs/$D" $((2 * LIMIT - 7)) $((2 * LIMIT + 7)) -L
range_is "$URL_2/v2/$R/blobs/$D" 24117250 70000000 -L

note "part 3: the same bytes again, in one PUT"
upload_start "$R"
SECOND=$UUID
expect_status 201 -X PUT -H 'Expect:' \
    -H 'Content-Type: application/octet-stream' \
    --data-binary "@$T/big" "$(add_query "$UPLOAD" "digest=$D")"
listing again
[ "$(count again "^$SEGS")" = 9 ] || fail "the first set changed"
[ "$(count again "^\.segments/$SECOND/")" = 0 ] ||
    fail "the second push's segments stayed"
[ "$(count again '^uploads/')" = 0 ] || fail "an upload stayed"
expect_status 200 "$V2/$R/blobs/$D"
cmp -s "$T/body" "$T/big" || fail "the blob differs after the second push"

note "part 4: deleted and pruned"
expect_status 202 -X DELETE "$V2/$R/blobs/$D"
expect_status 404 -I "$V2/$R/blobs/$D"
sleep 3
prune 2
listing trash
[ "$(count trash "^$BLOB ")" = 0 ] || fail "the blob was not pruned"
[ "$(count trash "^\.trash/$BLOB ")" = 1 ] || fail "the blob is not in the trash"
[ "$(count trash "^$SEGS")" = 9 ] || fail "segments went with the trash"
fsck_clean "with the blob in the trash"
sleep 61
prune 2
listing emptied
[ "$(count emptied "^\.trash/")" = 0 ] || fail "the trash stayed"
[ "$(count emptied "^\.segments/")" = 0 ] ||
    fail "segments stayed: $(grep '^\.segments/' "$T/list.emptied")"
prune 2
listing swept
[ "$(count swept "$HEX")" = 0 ] ||
    fail "the blob left: $(grep "$HEX" "$T/list.swept")"
fsck_clean "after the segments went"
exit 0
