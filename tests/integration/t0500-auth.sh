#!/bin/sh
# tests/integration/t0500-auth.sh: users, the token endpoint and /v2
# enforcement, with curl and skopeo.  Three runs of the registry:
#   1. a write user: challenges, anonymous pull tokens, push tokens,
#      wrong passwords, forged / alg none / tampered tokens, scopes per
#      repository (a token without the scope needed: 401
#      insufficient_scope), Basic on /v2, the POST password grant (form
#      body only; /auth/ queries never logged); skopeo login, push with
#      --dest-creds, anonymous pulls and pulls with foreign credentials
#      (docker sends its Hub credentials to mirrors);
#   2. restricted mode (a read user too): no anonymous pulls, the read
#      user pulls but may not push (403), the catalog and a
#      cross-repository mount need their scopes, with curl and skopeo;
#   3. token-lifetime 8: tokens expire.
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?}/tests/integration/lib.sh"
# shellcheck source=tests/integration/oci.sh
. "$top_srcdir/tests/integration/oci.sh"
need_cmd jq openssl base64 sha256sum

SVC=specreg-test
SECRET=t0500-secret-0123456789abcdef
WUSER=pusher
WPASS='p:ss word'		# ':' and ' ' on purpose
RUSER=reader
RPASS=read-only-pw

# The quotes in [user "NAME"] are meant literally.
# shellcheck disable=SC2089,SC2090
registry_conf() {	# registry_conf LIFETIME [restricted]
	SPECREG_INI_EXTRA="[registry]
secret = $SECRET
service = $SVC
token-lifetime = $1
[user \"$WUSER\"]
password = $WPASS
access = write"
	if [ "${2:-}" = restricted ]; then
		# The read user's password is a sha512-crypt hash.
		SPECREG_INI_EXTRA="$SPECREG_INI_EXTRA
[user \"$RUSER\"]
password = $(openssl passwd -6 -salt t0500salt "$RPASS")
access = read"
	fi
	export SPECREG_INI_EXTRA
}

restart_registry() {
	stop_frontend
	stop_pool
	start_registry
	oci_init
	REALM="$URL/auth/token"
}

# --- Helpers ---------------------------------------------------------------

b64url() {
	base64 -w0 | tr '+/' '-_' | tr -d '='
}

b64url_decode() {
	_s=$(printf '%s' "$1" | tr -- '-_' '+/')
	case $((${#_s} % 4)) in
	2)	_s="$_s==" ;;
	3)	_s="$_s=" ;;
	esac
	printf '%s' "$_s" | base64 -d
}

hs256() {	# hs256 KEY DATA: the base64url HMAC-SHA256
	printf '%s' "$2" | openssl dgst -sha256 -hmac "$1" -binary | b64url
}

# token ARGS...: GET /auth/token?ARGS (curl args allowed after the
# query); expect 200 and set $TOKEN and $CLAIMS (the decoded payload).
token() {
	_q=$1
	shift
	expect_status 200 "$@" "$URL/auth/token?service=$SVC&$_q"
	case $(header Content-Type) in
	application/json*)	;;
	*)	fail "token Content-Type is '$(header Content-Type)'" ;;
	esac
	TOKEN=$(jq -er .token "$T/body") || fail "no token: $(cat "$T/body")"
	[ "$(jq -r .access_token "$T/body")" = "$TOKEN" ] ||
	    fail "access_token differs from token"
	jq -e '(.expires_in | type) == "number" and (.issued_at |
	    test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"))' \
	    "$T/body" >/dev/null || fail "bad expires_in/issued_at: $(cat "$T/body")"
	CLAIMS=$(b64url_decode "$(echo "$TOKEN" | cut -d. -f2)")
}

# access_is JSON: the token's access claim equals JSON.
access_is() {
	printf '%s' "$CLAIMS" | jq -e --argjson want "$1" '.access == $want' \
	    >/dev/null || fail "access is $(printf '%s' "$CLAIMS" |
	    jq -c .access), not $1"
}

