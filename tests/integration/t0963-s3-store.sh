#!/bin/sh
# tests/integration/t0963-s3-store.sh: the S3 test environment itself
# (lib.sh's s3_start, s3_bucket and s3_cleanup, tests/integration/
# s3-store and s3-bucket.py), on the store at SPECREG_S3_ENDPOINT or on
# one of the test's own of SPECREG_S3_STORE's kind (swift by default).
#  1. The test's bucket is made and named by the test; SPECREG_S3_* are
#     exported for check_stor_s3; storage_config writes the [storage]
#     section of the s3 driver, with the keys through the environment.
#  2. Objects whose keys need escaping (SPECREG_S3_MANY of them, 5;
#     1001 and more make listings and deletes page), and an open
#     multipart upload.
#  3. On a store of the test's own: stopped, it refuses connections;
#     started again, the bucket and its objects are still there.
#  4. Deleting the bucket aborts the upload and removes every object.
# lib_cleanup then deletes the bucket (2 more objects are left for it)
# or stops the store; tests/integration/run-test checks that nothing
# the test started outlives it.
# front end: any
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?}/tests/integration/lib.sh"

B="python3 $top_srcdir/tests/integration/s3-bucket.py"

# b ARGS...: s3-bucket.py, failing the test if it fails.
b() {
	$B "$@" 2>"$T/b.err" || fail "s3-bucket.py $*: $(cat "$T/b.err")"
}

note() {
	echo "# $*"
}

note "the test's bucket and the [storage] section"
s3_bucket
for v in SPECREG_S3_ENDPOINT SPECREG_S3_REGION SPECREG_S3_ACCESS_KEY \
    SPECREG_S3_SECRET_KEY SPECREG_S3_BUCKET ZUUL_S3_ACCESS_KEY \
    ZUUL_S3_SECRET_KEY; do
	[ -n "$(sh -c "eval echo \"\\\${$v:-}\"")" ] || fail "$v is not exported"
done
case $S3_BUCKET in
specreg-t0963-s3-store-$$-*)	;;
*)	fail "bucket name $S3_BUCKET" ;;
esac
b list >"$T/buckets"
grep -qx "$S3_BUCKET" "$T/buckets" || fail "no $S3_BUCKET in: $(cat "$T/buckets")"
SPECREG_STORAGE=s3 storage_config >"$T/storage.ini"
cat >"$T/want.ini" <<EOW
[storage]
driver = s3
endpoint = $SPECREG_S3_ENDPOINT
region = $SPECREG_S3_REGION
bucket = $S3_BUCKET
access-key = %(ZUUL_S3_ACCESS_KEY)
secret-key = %(ZUUL_S3_SECRET_KEY)
path-style = yes
EOW
diff "$T/want.ini" "$T/storage.ini" >&2 || fail "storage_config wrote that"
grep -qF "$SPECREG_S3_SECRET_KEY" "$T/storage.ini" &&
    fail "the secret key is in the configuration"

note "objects and an open multipart upload"
printf 'x' >"$T/x"
n=${SPECREG_S3_MANY:-5}
set -- blobs/sha256/ab/abcd/data
i=0
while [ "$i" -lt "$n" ]; do
	set -- "$@" "a/k $i+&<x>%é"
	i=$((i + 1))
done
b put "$S3_BUCKET" "$T/x" "$@"
b start-upload "$S3_BUCKET" "uploads/u 1" >/dev/null
b count "$S3_BUCKET" >"$T/count"
[ "$(cat "$T/count")" = "$((n + 1)) 1" ] ||
    fail "count: $(cat "$T/count"), not $((n + 1)) 1"

if [ -n "$S3_DIR" ]; then
	note "the test's own $SPECREG_S3_STORE store, stopped and started again"
	store_stop || fail "store_stop"
	$B list >/dev/null 2>"$T/b.err" && fail "the stopped store answered"
	grep -q 'refused' "$T/b.err" || fail "stopped: $(cat "$T/b.err")"
	store_again || fail "store_again"
	b count "$S3_BUCKET" >"$T/count"
	[ "$(cat "$T/count")" = "$((n + 1)) 1" ] ||
	    fail "after the restart: $(cat "$T/count")"
fi

note "deleting a bucket aborts its uploads and removes its objects"
keep=$S3_BUCKET
b delete "$S3_BUCKET"
b list >"$T/buckets"
grep -qx "$keep" "$T/buckets" && fail "$keep is still there"
b delete "$S3_BUCKET"

note "a second bucket, left for lib_cleanup with 2 objects and an upload"
S3_BUCKET=
s3_bucket
[ "$S3_BUCKET" != "$keep" ] || fail "the same bucket name twice"
b put "$S3_BUCKET" "$T/x" one two/three
b start-upload "$S3_BUCKET" four >/dev/null
exit 0
