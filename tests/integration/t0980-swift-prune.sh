#!/bin/sh
# tests/integration/t0980-swift-prune.sh: prune and fsck on Swift, the
# container looked at through the Swift API (auth v1.0, test:tester).
#  1. An image pushed, an unreferenced blob, an abandoned upload and an
#     upload whose state is gone (a finish that died: parts only) leave
#     their objects and the blobs' .liveness/ records.  Prune with the
#     defaults (grace and upload-expiration 3600 s) removes nothing.
#  2. After upload-expiration (2 s) the abandoned upload goes, with its
#     parts (under .segments/<upload>/); the dead finish's parts, which
#     no upload and no manifest has, are debris younger than
#     STORE_TMP_MIN_AGE (60 s) and stay.  After the grace (2 s) the
#     unreferenced blob goes to .trash/, its record stays.  The blobs of
#     the image never go.  --untagged moves an untagged manifest's link
#     and blobs to the trash; an index pushed while a sweep had moved
#     its child's link and layer there brings both back.
#  3. A trash entry younger than the grace stays (prune-grace 3600),
#     older than it (and STORE_TMP_MIN_AGE) it goes, and so do the dead
#     finish's parts; then the record of the blob, which is in neither
#     place, likewise.  The image's records stay.
#  4. fsck is clean; a layer deleted through the Swift API is reported
#     (exit 1), fsck --repair drops the manifest that names it, and the
#     next fsck is clean.
# The registry's grace is under STOR_FRESH_MIN_GRACE, so that every use
# of a blob writes its record, young or not (t0964 has the other way).
# The store is a Swift of the test's own.
# front end: any
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?}/tests/integration/lib.sh"
# shellcheck source=tests/integration/oci.sh
. "$top_srcdir/tests/integration/oci.sh"

SPECREG_STORAGE=swift
SPECREG_SWIFT_AUTH=
SPECREG_INI_EXTRA="prune-grace = 60"
start_registry
oci_init
R=test/swiftprune

note "a token from auth v1.0"
curl -sS -f -o /dev/null -D "$T/auth.h" -H 'X-Auth-User: test:tester' \
    -H 'X-Auth-Key: testing' "$SPECREG_SWIFT_AUTH" ||
    fail "auth v1.0 at $SPECREG_SWIFT_AUTH failed"
SURL=$(sed -n 's/^[Xx]-[Ss]torage-[Uu]rl: *//p' "$T/auth.h" | tr -d '\r')
TOKEN=$(sed -n 's/^[Xx]-[Aa]uth-[Tt]oken: *//p' "$T/auth.h" | tr -d '\r')
[ -n "$SURL" ] || fail "no storage URL"
[ -n "$TOKEN" ] || fail "no token"
C=$SURL/$SWIFT_CONTAINER

# listing NAME: the container's object names in $T/list.NAME.
listing() {
	curl -sS -f -H "X-Auth-Token: $TOKEN" "$C?limit=10000" \
	    >"$T/list.$1" || fail "listing the container failed"
}

# has NAME PATTERN...: each grep pattern matches a name in listing NAME.
has() {
	_h=$1
	shift
	for _p; do
		grep -q "$_p" "$T/list.$_h" ||
		    fail "$_h: no object matches $_p: $(cat "$T/list.$_h")"
	done
}

# lacks NAME PATTERN...: no name in listing NAME matches a pattern.
lacks() {
	_l=$1
	shift
	for _p; do
		! grep "$_p" "$T/list.$_l" ||
		    fail "$_l: an object matches $_p"
	done
}

# prune GRACE UPLOAD_EXPIRATION: specreg prune with those settings.
prune() {
	{
		grep -v '^prune-grace' "$T/specreg.ini"
		echo "prune-grace = $1"
		echo "upload-expiration = $2"
	} >"$T/prune.ini"
	echo "--- prune $*" >>"$T/prune.log"
	"$SPECREG_BIN" -c "$T/prune.ini" prune 2>>"$T/prune.log" ||
	    fail "prune $* failed: $(tail -5 "$T/prune.log")"
}

