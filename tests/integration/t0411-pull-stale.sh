#!/bin/sh
# Pull-through that keeps serving when the upstream fails ([upstream]
# tag-ttl, stale-limit).  The upstream is CNCF distribution behind
# t0411-flaky.py, which is made to answer 500, 429 with Retry-After, to
# answer too slowly, and then is stopped.  Checked, with curl and with
# skopeo pulling by tag and by digest through specreg in each state
# (and podman as well with the upstream healthy, answering 429 and
# stopped):
#   - a tag is served from the cache within tag-ttl without a request
#     upstream; after it, a HEAD confirms it and a GET follows only when
#     the digest changed;
#   - 500, 429, a timeout and a refused connection serve the last
#     manifest held for the tag (counted in /metrics); a tag never held
#     is a clean 503; a 429 is remembered until its Retry-After, and the
#     upstream is not asked meanwhile, for manifests or blobs;
#   - manifests pulled by digest (an index's child) and blobs are kept
#     on the first pull and served with the upstream gone;
#   - tags lists hold the upstream's tags as well, cached and stale on
#     error like a tag; a local push shadows that one tag only;
#   - 16 clients pulling one uncached 64 MiB blob cost one upstream GET;
#   - specreg prefetch pulls every platform of an index, which is then
#     served with the upstream gone;
#   - a prune keeps the blobs of cached manifests;
#   - past stale-limit the answer is 503 again.
# Runs in private mount and PID namespaces (clients.sh).
. "$top_srcdir/tests/integration/clients.sh"
clients_reexec "$@"
# storage: filesystem
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/oci.sh"

need_cmd docker-registry jq python3 skopeo
TTL=5
MAIN_T=$T
UPID=
FLAKY=

t0411_cleanup() {
	_tc_rc=$1
	T=$MAIN_T
	[ -z "$FLAKY" ] || stop_pid "$FLAKY"
	[ -z "$UPID" ] || stop_pid "$UPID"
	lib_cleanup "$_tc_rc"
}
trap 't0411_cleanup $?' EXIT

note "start distribution and the flaky proxy in front of it"
UP=$T/upstream
distribution_start "$UP"
for _ in 1 2 3 4 5; do
	FPORT=$(free_port)
	python3 "$top_srcdir/tests/integration/t0411-flaky.py" "$FPORT" \
	    "http://127.0.0.1:$UPORT" "$T/mode" "$T/flaky.log" \
	    </dev/null >>"$T/flaky.out" 2>&1 &
	FLAKY=$!
	if wait_listening "127.0.0.1:$FPORT" "$FLAKY"; then
		break
	fi
	FLAKY=
done
[ -n "$FLAKY" ] || harness_error "t0411-flaky.py did not start: $(tail "$T/flaky.out")"
: >"$T/flaky.log"

SPECREG_INI_EXTRA="[upstream]
docker.io = http://127.0.0.1:$FPORT
timeout = 2
tag-ttl = $TTL"
SPECREG_WORKERS=4 start_registry
oci_init
clients_setup
MK="sh $top_srcdir/tests/integration/mkimage.sh"
REG=docker://$HOSTPORT
UREG=docker://127.0.0.1:$UPORT
FROM=--src-tls-verify=false

# mode WORDS: what the flaky upstream does from now on.
mode() {
	echo "$*" >"$T/mode"
}

# up METHOD PATH: requests the flaky upstream saw for exactly that.
up() {
	grep -c "^$1 $2 " "$T/flaky.log" || true
}

# stale: specreg_pull_through_stale_total.
stale() {
	curl -s "$URL/metrics" |
	    sed -n 's/^specreg_pull_through_stale_total \([0-9]*\)$/\1/p'
}

# expire: wait until every tag pulled so far is past tag-ttl.
expire() {
	sleep $((TTL + 1))
}

# tag_is REF DIGEST: specreg serves test/REF as DIGEST, those bytes.
tag_is() {
	expect_status 200 "$V2/test/$1"
	hdr_is Docker-Content-Digest "$2"
	[ "$(digest_of "$T/body")" = "$2" ] || fail "$1: body is not $2"
}

