#!/bin/sh
# tests/integration/t0975-multihost-prune.sh: three registry hosts on
# one Swift container or S3 bucket (host_start), with prune and faults.
#  1. For $PRUNE_SECONDS (60), and on a slow store until prune has run
#     twice: three clients push images, one through each host, and two
#     pull them back through the other hosts, while host 1 runs
#     "specreg prune" in a loop (--untagged every other run,
#     prune-grace 5 s, a new unreferenced pool blob before each run), as
#     t0700 does on one host.  A push that succeeded always pulls back
#     intact from every host; fsck is clean after.
#  2. kill -9 of host 2's workers in the middle of a PATCH (sent to the
#     pool directly, paused after 8 MiB: a front end would hold the body
#     until it has all of it): the client sees an error, asks host 3
#     where the upload stands, sends the rest there and finishes; the
#     blob is whole on every host.
#  3. The store stopped and started again in the middle of such a
#     PATCH to host 1: the PATCH fails cleanly (an error status or a
#     dropped connection, never a 2xx), /readyz answers 503 meanwhile,
#     the client's retry succeeds, the blob is whole.
# The store is a Swift of the test's own (part 3 restarts it), or with
# SPECREG_STORAGE=s3 an S3 store of the test's own, of SPECREG_S3_STORE's
# kind (lib.sh's s3_start).
# front end: any
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?}/tests/integration/lib.sh"
# shellcheck source=tests/integration/oci.sh
. "$top_srcdir/tests/integration/oci.sh"
# shellcheck source=tests/integration/pushpull.sh
. "$top_srcdir/tests/integration/pushpull.sh"

if [ "${SPECREG_STORAGE:-}" = s3 ]; then
	SPECREG_S3_ENDPOINT=
else
	SPECREG_STORAGE=swift
	SPECREG_SWIFT_AUTH=
fi
: "${PRUNE_SECONDS:=60}"
: "${SPECREG_WORKERS:=4}"
export SPECREG_WORKERS
SPECREG_INI_EXTRA="prune-grace = 5"
for h in 1 2 3; do
	host_start "$h"
done
oci_init
need_cmd jq

# v2 N: host N's /v2 base URL.
v2() {
	eval "printf '%s/v2\n' \"\$URL_$1\""
}

# on N LOCATION: the upload URL LOCATION on host N.
on() {
	_on_path=$(printf '%s\n' "$2" | sed -E 's#^[a-z]+://[^/]+##')
	eval "printf '%s%s\n' \"\$URL_$1\" \"\$_on_path\""
}

# specreg ARGS...: the CLI with host 1's configuration.
specreg() {
	"$SPECREG_BIN" -c "$T/host1/specreg.ini" "$@"
}

# pruner: prune in a loop while running (pushpull.sh).
pruner() {
	i=0
	while running; do
		i=$((i + 1))
		pool_add
		set --
		[ $((i % 2)) = 0 ] && set -- --untagged
		specreg prune "$@" 2>>"$T/prune.log" ||
		    error "prune $* failed: $(tail -3 "$T/prune.log")"
		echo "$i" >>"$T/prune.runs"
	done
}

note "a pool of 8 base layers, unreferenced"
V2=$(v2 1)
mkdir "$T/pool"
echo 0 >"$T/pool.n"
: >"$T/errors"
for _ in 1 2 3 4 5 6 7 8; do
	pool_add
done
[ -s "$T/errors" ] && fail "$(cat "$T/errors")"

note "part 1: a pusher per host, 2 pullers, prune on host 1, $PRUNE_SECONDS s"
END=$(($(date +%s) + PRUNE_SECONDS))
# Both kinds of run, with pushes around them (a run on Swift's s3api
# under load took 24 s).
PRUNE_RUNS=2
jobs=
for c in 1 2 3; do
	(V2=$(v2 "$c"); client "$c") >"$T/client.$c.log" 2>&1 &
	jobs="$jobs $!:client.$c.log"
done
for c in 1 2; do
	(V2=$(v2 $((c + 1))); puller "$c") >"$T/puller.$c.log" 2>&1 &
	jobs="$jobs $!:puller.$c.log"
