#!/bin/sh
# tests/integration/t0950-ui.sh: the web UI in a real browser.
#
# Pushes real images with skopeo (an image with a label holding
# <script> and quotes, a second tag, a multi-arch index) and, with
# curl, a signature that refers to the first, in restricted mode (a
# read and a write user).  Then tests/ui/check-ui.js drives Debian's
# headless chromium through playwright-core: every page's DOM, the
# hostile label and annotation shown as text, no Content-Security-Policy
# violation, axe-core with no serious or critical violation, no delete
# button for the read user, a delete with confirmation and CSRF token
# for the writer.  Screenshots land in $T (kept with SPECREG_KEEP=1),
# and in SPECREG_UI_SHOTS if set (the README's doc/ui-*.png).
#
# playwright-core and axe-core come from npm, pinned by
# tests/ui/package-lock.json, installed once into a cache directory
# outside the tree (SPECREG_UI_NODE, default
# ${XDG_CACHE_HOME:-~/.cache}/specreg-ui-<lock hash>) and reused.  No
# browser is downloaded.  Skips (77) without chromium, node, npm,
# skopeo, or when npm cannot install, unless SPECREG_NO_SKIP=1.
. "${top_srcdir:?}/tests/integration/lib.sh"
# shellcheck source=tests/integration/oci.sh
. "$top_srcdir/tests/integration/oci.sh"
need_cmd chromium node npm skopeo jq sha256sum

CHROMIUM=$(command -v chromium)
UI_DIR=$top_srcdir/tests/ui
LOCK_HASH=$(sha256sum "$UI_DIR/package-lock.json" | cut -c1-12)
NODE_DIR=${SPECREG_UI_NODE:-${XDG_CACHE_HOME:-$HOME/.cache}/specreg-ui-$LOCK_HASH}
if [ ! -d "$NODE_DIR/node_modules/playwright-core" ] ||
    [ ! -d "$NODE_DIR/node_modules/axe-core" ]; then
	mkdir -p "$NODE_DIR" || harness_error "cannot create $NODE_DIR"
	cp "$UI_DIR/package.json" "$UI_DIR/package-lock.json" "$NODE_DIR/"
	(cd "$NODE_DIR" && npm ci --no-audit --no-fund) >"$T/npm.log" 2>&1 ||
	    skip "npm ci failed: $(tail -3 "$T/npm.log")"
fi

SECRET=t0950-secret-0123456789abcdef
# The quotes in [user "NAME"] are meant literally.
# shellcheck disable=SC2089,SC2090
SPECREG_INI_EXTRA="[registry]
secret = $SECRET
[user \"reader\"]
password = read-0950
access = read
[user \"writer\"]
password = write-0950
access = write"
# shellcheck disable=SC2090
export SPECREG_INI_EXTRA
start_registry
oci_init

# Every curl below (oci.sh's helpers) pushes as the writer.
mkdir -p "$T/curl" && echo 'user = "writer:write-0950"' >"$T/curl/.curlrc" ||
    harness_error "cannot write $T/curl/.curlrc"
CURL_HOME=$T/curl
export CURL_HOME

MK="sh $top_srcdir/tests/integration/mkimage.sh"
HOSTILE="<script>alert(\"ui\")</script>'x"
# The label as mkimage.sh writes it into the config's JSON.
HOSTILE_JSON="<script>alert(\\\"ui\\\")</script>'x"
: >"$T/registries.conf"
# push SRC REPO:TAG [skopeo options]
push() {
	_src=$1
	_dst=$2
	shift 2
	TMPDIR=$T/tmp skopeo --insecure-policy \
	    --registries-conf "$T/registries.conf" copy "$@" \
	    --dest-tls-verify=false --dest-creds writer:write-0950 \
	    "$_src" "docker://$HOSTPORT/$_dst" >>"$T/skopeo.log" 2>&1 ||
	    fail "skopeo copy $_src $_dst: $(tail -5 "$T/skopeo.log")"
}
mkdir -p "$T/tmp"

note "push: an image with a hostile label, a newer tag, an index"
d1=$($MK oci "$T/app" v1 2 amd64 "$HOSTILE_JSON") || fail "mkimage v1"
push "oci:$T/app:v1" ui/app:v1
# Push times have a resolution of a second: v2 is newer.
sleep 1.1
$MK oci "$T/app" v2 1 arm64 >/dev/null || fail "mkimage v2"
push "oci:$T/app:v2" ui/app:v2
$MK oci-index "$T/multi" latest amd64 arm64 >/dev/null ||
    fail "mkimage oci-index"
push "oci:$T/multi:latest" ui/multi:latest --all

note "a signature referring to ui/app:v1, with a hostile annotation"
R=ui/app
printf '{}' >"$T/empty.json"
blob_push "$R" "$T/empty.json" >/dev/null
randfile "$T/sig.blob" 321
blob_push "$R" "$T/sig.blob" >/dev/null
jq -cn --arg at application/vnd.example.signature --arg ann "$HOSTILE" \
    --argjson cfg "$(blob_desc application/vnd.oci.empty.v1+json "$T/empty.json")" \
    --argjson l "$(blob_desc application/octet-stream "$T/sig.blob")" \
    --argjson s "$(blob_desc "$OCI" "$T/app/blobs/sha256/${d1#sha256:}")" \
    '{schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
    artifactType: $at, config: $cfg, layers: [$l], subject: $s,
    annotations: {"org.example.note": $ann}}' >"$T/sig.json"
manifest_put "$R" "$(digest_of "$T/sig.json")" "$OCI" "$T/sig.json"

note "a prune, for the storage page to report"
set -- "$SPECREG_BIN" -c "$T/specreg.ini" prune
if [ "$(id -u)" = 0 ] && [ "$(stat -c %u "$DATA")" != 0 ]; then
	set -- setpriv --reuid="$(stat -c %u "$DATA")" \
	    --regid="$(stat -c %g "$DATA")" --clear-groups "$@"
fi
"$@" 2>>"$T/prune.log" || fail "prune: $(tail -3 "$T/prune.log")"

note "the browser"
mkdir -p "$T/shots"
NODE_PATH=$NODE_DIR/node_modules UI_URL=$URL UI_HOST=$HOSTPORT \
    UI_OUT=$T/shots UI_READER=reader:read-0950 UI_WRITER=writer:write-0950 \
    UI_HOSTILE=$HOSTILE CHROMIUM=$CHROMIUM \
    node "$UI_DIR/check-ui.js" >"$T/check-ui.log" 2>&1
rc=$?
cat "$T/check-ui.log"
[ "$rc" = 0 ] || fail "check-ui.js failed"
if [ -n "${SPECREG_UI_SHOTS:-}" ]; then
	cp "$T"/shots/*.png "$SPECREG_UI_SHOTS/" ||
	    fail "cannot copy the screenshots to $SPECREG_UI_SHOTS"
fi
echo "PASS"