# fsck [ARGS...]: run it, stdout in $T/fsck.out; sets $RC.
fsck() {
	RC=0
	"$SPECREG_BIN" -c "$T/specreg.ini" fsck "$@" >"$T/fsck.out" \
	    2>"$T/fsck.err" || RC=$?
}

# clean WHAT: the last fsck exited 0 and said nothing.
clean() {
	if [ "$RC" != 0 ] || [ -s "$T/fsck.out" ]; then
		fail "$1 (exit $RC): $(head -20 "$T/fsck.out")" \
		    "$(tail -3 "$T/fsck.err")"
	fi
}

# hex FILE: the sha256 of FILE.
hex() {
	sha256sum "$1" | cut -d' ' -f1
}

note "part 1: an image, a lone blob, an abandoned upload, a dead finish"
oci_image img 1
manifest_put "$R" latest "$OCI" "$T/img.json"
LAYER=$(hex "$T/img.l1")
CFG=$(hex "$T/img.cfg")
randfile "$T/lone" 5000
blob_push "$R" "$T/lone" >/dev/null
LONE=$(hex "$T/lone")
randfile "$T/part" 3000
upload_start "$R"
expect_status 202 -X PATCH -H 'Content-Type: application/octet-stream' \
    --data-binary "@$T/part" "$UPLOAD"
ABANDONED=$UUID
upload_start "$R"
expect_status 202 -X PATCH -H 'Content-Type: application/octet-stream' \
    --data-binary "@$T/part" "$UPLOAD"
DEAD=$UUID
curl -sS -f -X DELETE -H "X-Auth-Token: $TOKEN" \
    "$C/uploads/$DEAD/state" || fail "could not delete the state"
listing before
has before "^blobs/sha256/../$LAYER\$" "^blobs/sha256/../$LONE\$" \
    "^\.liveness/blobs/sha256/../$LAYER\$" \
    "^\.liveness/blobs/sha256/../$LONE\$" \
    "^uploads/$ABANDONED/state\$" "^\.segments/$ABANDONED/0" \
    "^\.segments/$DEAD/0"
lacks before "^uploads/$DEAD/state" "^\.trash/"
prune 3600 3600
listing defaults
# Prune's own: its clock and the record of its run.
grep -v -e '^\.clock$' -e '^prune\.last$' "$T/list.defaults" >"$T/list.d"
cmp -s "$T/list.before" "$T/list.d" ||
    fail "prune with the defaults changed the store:" \
    "$(diff "$T/list.before" "$T/list.d")"

note "part 2: after upload-expiration and the grace"
sleep 3
prune 2 2
listing expired
lacks expired "^uploads/" "^\.segments/$ABANDONED/" \
    "^blobs/sha256/../$LONE\$"
has expired "^\.segments/$DEAD/0" "^\.trash/blobs/sha256/../$LONE\$" \
    "^\.liveness/blobs/sha256/../$LONE\$" \
    "^blobs/sha256/../$LAYER\$" "^blobs/sha256/../$CFG\$"

note "part 2b: --untagged: an untagged manifest goes, through the trash"
oci_image loose 1
UNTAGGED=$(digest_of "$T/loose.json")
manifest_put "$R" "$UNTAGGED" "$OCI" "$T/loose.json"
sleep 3
echo "--- prune --untagged" >>"$T/prune.log"
"$SPECREG_BIN" -c "$T/prune.ini" prune --untagged 2>>"$T/prune.log" ||
    fail "prune --untagged failed: $(tail -5 "$T/prune.log")"
expect_status 404 -H "Accept: $OCI" "$V2/$R/manifests/$UNTAGGED"
manifest_is "$R" latest "$(digest_of "$T/img.json")" "$OCI"
listing untagged
has untagged "^\.trash/repos/$R/_manifests/sha256/${UNTAGGED#sha256:}\$" \
    "^\.trash/blobs/sha256/../$(hex "$T/loose.l1")\$"

