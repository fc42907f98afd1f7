#!/bin/sh
# tests/integration/t0910-read-only.sh: with [registry] read-only = yes
# pulls go on, while pushes, deletes and uploads get 405 UNSUPPORTED
# naming read-only (Allow lists what still works), nothing in the store
# changes, and "specreg prune" refuses to run.
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?}/tests/integration/lib.sh"
need_cmd jq
need_pool
start_registry
R=ro/img
OCI=application/vnd.oci.image.manifest.v1+json

# Content to pull later, pushed while the registry is writable.
printf '{}' >"$T/config"
printf 'layer bytes' >"$T/layer"
cfg=$(push_blob "$R" "$T/config")
layer=$(push_blob "$R" "$T/layer")
printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":2},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":11}]}' \
    "$OCI" "$cfg" "$layer" >"$T/manifest"
expect_status 201 -X PUT -H "Content-Type: $OCI" \
    --data-binary "@$T/manifest" "$URL/v2/$R/manifests/v1"
expect_status 202 -X POST -H 'Content-Length: 0' "$URL/v2/$R/blobs/uploads/"
upload=$(header Location)
case $upload in
http*)	;;
*)	upload=$URL$upload ;;
esac
case $upload in
*\?*)	finish="$upload&digest=$layer" ;;
*)	finish="$upload?digest=$layer" ;;
esac

# The same pool, restarted read-only.
printf '[registry]\nread-only = yes\n' >>"$T/specreg.ini"
stop_frontend
stop_pool
start_pool
"start_frontend_$LIB_FE" || harness_error "$SPECREG_FRONTEND did not restart"
wait_ready
find "$DATA" -type f ! -name '.specreg-metrics' | sort >"$T/before"

# refused METHOD URL ARGS...: 405 UNSUPPORTED that says read-only.
refused() {
	expect_status 405 -X "$@"
	[ "$(error_code)" = UNSUPPORTED ] || fail "$1 $2: $(cat "$T/body")"
	jq -e '.errors[0].detail | test("read-only")' "$T/body" >/dev/null ||
	    fail "$1 $2: the detail does not say read-only: $(cat "$T/body")"
}

# Pulls go on.
expect_status 200 -H "Accept: $OCI" "$URL/v2/$R/manifests/v1"
expect_status 200 -I "$URL/v2/$R/blobs/$layer"
expect_status 200 "$URL/v2/$R/blobs/$layer"
[ "$(cat "$T/body")" = 'layer bytes' ] || fail "blob GET: $(cat "$T/body")"
expect_status 200 "$URL/v2/$R/tags/list"
expect_status 200 "$URL/v2/_catalog"

# Writes do not.
refused PUT "$URL/v2/$R/manifests/v2" -H "Content-Type: $OCI" \
    --data-binary "@$T/manifest"
allow=$(header Allow)
case $allow in
*GET*)	;;
*)	fail "Allow is '$allow', expected GET in it" ;;
esac
case $allow in
*PUT*|*DELETE*)	fail "Allow offers a write on a read-only registry: '$allow'" ;;
esac
refused DELETE "$URL/v2/$R/manifests/v1"
refused DELETE "$URL/v2/$R/blobs/$layer"
refused POST "$URL/v2/$R/blobs/uploads/" -H 'Content-Length: 0'
refused PATCH "$upload" --data-binary 'more' \
    -H 'Content-Type: application/octet-stream'
refused PUT "$finish" -H 'Content-Length: 0'
refused DELETE "$upload"
expect_status 200 -H "Accept: $OCI" "$URL/v2/$R/manifests/v1"

find "$DATA" -type f ! -name '.specreg-metrics' | sort >"$T/after"
cmp -s "$T/before" "$T/after" ||
    fail "the store changed: $(diff "$T/before" "$T/after")"

# prune refuses, in one line.
if "$SPECREG_BIN" -c "$T/specreg.ini" prune >"$T/prune.out" 2>&1; then
	fail "prune ran on a read-only registry: $(cat "$T/prune.out")"
fi
[ "$(wc -l <"$T/prune.out")" -eq 1 ] && grep -q read-only "$T/prune.out" ||
    fail "prune said: $(cat "$T/prune.out")"
