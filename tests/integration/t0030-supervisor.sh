#!/bin/sh
# tests/integration/t0030-supervisor.sh: "specreg serve --listen
# 127.0.0.1:PORT --workers 3" keeps three workers: one killed with
# SIGKILL is replaced while requests keep succeeding, all killed at once
# are replaced too, and SIGTERM on the supervisor lets an in-flight
# request finish and leaves no process behind.
# storage: filesystem
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?}/tests/integration/lib.sh"
SPECREG_LISTEN=tcp
SPECREG_WORKERS=3
need_pool
start_registry

# workers: the supervisor's children, one pid a line.
workers() {
	pgrep -P "$SPECREG_PID" | sort
}

# wait_workers N: wait up to 10 s until the supervisor has N children.
wait_workers() {
	n=100
	while [ "$(workers | wc -l)" -ne "$1" ]; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || fail "expected $1 workers, have: $(workers | tr '\n' ' ')"
		sleep 0.1
	done
}

# get_ok COUNT: COUNT GETs of /v2/, every one 200.
get_ok() {
	i=0
	while [ "$i" -lt "$1" ]; do
		code=$(curl -s -m 30 -o /dev/null -w '%{http_code}' "$URL/v2/")
		[ "$code" = 200 ] || fail "GET /v2/ #$i answered $code"
		i=$((i + 1))
	done
}

wait_workers 3
before=$(workers)
victim=$(echo "$before" | head -n 1)

# One worker dies: the others serve, the supervisor replaces it.
kill -KILL "$victim"
get_ok 50
wait_workers 3
workers | grep -qx "$victim" && fail "worker $victim is still listed"
pid_alive "$SPECREG_PID" || fail "the supervisor died"

# Every worker dies: connections wait in the listen queue until the
# replacements (perhaps after a back-off) accept them.
all=$(workers)
# shellcheck disable=SC2086
kill -KILL $all
get_ok 5
wait_workers 3
for p in $all; do
	workers | grep -qx "$p" && fail "worker $p is still listed"
done
# The metrics count the four replacements and seven starts (a worker
# counts its start once it runs: give the last ones a moment).
n=50
while :; do
	expect_status 200 "$URL/metrics"
	grep -qx 'specreg_worker_starts_total 7' "$T/body" && break
	n=$((n - 1))
	[ "$n" -gt 0 ] || fail "metrics: $(grep specreg_worker_ "$T/body" | tr '\n' ' '), expected 7 starts"
	sleep 0.1
done
grep -qx 'specreg_worker_restarts_total 4' "$T/body" ||
    fail "metrics: $(grep specreg_worker_ "$T/body" | tr '\n' ' '), expected 4 restarts"

# SIGTERM while a request is in flight: the final PUT of an upload
# waits in its worker for the upload's lock, held here for 3 s (a body
# trickling in would not do: lighttpd spools it before specreg sees
# it); it must still be answered 201.
final=$(workers)
head -c 300000 /dev/urandom >"$T/slow"
expect_status 202 -X POST -H 'Content-Length: 0' \
    "$URL/v2/t0030/slow/blobs/uploads/"
loc=$(header Location)
case $loc in http://*|https://*) ;; *) loc=$URL$loc ;; esac
case $loc in *\?*) sep='&' ;; *) sep='?' ;; esac
hold_upload_lock "$(header Docker-Upload-UUID)" 3
holder=$HOLDER_PID
curl -s -m 60 -o "$T/slow.body" -w '%{http_code}' \
    -T "$T/slow" "$loc${sep}digest=sha256:$(sha256_of "$T/slow")" \
    >"$T/slow.code" 2>&1 &
slow=$!
sleep 1

stop_pid "$SPECREG_PID" 30 || fail "the supervisor needed SIGKILL after SIGTERM"
sup=$SPECREG_PID
SPECREG_PID=
for p in $final; do
	pid_alive "$p" && fail "worker $p outlived the supervisor"
done
[ -z "$(pgrep -P "$sup")" ] || fail "children of $sup remain"
port_listening "${FCGI_ADDR##*:}" && fail "$FCGI_ADDR still listens"
wait "$holder"
wait "$slow"
[ "$(cat "$T/slow.code")" = 201 ] ||
    fail "in-flight upload got $(cat "$T/slow.code"): $(cat "$T/slow.body")"

exit 0
