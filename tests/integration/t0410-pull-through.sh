#!/bin/sh
# specreg as a pull-through cache ([upstream]): what specreg lacks it
# fetches from the upstream of the repository's registry host, and what
# was pushed to specreg always wins.  Two upstreams on 127.0.0.1:
#   docker.io  CNCF distribution (Debian's docker-registry), anonymous
#   quay.io    a second specreg in restricted mode: the token dance, with
#              the read user's credentials from specreg's [upstream]
#   bad.test   the same specreg with a wrong password
#   liar.test  t0410-liar.py: wrong digests, wrong blob bytes, redirects,
#              a 500, a Basic challenge, a blob without end, tags lists
#              in pages (Link: rel="next"), one linking to another
#              host, one without end
# Checked: manifests by tag and digest (headers, exact bytes), blobs
# streamed and then served locally with the upstream gone, a manifest
# fetched by digest kept, the upstream's tags listed (every page, 100
# pages at most, on the upstream's host only), a local push winning,
# clean 404s for what nobody has, a clean 503 when the upstream is down
# or refuses us (never its 401), skopeo copy through specreg, no
# wrong byte kept from a lying upstream, and specreg prefetch in
# restricted mode.
# storage: filesystem
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/oci.sh"

need_cmd docker-registry lighttpd jq python3
SECRET=t0410-secret-0123456789abcdef
WUSER=pusher
WPASS=push-pw
RUSER=reader
RPASS='read pw:1'		# ' ' and ':' on purpose
MAIN_T=$T
UPID=
LIAR=
AUTH_POOL=
AUTH_FRONT=

# stop_auth: stop the quay.io upstream (a specreg pool and lighttpd).
stop_auth() {
	[ -z "$AUTH_FRONT" ] || stop_pid "$AUTH_FRONT"
	AUTH_FRONT=
	_sa_main=$SPECREG_PID
	SPECREG_PID=$AUTH_POOL
	stop_pool
	SPECREG_PID=$_sa_main
	AUTH_POOL=
}

t0410_cleanup() {
	_tc_rc=$1
	T=$MAIN_T
	[ -z "$UPID" ] || stop_pid "$UPID"
	[ -z "$LIAR" ] || stop_pid "$LIAR"
	stop_auth
	lib_cleanup "$_tc_rc"
}
trap 't0410_cleanup $?' EXIT

note "start the docker.io upstream (distribution) on 127.0.0.1"
UP=$T/upstream
distribution_start "$UP"
UPSTREAM=http://127.0.0.1:$UPORT
expect_status 200 "$UPSTREAM/v2/"

note "start the lying upstream"
randfile "$T/good" 150000
for _ in 1 2 3 4 5; do
	LPORT=$(free_port)
	python3 "$top_srcdir/tests/integration/t0410-liar.py" "$LPORT" \
	    "$T/good" "$T/liar.log" </dev/null >>"$T/liar.out" 2>&1 &
	LIAR=$!
	if wait_listening "127.0.0.1:$LPORT" "$LIAR"; then
		break
	fi
	LIAR=
done
[ -n "$LIAR" ] || harness_error "t0410-liar.py did not start: $(tail "$T/liar.out")"
expect_status 200 "http://127.0.0.1:$LPORT/v2/"

