#!/bin/sh
# tests/integration/t0040-quickstart.sh: ./quickstart serves, and
# leaves no process and no temporary file behind however it ends:
# Ctrl-C (SIGINT to its process group, as a terminal sends it),
# SIGTERM, lighttpd dying, specreg's supervisor dying (kill -9 both),
# the last also while a worker is busy: the worker finishes its request
# and quickstart waits for it.
#
# quickstart runs from a scratch copy of the tree: the script,
# deploy/lighttpd.conf and the binary under test as ./specreg, with a
# configure and a Makefile that make its build step a no-op, and a
# dpkg-query that says every package is installed.  Its TMPDIR (where
# its run directory goes) is $T/qs-tmp: every process of it names that
# directory in its environment or command line, which is how
# tests/integration/leftovers finds them.
# front end: any
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?}/tests/integration/lib.sh"
need_cmd lighttpd curl setsid pgrep

QS=$T/qs
quickstart_copy "$QS"

# qs_start: quickstart_start, then find lighttpd's PID (LT_PID) and
# specreg's (POOL_PID) among quickstart's children.
qs_start() {
	quickstart_start "$QS" --data "$DATA"
	LT_PID=
	POOL_PID=
	for _qs_c in $(pgrep -P "$QS_PID"); do
		case $(cat "/proc/$_qs_c/comm" 2>/dev/null) in
		lighttpd)	LT_PID=$_qs_c ;;
		specreg)	POOL_PID=$_qs_c ;;
		esac
	done
	[ -n "$LT_PID" ] && [ -n "$POOL_PID" ] ||
	    fail "quickstart's lighttpd ($LT_PID) or specreg ($POOL_PID) not found"
	QS_URL=http://127.0.0.1:$QS_PORT
	expect_status 200 "$QS_URL/v2/"
	# A worker serves, so the pool has its workers.
	[ -n "$(pgrep -P "$POOL_PID")" ] || fail "specreg has no workers"
}

# qs_gone HOW: quickstart ends within 30 seconds (its status is not
# 0) and leaves no process, no file in its TMPDIR and no listener.
qs_gone() {
	_qg_n=300
	while pid_alive "$QS_PID"; do
		_qg_n=$((_qg_n - 1))
		[ "$_qg_n" -gt 0 ] || fail "$1: quickstart still runs after 30 s"
		sleep 0.1
	done
	wait "$QS_PID"
	_qg_rc=$?
	[ "$_qg_rc" != 0 ] || fail "$1: quickstart exited 0"
	if ! _qg_left=$(sh "$top_srcdir/tests/integration/leftovers" -k \
	    "$T/qs-tmp"); then
		fail "$1: quickstart left these processes: $_qg_left"
	fi
	[ -z "$(ls -A "$T/qs-tmp")" ] ||
	    fail "$1: quickstart left $(ls -A "$T/qs-tmp") in its TMPDIR"
	! port_listening "$QS_PORT" || fail "$1: port $QS_PORT still listens"
	echo "ok: $1: exit $_qg_rc, nothing left"
}

echo "# Ctrl-C"
qs_start
kill -INT "-$QS_PID"
qs_gone "Ctrl-C"

echo "# SIGTERM"
qs_start
kill -TERM "$QS_PID"
qs_gone "SIGTERM"

echo "# lighttpd dies"
qs_start
kill -KILL "$LT_PID"
qs_gone "lighttpd killed"

echo "# specreg's supervisor dies"
qs_start
kill -KILL "$POOL_PID"
qs_gone "specreg killed"

echo "# specreg's supervisor dies while a worker serves a request"
# The PATCH waits in its worker for the upload's lock, held for 3 s.
qs_start
expect_status 202 -X POST -H 'Content-Length: 0' "$QS_URL/v2/t0040/blobs/uploads/"
loc=$(header Location)
case $loc in http://*) ;; *) loc=$QS_URL$loc ;; esac
hold_upload_lock "$(header Docker-Upload-UUID)" 3
curl -s -m 30 -o /dev/null -X PATCH -H 'Content-Type: application/octet-stream' \
    --data-binary x "$loc" &
sleep 0.5
kill -KILL "$POOL_PID"
qs_gone "specreg killed mid-request"
