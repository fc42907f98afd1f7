#!/bin/sh
# tests/integration/t0935-reload.sh: SIGHUP makes "specreg serve
# --listen" read its configuration again.  Two clients pull a blob and a
# manifest in a loop while [registry] read-only goes on and off: no pull
# fails, a push gets 405 while read-only is on and 201 after, new
# workers replace the old ones, an upload in flight across a reload
# finishes, and the metrics go on counting.  An invalid file is logged on
# one line (FILE:LINE reason) and the old configuration keeps serving.
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?}/tests/integration/lib.sh"
need_cmd jq flock
SPECREG_WORKERS=2
need_pool
start_registry
R=reload/img
OCI=application/vnd.oci.image.manifest.v1+json

printf '{}' >"$T/config"
head -c 100000 /dev/urandom >"$T/layer"
cfg=$(push_blob "$R" "$T/config")
layer=$(push_blob "$R" "$T/layer")
printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":2},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":100000}]}' \
    "$OCI" "$cfg" "$layer" >"$T/manifest"
expect_status 201 -X PUT -H "Content-Type: $OCI" \
    --data-binary "@$T/manifest" "$URL/v2/$R/manifests/v1"

# pull_loop ID: pull the blob and the manifest until $T/stop appears
# or the test is gone (at most 5000 rounds); every failure is a line in
# $T/failed.
pull_loop() {
	_i=0
	while [ ! -e "$T/stop" ] && [ "$_i" -lt 5000 ] && kill -0 $$ 2>/dev/null; do
		_c=$(curl -s -m 30 -o "$T/pull$1.blob" -w '%{http_code}' \
		    "$URL/v2/$R/blobs/$layer")
		if [ "$_c" != 200 ] || ! cmp -s "$T/pull$1.blob" "$T/layer"; then
			echo "puller $1, round $_i: blob GET $_c" >>"$T/failed"
		fi
		_c=$(curl -s -m 30 -o "$T/pull$1.man" -w '%{http_code}' \
		    -H "Accept: $OCI" "$URL/v2/$R/manifests/v1")
		if [ "$_c" != 200 ] || ! cmp -s "$T/pull$1.man" "$T/manifest"; then
			echo "puller $1, round $_i: manifest GET $_c" >>"$T/failed"
		fi
		_i=$((_i + 1))
	done
	echo "$_i" >"$T/pull$1.rounds"
}

workers() {
	pgrep -P "$SPECREG_PID" | sort
}

# reload [LINE...]: the test's specreg.ini plus LINEs, then SIGHUP; waits
# until the supervisor logs the outcome, which goes to $last.
nhup=0
reload() {
	write_config
	printf '%s\n' "$@" >>"$T/specreg.ini"
	nhup=$((nhup + 1))
	kill -HUP "$SPECREG_PID"
	_n=100
	while [ "$(grep -c -e 'info: reloaded ' -e 'warn: reload failed' \
	    "$T/specreg.log")" -lt "$nhup" ]; do
		_n=$((_n - 1))
		[ "$_n" -gt 0 ] || fail "SIGHUP #$nhup: nothing logged"
		sleep 0.1
	done
	last=$(grep -e 'info: reloaded ' -e 'warn: reload failed' \
	    "$T/specreg.log" | tail -n 1)
}

# refused: a push starts and gets 405 UNSUPPORTED.
refused() {
	expect_status 405 -X POST -H 'Content-Length: 0' \
	    "$URL/v2/$R/blobs/uploads/"
	[ "$(error_code)" = UNSUPPORTED ] || fail "push: $(cat "$T/body")"
}

# pushed N: a new blob goes in whole (201 from push_blob).
pushed() {
	echo "blob $1 of t0935" >"$T/new$1"
	push_blob "$R" "$T/new$1" >/dev/null
}

pull_loop 1 &
puller1=$!
pull_loop 2 &
puller2=$!

# An upload whose final PUT waits for its lock across the reload to
# read-only: it began writable, so it finishes with 201.  (On Swift no
# lock holds it: the PUT finishes before the reload, with 201 too.)
expect_status 202 -X POST -H 'Content-Length: 0' "$URL/v2/$R/blobs/uploads/"
loc=$(header Location)
case $loc in http://*|https://*) ;; *) loc=$URL$loc ;; esac
case $loc in *\?*) sep='&' ;; *) sep='?' ;; esac
echo 'in flight' >"$T/slow"
holder=
if [ "${SPECREG_STORAGE:-filesystem}" = filesystem ]; then
	hold_upload_lock "$(header Docker-Upload-UUID)" 3
	holder=$HOLDER_PID
fi
curl -s -m 60 -o "$T/slow.body" -w '%{http_code}' -T "$T/slow" \
    "$loc${sep}digest=sha256:$(sha256_of "$T/slow")" >"$T/slow.code" &
slow=$!
sleep 1

old=$(workers)
reload '[registry]' 'read-only = yes'
case $last in
*'info: reloaded '*', read-only') ;;
*)	fail "the first reload logged: $last" ;;
esac
refused
[ -z "$holder" ] || wait "$holder"
wait "$slow"
[ "$(cat "$T/slow.code")" = 201 ] ||
    fail "the upload in flight got $(cat "$T/slow.code"): $(cat "$T/slow.body")"
# The old workers leave, two new ones serve.
n=50
printf '%s\n' "$old" >"$T/old"
while [ "$(workers | comm -12 - "$T/old" | wc -l)" -ne 0 ]; do
	n=$((n - 1))
	[ "$n" -gt 0 ] || fail "old workers remain: $(workers | tr '\n' ' ')"
	sleep 0.1
done
[ "$(workers | wc -l)" -eq 2 ] || fail "workers: $(workers | tr '\n' ' ')"

# An invalid file: one line naming it and its line; nothing changes.
before=$(workers)
reload '[registry]' 'read-only = maybe'
case $last in
*"warn: reload failed, the old configuration stays: $T/specreg.ini:$(wc -l <"$T/specreg.ini"): read-only must be yes or no")
	;;
*)	fail "the bad reload logged: $last" ;;
esac
refused
[ "$(workers)" = "$before" ] || fail "a bad reload replaced the workers"

reload
pushed 0
for round in 1 2 3; do
	reload '[registry]' 'read-only = yes'
	refused
	reload
	pushed "$round"
done

: >"$T/stop"
wait "$puller1"
wait "$puller2"
[ ! -e "$T/failed" ] || fail "failed pulls: $(head -n 20 "$T/failed")"
r1=$(cat "$T/pull1.rounds")
r2=$(cat "$T/pull2.rounds")
echo "# pull rounds: $r1 and $r2 across $nhup reloads"
if [ "$r1" -lt 5 ] || [ "$r2" -lt 5 ]; then
	fail "too few pulls: $r1 and $r2"
fi

# The metrics lived through it: 2 starts per reload that took (all but
# one) plus the first 2, and every pulled blob counted.
expect_status 200 "$URL/metrics"
grep -qx "specreg_worker_starts_total $((2 * nhup))" "$T/body" ||
    fail "metrics: $(grep specreg_worker_ "$T/body" | tr '\n' ' ')"
grep -qx 'specreg_worker_restarts_total 0' "$T/body" ||
    fail "metrics: $(grep specreg_worker_ "$T/body" | tr '\n' ' ')"
got=$(awk '/^specreg_http_requests_total\{route="blob",method="GET",status="200"\}/ { print $2 }' "$T/body")
[ "${got:-0}" -ge $((r1 + r2)) ] ||
    fail "blob GETs counted: ${got:-none}, pulled $((r1 + r2))"
exit 0
