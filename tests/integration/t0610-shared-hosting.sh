#!/bin/sh
# tests/integration/t0610-shared-hosting.sh: specreg on shared hosting,
# as README "Shared hosting" describes it.  A host's Apache (mod_fcgid,
# mod_rewrite, AllowOverride All) serves a user's ~/public_html; the
# user installs specreg.fcgi there with deploy/htaccess.example as
# .htaccess, specreg.ini next to the binary and the storage in the home.
# No daemon, no -c, no SPECREG_CONFIG; specreg runs as the user
# (nobody when the test runs as root).  Checks: a push and a pull with
# curl (monolithic and chunked bodies over 2 MiB, a manifest), Basic
# credentials through .htaccess's CGIPassAuth, the configuration is not
# served, /healthz, /readyz, /metrics and the web UI (/ and /ui/) reach
# specreg, and what specreg wrote belongs to the user, in the home.
#
# It brings its own Apache, so it runs once: behind the default front
# end (lighttpd) or apache-fcgid, and passes trivially behind others.
case ${SPECREG_FRONTEND:-lighttpd} in
lighttpd|apache-fcgid|apache-shared)	;;
*)	echo "# t0610 runs its own Apache; nothing to check behind" \
	    "$SPECREG_FRONTEND"
	exit 0 ;;
esac
# storage: filesystem
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?}/tests/integration/lib.sh"
# shellcheck source=tests/integration/oci.sh
. "$top_srcdir/tests/integration/oci.sh"
need_cmd jq sha256sum stat

SPECREG_FRONTEND=apache-shared
SHARED_HOME=$T/home/user
DATA=$SHARED_HOME/specreg-data
WEB=$SHARED_HOME/public_html
PUSHER=me
PASS=shared-pass-0610
# The quotes in [user "NAME"] are meant literally.
# shellcheck disable=SC2089
SPECREG_INI_EXTRA="[registry]
secret = t0610-secret-0123456789abcdef
[user \"$PUSHER\"]
password = $PASS
access = write"
# shellcheck disable=SC2090
export SPECREG_INI_EXTRA
start_registry
oci_init
R=me/app
CRED="$PUSHER:$PASS"
MIB=1048576

note "installed as the guide says; no daemon runs"
cmp -s "$WEB/.htaccess" "$top_srcdir/deploy/htaccess.example" ||
    fail ".htaccess is not deploy/htaccess.example"
[ -z "$SPECREG_PID" ] || fail "a specreg pool was started"
grep -q "^root = $DATA\$" "$WEB/specreg.ini" ||
    fail "specreg.ini does not put the storage in the home"

note "the configuration and the binary are not served as files"
expect_status 403 "$URL/specreg.ini"
call "$URL/specreg.fcgi"
if [ "$STATUS" != 404 ] || ! from_specreg; then
	fail "GET /specreg.fcgi: $STATUS (want specreg's 404)"
fi
err_code_is NOT_FOUND

note "the operator's endpoints and the web UI reach specreg"
expect_status 200 "$URL/healthz"
expect_status 200 "$URL/readyz"
expect_status 200 "$URL/metrics"
body_has "specreg_http_requests_total"
for p in / /ui/ /ui/storage; do
	expect_status 200 "$URL$p"
	header Content-Security-Policy | grep -q "default-src 'none'" ||
	    fail "GET $p: not specreg's page"
	body_has "<html"
done
expect_status 200 "$URL/ui/static/style.css"
header Content-Type | grep -q '^text/css' ||
    fail "style.css: $(header Content-Type)"
expect_status 404 "$URL/ui/nothing"
header Content-Security-Policy | grep -q "default-src 'none'" ||
    fail "GET /ui/nothing: not specreg's 404 page"

note "/v2/ answers through the RewriteRule, with the Authorization header"
expect_status 401 "$V2/"
case $(header WWW-Authenticate) in
"Bearer realm=\"$URL/auth/token\""*) ;;
*)	fail "challenge: '$(header WWW-Authenticate)'" ;;
esac
expect_status 200 -u "$CRED" "$V2/"
expect_status 200 -u "$CRED" \
    "$URL/auth/token?service=specreg&scope=repository:$R:push,pull"
jq -e '.token | length > 0' "$T/body" >/dev/null || fail "no token"

