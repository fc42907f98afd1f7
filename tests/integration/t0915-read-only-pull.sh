#!/bin/sh
# tests/integration/t0915-read-only-pull.sh: a read-only registry with
# [upstream] still pulls through (blobs and manifests, by tag and by
# digest, with the right bytes), but keeps nothing in its store.
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?}/tests/integration/lib.sh"
# shellcheck source=tests/integration/oci.sh
. "$top_srcdir/tests/integration/oci.sh"
need_cmd docker-registry jq
UPID=
t0915_cleanup() {
	_tc_rc=$1
	[ -z "$UPID" ] || stop_pid "$UPID"
	lib_cleanup "$_tc_rc"
}
trap 't0915_cleanup $?' EXIT
R=library/ro
OCI=application/vnd.oci.image.manifest.v1+json

# The docker.io upstream (distribution), with a small image.
distribution_start "$T/upstream"
URL=http://127.0.0.1:$UPORT
head -c 200000 /dev/urandom >"$T/layer"
printf '{}' >"$T/config"
layer=$(push_blob "$R" "$T/layer")
cfg=$(push_blob "$R" "$T/config")
printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":2},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":200000}]}' \
    "$OCI" "$cfg" "$layer" >"$T/manifest"
expect_status 201 -X PUT -H "Content-Type: $OCI" \
    --data-binary "@$T/manifest" "$URL/v2/$R/manifests/v1"
mdigest=sha256:$(sha256_of "$T/manifest")

SPECREG_INI_EXTRA="[registry]
read-only = yes
[upstream]
docker.io = $URL"
start_registry

# Pulled twice, all of it through specreg, the bytes upstream has.
for round in 1 2; do
	expect_status 200 -H "Accept: $OCI" "$URL/v2/$R/manifests/v1"
	cmp -s "$T/body" "$T/manifest" || fail "round $round: manifest by tag differs"
	expect_status 200 -H "Accept: $OCI" "$URL/v2/$R/manifests/$mdigest"
	cmp -s "$T/body" "$T/manifest" || fail "round $round: manifest by digest differs"
	expect_status 200 "$URL/v2/$R/blobs/$cfg"
	expect_status 200 "$URL/v2/$R/blobs/$layer"
	cmp -s "$T/body" "$T/layer" || fail "round $round: layer differs"
	expect_status 200 -I "$URL/v2/$R/blobs/$layer"
done

# Nothing was kept.
find "$DATA" -type f ! -name .specreg-metrics >"$T/kept"
[ -s "$T/kept" ] && fail "a read-only registry kept: $(head -5 "$T/kept")"
exit 0
