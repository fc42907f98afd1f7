#!/bin/sh
# tests/integration/t0620-slow-clients.sh: slow clients are cut off by
# the front end's header and body timeouts, and the registry serves
# the others meanwhile.  Behind a streaming front end (nginx, Apache +
# mod_proxy_fcgi) a body in flight holds a specreg worker: as many
# clients stalling mid-body as there are workers used to stop the
# registry until they gave up.  Here as many do (plus one sending its
# header slowly), each sending a byte every 5 s, with the front end's
# timeouts at 3 s (SPECREG_FRONT_TIMEOUT; the shipped values are 30-60
# s, which the same settings carry): each must be cut off within a few
# seconds, and a pull and a push started meanwhile must finish.
#
# lighttpd-spawn and apache-shared run a shipped file whose timeouts the
# test cannot shorten; they are lighttpd's and mod_fcgid's, checked
# behind lighttpd and apache-fcgid.
case ${SPECREG_FRONTEND:-lighttpd} in
lighttpd-spawn|apache-shared)
	echo "# t0620 cannot shorten $SPECREG_FRONTEND's timeouts; see lighttpd" \
	    "and apache-fcgid"
	exit 0 ;;
esac
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?}/tests/integration/lib.sh"
# shellcheck source=tests/integration/oci.sh
. "$top_srcdir/tests/integration/oci.sh"
need_cmd python3

SPECREG_FRONT_TIMEOUT=3
SPECREG_WORKERS=2
export SPECREG_FRONT_TIMEOUT SPECREG_WORKERS
start_registry
oci_init
R=slow/test
GAP=5
# Cut off after the first silent gap: by 3 s into it, give or take.
CUT_BY=12

randfile "$T/blob" 1000
dblob=$(blob_push "$R" "$T/blob")

# slow MODE N: start a slow.py client; its verdict goes to $T/slow.N.
slow() {
	case $1 in
	body)	upload_start "$R"
		_s_uri=${UPLOAD#"$URL"} ;;
	*)	_s_uri=/v2/ ;;
	esac
	python3 "$top_srcdir/tests/integration/slow.py" "$HOSTPORT" "$1" \
	    "$_s_uri" "$GAP" 40 >"$T/slow.$2" 2>&1 &
	eval "SLOW_PID_$2=\$!"
}

note "$SPECREG_WORKERS slow bodies and a slow header, a byte every ${GAP} s"
i=1
while [ "$i" -le "$SPECREG_WORKERS" ]; do
	slow body "$i"
	i=$((i + 1))
done
slow header h
# Let them reach specreg (and hold its workers, where bodies stream).
sleep 1

note "a pull and a push meanwhile are served"
start=$(date +%s)
expect_status 200 -m 20 "$V2/$R/blobs/$dblob"
body_is_file "$T/blob"
randfile "$T/other" 2000
blob_push "$R" "$T/other" >/dev/null
took=$(($(date +%s) - start))
[ "$took" -le "$CUT_BY" ] ||
    fail "a pull and a push took $took s next to the slow clients"
note "served in $took s"

note "each slow client is cut off"
for i in $(seq "$SPECREG_WORKERS") h; do
	eval "wait \$SLOW_PID_$i"
	read -r verdict secs status <"$T/slow.$i" ||
	    fail "slow client $i said nothing"
	note "slow client $i: $verdict after $secs s, status $status"
	[ "$verdict" = cut ] ||
	    fail "slow client $i was not cut off: $(cat "$T/slow.$i")"
	[ "${secs%.*}" -lt "$CUT_BY" ] ||
	    fail "slow client $i was cut off only after $secs s"
	case $status in
	-|408|400|500|502|504) ;;
	*)	fail "slow client $i got $status" ;;
	esac
done

note "every worker is free again"
pids=
for i in 1 2 3 4; do
	curl -s -o /dev/null -m 10 -w '%{http_code}\n' "$V2/$R/blobs/$dblob" \
	    >"$T/par.$i" &
	pids="$pids $!"
done
for i in $pids; do
	wait "$i"
done
for i in 1 2 3 4; do
	[ "$(cat "$T/par.$i")" = 200 ] ||
	    fail "GET after the slow clients: $(cat "$T/par.$i")"
done

echo "ok: $SPECREG_FRONTEND cuts slow clients off and serves the others"