challenge_is() {
	[ "$(header WWW-Authenticate)" = "$1" ] ||
	    fail "WWW-Authenticate is '$(header WWW-Authenticate)', not '$1'"
}

bearer() {
	printf 'Authorization: Bearer %s' "$1"
}

# post_upload STATUS REPO CURL-ARGS...: POST a bodiless upload start.
post_upload() {
	_st=$1
	_repo=$2
	shift 2
	expect_status "$_st" -X POST -H 'Content-Length: 0' "$@" \
	    "$V2/$_repo/blobs/uploads/"
}

# --- 1. A write user, short tokens -------------------------------------------

registry_conf 300
start_registry
oci_init
REALM="$URL/auth/token"

note "GET /v2/ without credentials: 401 and the Bearer challenge"
expect_err 401 UNAUTHORIZED "$V2/"
challenge_is "Bearer realm=\"$REALM\",service=\"$SVC\""
note "a write without credentials: 401 naming the scope"
post_upload 401 t/img
err_code_is UNAUTHORIZED
challenge_is "Bearer realm=\"$REALM\",service=\"$SVC\",scope=\"repository:t/img:pull,push\""
note "a pull without credentials: anonymous, so the clean 404 of a mirror"
expect_err 404 MANIFEST_UNKNOWN "$V2/t/img/manifests/latest"

note "anonymous pull token"
token "scope=repository:t/img:pull"
access_is '[{"type":"repository","name":"t/img","actions":["pull"]}]'
printf '%s' "$CLAIMS" | jq -e --arg s "$SVC" '.iss == $s and .aud == $s and
    .sub == "" and .exp - .iat == 300 and .nbf == .iat and
    (.jti | length) >= 16' >/dev/null || fail "claims: $CLAIMS"
[ "$(jq -r .expires_in "$T/body")" = 300 ] || fail "expires_in is not 300"
ANON=$TOKEN
expect_err 404 MANIFEST_UNKNOWN -H "$(bearer "$ANON")" \
    "$V2/t/img/manifests/latest"
expect_status 200 -H "$(bearer "$ANON")" "$V2/"
note "...but not for a push: 401 insufficient_scope, a login would help"
post_upload 401 t/img -H "$(bearer "$ANON")"
err_code_is UNAUTHORIZED
challenge_is "Bearer realm=\"$REALM\",service=\"$SVC\",scope=\"repository:t/img:pull,push\",error=\"insufficient_scope\""

note "push scope without credentials: 401 at the token endpoint"
expect_err 401 UNAUTHORIZED "$URL/auth/token?service=$SVC&scope=repository:t/img:pull,push"
case $(header WWW-Authenticate) in
Basic\ *)	;;
*)	fail "token endpoint challenge: '$(header WWW-Authenticate)'" ;;
esac
note "push scope with a wrong password: 401, no silent downgrade"
expect_err 401 UNAUTHORIZED -u "$WUSER:nope" \
    "$URL/auth/token?service=$SVC&scope=repository:t/img:pull,push"
note "login (no scope): wrong password 401, none 401, right one 200"
expect_err 401 UNAUTHORIZED -u "$WUSER:p:ss" "$URL/auth/token?service=$SVC"
expect_err 401 UNAUTHORIZED "$URL/auth/token?service=$SVC&account=$WUSER"
token "account=$WUSER" -u "$WUSER:$WPASS"
access_is '[]'
expect_status 200 -H "$(bearer "$TOKEN")" "$V2/"
note "pull scope with a wrong password: still a pull token (mirrors)"
token "scope=repository:t/img:pull" -u "$WUSER:nope"
access_is '[{"type":"repository","name":"t/img","actions":["pull"]}]'

note "push token: upload POST 202, then PUT 201"
token "scope=repository:t/img:pull,push" -u "$WUSER:$WPASS"
access_is '[{"type":"repository","name":"t/img","actions":["pull","push"]}]'
printf '%s' "$CLAIMS" | jq -e '.sub == "pusher"' >/dev/null ||
    fail "sub: $CLAIMS"
