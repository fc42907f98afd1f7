#!/bin/sh
# specreg fsck: a clean store passes; a corrupt blob byte, a tag line
# pointing nowhere and a bad upload state are reported (exit 1), stale
# debris is reported but not a problem; --repair removes it all and the
# next fsck is clean; what was broken then answers 404, the rest pulls.
# storage: filesystem
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/oci.sh"

start_registry
oci_init
R=test/fsck
OCI=application/vnd.oci.image.manifest.v1+json
OCI_CONFIG=application/vnd.oci.image.config.v1+json
OCI_LAYER=application/vnd.oci.image.layer.v1.tar+gzip

# fsck [ARGS...]: run it, stdout in $T/fsck.out; sets $RC.
fsck() {
	RC=0
	"$SPECREG_BIN" -c "$T/specreg.ini" fsck "$@" >"$T/fsck.out" \
	    2>"$T/fsck.err" || RC=$?
}

# push_image NAME: push a config and two layers, then NAME as a tag.
push_image() {
	printf '{"architecture":"amd64","os":"linux","n":"%s"}' "$1" \
	    >"$T/$1.cfg"
	randfile "$T/$1.l1" 3000
	randfile "$T/$1.l2" 70000
	for f in cfg l1 l2; do
		push_blob "$R" "$T/$1.$f" >/dev/null
	done
	printf '{"schemaVersion":2,"mediaType":"%s","config":%s,"layers":[%s,%s]}' \
	    "$OCI" "$(blob_desc "$OCI_CONFIG" "$T/$1.cfg")" \
	    "$(blob_desc "$OCI_LAYER" "$T/$1.l1")" \
	    "$(blob_desc "$OCI_LAYER" "$T/$1.l2")" >"$T/$1.json"
	manifest_put "$R" "$1" "$OCI" "$T/$1.json"
}

blob_path() {
	_h=$(sha256_of "$1")
	echo "$DATA/blobs/sha256/$(echo "$_h" | cut -c1-2)/$_h"
}

push_image good
push_image bad

note "a clean store"
fsck
[ "$RC" = 0 ] || fail "fsck of a clean store: exit $RC: $(cat "$T/fsck.out")"
[ ! -s "$T/fsck.out" ] || fail "fsck of a clean store said: $(cat "$T/fsck.out")"
grep -q 'fsck: 8 blobs, 2 manifests, 2 tags, 0 uploads: 0 problems' \
    "$T/fsck.err" || fail "fsck summary: $(cat "$T/fsck.err")"

note "one byte of a layer changed"
f=$(blob_path "$T/bad.l2")
[ -f "$f" ] || fail "no blob file at $f"
printf 'X' | dd of="$f" bs=1 seek=1234 conv=notrunc 2>/dev/null
[ "$(sha256_of "$f")" != "$(sha256_of "$T/bad.l2")" ] ||
    fail "the blob did not change"
# A tag line pointing at a manifest that is not there, and a bad state.
d0=sha256:$(printf 'nothing' | sha256sum | cut -d' ' -f1)
printf '%s %s\n' "$d0" "$OCI" >"$DATA/repos/$R/_tags/ghost"
upload_start "$R"
[ -n "$UUID" ] || fail "no Docker-Upload-UUID"
printf 'not a state\n' >"$DATA/uploads/$UUID/state"
# Debris: an old temporary file and an old upload without state.
printf 'junk' >"$DATA/blobs/sha256/.tmp-1-0123456789abcdef"
mkdir -p "$DATA/uploads/0123456789abcdef0123456789abcdef"
touch -d '2 hours ago' "$DATA/blobs/sha256/.tmp-1-0123456789abcdef" \
    "$DATA/uploads/0123456789abcdef0123456789abcdef"

fsck
[ "$RC" = 1 ] || fail "fsck of a corrupt store: exit $RC"
grep -qx "corrupt blob $(digest_of "$T/bad.l2"): its content hashes to sha256:$(sha256_of "$f")" \
    "$T/fsck.out" || fail "no corrupt blob line: $(cat "$T/fsck.out")"