# tags_are REPO JSON: the tags of test/REPO through specreg.
tags_are() {
	expect_status 200 "$V2/test/$1/tags/list"
	[ "$(jq -c .tags "$T/body")" = "$2" ] ||
	    fail "test/$1 tags: $(cat "$T/body"), not $2"
}

# pull_ok REF DIGEST: skopeo copies test/REF through specreg, and its
# manifest is DIGEST.
pull_ok() {
	rm -rf "$T/pulled"
	cl_ok $SKOPEO copy $FROM "$REG/test/$1" "dir:$T/pulled"
	[ "$(digest_of "$T/pulled/manifest.json")" = "$2" ] ||
	    fail "skopeo pulled another manifest for $1"
}

# podman_ok REF DIGEST: podman pulls test/REF through specreg into an
# empty store, and the image's manifest is DIGEST.
podman_ok() {
	cl_ok podman rmi -a -f
	cl_ok podman pull --tls-verify=false "$HOSTPORT/test/$1"
	cl_ok podman image inspect --format '{{.Digest}}' "$HOSTPORT/test/$1"
	[ "$(cat "$CL/out")" = "$2" ] ||
	    fail "podman pulled $(cat "$CL/out") for $1, not $2"
}

note "seed the upstream: an image and a two-platform index"
da=$($MK oci "$T/a" v1 2 amd64 a) || fail "mkimage a"
db=$($MK oci "$T/b" v1 2 amd64 b) || fail "mkimage b"
dm=$($MK oci-index "$T/m" multi amd64 arm64) || fail "mkimage index"
cl_ok $SKOPEO copy --dest-tls-verify=false "oci:$T/a:v1" "$UREG/test/img:v1"
cl_ok $SKOPEO copy --dest-tls-verify=false "oci:$T/a:v1" "$UREG/test/img:old"
cl_ok $SKOPEO copy --all --dest-tls-verify=false "oci:$T/m:multi" \
    "$UREG/test/multi:multi"
jq -r '.manifests[] | select(.platform.architecture == "arm64") | .digest' \
    "$T/m/blobs/sha256/${dm#sha256:}" >"$T/arm"
darm=$(cat "$T/arm")

note "a tag is fetched once, then served from the cache within tag-ttl"
tag_is img/manifests/v1 "$da"
tag_is img/manifests/v1 "$da"
expect_status 200 -I "$V2/test/img/manifests/v1"
[ "$(up GET /v2/test/img/manifests/v1)" = 1 ] ||
    fail "a fresh tag was fetched again: $(cat "$T/flaky.log")"
[ "$(up HEAD /v2/test/img/manifests/v1)" = 0 ] ||
    fail "a fresh tag was checked upstream"
pull_ok img:v1 "$da"
pull_ok "img@$da" "$da"
podman_ok img:v1 "$da"
podman_ok "img@$da" "$da"
cl_ok $SKOPEO copy $FROM --override-arch arm64 "$REG/test/multi:multi" \
    "dir:$T/arm64"
[ "$(digest_of "$T/arm64/manifest.json")" = "$darm" ] ||
    fail "skopeo did not pull the arm64 image of the index"
[ "$(up GET "/v2/test/multi/manifests/$darm")" = 1 ] ||
    fail "the arm64 manifest was not fetched once by digest"

note "tags lists: the upstream's, merged with local tags, paginated"
tags_are img '["old","v1"]'
tags_are multi '["multi"]'
expect_status 200 "$V2/test/img/tags/list?n=1"
[ "$(jq -c .tags "$T/body")" = '["old"]' ] || fail "page 1: $(cat "$T/body")"
hdr_is Link '</v2/test/img/tags/list?n=1&last=old>; rel="next"'
expect_status 200 "$V2/test/img/tags/list?n=1&last=old"
[ "$(jq -c .tags "$T/body")" = '["v1"]' ] || fail "page 2: $(cat "$T/body")"
[ "$(up GET /v2/test/img/tags/list)" = 1 ] ||
    fail "a fresh tags list was fetched again"
