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
PORT=$(free_port)
URL=http://127.0.0.1:$PORT
cat >"$T/mine.ini" <<EOF
[registry]
read-only = yes
log-format = json
public-url = http://127.0.0.1:1
[storage]
root = $T/elsewhere
EOF
mkdir "$T/qs"
PATH=$T/bin:$PATH "$QS/quickstart" --port "$PORT" --data "$T/qs" \
    --config "$T/mine.ini" >"$T/quickstart.log" 2>&1 &
qs=$!
n=300
until curl -s -o /dev/null "$URL/v2/"; do
	pid_alive "$qs" || fail "quickstart exited: $(tail -n 20 "$T/quickstart.log")"
	n=$((n - 1))
	[ "$n" -gt 0 ] || fail "quickstart did not answer on $PORT"
	sleep 0.1
done

# read-only from the file.
expect_status 405 -X POST -H 'Content-Length: 0' "$URL/v2/t0945/img/blobs/uploads/"
[ "$(error_code)" = UNSUPPORTED ] || fail "push: $(cat "$T/body")"
# The store is --data's: /readyz checks it, and the file's root does
# not exist.
expect_status 200 "$URL/readyz"
[ ! -e "$T/elsewhere" ] || fail "the file's storage root was used"
# log-format from the file.
grep -q '^{.*"route":"base"' "$T/quickstart.log" ||
    fail "no JSON request line: $(tail -n 5 "$T/quickstart.log")"

stop_pid "$qs" 30 || fail "quickstart needed SIGKILL"
exit 0