note "start the quay.io upstream (specreg, restricted, lighttpd)"
T=$MAIN_T/auth
DATA=$T/data
mkdir -p "$DATA" "$T/tmp" "$T/www"
# start_registry leaves what the front end set: keep the main one's.
SAVED_FE=$SPECREG_FRONTEND
SAVED_SENDFILE=$FRONT_SENDFILE
SAVED_SPAWNS=$FRONT_SPAWNS
SPECREG_FRONTEND=lighttpd
SPECREG_INI_EXTRA="[registry]
secret = $SECRET
[user \"$WUSER\"]
password = $WPASS
access = write
[user \"$RUSER\"]
password = $RPASS
access = read"
start_registry
AUTH=$URL
AUTH_POOL=$SPECREG_PID
AUTH_FRONT=$FRONT_PID
SPECREG_PID=
FRONT_PID=
SPECREG_FRONTEND=$SAVED_FE
FRONT_SENDFILE=$SAVED_SENDFILE
FRONT_SPAWNS=$SAVED_SPAWNS
T=$MAIN_T
DATA=$T/data
expect_status 401 "$AUTH/v2/org/qimg/tags/list"

note "start specreg with both upstreams"
SPECREG_INI_EXTRA="[upstream]
docker.io = $UPSTREAM/
quay.io = $AUTH
quay.io.username = $RUSER
quay.io.password = $RPASS
bad.test = $AUTH
bad.test.username = $RUSER
bad.test.password = wrong
liar.test = http://127.0.0.1:$LPORT
liar.test.username = liar
liar.test.password = lies
timeout = 5"
# One worker: its token cache is then the only one (checked below).
SPECREG_WORKERS=1 start_registry
oci_init

# mkimg NAME N BIG: config and N layers ($T/NAME.cfg, $T/NAME.l<i>, the
# first BIG bytes long), OCI manifest $T/NAME.json.  Nothing is pushed.
mkimg() {
	printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{"Labels":{"n":"%s-%s"}}}' \
	    "$1" "$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')" >"$T/$1.cfg"
	_mi_layers=
	_mi_i=1
	while [ "$_mi_i" -le "$2" ]; do
		if [ "$_mi_i" = 1 ]; then
			randfile "$T/$1.l1" "$3"
		else
			randfile "$T/$1.l$_mi_i" $((_mi_i * 1000 + 17))
		fi
		_mi_layers="$_mi_layers${_mi_layers:+,}$(blob_desc "$OCI_LAYER" "$T/$1.l$_mi_i")"
		_mi_i=$((_mi_i + 1))
	done
	printf '{"schemaVersion":2,"mediaType":"%s","config":%s,"layers":[%s]}' \
	    "$OCI" "$(blob_desc "$OCI_CONFIG" "$T/$1.cfg")" "$_mi_layers" \
	    >"$T/$1.json"
}