note "part 2c: an index pushed while a sweep takes its child keeps the child"
# A sweep moves an old child's link, then its layers, to the trash; an
# index pushed meanwhile takes the link back, and so everything the
# child references (storage/store_prune.c).  The sweep's moves are
# made here by hand.
oci_image kid 1
KID=$(digest_of "$T/kid.json")
manifest_put "$R" "$KID" "$OCI" "$T/kid.json"
KL=$(hex "$T/kid.l1")
for _o in "repos/$R/_manifests/sha256/${KID#sha256:}" \
    "blobs/sha256/$(echo "$KL" | cut -c1-2)/$KL"; do
	curl -sS -f -X PUT -H "X-Auth-Token: $TOKEN" -H 'Content-Length: 0' \
	    -H "X-Copy-From: $SWIFT_CONTAINER/$_o" "$C/.trash/$_o" &&
	    curl -sS -f -X DELETE -H "X-Auth-Token: $TOKEN" "$C/$_o" ||
	    fail "could not move $_o to the trash"
done
expect_status 404 -H "Accept: $OCI" "$V2/$R/manifests/$KID"
printf '{"schemaVersion":2,"mediaType":"%s","manifests":[%s]}' \
    "$OCI_INDEX" "$(blob_desc "$OCI" "$T/kid.json")" >"$T/idx.json"
manifest_put "$R" multi "$OCI_INDEX" "$T/idx.json"
# Looked at before any GET, which would take a blob back too.
listing revived
lacks revived "^\.trash/repos/$R/_manifests/sha256/${KID#sha256:}\$" \
    "^\.trash/blobs/sha256/../$KL\$"
manifest_is "$R" "$KID" "$KID" "$OCI"
expect_status 200 "$V2/$R/blobs/sha256:$KL"
body_is_file "$T/kid.l1"

note "part 3: the trash and the records, kept before the grace"
sleep 61
prune 3600 3600
listing young
has young "^\.segments/$DEAD/0" "^\.trash/blobs/sha256/../$LONE\$" \
    "^\.liveness/blobs/sha256/../$LONE\$"
prune 2 2
listing trash
lacks trash "^\.trash/" "^\.segments/"
has trash "^\.liveness/blobs/sha256/../$LONE\$"
prune 3600 3600
listing record
has record "^\.liveness/blobs/sha256/../$LONE\$"
prune 2 2
listing after
lacks after "^\.trash/" "^\.liveness/blobs/sha256/../$LONE\$" "^uploads/"
has after "^blobs/sha256/../$LAYER\$" "^blobs/sha256/../$CFG\$" \
    "^\.liveness/blobs/sha256/../$LAYER\$"
expect_status 200 "$V2/$R/blobs/sha256:$LAYER"
body_is_file "$T/img.l1"
expect_status 404 "$V2/$R/blobs/sha256:$LONE"

note "part 4: fsck"
fsck
clean "fsck of a healthy store"
curl -sS -f -X DELETE -H "X-Auth-Token: $TOKEN" \
    "$C/blobs/sha256/$(printf '%.2s' "$LAYER")/$LAYER" ||
    fail "could not delete the layer"
fsck
[ "$RC" = 1 ] || fail "fsck of a missing layer: exit $RC"
grep -q "$LAYER" "$T/fsck.out" ||
    fail "fsck did not name the layer: $(head -20 "$T/fsck.out")"
fsck --repair
grep -q "$LAYER" "$T/fsck.out" ||
    fail "fsck --repair did not name the layer: $(head -20 "$T/fsck.out")"
fsck
clean "fsck after --repair"
expect_status 404 "$V2/$R/manifests/latest"
note "$(tail -1 "$T/fsck.err" | sed 's/.*fsck: //')"
exit 0