PUSH=$TOKEN
printf 'auth blob\n' >"$T/blob"
DIG=$(digest_of "$T/blob")
post_upload 202 t/img -H "$(bearer "$PUSH")"
LOC=$(abs_url "$(header Location)")
expect_status 201 -X PUT -H "$(bearer "$PUSH")" \
    -H 'Content-Type: application/octet-stream' --data-binary @"$T/blob" \
    "$(add_query "$LOC" "digest=$DIG")"
expect_status 200 -H "$(bearer "$ANON")" "$V2/t/img/blobs/$DIG"
[ "$(cat "$T/body")" = "auth blob" ] || fail "blob body: $(cat "$T/body")"

note "a push token for t/img does not push to t/other: a wider one would"
post_upload 401 t/other -H "$(bearer "$PUSH")"
err_code_is UNAUTHORIZED
challenge_is "Bearer realm=\"$REALM\",service=\"$SVC\",scope=\"repository:t/other:pull,push\",error=\"insufficient_scope\""
note "...nor delete in t/img"
expect_err 401 UNAUTHORIZED -X DELETE -H "$(bearer "$PUSH")" \
    "$V2/t/img/blobs/$DIG"
challenge_is "Bearer realm=\"$REALM\",service=\"$SVC\",scope=\"repository:t/img:delete\",error=\"insufficient_scope\""
note "a mount from t/img: pull on the source is anonymous here"
token "scope=repository:t/mnt:pull,push" -u "$WUSER:$WPASS"
post_upload 201 "t/mnt" -H "$(bearer "$TOKEN")" \
    -G --data-urlencode "mount=$DIG" --data-urlencode "from=t/img"
note "...but pulls elsewhere are anonymous anyway"
expect_err 404 MANIFEST_UNKNOWN -H "$(bearer "$PUSH")" \
    "$V2/t/other/manifests/latest"

note "forged (another key), alg none, tampered: 401 invalid_token"
HDR=$(echo "$PUSH" | cut -d. -f1)
PAY=$(echo "$PUSH" | cut -d. -f2)
FORGED="$HDR.$PAY.$(hs256 not-the-secret-0123456789 "$HDR.$PAY")"
NONE_HDR=$(printf '{"alg":"none","typ":"JWT"}' | b64url)
ALGNONE="$NONE_HDR.$PAY."
ALGNONE_SIGNED="$NONE_HDR.$PAY.$(hs256 "$SECRET" "$NONE_HDR.$PAY")"
EVIL=$(printf '%s' "$CLAIMS" | jq -c '.access[0].name = "t/other"' | b64url)
TAMPERED="$HDR.$EVIL.$(echo "$PUSH" | cut -d. -f3)"
for bad in "$FORGED" "$ALGNONE" "$ALGNONE_SIGNED" "$TAMPERED" \
    "$HDR.$PAY" "$PUSH.x" "garbage" "$PUSH="; do
	post_upload 401 t/img -H "$(bearer "$bad")"
	err_code_is UNAUTHORIZED
	challenge_is "Bearer realm=\"$REALM\",service=\"$SVC\",scope=\"repository:t/img:pull,push\",error=\"invalid_token\""
	expect_err 401 UNAUTHORIZED -H "$(bearer "$bad")" \
	    "$V2/t/img/manifests/latest"
done
post_upload 401 t/other -H "$(bearer "$TAMPERED")"
note "the genuine token, for contrast, still works"
post_upload 202 t/img -H "$(bearer "$PUSH")"

note "Basic credentials directly on /v2"
expect_status 200 -u "$WUSER:$WPASS" "$V2/"
post_upload 202 t/basic -u "$WUSER:$WPASS"
post_upload 401 t/basic -u "$WUSER:nope"
expect_err 401 UNAUTHORIZED -u "$WUSER:nope" "$V2/"

note "scopes: repeated, space-separated, malformed, catalog, POST form"
token "scope=repository:a:pull&scope=repository:b:push,pull%20repository:quay.io/x/y:pull&scope=repository:a:push" \
    -u "$WUSER:$WPASS"
