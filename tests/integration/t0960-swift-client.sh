#!/bin/sh
# tests/integration/t0960-swift-client.sh: storage/swift.c against a
# real single-node Swift (lib.sh's swift_start: tests/swift/saio.sh):
# auth v1, a token renewed after Swift forgot it (memcached flushed),
# each object op, create-only PUTs, a 300 MiB streamed PUT in bounded
# memory, an SLO of 3 segments and its server-side copy, a listing over
# several pages, TempURL GETs with curl.  There is no Keystone here:
# Keystone v3 (password and application credential) runs against
# keystone-stub.py, which hands out real Swift tokens.  Retries with
# back-off run against flaky-swift.py, which answers 503 on purpose.
# The client is driven by tests/integration/swift-client.
# front end: any
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?}/tests/integration/lib.sh"

CLIENT=${SPECREG_SWIFT_CLIENT:-$(dirname "$SPECREG_BIN")/tests/integration/swift-client}
[ -x "$CLIENT" ] ||
    harness_error "no $CLIENT: make tests/integration/swift-client"
need_cmd curl md5sum

# A Swift of its own (lib.sh stops it): the test flushes its memcached
# and reads its proxy's log.  The keystone stub is stopped with the rest.
SPECREG_SWIFT_AUTH=
swift_start
SW=$SWIFT_DIR
SWIFT=${SPECREG_SWIFT_AUTH%/auth/v1.0}
MEMCACHED_PORT=$(cat "$SW/etc/memcached.port") ||
    harness_error "no memcached port in $SW/etc"
export SWIFT_AUTH_URL="$SPECREG_SWIFT_AUTH" SWIFT_USERNAME=test:tester \
    SWIFT_PASSWORD=testing SWIFT_CONTAINER=specreg-t
C=$CLIENT

# flush_tokens: tempauth keeps its tokens in memcached: forget them all.
flush_tokens() {
	/usr/bin/python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"flush_all\r\nquit\r\n")
assert s.recv(100).startswith(b"OK")' "$MEMCACHED_PORT" ||
	    harness_error "memcached flush_all failed"
}

# pages N: listing requests of the container with limit=N so far.
pages() {
	grep -c "GET /v1/AUTH_test/specreg-t%3Fformat%3Djson%26limit%3D$1" \
	    "$SW/log/proxy-server.log"
}

echo "# auth v1; the container is created once"
"$C" connect 2>"$T/err" || fail "connect: $(cat "$T/err")"
grep -q 'created container specreg-t' "$T/err" || fail "no container made"
"$C" connect 2>"$T/err" || fail "connect again: $(cat "$T/err")"
grep -q 'created container' "$T/err" && fail "the container was made twice"
SWIFT_PASSWORD=wrong "$C" connect 2>"$T/err" && fail "a wrong key was taken"
grep -q 'swift: auth: status 401' "$T/err" || fail "$(cat "$T/err")"

echo "# put, head, get, ranges, create-only, copy, delete"
printf 'hello, swift' >"$T/small"
"$C" put a/b/small "$T/small" -- head a/b/small >"$T/out" ||
    fail "put/head"
[ "$(cat "$T/out")" = "12 $(md5sum <"$T/small" | cut -c1-32) 0" ] ||
    fail "head says $(cat "$T/out")"
"$C" get a/b/small | cmp -s - "$T/small" || fail "get differs"
[ "$("$C" get a/b/small 7 5)" = swift ] || fail "ranged get"
[ "$("$C" get a/b/small 0 1)" = h ] || fail "one-byte range"
printf 'other' >"$T/other"
"$C" put a/b/small "$T/other" excl
[ $? = 3 ] || fail "a create-only PUT on a taken name did not say EXISTS"
"$C" get a/b/small | cmp -s - "$T/small" || fail "create-only overwrote"
"$C" put a/b/new "$T/other" excl || fail "a create-only PUT on a free name"
"$C" copy a/b/small 'a/c d+e%f' -- get 'a/c d+e%f' | cmp -s - "$T/small" ||
    fail "copy to an odd name"
"$C" delete 'a/c d+e%f' || fail "delete"
"$C" head 'a/c d+e%f' >/dev/null
[ $? = 2 ] || fail "a deleted object is still there"
"$C" delete 'a/c d+e%f'
[ $? = 2 ] || fail "deleting a missing object is not NOENT"
printf 'x' | "$C" stream a/b/new excl
[ $? = 3 ] || fail "a create-only streamed PUT on a taken name"

echo "# a token Swift forgot is renewed once, for a request and a stream"
FIFO=$T/fifo
mkfifo "$FIFO"
SWIFT_DEBUG=1 "$C" head a/b/small -- pause -- get a/b/small -- pause -- \
    stream a/b/renewed <"$FIFO" >"$T/out" 2>"$T/err" &
