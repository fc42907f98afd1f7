#!/bin/sh
# tests/integration/t0810-disk-full.sh: the storage root fills up.
#
# The storage root is an 8 MiB tmpfs, mounted in a private mount
# namespace (unshare -m; as root) so that nothing outside this test
# sees it.  With the disk full, starting an upload, appending a chunk,
# a monolithic upload and a manifest PUT each fail with 507 and an OCI
# error body; nothing half-written becomes visible (no blob, no tag,
# the upload keeps its old offset, every file under blobs/ hashes to
# its name); once space is freed the same uploads and the manifest go
# through, and fsck finds nothing wrong.
# storage: filesystem
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?}/tests/integration/lib.sh"
# shellcheck source=tests/integration/oci.sh
. "$top_srcdir/tests/integration/oci.sh"

if [ "${SPECREG_IN_NS:-0}" != 1 ]; then
	[ "$(id -u)" = 0 ] || skip "mounting a tmpfs needs root"
	need_cmd unshare mount umount
	unshare -m --propagation private true 2>/dev/null ||
	    skip "unshare -m is not permitted here"
	SPECREG_IN_NS=1 unshare -m --propagation private sh "$0"
	exit $?
fi

mount -t tmpfs -o size=8m,mode=755 specreg-test "$DATA" ||
    harness_error "cannot mount a tmpfs on $DATA"
# Unmount (lazily: the servers still hold it) before lib.sh removes $T.
# shellcheck disable=SC2317
ns_cleanup() {
	umount -l "$DATA"
	lib_cleanup "$1"
}
trap 'ns_cleanup $?' EXIT

start_registry
oci_init
R=full/repo

# blobs_good: every blob is named by its content, none is partial.
blobs_good() {
	find "$DATA/blobs" -type f ! -name '.*' 2>/dev/null >"$T/blobs.list"
	while read -r _f; do
		[ "$(sha256_of "$_f")" = "${_f##*/}" ] ||
		    fail "blob $_f: $(wc -c <"$_f") bytes that hash elsewhere"
	done <"$T/blobs.list"
}

# expect_full ARGS...: 507 with an OCI error body.
expect_full() {
	expect_err 507 UNKNOWN "$@"
	body_has 'insufficient storage'
}

# free_kib: what is left on the tmpfs.
free_kib() {
	df -k "$DATA" | awk 'NR == 2 { print $4 }'
}

note "while there is room, an image goes in"
oci_image small 1
manifest_put "$R" small "$OCI" "$T/small.json"

note "fill the disk"
head -c 16M /dev/zero >"$DATA/filler" 2>/dev/null
[ "$(free_kib)" -eq 0 ] || fail "the tmpfs still has $(free_kib) KiB"

randfile "$T/big" 2000000
dbig=$(digest_of "$T/big")
note "full: POST of an upload, monolithic PUT, manifest PUT"
expect_full -X POST -H 'Content-Length: 0' "$V2/$R/blobs/uploads/"
expect_full -X POST -H 'Content-Type: application/octet-stream' \
    --data-binary "@$T/big" "$V2/$R/blobs/uploads/?digest=$dbig"
expect_status 404 -I "$V2/$R/blobs/$dbig"
randfile "$T/small-blob" 5000
expect_full -X POST -H 'Content-Type: application/octet-stream' \
    --data-binary "@$T/small-blob" \
    "$V2/$R/blobs/uploads/?digest=$(digest_of "$T/small-blob")"
expect_status 404 -I "$V2/$R/blobs/$(digest_of "$T/small-blob")"
expect_full -X PUT -H "Content-Type: $OCI" --data-binary "@$T/small.json" \
    "$V2/$R/manifests/again"
expect_status 404 -H "Accept: $OCI" "$V2/$R/manifests/again"
blobs_good

note "1.5 MiB free: the first 1 MiB chunk fits, the second does not"
truncate -s -1536K "$DATA/filler"
echo "# $(free_kib) KiB free"
upload_start "$R"
head -c 1048576 "$T/big" >"$T/part1"
tail -c +1048577 "$T/big" >"$T/part2"
expect_status 202 -X PATCH -H 'Content-Type: application/octet-stream' \
    -H 'Content-Range: 0-1048575' --data-binary "@$T/part1" "$UPLOAD"
upload_follow
hdr_is Range 0-1048575
expect_full -X PATCH -H 'Content-Type: application/octet-stream' \
    -H 'Content-Range: 1048576-1999999' --data-binary "@$T/part2" "$UPLOAD"
expect_status 204 "$UPLOAD"
hdr_is Range 0-1048575
expect_full -X PUT -H 'Content-Type: application/octet-stream' \
    -H 'Content-Range: 1048576-1999999' --data-binary "@$T/part2" \
    "$(add_query "$UPLOAD" "digest=$dbig")"
expect_status 204 "$UPLOAD"
hdr_is Range 0-1048575
expect_status 404 -I "$V2/$R/blobs/$dbig"
blobs_good

note "space freed: the same upload finishes, the registry works"
rm -f "$DATA/filler"
expect_status 201 -X PUT -H 'Content-Type: application/octet-stream' \
    -H 'Content-Range: 1048576-1999999' --data-binary "@$T/part2" \
    "$(add_query "$UPLOAD" "digest=$dbig")"
hdr_is Docker-Content-Digest "$dbig"
expect_status 200 "$V2/$R/blobs/$dbig"
body_is_file "$T/big"
oci_image other 1
manifest_put "$R" again "$OCI" "$T/other.json"
expect_status 200 -H "Accept: $OCI" "$V2/$R/manifests/again"
body_is_file "$T/other.json"
expect_status 200 -H "Accept: $OCI" "$V2/$R/manifests/small"
body_is_file "$T/small.json"
blobs_good

note "fsck"
"$SPECREG_BIN" -c "$T/specreg.ini" fsck >"$T/fsck.out" 2>&1 || {
	cat "$T/fsck.out" >&2
	fail "fsck found problems after the disk was full"
}
grep -q ' 0 problems' "$T/fsck.out" || fail "fsck: $(cat "$T/fsck.out")"
if grep 'died' "$T/specreg.log" >&2; then
	fail "a worker died"
fi
exit 0