access_is '[{"type":"repository","name":"a","actions":["pull","push"]},
    {"type":"repository","name":"b","actions":["pull","push"]},
    {"type":"repository","name":"quay.io/x/y","actions":["pull"]}]'
token "scope=repository:a&scope=repository:Bad:pull&scope=nonsense&scope=repository:c:pull"
access_is '[{"type":"repository","name":"c","actions":["pull"]}]'
token "scope=registry:catalog:*"
access_is '[{"type":"registry","name":"catalog","actions":["*"]}]'
expect_status 400 "$URL/auth/token?scope=repository:a:pull%zz"
expect_status 200 -X POST --data-urlencode grant_type=password \
    --data-urlencode "username=$WUSER" --data-urlencode "password=$WPASS" \
    --data-urlencode "scope=repository:t/img:pull,push" \
    --data-urlencode "service=$SVC" "$URL/auth/token"
TOKEN=$(jq -r .access_token "$T/body")
post_upload 202 t/img -H "$(bearer "$TOKEN")"
expect_err 401 UNAUTHORIZED -X POST --data-urlencode grant_type=password \
    --data-urlencode "username=$WUSER" --data-urlencode "password=nope" \
    --data-urlencode "scope=repository:t/img:pull,push" "$URL/auth/token"
note "a POST's grant counts only in its form body (RFC 6749), not the query"
QPASS=$(printf '%s' "$WPASS" | jq -sRr @uri)
expect_err 401 UNAUTHORIZED -X POST -H 'Content-Length: 0' \
    "$URL/auth/token?grant_type=password&username=$WUSER&password=$QPASS&scope=repository:t/img:pull,push&service=$SVC"
expect_err 401 UNAUTHORIZED -X POST \
    -H 'Content-Type: application/x-www-form-urlencoded' \
    --data "scope=repository:t/img:pull,push" \
    "$URL/auth/token?grant_type=password&username=$WUSER&password=$QPASS"
note "specreg logs no query string of /auth/"
grep -q 'POST /auth/token 401 ' "$T/specreg.log" ||
    fail "no log line for POST /auth/token: $(tail -3 "$T/specreg.log")"
if grep -e '/auth/token?' -e "$QPASS" -e "$WPASS" "$T/specreg.log"; then
	fail "specreg logged an /auth/ query string"
fi
# The shipped nginx and Apache files log /auth/ without its query too
# (lighttpd's has no access log; the test's own one logs everything).
case $SPECREG_FRONTEND in
nginx)			FRONT_ACCESS=$T/nginx-access.log ;;
apache-fcgid|apache-proxy)	FRONT_ACCESS=$T/apache-access.log ;;
*)			FRONT_ACCESS= ;;
esac
if [ -n "$FRONT_ACCESS" ]; then
	note "...nor does the shipped front end's access log"
	grep -q '"POST /auth/token ' "$FRONT_ACCESS" ||
	    fail "no /auth/token line in $FRONT_ACCESS"
	if grep -e '/auth/token?' -e "$QPASS" "$FRONT_ACCESS"; then
		fail "$FRONT_ACCESS holds an /auth/ query string"
	fi
fi

# --- skopeo ------------------------------------------------------------------

