#!/bin/sh
# tests/integration/t0945-quickstart-config.sh: "./quickstart --config
# FILE" serves with FILE's settings (here read-only and a JSON log),
# while the port and the data directory still come from the flags; a
# FILE whose [storage] names Swift keeps that store.
# front end: any
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?}/tests/integration/lib.sh"
need_cmd lighttpd curl jq
# quickstart runs from a scratch copy with the binary under test (as in
# t0040), so that the test also runs from an out-of-tree build.
QS=$T/qs-tree
quickstart_copy "$QS"
cat >"$T/mine.ini" <<EOF
[registry]
read-only = yes
log-format = json
public-url = http://127.0.0.1:1
[storage]
root = $T/elsewhere
EOF
mkdir "$T/qs"
quickstart_start "$QS" --data "$T/qs" --config "$T/mine.ini"
URL=http://127.0.0.1:$QS_PORT

# read-only from the file.
expect_status 405 -X POST -H 'Content-Length: 0' "$URL/v2/t0945/img/blobs/uploads/"
[ "$(error_code)" = UNSUPPORTED ] || fail "push: $(cat "$T/body")"
# The store is --data's: /readyz checks it, and the file's root does
# not exist.
expect_status 200 "$URL/readyz"
[ ! -e "$T/elsewhere" ] || fail "the file's storage root was used"
# log-format from the file.
grep -q '^{.*"route":"base"' "$T/qs.log" ||
    fail "no JSON request line: $(tail -n 5 "$T/qs.log")"

stop_pid "$QS_PID" 30 || fail "quickstart needed SIGKILL"

# A file whose [storage] names Swift keeps its store: what README's
# "Several hosts on OpenStack Swift" tells a user to try.
swift_start
cat >"$T/swift.ini" <<EOF
[storage]
driver = swift
auth-url = $SPECREG_SWIFT_AUTH
username = test:tester
password = %(ZUUL_SWIFT_PASSWORD)
container = quickstart
EOF
mkdir "$T/qs2"
quickstart_start "$QS" --data "$T/qs2" --config "$T/swift.ini"
URL=http://127.0.0.1:$QS_PORT
printf 'on swift' >"$T/blob"
d=$(push_blob t0945/img "$T/blob")
expect_status 200 "$URL/v2/t0945/img/blobs/$d"
[ "$(cat "$T/body")" = "on swift" ] || fail "blob GET: $(cat "$T/body")"
[ -z "$(ls -A "$T/qs2")" ] || fail "the blob went to --data: $(ls -A "$T/qs2")"
curl -s -o "$T/list" -H "X-Auth-User: test:tester" -H "X-Auth-Key: testing" \
    -D "$T/auth" "$SPECREG_SWIFT_AUTH" || fail "Swift auth failed"
tok=$(sed -n 's/^X-Auth-Token: *//Ip' "$T/auth" | tr -d '\r')
surl=$(sed -n 's/^X-Storage-Url: *//Ip' "$T/auth" | tr -d '\r')
curl -s -H "X-Auth-Token: $tok" "$surl/quickstart?prefix=blobs/" >"$T/list"
grep -q "${d#sha256:}" "$T/list" || fail "the blob is not in the container"
stop_pid "$QS_PID" 30 || fail "quickstart needed SIGKILL"
exit 0
