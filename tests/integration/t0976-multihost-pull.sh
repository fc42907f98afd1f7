#!/bin/sh
# tests/integration/t0976-multihost-pull.sh: pull-through on three
# registry hosts sharing one Swift container (host_start), in front of
# CNCF distribution behind t0411-flaky.py, which logs every request.
#  1. 16 clients, spread over the three hosts, pull one uncached 64 MiB
#     blob at once: every one gets it, the upstream sees exactly one
#     GET of it (the pull lease, storage/store_pull.c), and no lease is
#     left in the container.
#  2. A worker that holds the lease of another blob (the upstream made
#     slow) is killed with SIGKILL mid-fetch.  A client of another host
#     waits until the lease expires (3 upstream timeouts, 30 s here),
#     takes it over and gets the blob: two upstream GETs in all, the
#     second only after the expiry, and no lease left.
# The store is always Swift here (SPECREG_SWIFT_AUTH, or a Swift of the
# test's own).
# front end: any
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?}/tests/integration/lib.sh"
# shellcheck source=tests/integration/oci.sh
. "$top_srcdir/tests/integration/oci.sh"

need_cmd docker-registry python3
SPECREG_STORAGE=swift
UPID=
FLAKY=

t0976_cleanup() {
	_tc_rc=$1
	[ -z "$FLAKY" ] || stop_pid "$FLAKY"
	[ -z "$UPID" ] || stop_pid "$UPID"
	lib_cleanup "$_tc_rc"
}
trap 't0976_cleanup $?' EXIT

note "start distribution and the logging proxy in front of it"
distribution_start "$T/upstream"
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
timeout = 10"
: "${SPECREG_WORKERS:=4}"
export SPECREG_WORKERS
for h in 1 2 3; do
	host_start "$h"
done
oci_init

# mode WORDS: what the proxy does from now on.
mode() {
	echo "$*" >"$T/mode"
}

# up METHOD PATH: how many requests the upstream got.
up() {
	grep -c "^$1 $2 " "$T/flaky.log" || true
}

# upstream_push FILE: push FILE as a blob of test/img to distribution.
upstream_push() {
	curl -s -o /dev/null -D "$T/up.h" -X POST -H 'Content-Length: 0' \
	    "http://127.0.0.1:$UPORT/v2/test/img/blobs/uploads/"
	_loc=$(sed -n 's/^Location: *//Ip' "$T/up.h" | tr -d '\r')
	case $_loc in
	/*)	_loc=http://127.0.0.1:$UPORT$_loc ;;
	esac
	expect_status 201 -X PUT -H 'Content-Type: application/octet-stream' \
	    --data-binary "@$1" "$(add_query "$_loc" "digest=$(digest_of "$1")")"
}

# host_url N: host N's base URL.
host_url() {
	eval "printf '%s\n' \"\$URL_$1\""
}

note "the container through the Swift API"
curl -sS -f -o /dev/null -D "$T/auth.h" -H 'X-Auth-User: test:tester' \
    -H 'X-Auth-Key: testing' "$SPECREG_SWIFT_AUTH" ||
    fail "auth v1.0 at $SPECREG_SWIFT_AUTH failed"
SURL=$(sed -n 's/^[Xx]-[Ss]torage-[Uu]rl: *//p' "$T/auth.h" | tr -d '\r')
TOKEN=$(sed -n 's/^[Xx]-[Aa]uth-[Tt]oken: *//p' "$T/auth.h" | tr -d '\r')
[ -n "$SURL" ] && [ -n "$TOKEN" ] || fail "no storage URL or token"
C=$SURL/$SWIFT_CONTAINER

# leases: the names of the pull leases in the container.
leases() {
	curl -sS -f -H "X-Auth-Token: $TOKEN" "$C?prefix=pulls/" ||
	    fail "listing the container failed"
}

note "16 clients on 3 hosts pull one uncached 64 MiB blob: one upstream GET"
randfile "$T/big" 67108864
big=$(digest_of "$T/big")
upstream_push "$T/big"
pids=
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do
	u=$(host_url $((i % 3 + 1)))
	{ curl -s -m 300 "$u/v2/test/img/blobs/$big" | sha256sum >"$T/big.$i"; } &
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
[ -z "$(leases)" ] || fail "pull leases left: $(leases)"

note "a lease holder killed mid-fetch: another host takes over after expiry"
randfile "$T/mid" 8388608
mid=$(digest_of "$T/mid")
upstream_push "$T/mid"
mode slow 5
curl -s -m 60 -o /dev/null "$URL_1/v2/test/img/blobs/$mid" &
first=$!
lease=pulls/sha256/${mid#sha256:}.lease
n=0
until curl -sS -f -o "$T/lease" -H "X-Auth-Token: $TOKEN" "$C/$lease" \
    2>/dev/null; do
	n=$((n + 1))
	[ "$n" -lt 100 ] || fail "no pull lease while host 1 fetches"
	sleep 0.05
done
# "<expiry> <host>:<pid>:<random>": the holder is a worker of host 1
# (of its pool, or one its front end spawned from $T/host1).
holder=$(cut -d' ' -f2 "$T/lease" | cut -d: -f2)
if [ -n "$POOL_1" ]; then
	pgrep -P "$POOL_1" | grep -qx "$holder"
else
	tr '\0' ' ' <"/proc/$holder/cmdline" | grep -q "$T/host1/"
fi || fail "lease holder $holder is no worker of host 1: $(cat "$T/lease")"
# Killed once its GET reached the upstream, which holds it 5 s (not
# between the lease and the request: then one fetch would be all).
n=0
until grep -qs "^GET /v2/test/img/blobs/$mid\$" "$T/flaky.log.arrived"; do
	n=$((n + 1))
	[ "$n" -lt 600 ] || fail "host 1 never asked the upstream"
	sleep 0.05
done
kill -KILL "$holder"
wait "$first" || true
mode pass
start=$(date +%s)
curl -s -m 120 "$URL_2/v2/test/img/blobs/$mid" | sha256sum >"$T/mid.2"
took=$(($(date +%s) - start))
[ "sha256:$(cut -d' ' -f1 "$T/mid.2")" = "$mid" ] ||
    fail "host 2 did not serve the blob after the takeover"
# The lease lasts 30 s: host 2 waited for it, not fetched at once.
[ "$took" -ge 20 ] || fail "host 2 fetched after $took s, inside the lease"
grep -q "pull lease $lease of .* taken over" "$T/host2/specreg.log" ||
    fail "host 2 did not log the takeover"
[ "$(up GET "/v2/test/img/blobs/$mid")" = 2 ] ||
    fail "$(up GET "/v2/test/img/blobs/$mid") upstream GETs, not 2"
[ -z "$(leases)" ] || fail "pull leases left: $(leases)"