# A tiny OCI image layout in $T/img, tag v1.
make_image() {
	mkdir -p "$T/img/blobs/sha256" "$T/rootfs"
	echo "hello from t0500" >"$T/rootfs/hello.txt"
	tar -C "$T/rootfs" --owner=0 --group=0 --mtime=@0 -cf "$T/layer.tar" \
	    hello.txt
	gzip -n -c "$T/layer.tar" >"$T/layer.tgz"
	_diff=$(digest_of "$T/layer.tar")
	printf '{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":["%s"]}}' \
	    "$_diff" >"$T/config.json"
	_ld=$(digest_of "$T/layer.tgz")
	_cd=$(digest_of "$T/config.json")
	cp "$T/layer.tgz" "$T/img/blobs/sha256/${_ld#sha256:}"
	cp "$T/config.json" "$T/img/blobs/sha256/${_cd#sha256:}"
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":%s}]}' \
	    "$_cd" "$(wc -c <"$T/config.json")" \
	    "$_ld" "$(wc -c <"$T/layer.tgz")" >"$T/manifest.json"
	IMG_DIGEST=$(digest_of "$T/manifest.json")
	cp "$T/manifest.json" "$T/img/blobs/sha256/${IMG_DIGEST#sha256:}"
	printf '{"imageLayoutVersion":"1.0.0"}' >"$T/img/oci-layout"
	printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"v1"}}]}' \
	    "$IMG_DIGEST" "$(wc -c <"$T/manifest.json")" >"$T/img/index.json"
}

# skopeo, as root in a private mount namespace so that its blob-info
# cache (/var/lib/containers) and auth state (/run/containers) stay out
# of the host; as another user, with HOME in $T.
SKOPEO_OK=0
if command -v skopeo >/dev/null 2>&1; then
	if [ "$(id -u)" != 0 ]; then
		SKOPEO_OK=1
	elif unshare --mount --propagation private true 2>/dev/null; then
		SKOPEO_OK=1
	fi
fi
printf '{"default":[{"type":"insecureAcceptAnything"}]}' >"$T/policy.json"
run_skopeo() {
	if [ "$(id -u)" != 0 ]; then
		HOME=$T skopeo --policy "$T/policy.json" "$@"
		return
	fi
	unshare --mount --propagation private sh -c '
	    mount -t tmpfs tmpfs /var/lib && mount -t tmpfs tmpfs /run &&
	    exec skopeo "$@"' skopeo --policy "$T/policy.json" "$@"
}
skopeo_ok() {	# skopeo_ok WHAT ARGS...: must succeed
	_what=$1
	shift
	run_skopeo "$@" >"$T/skopeo.out" 2>&1 ||
	    fail "skopeo $_what failed: $(tail -5 "$T/skopeo.out")"
}
# make_raw_image: $T/raw, an OCI layout (tag v1) whose layer is an
# uncompressed tar that skopeo compresses on push.
make_raw_image() {
	mkdir -p "$T/raw/blobs/sha256"
	echo "raw layer of t0500" >"$T/rootfs/raw.txt"
	tar -C "$T/rootfs" --owner=0 --group=0 --mtime=@0 -cf "$T/raw.tar" \
	    raw.txt
	_rd=$(digest_of "$T/raw.tar")
	cp "$T/raw.tar" "$T/raw/blobs/sha256/${_rd#sha256:}"
	printf '{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":["%s"]}}' \
	    "$_rd" >"$T/raw-config.json"
	_cd=$(digest_of "$T/raw-config.json")
	cp "$T/raw-config.json" "$T/raw/blobs/sha256/${_cd#sha256:}"
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%s}]}' \
	    "$_cd" "$(wc -c <"$T/raw-config.json")" \
	    "$_rd" "$(wc -c <"$T/raw.tar")" >"$T/raw-manifest.json"
	_md=$(digest_of "$T/raw-manifest.json")
	cp "$T/raw-manifest.json" "$T/raw/blobs/sha256/${_md#sha256:}"
	printf '{"imageLayoutVersion":"1.0.0"}' >"$T/raw/oci-layout"
	printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"v1"}}]}' \
	    "$_md" "$(wc -c <"$T/raw-manifest.json")" >"$T/raw/index.json"
}

