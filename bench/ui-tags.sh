#!/bin/sh
# bench/ui-tags.sh [TAGS [RUNS]]: the CPU time specreg spends on the web
# UI's repository page for a repository with TAGS tags (default 1000),
# each a different image (its own config, three shared layers).
#
# Runs one worker behind lighttpd with the integration harness
# (tests/integration/lib.sh), pushes the images with curl, then fetches
# /ui/repo?name=bench/tags RUNS times (default 20), the first page of
# 100 tags and then all of them at once (&n=1000), and reads the
# worker's time on a CPU (user and system, /proc/PID/schedstat) around
# each fetch.  Prints the page sizes and the median and worst CPU
# milliseconds per page.
# Environment: SPECREG_BIN and top_srcdir as for the integration tests;
# UI_BENCH_DATA, a storage root kept from an earlier run (SPECREG_KEEP=1,
# its data/), is copied instead of pushing again.
TAGS=${1:-1000}
RUNS=${2:-20}
SPECREG_WORKERS=1
export SPECREG_WORKERS
. "${top_srcdir:?}/tests/integration/lib.sh"
# shellcheck source=tests/integration/oci.sh
. "$top_srcdir/tests/integration/oci.sh"
if [ -n "${UI_BENCH_DATA:-}" ]; then
	cp -a "$UI_BENCH_DATA/." "$DATA/" || harness_error "cannot copy"
fi
start_registry
oci_init
R=bench/tags

# push FILE: a monolithic upload; prints the descriptor fields.
push() {
	_d=$(digest_of "$1")
	expect_status 201 -X POST -H 'Content-Type: application/octet-stream' \
	    --data-binary "@$1" "$V2/$R/blobs/uploads/?digest=$_d"
	echo "$_d $(size_of "$1")"
}

[ -z "${UI_BENCH_DATA:-}" ] || TAGS=0
for i in 1 2 3; do
	randfile "$T/l$i" $((i * 100000))
	# shellcheck disable=SC2046
	set -- $(push "$T/l$i")
	eval "L$i='{\"mediaType\":\"$OCI_LAYER\",\"digest\":\"$1\",\"size\":$2}'"
done
i=0
while [ "$i" -lt "$TAGS" ]; do
	printf '{"created":"2026-01-01T00:00:%02dZ","architecture":"amd64","os":"linux","config":{"Labels":{"n":"%d"}},"rootfs":{"type":"layers","diff_ids":[]}}' \
	    $((i % 60)) "$i" >"$T/cfg"
	# shellcheck disable=SC2046
	set -- $(push "$T/cfg")
	printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"%s","digest":"%s","size":%s},"layers":[%s,%s,%s]}' \
	    "$OCI" "$OCI_CONFIG" "$1" "$2" "$L1" "$L2" "$L3" >"$T/m"
	expect_status 201 -X PUT -H "Content-Type: $OCI" --data-binary "@$T/m" \
	    "$V2/$R/manifests/tag-$i"
	i=$((i + 1))
done

worker=$(pgrep -P "$SPECREG_PID" | head -1)
[ -n "$worker" ] || harness_error "no worker"
# cpu: the worker's time on a CPU so far, in microseconds.
cpu() {
	awk '{ printf "%d\n", $1 / 1000 }' "/proc/$worker/schedstat"
}
# measure QUERY: fetch the page RUNS times, print what it cost.
measure() {
	: >"$T/ms"
	_n=0
	while [ "$_n" -lt "$RUNS" ]; do
		_a=$(cpu)
		expect_status 200 "$URL/ui/repo?name=$R$1"
		_b=$(cpu)
		echo $(((_b - _a) / 1000)) >>"$T/ms"
		_n=$((_n + 1))
	done
	grep -c '<tr>' "$T/body" | awk -v s="$(size_of "$T/body")" -v q="$1" \
	    '{ printf "/ui/repo?name=bench/tags%s: %d rows, %d bytes\n", q,
	    $1 - 1, s }'
	sort -n "$T/ms" | awk '{ v[NR] = $1 } END {
	    printf "  cpu per page (ms, %d runs): median %d, max %d\n", NR,
	    v[int((NR + 1) / 2)], v[NR] }'
}
measure ""
measure "&n=1000"