# push_to BASE REPO FILE [CURL-ARGS]: monolithic push of a blob.
push_to() {
	_pt_b=$1
	_pt_r=$2
	_pt_f=$3
	shift 3
	expect_status 202 -X POST -H 'Content-Length: 0' "$@" \
	    "$_pt_b/v2/$_pt_r/blobs/uploads/"
	_pt_loc=$(header Location)
	case $_pt_loc in
	/*)	_pt_loc=$_pt_b$_pt_loc ;;
	esac
	expect_status 201 -X PUT -H 'Content-Type: application/octet-stream' \
	    --data-binary "@$_pt_f" "$@" \
	    "$(add_query "$_pt_loc" "digest=$(digest_of "$_pt_f")")"
}

# push_img BASE REPO TAG NAME N [CURL-ARGS]: blobs, then the manifest.
push_img() {
	_pi_b=$1
	_pi_r=$2
	_pi_t=$3
	_pi_n=$4
	_pi_c=$5
	shift 5
	push_to "$_pi_b" "$_pi_r" "$T/$_pi_n.cfg" "$@"
	_pi_i=1
	while [ "$_pi_i" -le "$_pi_c" ]; do
		push_to "$_pi_b" "$_pi_r" "$T/$_pi_n.l$_pi_i" "$@"
		_pi_i=$((_pi_i + 1))
	done
	expect_status 201 -X PUT -H "Content-Type: $OCI" \
	    --data-binary "@$T/$_pi_n.json" "$@" \
	    "$_pi_b/v2/$_pi_r/manifests/$_pi_t"
}

# up_requests PATH: how many requests for PATH distribution logged.
up_requests() {
	grep -c "\"[A-Z]* $1" "$UP/access.log"
}

# expect_blob REPO FILE: GET it through specreg, exact bytes.
expect_blob() {
	expect_status 200 "$V2/$1/blobs/$(digest_of "$2")"
	body_is_file "$2"
	hdr_is Docker-Content-Digest "$(digest_of "$2")"
}

mkimg a 2 3000017
mkimg b 1 100
mkimg q 2 70000
push_img "$UPSTREAM" test/img v1 a 2
push_img "$AUTH" org/qimg v1 q 2 -u "$WUSER:$WPASS"
DA=$(digest_of "$T/a.json")
DB=$(digest_of "$T/b.json")
DQ=$(digest_of "$T/q.json")

note "a manifest by tag comes from upstream, exact bytes and headers"
expect_status 200 -H "Accept: $OCI" "$V2/test/img/manifests/v1"
body_is_file "$T/a.json"
hdr_is Docker-Content-Digest "$DA"
hdr_is Content-Type "$OCI"
hdr_is Content-Length "$(size_of "$T/a.json")"
expect_status 200 -I "$V2/test/img/manifests/v1"
hdr_is Docker-Content-Digest "$DA"

note "the tags list is the upstream's"
expect_status 200 "$V2/test/img/tags/list"
[ "$(jq -c .tags "$T/body")" = '["v1"]' ] ||
    fail "tags: $(cat "$T/body")"

note "blobs: HEAD from upstream, GET streamed through and kept"
expect_status 200 -I "$V2/test/img/blobs/$(digest_of "$T/a.l1")"
hdr_is Content-Length 3000017
hdr_is Docker-Content-Digest "$(digest_of "$T/a.l1")"
expect_blob test/img "$T/a.l1"
expect_blob test/img "$T/a.l2"
expect_blob test/img "$T/a.cfg"
n=$(up_requests "/v2/test/img/blobs/$(digest_of "$T/a.l1")")
expect_blob test/img "$T/a.l1"
[ "$(up_requests "/v2/test/img/blobs/$(digest_of "$T/a.l1")")" = "$n" ] ||
    fail "a kept blob was fetched from upstream again"
# A kept blob belongs to the repository that pulled it.
expect_err 404 BLOB_UNKNOWN "$V2/other/repo/blobs/$(digest_of "$T/a.l1")"

note "a manifest by digest comes from upstream and is kept"
expect_status 200 -H "Accept: $OCI" "$V2/test/img/manifests/$DA"
body_is_file "$T/a.json"
hdr_is Docker-Content-Digest "$DA"
hdr_is Content-Type "$OCI"

if command -v skopeo >/dev/null 2>&1; then
	note "skopeo copy through specreg gets the upstream's image"
	HOME=$T/home skopeo copy --src-tls-verify=false \
	    "docker://$HOSTPORT/test/img:v1" "dir:$T/sk" \
	    >"$T/sk.out" 2>&1 || fail "skopeo copy: $(cat "$T/sk.out")"
	cmp -s "$T/sk/manifest.json" "$T/a.json" ||
	    fail "skopeo copy: another manifest"
	cmp -s "$T/sk/$(digest_of "$T/a.l1" | cut -d: -f2)" "$T/a.l1" ||
	    fail "skopeo copy: layer differs"
fi

note "what nobody has is a clean 404, with or without an upstream"
expect_err 404 MANIFEST_UNKNOWN "$V2/test/none/manifests/v1"
expect_err 404 MANIFEST_UNKNOWN "$V2/test/img/manifests/v2"
expect_err 404 MANIFEST_UNKNOWN "$V2/test/img/manifests/$DB"
expect_err 404 BLOB_UNKNOWN "$V2/test/img/blobs/$(digest_of "$T/b.l1")"
expect_status 404 -I "$V2/test/img/blobs/$(digest_of "$T/b.l1")"
expect_err 404 MANIFEST_UNKNOWN "$V2/ghcr.io/test/img/manifests/v1"

note "a local push wins over the upstream's tag"
push_img "$URL" test/img v1 b 1
n=$(up_requests /v2/test/img/manifests/v1)
expect_status 200 -H "Accept: $OCI" "$V2/test/img/manifests/v1"
body_is_file "$T/b.json"
hdr_is Docker-Content-Digest "$DB"
[ "$(up_requests /v2/test/img/manifests/v1)" = "$n" ] ||
    fail "the upstream was asked for a tag specreg has"
expect_status 200 "$V2/test/img/tags/list"
[ "$(jq -c .tags "$T/body")" = '["v1"]' ] ||
    fail "tags: $(cat "$T/body")"

note "the token dance: quay.io/... comes from the restricted specreg"
expect_status 200 -H "Accept: $OCI" "$V2/quay.io/org/qimg/manifests/v1"
body_is_file "$T/q.json"
hdr_is Docker-Content-Digest "$DQ"
expect_blob quay.io/org/qimg "$T/q.l1"
expect_status 200 -I "$V2/quay.io/org/qimg/blobs/$(digest_of "$T/q.l2")"
hdr_is Content-Length "$(size_of "$T/q.l2")"
grep -q "GET /v2/org/qimg/manifests/v1 200 .* user=$RUSER" \
    "$T/auth/specreg.log" ||
    fail "the upstream did not see the read user"
expect_err 404 MANIFEST_UNKNOWN "$V2/quay.io/org/qimg/manifests/nope"
# Only with our one-worker pool: mod_fcgid spawns specregs of its own.
# (The log leaves out /auth/ query strings: count the read user's.)
n=$(grep -c "GET /auth/token 200 .* user=$RUSER\$" "$T/auth/specreg.log")
[ "$FRONT_SPAWNS" = 1 ] || [ "$n" = 1 ] ||
    fail "$n token requests, not 1: the token was not reused"

note "restart specreg with four workers"
stop_frontend
stop_pool
SPECREG_WORKERS=4 start_registry
oci_init

note "three clients pulling one blob at once all get it whole"
randfile "$T/par" 2000003
push_to "$UPSTREAM" test/img "$T/par"
pd=$(digest_of "$T/par")
pids=
for i in 1 2 3; do
	curl -s -o "$T/par.$i" -w '%{http_code}' "$V2/test/img/blobs/$pd" \
	    >"$T/par.$i.code" &
	pids="$pids $!"
done
# shellcheck disable=SC2086
wait $pids
for i in 1 2 3; do
	[ "$(cat "$T/par.$i.code")" = 200 ] && cmp -s "$T/par.$i" "$T/par" ||
	    fail "parallel pull $i: $(cat "$T/par.$i.code")"
done
expect_blob test/img "$T/par"
# A Range on a miss: specreg sends the whole blob (200, which HTTP
# allows); lighttpd cuts the range out of that itself (206).
randfile "$T/rng" 5000
head -c 10 "$T/rng" >"$T/rng.10"
push_to "$UPSTREAM" test/img "$T/rng"
call -H 'Range: bytes=0-9' "$V2/test/img/blobs/$(digest_of "$T/rng")"
case $STATUS in
200)	body_is_file "$T/rng" ;;
206)	body_is_file "$T/rng.10" ;;
*)	fail "Range on a miss: $STATUS" ;;
esac
expect_status 206 -H 'Range: bytes=0-9' "$V2/test/img/blobs/$(digest_of "$T/rng")"
[ "$(size_of "$T/body")" = 10 ] || fail "a kept blob ignored Range"

note "refused credentials upstream are our 503, never a 401"
expect_err 503 UNAVAILABLE "$V2/bad.test/org/qimg/manifests/v1"
hdr_absent WWW-Authenticate
expect_err 503 UNAVAILABLE "$V2/bad.test/org/qimg/blobs/$(digest_of "$T/q.l2")"

note "an upstream tags list in pages: each followed, up to 100, on its host only"
expect_status 200 "$V2/liar.test/pages/x/tags/list"
[ "$(jq -c .tags "$T/body")" = '["t1","t2","t3","t4","t5"]' ] ||
    fail "paged tags: $(cat "$T/body")"
[ "$(grep -c '^GET /v2/pages/x/tags/list' "$T/liar.log")" = 3 ] ||
    fail "not 3 pages asked: $(grep tags/list "$T/liar.log")"
expect_status 200 "$V2/liar.test/pages/evil/tags/list"
[ "$(jq -c .tags "$T/body")" = '["t1","t2"]' ] ||
    fail "a Link to another host followed: $(cat "$T/body")"
expect_status 200 "$V2/liar.test/loop/x/tags/list"
[ "$(jq '.tags | length' "$T/body")" = 100 ] ||
    fail "endless tags pages: $(jq '.tags | length' "$T/body") tags"
[ "$(grep -c '^GET /v2/loop/x/tags/list' "$T/liar.log")" = 100 ] ||
    fail "endless tags pages: not 100 asked"

note "a lying upstream: its digests are not believed, its bytes not kept"
expect_status 200 -H "Accept: $OCI" "$V2/liar.test/x/manifests/v1"
hdr_is Docker-Content-Digest "$(digest_of "$T/body")"
expect_err 503 UNAVAILABLE "$V2/liar.test/x/manifests/sha256:$(printf '%064d' 0)"
randfile "$T/lie" 1000
hex=$(digest_of "$T/lie" | cut -d: -f2)
# Small: nothing went out yet, so a clean error.
expect_err 503 UNAVAILABLE "$V2/liar.test/small/x/blobs/sha256:$hex"
# Big: the last chunk is held back, so the client never gets it all.
call "$V2/liar.test/x/blobs/sha256:$hex"
[ "$(size_of "$T/body")" -lt 300000 ] ||
    fail "a wrong blob went out whole ($STATUS)"
[ -z "$(find "$DATA/blobs" -path "*$hex*")" ] ||
    fail "a wrong blob was kept"
# The redirect is followed; the blob is kept.
expect_blob liar.test/x "$T/good"
hex=$(digest_of "$T/good" | cut -d: -f2)
[ -n "$(find "$DATA/blobs" -path "*$hex*")" ] || fail "the blob was not kept"
grep -q '^GET /files/good$' "$T/liar.log" || fail "no redirect followed"
# A blob without a length is refused before a byte of it is kept:
# an endless body would fill the disk until the digest check.
expect_err 503 UNAVAILABLE -m 60 "$V2/liar.test/endless/x/blobs/$(digest_of "$T/lie")"
i=0
until grep -q '^endless: ' "$T/liar.log"; do
	i=$((i + 1))
	[ "$i" -le 100 ] || fail "the endless blob never ended"
	sleep 0.1
done
sent=$(sed -n 's/^endless: \([0-9]*\) bytes$/\1/p' "$T/liar.log")
[ "$sent" -lt 67108864 ] || fail "specreg took $sent bytes of an endless blob"
[ -z "$(find "$DATA/uploads" -type f -name data 2>/dev/null)" ] ||
    fail "an upload of the endless blob was left"
# An upstream 5xx is our 503; a Basic challenge gets the credentials.
expect_err 503 UNAVAILABLE "$V2/liar.test/fail/x/manifests/v1"
expect_err 503 UNAVAILABLE "$V2/liar.test/fail/x/blobs/$(digest_of "$T/lie")"
expect_status 200 "$V2/liar.test/basic/x/manifests/v1"
[ "$(grep -c '^GET /v2/basic/x/manifests/v1$' "$T/liar.log")" = 2 ] ||
    fail "no Basic retry: $(cat "$T/liar.log")"

note "specreg prefetch in restricted mode: an operator command, no HTTP login"
mkimg pf 1 1000
push_img "$UPSTREAM" test/pf v1 pf 1
{
	cat "$T/specreg.ini"
	printf '[registry]\nsecret = %s\n' "$SECRET"
	printf '[user "%s"]\npassword = %s\naccess = read\n' "$RUSER" "$RPASS"
} >"$T/restricted.ini"
as_store_owner "$SPECREG_BIN" -c "$T/restricted.ini" prefetch test/pf:v1 \
    >"$T/prefetch.out" 2>&1 ||
    fail "prefetch in restricted mode: $(cat "$T/prefetch.out")"
[ -f "$DATA/repos/test/pf/_cache/tags/v1" ] || fail "prefetch cached no tag"
for f in pf.cfg pf.l1; do
	h=$(digest_of "$T/$f" | cut -d: -f2)
	[ -f "$DATA/blobs/sha256/$(printf %.2s "$h")/$h" ] ||
	    fail "prefetch did not keep $f"
done

note "with the upstream down, what was kept is still served"
stop_pid "$UPID"
UPID=
expect_blob test/img "$T/a.l1"
expect_blob test/img "$T/a.l2"
expect_status 200 -H "Accept: $OCI" "$V2/test/img/manifests/$DA"
body_is_file "$T/a.json"
expect_status 200 -H "Accept: $OCI" "$V2/test/img/manifests/v1"
body_is_file "$T/b.json"

note "with the upstream down, a miss is a clean 503"
expect_err 503 UNAVAILABLE "$V2/test/img/manifests/v9"
randfile "$T/nobody" 99
expect_err 503 UNAVAILABLE "$V2/test/img/blobs/$(digest_of "$T/nobody")"
expect_status 503 -I "$V2/test/img/blobs/$(digest_of "$T/nobody")"

note "no upload was left behind, no 500 was answered"
[ -z "$(ls "$DATA/uploads" 2>/dev/null)" ] ||
    fail "uploads left: $(ls "$DATA/uploads")"
# apache-shared's specregs log to Apache's error log instead.
if [ "$SPECREG_FRONTEND" != apache-shared ]; then
	log_has_no_status '500|401'
fi

exit 0