# skopeo_push_twice REPO1 REPO2: push $T/raw as the write user to REPO1,
# then REPO2, with one blob-info cache.  The first push compresses the
# layer; the second finds the compressed one only in REPO1 and mounts
# it from there as podman and docker do (HEAD on REPO1, then POST
# ?mount=&from=, with a token for both repositories).
skopeo_push_twice() {
	if [ "$(id -u)" != 0 ]; then
		for _r in "$1" "$2"; do
			skopeo_ok "push to $_r" copy --dest-tls-verify=false \
			    --dest-creds "$WUSER:$WPASS" "oci:$T/raw:v1" \
			    "docker://$HOSTPORT/$_r:v1"
		done
		return
	fi
	# shellcheck disable=SC2016
	unshare --mount --propagation private sh -c '
	    mount -t tmpfs tmpfs /var/lib && mount -t tmpfs tmpfs /run &&
	    mkdir -p /var/lib/containers/cache || exit 1
	    for r in "$4" "$5"; do
		skopeo --policy "$1/policy.json" copy --dest-tls-verify=false \
		    --dest-creds "$2" "oci:$1/raw:v1" "docker://$3/$r:v1" ||
		    exit 1
	    done' sh "$T" "$WUSER:$WPASS" "$HOSTPORT" "$1" "$2" \
	    >"$T/skopeo.out" 2>&1 ||
	    fail "skopeo push to $1, $2: $(tail -5 "$T/skopeo.out")"
}
skopeo_fails() {	# skopeo_fails WHAT ERE ARGS...: must fail saying ERE
	_what=$1
	_why=$2
	shift 2
	run_skopeo "$@" >"$T/skopeo.out" 2>&1 &&
	    fail "skopeo $_what succeeded but should not have"
	grep -Eqi -- "$_why" "$T/skopeo.out" ||
	    fail "skopeo $_what failed, but not with /$_why/:" \
	    "$(tail -3 "$T/skopeo.out")"
}
AUTH_RE='unauthorized|authentication required|invalid username/password|401'
DENIED_RE='denied|403'
pulled_digest() {	# the manifest digest in the OCI layout $1
	jq -r '.manifests[0].digest' "$1/index.json"
}

if [ "$SKOPEO_OK" = 1 ]; then
	make_image
	SK=docker://$HOSTPORT/t/skopeo:v1
	note "skopeo login: the write user; a wrong password fails"
	printf '%s' "$WPASS" | skopeo_ok login login --tls-verify=false \
	    --authfile "$T/auth.json" -u "$WUSER" --password-stdin "$HOSTPORT"
	printf 'nope' | skopeo_fails "login, wrong password" "$AUTH_RE" \
	    login --tls-verify=false --authfile "$T/auth2.json" \
	    -u "$WUSER" --password-stdin "$HOSTPORT"
	note "skopeo copy: no push without, or with foreign, credentials"
	skopeo_fails "push, no credentials" "$AUTH_RE" \
	    copy --dest-tls-verify=false "oci:$T/img:v1" "$SK"
	skopeo_fails "push, foreign credentials" "$AUTH_RE" \
	    copy --dest-tls-verify=false --dest-creds "hubuser:hub-password" "oci:$T/img:v1" "$SK"
	note "skopeo copy --dest-creds: push as the write user"
	skopeo_ok push copy --dest-tls-verify=false \
	    --dest-creds "$WUSER:$WPASS" "oci:$T/img:v1" "$SK"
	note "skopeo: anonymous pull, and a pull with someone else's creds"
	skopeo_ok "pull, anonymous" copy --src-tls-verify=false "$SK" \
	    "oci:$T/pull1:v1"
	[ "$(pulled_digest "$T/pull1")" = "$IMG_DIGEST" ] ||
	    fail "pulled $(pulled_digest "$T/pull1"), pushed $IMG_DIGEST"
	skopeo_ok "pull, foreign credentials" copy --src-tls-verify=false \
	    --src-creds "hubuser:hub-password" "$SK" "oci:$T/pull2:v1"
	[ "$(pulled_digest "$T/pull2")" = "$IMG_DIGEST" ] ||
	    fail "pulled $(pulled_digest "$T/pull2"), pushed $IMG_DIGEST"
	note "skopeo: a missing image is a clean failure, not an auth error"
	skopeo_fails "pull, missing" "manifest unknown" \
	    copy --src-tls-verify=false "docker://$HOSTPORT/t/none:v1" \
	    "oci:$T/pull3:v1"
