#!/bin/sh
# tests/integration/t0945-quickstart-config.sh: "./quickstart --config
# FILE" serves with FILE's settings (here read-only and a JSON log),
# while the port and the data directory still come from the flags.
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
exit 0