done
pruner >"$T/pruner.log" 2>&1 &
jobs="$jobs $!:pruner.log"
for j in $jobs; do
	wait "${j%%:*}" || { rc=$?; error "${j#*:} exited with $rc:" \
	    "$(tail -5 "$T/${j#*:}" | tr '\n' ' ')"; }
done
[ -s "$T/errors" ] && fail "$(sort "$T/errors" | uniq -c | head -20)"
cat "$T"/pushed.* >"$T/all"
pushed=$(wc -l <"$T/all")
runs=$(wc -l <"$T/prune.runs")
removed=$(sed -n 's/.*prune: removed .* \([0-9][0-9]*\) blobs[,;].*/\1/p' \
    "$T/prune.log" | awk '{ s += $1 } END { print s + 0 }')
note "$pushed images pushed ($(cat "$T/retries" 2>/dev/null | wc -l)" \
    "pushed again), $(cat "$T/pulls" 2>/dev/null | wc -l) pulls checked," \
    "$runs prune runs removed $removed blobs"
[ "$pushed" -ge 3 ] || fail "only $pushed images were pushed"
[ "$runs" -ge 2 ] || fail "only $runs prune runs"
[ "$removed" -gt 0 ] || fail "no prune run removed a blob"

note "every image pushed pulls back intact from every host"
mkdir "$T/final"
for h in 1 2 3; do
	V2=$(v2 "$h")
	while read -r repo tag mt d; do
		why=$(image_ok "$T/final" "$repo" "$tag" "$mt" "$d") ||
		    fail "host $h: $repo:$tag ($mt): $why"
	done <"$T/all"
done
specreg fsck >"$T/fsck.out" 2>"$T/fsck.err" ||
    fail "fsck: $(head -20 "$T/fsck.out") $(tail -5 "$T/fsck.err")"
[ ! -s "$T/fsck.out" ] || fail "fsck said: $(head -20 "$T/fsck.out")"

# resume_finish HOST FILE: the upload $UPLOAD lost a PATCH; ask HOST
# where it stands and send the rest of FILE there, then finish.
resume_finish() {
	expect_status 204 "$(on "$1" "$UPLOAD")"
	_rf_end=$(header Range | sed 's/^0-//')
	_rf_off=$((_rf_end + 1))
	tail -c +$((_rf_off + 1)) "$2" >"$T/rest"
	expect_status 201 -X PUT -H 'Content-Type: application/octet-stream' \
	    -H "Content-Range: $_rf_off-$(($(size_of "$2") - 1))" \
	    --data-binary "@$T/rest" \
	    "$(add_query "$(on "$1" "$UPLOAD")" "digest=$(digest_of "$2")")"
}

# first_mib HOST FILE: start an upload on HOST with FILE's first MiB.
first_mib() {
	V2=$(v2 "$1")
	upload_start fault/img
	head -c 1048576 "$2" >"$T/first"
	expect_status 202 -X PATCH -H 'Content-Range: 0-1048575' \
	    -H 'Content-Type: application/octet-stream' \
	    --data-binary "@$T/first" "$UPLOAD"
	upload_follow
	tail -c +1048577 "$2" >"$T/second"
}

# paused_patch N: PATCH the rest of $T/fault ($T/second) to $UPLOAD
# straight to host N's pool (cgi-fcgi: a front end would hold the body
# until it has all of it), in the background, pausing after 8 MiB until
# $T/go exists; returns during the pause.  The status goes to
# $T/paused.status ("000" if the pool hung up).
paused_patch() {
	need_cmd cgi-fcgi
	rm -f "$T/go" "$T/paused.status"
	_pp_uri=$(printf '%s\n' "$UPLOAD" | sed -E 's#^[a-z]+://[^/]+##')
	_pp_len=$(size_of "$T/second")
	mkfifo "$T/paused.fifo" || harness_error "mkfifo failed"
	(
		{
			head -c 8388608 "$T/second"
			while [ ! -e "$T/go" ]; do sleep 0.1; done
			tail -c +8388609 "$T/second"
		} >"$T/paused.fifo" 2>/dev/null &
		env -i PATH="$PATH" GATEWAY_INTERFACE=CGI/1.1 \
		    REQUEST_METHOD=PATCH REQUEST_URI="$_pp_uri" \
		    QUERY_STRING="${_pp_uri#*\?}" SERVER_PROTOCOL=HTTP/1.1 \
		    SERVER_NAME=127.0.0.1 SERVER_PORT=80 \
		    REMOTE_ADDR=127.0.0.1 HTTP_HOST=127.0.0.1 \
		    CONTENT_LENGTH="$_pp_len" \
		    CONTENT_TYPE=application/octet-stream \
		    HTTP_CONTENT_RANGE="1048576-$((1048576 + _pp_len - 1))" \
		    cgi-fcgi -bind -connect "$T/host$1/fcgi.sock" \
		    <"$T/paused.fifo" >"$T/paused.out" 2>&1
		_pp_s=$(sed -n 's/^[Ss]tatus: *\([0-9]*\).*/\1/p' "$T/paused.out")
		[ -s "$T/paused.out" ] || _pp_s=000
		echo "${_pp_s:-200}" >"$T/paused.status"
		wait
	) &
	PAUSED=$!
	# The worker has the first 8 MiB once the pipe is that far.
	sleep 2
}

# patch_failed: the paused PATCH ended without a 2xx.
patch_failed() {
	: >"$T/go"
	wait "$PAUSED"
	rm -f "$T/paused.fifo"
	case $(cat "$T/paused.status") in
	2*)	fail "$1: the PATCH answered $(cat "$T/paused.status")" ;;
	esac
	note "$1: the PATCH answered $(cat "$T/paused.status")"
}

note "part 2: kill -9 of host 2's workers in the middle of a PATCH"
randfile "$T/fault" $((96 * 1024 * 1024))
first_mib 2 "$T/fault"
paused_patch 2
workers=$(pgrep -P "$POOL_2")
[ -n "$workers" ] || fail "host 2 has no workers"
# shellcheck disable=SC2086
kill -KILL $workers
patch_failed "workers killed"
resume_finish 3 "$T/fault"
for h in 1 2 3; do
	expect_status 200 "$(v2 "$h")/fault/img/blobs/$(digest_of "$T/fault")"
	body_is_file "$T/fault"
done

note "part 3: the store stopped and started in the middle of a PATCH"
randfile "$T/fault" $((96 * 1024 * 1024))
first_mib 1 "$T/fault"
paused_patch 1
store_stop || fail "the store did not stop"
patch_failed "the store stopped"
expect_status 503 "$URL_2/readyz"
store_again || harness_error "the store did not start again"
expect_status 200 "$URL_2/readyz"
resume_finish 1 "$T/fault"
for h in 1 2 3; do
	expect_status 200 "$(v2 "$h")/fault/img/blobs/$(digest_of "$T/fault")"
	body_is_file "$T/fault"
done
specreg fsck >"$T/fsck.out" 2>"$T/fsck.err" ||
    fail "fsck after the faults: $(head -20 "$T/fsck.out")"
[ ! -s "$T/fsck.out" ] || fail "fsck after the faults: $(head -20 "$T/fsck.out")"
exit 0
