#!/bin/sh
# tests/integration/t0962-s3-conformance.sh: the driver conformance
# suite (tests/unit/stor_conformance.c) on the s3 driver,
# tests/unit/check_stor_s3, in buckets named after the test's own
# (SPECREG_S3_BUCKET is their prefix; the test deletes them after), on
# the S3 store at SPECREG_S3_ENDPOINT, or else on both stores in
# turn, each started here: Swift's s3api (tests/swift/saio.sh) and
# Ceph's radosgw (tests/ceph/ceph-aio.sh).  SPECREG_S3_STORE=swift or
# radosgw runs it on that one only.  run-all's S3 passes run it on the
# store they share (make check does not: it would start two stores).
# front end: any
if [ -z "${SPECREG_S3_ENDPOINT:-}" ] && [ -z "${SPECREG_S3_STORE:-}" ]; then
	rc=0
	for st in swift radosgw; do
		echo "# on $st"
		SPECREG_S3_STORE=$st sh "$0" "$@"
		r=$?
		case $r in
		0)	;;
		77)	[ "$rc" != 0 ] || rc=77 ;;
		*)	rc=$r ;;
		esac
	done
	exit "$rc"
fi
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?}/tests/integration/lib.sh"

CHECK=${SPECREG_CHECK_STOR_S3:-$(dirname "$SPECREG_BIN")/tests/unit/check_stor_s3}
[ -x "$CHECK" ] || skip "no $CHECK (no s3 driver or no Check, or make it first)"
s3_bucket
echo "# $CHECK on $SPECREG_S3_STORE at $SPECREG_S3_ENDPOINT, bucket $S3_BUCKET"
"$CHECK" >"$T/check.out" 2>&1
rc=$?
python3 "$top_srcdir/tests/integration/s3-bucket.py" list >"$T/buckets" ||
    fail "cannot list the buckets"
set --
while read -r b; do
	case $b in
	"$S3_BUCKET"-*)	set -- "$@" "$b" ;;
	esac
done <"$T/buckets"
[ $# = 0 ] || python3 "$top_srcdir/tests/integration/s3-bucket.py" \
    delete "$@" || fail "cannot delete the buckets check_stor_s3 made"
grep -v ' info: \| warn: storage: ' "$T/check.out" >&2
[ "$rc" = 0 ] || fail "conformance on S3 ($SPECREG_S3_STORE): exit $rc"
grep -q '^100%: Checks: [0-9]*, Failures: 0, Errors: 0' "$T/check.out" ||
    fail "conformance on S3 ($SPECREG_S3_STORE) did not pass"