CPID=$!
# A client that died must fail the test, not kill it with a SIGPIPE.
trap '' PIPE
exec 7>"$FIFO"
# A flush before the client's step is done would test nothing: wait
# for each step however long a loaded machine takes, up to 3 minutes.
until_out() {
	n=0
	until grep -q "$1" "$T/out"; do
		[ $n -lt 1800 ] && kill -0 "$CPID" 2>/dev/null ||
		    fail "no '$1' from the client: $(cat "$T/err")"
		sleep 0.1
		n=$((n + 1))
	done
}
until_out '^12 '
flush_tokens
echo >&7 2>/dev/null
until_out 'hello, swift'
flush_tokens
echo >&7 2>/dev/null
head -c 3000000 /dev/urandom >"$T/renewed"
cat "$T/renewed" >&7 2>/dev/null
exec 7>&-
trap - PIPE
wait "$CPID" || fail "after a flush: $(cat "$T/err")"
[ "$(grep -c 'token refused, renewing it' "$T/err")" = 2 ] ||
    fail "not renewed twice: $(cat "$T/err")"
"$C" get a/b/renewed | cmp -s - "$T/renewed" || fail "the renewed stream"

echo "# 300 MiB streamed (chunked) in bounded memory, checked by MD5"
head -c 314572800 /dev/urandom >"$T/big"
"$C" stream big -- maxrss <"$T/big" >"$T/out" || fail "300 MiB stream"
read -r size etag <"$T/out"
rss=$(sed -n 2p "$T/out")
[ "$size $etag" = "314572800 $(md5sum <"$T/big" | cut -c1-32)" ] ||
    fail "stream says $size $etag"
echo "# peak RSS of the client: $rss KiB"
[ "$rss" -lt 32768 ] || fail "the client held $rss KiB for a 300 MiB PUT"
[ "$("$C" get big | md5sum)" = "$(md5sum <"$T/big")" ] ||
    fail "300 MiB read back differs"
[ "$("$C" get big 314572790 10 | wc -c)" -eq 10 ] || fail "tail range"
"$C" delete big || fail "delete big"
rm -f "$T/big"

echo "# an SLO of 3 segments, read whole and across a boundary, copied"
head -c 1048576 /dev/urandom >"$T/s1"
head -c 1048576 /dev/urandom >"$T/s2"
head -c 1000 /dev/urandom >"$T/s3"
cat "$T/s1" "$T/s2" "$T/s3" >"$T/slo"
"$C" put seg/1 "$T/s1" -- put seg/2 "$T/s2" -- put seg/3 "$T/s3" -- \
    slo blob seg/1 seg/2 seg/3 -- head blob >"$T/out" || fail "SLO"
[ "$(sed -n 1p "$T/out")" = "2098152 1" ] || fail "slo says $(cat "$T/out")"
sed -n 2p "$T/out" | grep -q '^2098152 [0-9a-f]* 1$' ||
    fail "head of the SLO: $(cat "$T/out")"
"$C" get blob | cmp -s - "$T/slo" || fail "SLO bytes differ"
[ "$("$C" get blob 1048570 12 | od -An -tx1 | tr -d ' \n')" = \
    "$(dd if="$T/slo" bs=1 skip=1048570 count=12 2>/dev/null |
    od -An -tx1 | tr -d ' \n')" ] || fail "range across segments"
"$C" copy blob blob2 -- head blob2 >"$T/out" || fail "copy of the SLO"
grep -q ' 1$' "$T/out" || fail "the copy of an SLO is not its manifest"
"$C" delete blob || fail "delete the SLO"
"$C" get blob2 | cmp -s - "$T/slo" ||
    fail "deleting one SLO broke its copy"

echo "# a listing over several pages (limit 7), with a delimiter"
set --
i=0
while [ $i -lt 25 ]; do
	set -- "$@" put "l/$(printf %02d $i)" "$T/small" --
	i=$((i + 1))
done
"$C" "$@" put l/sub/x "$T/small" -- put l/sub/y "$T/small" ||
    fail "25 puts"
before=$(pages 7)
SWIFT_PAGE=7 "$C" list l/ >"$T/out" || fail "list"
[ "$(wc -l <"$T/out")" -eq 27 ] || fail "listed $(wc -l <"$T/out") of 27"
[ "$(sed -n '1p;25p;27p' "$T/out" | cut -d' ' -f1,2 | tr '\n' ,)" = \
    "l/00 12,l/24 12,l/sub/y 12," ] || fail "listing: $(cat "$T/out")"
[ "$(($(pages 7) - before))" -eq 4 ] ||
    fail "27 entries took $(($(pages 7) - before)) pages of 7"
SWIFT_PAGE=7 "$C" list l/ / >"$T/out" || fail "list with a delimiter"
[ "$(wc -l <"$T/out")" -eq 26 ] && [ "$(tail -n 1 "$T/out")" = \
    "subdir l/sub/" ] || fail "delimited listing: $(cat "$T/out")"
[ "$("$C" list l /)" = "subdir l/" ] || fail "list l /"

echo "# TempURL: a signed GET works; a bad signature, method or expiry not"
TOKEN=$(curl -sS -D - -o /dev/null -H 'X-Auth-User: test:tester' \
    -H 'X-Auth-Key: testing' "$SWIFT_AUTH_URL" | tr -d '\r' |
    sed -n 's/^[Xx]-[Aa]uth-[Tt]oken: //p')
