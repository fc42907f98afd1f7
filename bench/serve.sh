#!/bin/sh
# bench/serve.sh FRONTEND: run specreg behind FRONTEND for bench/bench.py.
#
# It reuses the integration harness (tests/integration/lib.sh): free
# port, pool ("specreg serve --listen"), front end from its template,
# clean-up on exit.  The templates come from $BENCH_TEMPLATES (bench.py
# copies tests/integration/*.conf.in there with the access logs turned
# off, as in deploy/); lib.sh reads them from $top_srcdir/tests/integration.
#
# Protocol: once the registry answers, print "key=value" lines (url,
# port, t, data, pool, front, frontend, sendfile, bucket: the bucket or
# container on an object store) and "ready".  Then
# read commands from stdin, one per line:
#	restart SENDFILE	restart the front end and the pool with
#				[registry] sendfile = SENDFILE (same port,
#				same storage); prints the new pids, "ready"
#	probe BIN		the same with BIN (bench/fcgi-ceiling) in
#				specreg's place, sendfile off
# End of stdin stops everything and removes the private directory.
#
# Environment: SPECREG_BIN, BENCH_TEMPLATES, SPECREG_WORKERS, TMPDIR and
# anything else lib.sh reads.

self=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$self/.." && pwd)
SPECREG_FRONTEND=${1:?usage: serve.sh FRONTEND}
: "${BENCH_TEMPLATES:?}"
top_srcdir=$BENCH_TEMPLATES
export SPECREG_FRONTEND top_srcdir

. "$src/tests/integration/lib.sh"

serve_report() {
	echo "url=$URL"
	echo "port=$PORT"
	echo "t=$T"
	echo "data=$DATA"
	echo "pool=$SPECREG_PID"
	echo "front=$FRONT_PID"
	echo "frontend=$SPECREG_FRONTEND"
	echo "sendfile=${SPECREG_SENDFILE:-$FRONT_SENDFILE}"
	case ${SPECREG_STORAGE:-filesystem} in
	s3)	echo "bucket=$S3_BUCKET" ;;
	swift)	echo "bucket=$SWIFT_CONTAINER" ;;
	esac
	echo "ready"
}

# serve_restart SENDFILE: everything again, on the same port and data.
serve_restart() {
	stop_frontend
	stop_pool
	SPECREG_SENDFILE=$1
	write_config
	[ "$FRONT_SPAWNS" = 1 ] || start_pool
	"start_frontend_$LIB_FE" || harness_error "cannot restart on $PORT"
	wait_ready
}

start_registry
head -c 512 /dev/zero | tr '\0' x >"$T/www/small.txt"
# deploy/nginx.conf sets no root: nginx serves static files from its
# prefix's html/.
ln -s www "$T/html"
serve_report
while read -r cmd arg; do
	case $cmd in
	restart)	serve_restart "$arg"; serve_report ;;
	probe)
		# shellcheck disable=SC2034 # lib.sh reads it
		SPECREG_BIN=$arg
		serve_restart off
		serve_report
		;;
	*)		echo "error=unknown command $cmd" ;;
	esac
done
exit 0