else
	note "skopeo or a private mount namespace unavailable: skipped"
fi

# --- 2. Restricted mode --------------------------------------------------------

registry_conf 300 restricted
restart_registry

note "restricted: no anonymous pulls, no anonymous pull tokens"
expect_err 401 UNAUTHORIZED "$V2/t/img/blobs/$DIG"
challenge_is "Bearer realm=\"$REALM\",service=\"$SVC\",scope=\"repository:t/img:pull\""
expect_err 401 UNAUTHORIZED "$URL/auth/token?service=$SVC&scope=repository:t/img:pull"
expect_err 401 UNAUTHORIZED -u "$RUSER:nope" \
    "$URL/auth/token?service=$SVC&scope=repository:t/img:pull"
expect_err 401 UNAUTHORIZED "$V2/_catalog"

note "restricted: the read user (sha512-crypt password) pulls"
token "scope=repository:t/img:pull" -u "$RUSER:$RPASS"
access_is '[{"type":"repository","name":"t/img","actions":["pull"]}]'
expect_status 200 -H "$(bearer "$TOKEN")" "$V2/t/img/blobs/$DIG"
expect_err 404 MANIFEST_UNKNOWN -H "$(bearer "$TOKEN")" \
    "$V2/t/img/manifests/latest"
note "...with that token only where it was granted: a wider one would do"
expect_err 401 UNAUTHORIZED -H "$(bearer "$TOKEN")" \
    "$V2/t/other/manifests/latest"
challenge_is "Bearer realm=\"$REALM\",service=\"$SVC\",scope=\"repository:t/other:pull\",error=\"insufficient_scope\""
expect_err 401 UNAUTHORIZED -H "$(bearer "$TOKEN")" "$V2/_catalog"
challenge_is "Bearer realm=\"$REALM\",service=\"$SVC\",scope=\"registry:catalog:*\",error=\"insufficient_scope\""
token "scope=registry:catalog:*" -u "$RUSER:$RPASS"
expect_status 200 -H "$(bearer "$TOKEN")" "$V2/_catalog"
token "scope=repository:t/img:pull" -u "$RUSER:$RPASS"
expect_status 200 -u "$RUSER:$RPASS" "$V2/t/img/blobs/$DIG"
token "account=$RUSER" -u "$RUSER:$RPASS"
expect_status 200 -H "$(bearer "$TOKEN")" "$V2/"

note "restricted: the read user may not push"
token "scope=repository:t/img:pull,push" -u "$RUSER:$RPASS"
access_is '[{"type":"repository","name":"t/img","actions":["pull"]}]'
post_upload 403 t/img -H "$(bearer "$TOKEN")"
err_code_is DENIED
post_upload 403 t/img -u "$RUSER:$RPASS"
err_code_is DENIED
note "restricted: the write user still pushes"
token "scope=repository:t/img:pull,push" -u "$WUSER:$WPASS"
post_upload 202 t/img -H "$(bearer "$TOKEN")"

note "restricted: a mount needs pull on the source in the token"
post_upload 401 t/mnt2 -H "$(bearer "$TOKEN")" \
    -G --data-urlencode "mount=$DIG" --data-urlencode "from=t/img"
challenge_is "Bearer realm=\"$REALM\",service=\"$SVC\",scope=\"repository:t/mnt2:pull,push repository:t/img:pull\",error=\"insufficient_scope\""
token "scope=repository:t/mnt2:pull,push" -u "$WUSER:$WPASS"
post_upload 401 t/mnt2 -H "$(bearer "$TOKEN")" \
    -G --data-urlencode "mount=$DIG" --data-urlencode "from=t/img"
challenge_is "Bearer realm=\"$REALM\",service=\"$SVC\",scope=\"repository:t/mnt2:pull,push repository:t/img:pull\",error=\"insufficient_scope\""
note "...which docker and podman ask for with the target's scope: 201"
token "scope=repository:t/mnt2:pull,push&scope=repository:t/img:pull" \
    -u "$WUSER:$WPASS"