expect_status 204 -X POST -H "X-Auth-Token: $TOKEN" \
    -H 'X-Account-Meta-Temp-URL-Key: t3mp-k3y' "$SWIFT/v1/AUTH_test"
"$C" put 'a/t u+v' "$T/small" || fail "put for the TempURL"
U=$("$C" tempurl GET 'a/t u+v' 60) || fail "tempurl"
case $U in
"$SWIFT/v1/AUTH_test/specreg-t/a/t%20u%2Bv?temp_url_sig="*) ;;
*) fail "tempurl: $U" ;;
esac
curl -sS -o "$T/got" "$U" && cmp -s "$T/got" "$T/small" ||
    fail "TempURL GET: $(cat "$T/got")"
sig=${U#*temp_url_sig=}
sig=${sig%%&*}
bad=$(printf %s "$sig" | tr 0-9a-f 1-9a-f0)
expect_status 401 "$(printf %s "$U" | sed "s/$sig/$bad/")"
expect_status 401 -X PUT --data-binary x "$U"
expect_status 401 "$("$C" tempurl GET 'a/t u+v' -5)"

echo "# retries: idempotent requests after a 503, not a streamed PUT"
/usr/bin/python3 "$top_srcdir/tests/integration/flaky-swift.py" \
    "$T/flaky.port" &
n=0
until [ -s "$T/flaky.port" ] || [ $n -ge 300 ]; do sleep 0.1; n=$((n + 1)); done
[ -s "$T/flaky.port" ] || harness_error "flaky-swift.py did not start"
FLAKY=http://127.0.0.1:$(cat "$T/flaky.port")/auth/v1.0
[ "$(SWIFT_AUTH_URL=$FLAKY "$C" get fail2-get)" = ok ] ||
    fail "a GET after two 503s"
SWIFT_AUTH_URL=$FLAKY "$C" put fail1-put "$T/small" ||
    fail "a PUT from memory after a 503"
SWIFT_AUTH_URL=$FLAKY "$C" head fail9-head 2>"$T/err" &&
    fail "nine 503s were not a failure"
grep -q 'status 503' "$T/err" || fail "$(cat "$T/err")"
printf 'streamed' | SWIFT_AUTH_URL=$FLAKY "$C" stream fail1-stream &&
    fail "a streamed PUT answered 503 passed"
# 3 retries at most; the PUT body sent whole each time.
[ "$(cat "$T/flaky.port.log")" = "GET fail2-get 503 0
GET fail2-get 503 0
GET fail2-get 200 0
PUT fail1-put 503 12
PUT fail1-put 201 12
HEAD fail9-head 503 0
HEAD fail9-head 503 0
HEAD fail9-head 503 0
HEAD fail9-head 503 0
PUT fail1-stream 503 8" ] || fail "flaky Swift saw: $(cat "$T/flaky.port.log")"
# A PUT that a newer write of the object beat (two hosts refreshing one
# liveness record) is answered 202 with a page and no ETag: not a
# failure, from memory or streamed.
SWIFT_AUTH_URL=$FLAKY "$C" put lost-put "$T/small" 2>"$T/err" ||
    fail "a PUT answered 202 failed: $(cat "$T/err")"
printf 'streamed' | SWIFT_AUTH_URL=$FLAKY "$C" stream lost-stream \
    2>"$T/err" || fail "a streamed PUT answered 202 failed: $(cat "$T/err")"

echo "# Keystone v3 (a stub): password, application credential, refusal"
/usr/bin/python3 "$top_srcdir/tests/integration/keystone-stub.py" \
    "$T/ks.port" "$SWIFT_AUTH_URL" &
n=0
until [ -s "$T/ks.port" ] || [ $n -ge 300 ]; do sleep 0.1; n=$((n + 1)); done
[ -s "$T/ks.port" ] || harness_error "keystone-stub.py did not start"
KS=http://127.0.0.1:$(cat "$T/ks.port")/v3
SWIFT_AUTH_URL=$KS SWIFT_USERNAME=alice SWIFT_PASSWORD=wonderland \
    SWIFT_PROJECT=registry SWIFT_REGION=RegionOne "$C" get a/b/small |
    cmp -s - "$T/small" || fail "keystone v3 password"
SWIFT_AUTH_URL=$KS/ SWIFT_USERNAME='' SWIFT_PASSWORD='' SWIFT_APP_ID=app-1 \
    SWIFT_APP_SECRET=app-secret SWIFT_REGION=RegionOne "$C" get a/b/small |
    cmp -s - "$T/small" || fail "keystone v3 application credential"
SWIFT_AUTH_URL=$KS SWIFT_USERNAME=alice SWIFT_PASSWORD=wrong \
    SWIFT_PROJECT=registry "$C" head a/b/small 2>"$T/err" &&
    fail "keystone: a wrong password was taken"
grep -q 'keystone: status 401' "$T/err" || fail "$(cat "$T/err")"
[ "$(tr '\n' ' ' <"$T/ks.port.log")" = \
    "password application_credential refused " ] ||
    fail "keystone saw: $(cat "$T/ks.port.log")"