grep -q "^tag $R:ghost points at $d0" "$T/fsck.out" ||
    fail "no ghost tag line: $(cat "$T/fsck.out")"
grep -q "^upload $UUID: its state is not valid" "$T/fsck.out" ||
    fail "no bad upload line: $(cat "$T/fsck.out")"
grep -q '^stale upload 0123456789abcdef0123456789abcdef' "$T/fsck.out" ||
    fail "no stale upload line: $(cat "$T/fsck.out")"
grep -q '^stale: 1 temporary files, 4 bytes$' "$T/fsck.out" ||
    fail "no stale temporaries line: $(cat "$T/fsck.out")"
[ "$(grep -cv '^stale' "$T/fsck.out")" = 3 ] ||
    fail "expected 3 problems: $(cat "$T/fsck.out")"
# Only reported: everything is still there.
[ -f "$f" ] && [ -f "$DATA/repos/$R/_tags/ghost" ] ||
    fail "fsck without --repair changed the store"

note "fsck --repair"
fsck --repair
[ "$RC" = 0 ] || fail "fsck --repair: exit $RC: $(cat "$T/fsck.out")"
grep -q "^broken manifest $R@$(digest_of "$T/bad.json"): layer $(digest_of "$T/bad.l2") is missing" \
    "$T/fsck.out" || fail "no broken manifest line: $(cat "$T/fsck.out")"
[ ! -e "$f" ] || fail "the corrupt blob is still there"
[ ! -e "$DATA/blobs/sha256/.tmp-1-0123456789abcdef" ] ||
    fail "the temporary file is still there"
[ ! -e "$DATA/uploads/0123456789abcdef0123456789abcdef" ] ||
    fail "the stale upload is still there"

note "clean afterwards"
fsck
[ "$RC" = 0 ] || fail "fsck after --repair: exit $RC: $(cat "$T/fsck.out")"
[ ! -s "$T/fsck.out" ] || fail "fsck after --repair said: $(cat "$T/fsck.out")"

note "what was broken is gone, the rest pulls intact"
expect_status 404 "$V2/$R/blobs/$(digest_of "$T/bad.l2")"
expect_status 404 -H "Accept: $OCI" "$V2/$R/manifests/bad"
expect_status 404 -H "Accept: $OCI" "$V2/$R/manifests/$(digest_of "$T/bad.json")"
expect_status 404 -H "Accept: $OCI" "$V2/$R/manifests/ghost"
expect_status 404 "$UPLOAD"
expect_status 200 -H "Accept: $OCI" "$V2/$R/manifests/good"
body_is_file "$T/good.json"
for x in cfg l1 l2; do
	expect_status 200 "$V2/$R/blobs/$(digest_of "$T/good.$x")"
	body_is_file "$T/good.$x"
done
# The intact blobs of the broken image stay (prune's business).
expect_status 200 "$V2/$R/blobs/$(digest_of "$T/bad.l1")"
body_is_file "$T/bad.l1"

note "a child of an index cannot be deleted, so repair keeps the index"
dg=$(digest_of "$T/good.json")
printf '{"schemaVersion":2,"mediaType":"%s","manifests":[{"mediaType":"%s","digest":"%s","size":%s}]}' \
    "$OCI_INDEX" "$OCI" "$dg" "$(size_of "$T/good.json")" >"$T/idx.json"
manifest_put "$R" multi "$OCI_INDEX" "$T/idx.json"
expect_err 405 UNSUPPORTED -X DELETE "$V2/$R/manifests/$dg"
fsck --repair
[ "$RC" = 0 ] || fail "fsck --repair with an index: exit $RC: $(cat "$T/fsck.out")"
[ ! -s "$T/fsck.out" ] || fail "fsck --repair with an index said: $(cat "$T/fsck.out")"
expect_status 200 -H "Accept: $OCI_INDEX" "$V2/$R/manifests/multi"
body_is_file "$T/idx.json"
expect_status 200 -H "Accept: $OCI" "$V2/$R/manifests/$dg"
body_is_file "$T/good.json"
exit 0