cl_ok $SKOPEO copy --dest-tls-verify=false "oci:$T/b:v1" "$REG/test/img:local"
tags_are img '["local","old","v1"]'
# The local tag shadows that tag only.
tag_is img/manifests/local "$db"
tag_is img/manifests/v1 "$da"
cl_ok $SKOPEO inspect --tls-verify=false "$REG/test/img:v1"
[ "$(jq -c .RepoTags "$CL/out")" = '["local","old","v1"]' ] ||
    fail "skopeo inspect: $(cat "$CL/out")"

note "16 clients pull one uncached 64 MiB blob: one upstream GET"
randfile "$T/big" 67108864
big=$(digest_of "$T/big")
curl -s -o /dev/null -D "$T/up.h" -X POST -H 'Content-Length: 0' \
    "http://127.0.0.1:$UPORT/v2/test/img/blobs/uploads/"
loc=$(sed -n 's/^Location: *//Ip' "$T/up.h" | tr -d '\r')
case $loc in
/*)	loc=http://127.0.0.1:$UPORT$loc ;;
esac
expect_status 201 -X PUT -H 'Content-Type: application/octet-stream' \
    --data-binary "@$T/big" "$(add_query "$loc" "digest=$big")"
pids=
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do
	{ curl -s -m 120 "$V2/test/img/blobs/$big" | sha256sum >"$T/big.$i"; } &
	pids="$pids $!"
done
# shellcheck disable=SC2086
wait $pids
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do
	[ "sha256:$(cut -d' ' -f1 "$T/big.$i")" = "$big" ] ||
	    fail "client $i got another blob"
done
[ "$(up GET "/v2/test/img/blobs/$big")" = 1 ] ||
    fail "$(up GET "/v2/test/img/blobs/$big") upstream GETs of one blob"
[ -z "$(find "$DATA/pulls" -type f 2>/dev/null)" ] ||
    fail "pull locks left: $(find "$DATA/pulls" -type f)"

note "specreg prefetch pulls an index's every platform into the cache"
specreg_cli prefetch test/multi:multi \
    >"$T/prefetch.out" 2>&1 || fail "prefetch: $(cat "$T/prefetch.out")"
for dg in $(jq -r '.manifests[].digest' "$T/m/blobs/sha256/${dm#sha256:}"); do
	[ "$(up GET "/v2/test/multi/manifests/$dg")" = 1 ] ||
	    fail "prefetch did not get $dg once"
done
specreg_cli prefetch test/none:v1 \
    >"$T/prefetch.out" 2>&1 && fail "prefetch of nothing succeeded"
grep -q 'prefetch: GET /v2/test/none/manifests/v1: 404' "$T/prefetch.out" ||
    fail "prefetch: $(cat "$T/prefetch.out")"

note "past tag-ttl: a HEAD confirms the tag, no GET"
h0=$(up HEAD /v2/test/img/manifests/v1)
expire
tag_is img/manifests/v1 "$da"
[ "$(up HEAD /v2/test/img/manifests/v1)" = $((h0 + 1)) ] ||
    fail "no HEAD for an expired tag: $(cat "$T/flaky.log")"
[ "$(up GET /v2/test/img/manifests/v1)" = 1 ] ||
    fail "an unchanged tag was fetched again"
tag_is img/manifests/v1 "$da"
[ "$(up HEAD /v2/test/img/manifests/v1)" = $((h0 + 1)) ] ||
    fail "a confirmed tag was not fresh again"

note "the tag moves upstream: HEAD, then one GET"
cl_ok $SKOPEO copy --dest-tls-verify=false "oci:$T/b:v1" "$UREG/test/img:v1"
expire
tag_is img/manifests/v1 "$db"
[ "$(up GET /v2/test/img/manifests/v1)" = 2 ] ||
    fail "a moved tag was not fetched: $(cat "$T/flaky.log")"
pull_ok img:v1 "$db"

note "upstream 500: the last manifest of the tag, counted"
s0=$(stale)
mode 500
expire
tag_is img/manifests/v1 "$db"
pull_ok img:v1 "$db"
pull_ok "img@$db" "$db"
tags_are img '["local","old","v1"]'
[ "$(stale)" -gt "${s0:-0}" ] || fail "stale serving not counted: $(stale)"
grep -q "serving test/img:v1 as confirmed" "$T/specreg.log" ||
    fail "stale serving not logged"
expect_err 503 UNAVAILABLE "$V2/test/img/manifests/v9"

note "upstream 429: stale, and the upstream left alone until Retry-After"
mode 429 8
tag_is img/manifests/v1 "$db"
n=$(wc -l <"$T/flaky.log")
expect_err 503 UNAVAILABLE "$V2/test/img/manifests/v8"
randfile "$T/nobody" 99
expect_err 503 UNAVAILABLE "$V2/test/img/blobs/$(digest_of "$T/nobody")"
tag_is img/manifests/v1 "$db"
pull_ok img:v1 "$db"
podman_ok img:v1 "$db"
podman_ok "img@$db" "$db"
[ "$(wc -l <"$T/flaky.log")" = "$n" ] ||
    fail "the upstream was asked during Retry-After: $(tail -n 3 "$T/flaky.log")"
mode pass
sleep 8
tag_is img/manifests/v1 "$db"
[ "$(wc -l <"$T/flaky.log")" -gt "$n" ] ||
    fail "the upstream was not asked after Retry-After"

note "a slow upstream (past [upstream] timeout): stale"
mode slow 9
expire
t0=$(date +%s)
tag_is img/manifests/v1 "$db"
t1=$(date +%s)
[ $((t1 - t0)) -le 6 ] || fail "a slow upstream held the pull $((t1 - t0)) s"
mode pass

note "upstream stopped: tags, digests, an index's platform, blobs still served"
stop_pid "$FLAKY"
FLAKY=
expire
pull_ok img:v1 "$db"
pull_ok "img@$da" "$da"
podman_ok img:v1 "$db"
podman_ok "img@$da" "$da"
cl_ok $SKOPEO copy $FROM --override-arch arm64 "$REG/test/multi:multi" \
    "dir:$T/arm64b"
[ "$(digest_of "$T/arm64b/manifest.json")" = "$darm" ] ||
    fail "the arm64 image of the index is not served from the cache"
cl_ok $SKOPEO copy $FROM --override-arch amd64 "$REG/test/multi:multi" \
    "dir:$T/amd64"
tag_is "multi/manifests/$darm" "$darm"
tags_are multi '["multi"]'
expect_err 503 UNAVAILABLE "$V2/test/none/tags/list"
expect_err 503 UNAVAILABLE "$V2/test/img/manifests/v9"
expect_err 503 UNAVAILABLE "$V2/test/none/manifests/v1"
expect_err 503 UNAVAILABLE "$V2/test/img/blobs/$(digest_of "$T/nobody")"

note "prune keeps what the cache references"
printf '[storage]\nprune-grace = 0\n' >>"$T/specreg.ini"
specreg_cli prune >"$T/prune.out" 2>&1 ||
    fail "prune: $(cat "$T/prune.out")"
pull_ok img:v1 "$db"
pull_ok "img@$da" "$da"

note "past stale-limit, a tag is 503 again"
stop_frontend
stop_pool
SPECREG_INI_EXTRA="[upstream]
docker.io = http://127.0.0.1:$FPORT
timeout = 2
tag-ttl = $TTL
stale-limit = 1"
SPECREG_WORKERS=2 start_registry
oci_init
sleep 2
expect_err 503 UNAVAILABLE "$V2/test/img/manifests/v1"
tag_is "img/manifests/$db" "$db"

log_has_no_status '500'
exit 0