# up_start: POST an upload to $R; set $UPLOAD (absolute URL).
up_start() {
	expect_status 202 -u "$CRED" -X POST -H 'Content-Length: 0' \
	    "$V2/$R/blobs/uploads/"
	UPLOAD=$(abs_url "$(header Location)")
}

note "push: a 3 MiB layer with a chunked PATCH, a 2 MiB one in one PUT"
randfile "$T/l1" $((3 * MIB))
randfile "$T/l2" $((2 * MIB + 5))
printf '{"architecture":"amd64","os":"linux"}' >"$T/cfg"
d1=$(digest_of "$T/l1")
d2=$(digest_of "$T/l2")
dc=$(digest_of "$T/cfg")
up_start
expect_status 202 -u "$CRED" -X PATCH -H 'Expect:' \
    -H 'Transfer-Encoding: chunked' \
    -H 'Content-Type: application/octet-stream' \
    --data-binary "@$T/l1" "$UPLOAD"
hdr_is Range "0-$((3 * MIB - 1))"
upload_follow
expect_status 201 -u "$CRED" -X PUT -H 'Content-Length: 0' \
    "$(add_query "$UPLOAD" "digest=$d1")"
hdr_is Docker-Content-Digest "$d1"
for f in l2 cfg; do
	up_start
	expect_status 201 -u "$CRED" -T "$T/$f" \
	    -H 'Content-Type: application/octet-stream' \
	    "$(add_query "$UPLOAD" "digest=$(digest_of "$T/$f")")"
done
MT=application/vnd.oci.image.manifest.v1+json
printf '{"schemaVersion":2,"mediaType":"%s","config":%s,"layers":[%s,%s]}' \
    "$MT" "$(blob_desc application/vnd.oci.image.config.v1+json "$T/cfg")" \
    "$(blob_desc application/vnd.oci.image.layer.v1.tar "$T/l1")" \
    "$(blob_desc application/vnd.oci.image.layer.v1.tar "$T/l2")" \
    >"$T/manifest"
dm=$(digest_of "$T/manifest")
expect_status 201 -u "$CRED" -X PUT -H "Content-Type: $MT" \
    --data-binary "@$T/manifest" "$V2/$R/manifests/1.0"
hdr_is Docker-Content-Digest "$dm"

note "pull: the manifest by tag, every blob by the digests it names"
expect_status 200 -H "Accept: $MT" "$V2/$R/manifests/1.0"
hdr_is Docker-Content-Digest "$dm"
cmp -s "$T/body" "$T/manifest" || fail "manifest bytes differ"
for d in $(jq -r '.config.digest, .layers[].digest' "$T/body"); do
	expect_status 200 "$V2/$R/blobs/$d"
	[ "$(digest_of "$T/body")" = "$d" ] || fail "blob $d: wrong bytes"
	hdr_is Docker-Content-Digest "$d"
done
expect_status 200 -I "$V2/$R/blobs/$d1"
hdr_is Content-Length $((3 * MIB))
expect_status 206 -H 'Range: bytes=10-19' "$V2/$R/blobs/$d2"
tail -c +11 "$T/l2" | head -c 10 >"$T/want"
cmp -s "$T/body" "$T/want" || fail "Range bytes differ"
expect_status 200 "$V2/_catalog"
body_has "$R"

note "specreg ran as the user and wrote only into the home"
owner=$(id -un)
[ "$(id -u)" = 0 ] && owner=nobody
for d in "$d1" "$d2" "$dc" "$dm"; do
	f=$DATA/blobs/sha256/$(echo "${d#sha256:}" | cut -c1-2)/${d#sha256:}
	[ -f "$f" ] || fail "blob $d is not in $DATA"
	[ "$(stat -c %U "$f")" = "$owner" ] ||
	    fail "blob $d belongs to $(stat -c %U "$f"), not $owner"
done
[ -z "$(ls -A "$T/data" 2>/dev/null)" ] ||
    fail "something was written to the default storage root $T/data"
pids=$(pgrep -f "^$WEB/specreg.fcgi") || fail "no specreg.fcgi process"
for p in $pids; do
	[ "$(ps -o user= -p "$p")" = "$owner" ] ||
	    fail "specreg.fcgi $p runs as $(ps -o user= -p "$p")"
done

echo "ok: shared hosting push and pull through .htaccess, as $owner"