post_upload 201 t/mnt2 -H "$(bearer "$TOKEN")" \
    -G --data-urlencode "mount=$DIG" --data-urlencode "from=t/img"
expect_status 200 -H "$(bearer "$TOKEN")" -I "$V2/t/mnt2/blobs/$DIG"
note "...and a user who may never push gets 403, whatever the source"
post_upload 403 t/mnt3 -u "$RUSER:$RPASS" \
    -G --data-urlencode "mount=$DIG" --data-urlencode "from=t/img"
err_code_is DENIED

note "restricted: a pull token for one repository reads no other's blobs"
token "scope=repository:t/mine:pull" -u "$RUSER:$RPASS"
expect_err 404 BLOB_UNKNOWN -H "$(bearer "$TOKEN")" "$V2/t/mine/blobs/$DIG"
expect_status 404 -H "$(bearer "$TOKEN")" -I "$V2/t/mine/blobs/$DIG"
expect_err 401 UNAUTHORIZED -H "$(bearer "$TOKEN")" "$V2/t/img/blobs/$DIG"

note "restricted: tokens from before the restart"
expect_err 401 UNAUTHORIZED -H "$(bearer "$ANON")" "$V2/t/img/blobs/$DIG"
post_upload 202 t/img -H "$(bearer "$PUSH")"

if [ "$SKOPEO_OK" = 1 ]; then
	note "restricted: skopeo login, push and pull with the read user"
	SK=docker://$HOSTPORT/t/skopeo:v1
	printf '%s' "$RPASS" | skopeo_ok "login, read user" login \
	    --tls-verify=false --authfile "$T/auth3.json" -u "$RUSER" \
	    --password-stdin "$HOSTPORT"
	skopeo_fails "push, read user" "$DENIED_RE" \
	    copy --dest-tls-verify=false --dest-creds "$RUSER:$RPASS" "oci:$T/img:v1" "$SK"
	skopeo_ok "pull, read user" copy --src-tls-verify=false \
	    --src-creds "$RUSER:$RPASS" "$SK" "oci:$T/pull4:v1"
	[ "$(pulled_digest "$T/pull4")" = "$IMG_DIGEST" ] ||
	    fail "pulled $(pulled_digest "$T/pull4"), pushed $IMG_DIGEST"
	skopeo_fails "pull, anonymous, restricted" "$AUTH_RE" \
	    copy --src-tls-verify=false "$SK" "oci:$T/pull5:v1"
	note "restricted: skopeo mounts a layer across repositories"
	make_raw_image
	skopeo_push_twice t/raw t/mounted
	grep -q 'POST /v2/t/mounted/blobs/uploads/?[^ ]*mount=[^ ]* 201 ' \
	    "$T/specreg.log" ||
	    fail "skopeo did not mount into t/mounted: $(grep t/mounted \
	    "$T/specreg.log" | tail -5)"
	grep -q 'POST /v2/t/mounted/blobs/uploads/[^ ]* 40[13] ' \
	    "$T/specreg.log" && fail "a mount into t/mounted was refused"
fi

# --- 3. Short-lived tokens ---------------------------------------------------------

# Long enough that a loaded CI machine still uses the token in time.
registry_conf 8
restart_registry
note "tokens expire (lifetime 8 s)"
token "scope=repository:t/img:pull,push" -u "$WUSER:$WPASS"
[ "$(jq -r .expires_in "$T/body")" = 8 ] || fail "expires_in is not 8"
SHORT=$TOKEN
post_upload 202 t/img -H "$(bearer "$SHORT")"
sleep 9
post_upload 401 t/img -H "$(bearer "$SHORT")"
challenge_is "Bearer realm=\"$REALM\",service=\"$SVC\",scope=\"repository:t/img:pull,push\",error=\"invalid_token\""
expect_err 401 UNAUTHORIZED -H "$(bearer "$SHORT")" "$V2/t/img/blobs/$DIG"
exit 0
