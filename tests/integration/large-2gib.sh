#!/bin/sh
# tests/integration/large-2gib.sh: opt-in (SPECREG_LARGE=1; not in CI,
# not in make check).  Push a blob of 2 GiB + 1 byte through the front
# end chosen by SPECREG_FRONTEND, once as one chunked PATCH and once as
# a monolithic PUT with Content-Length, and check each: specreg's 201
# (it verified the digest), the Range after the PATCH, HEAD's
# Content-Length, and the SHA-256 of a full GET.  This is where
# mod_fcgid's silent truncation at LimitRequestBody (1 GiB) and its
# FcgidMaxRequestLen, nginx's body limit and any 2^31 overflow would
# show.  Needs about 3 x 2 GiB of disk in $TMPDIR (the file, the stored
# blob, and under mod_fcgid or a chunked body behind lighttpd the web
# server's spool).
#
#	SPECREG_LARGE=1 tests/run-frontends
#	SPECREG_LARGE=1 SPECREG_FRONTEND=nginx sh tests/integration/large-2gib.sh
#
# SPECREG_LARGE_BYTES changes the size (default 2147483649).
if [ "${SPECREG_LARGE:-0}" != 1 ]; then
	echo "# opt-in: set SPECREG_LARGE=1 to push 2 GiB through the front end"
	exit 77
fi
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?}/tests/integration/lib.sh"
# shellcheck source=tests/integration/oci.sh
. "$top_srcdir/tests/integration/oci.sh"
need_cmd sha256sum df

N=${SPECREG_LARGE_BYTES:-2147483649}
need_kb=$((N * 3 / 1024 + 1048576))
free_kb=$(df -Pk "$T" | awk 'NR == 2 { print $4 }')
[ "$free_kb" -ge "$need_kb" ] ||
    skip "needs ${need_kb} KiB free in $T, has ${free_kb} KiB"

start_registry
oci_init
R=large/blob

# big_curl CODE ARGS...: like expect_status, with time for 2 GiB.
big_curl() {
	_bc_want=$1
	shift
	_bc_t0=$(date +%s)
	_bc_got=$(curl -s -m 3600 -o "$T/body" -D "$T/headers" -H 'Expect:' \
	    -w '%{http_code}' "$@") || true
	note "  HTTP $_bc_got in $(($(date +%s) - _bc_t0)) s"
	[ "$_bc_got" = "$_bc_want" ] ||
	    fail "expected $_bc_want, got $_bc_got: $(head -c 500 "$T/body")"
}

up_start() {
	expect_status 202 -X POST -H 'Content-Length: 0' "$V2/$R/blobs/uploads/"
	UPLOAD=$(abs_url "$(header Location)")
}

# check_blob DIGEST: HEAD length and the SHA-256 of a full GET.
check_blob() {
	expect_status 200 -I "$V2/$R/blobs/$1"
	hdr_is Content-Length "$N"
	hdr_is Docker-Content-Digest "$1"
	_cb_t0=$(date +%s)
	_cb_got=sha256:$(curl -s -m 3600 "$V2/$R/blobs/$1" | sha256sum |
	    cut -d' ' -f1)
	note "  GET in $(($(date +%s) - _cb_t0)) s"
	[ "$_cb_got" = "$1" ] || fail "GET of $1 has digest $_cb_got"
}

note "$SPECREG_FRONTEND: writing $N random bytes"
head -c "$N" /dev/urandom >"$T/big"
d=$(digest_of "$T/big")

note "chunked PATCH of $N bytes"
up_start
big_curl 202 -X PATCH -H 'Transfer-Encoding: chunked' \
    -H 'Content-Type: application/octet-stream' -T "$T/big" "$UPLOAD"
hdr_is Range "0-$((N - 1))"
upload_follow
expect_status 201 -X PUT -H 'Content-Length: 0' \
    "$(add_query "$UPLOAD" "digest=$d")"
hdr_is Docker-Content-Digest "$d"
check_blob "$d"
expect_status 202 -X DELETE "$V2/$R/blobs/$d"

note "monolithic PUT of $N bytes with Content-Length"
# Other bytes, so the first blob's file cannot stand in for this one.
printf 'SPECREG!' | dd of="$T/big" bs=1 seek=$((N / 2)) conv=notrunc 2>/dev/null
d=$(digest_of "$T/big")
up_start
big_curl 201 -T "$T/big" -H 'Content-Type: application/octet-stream' \
    "$(add_query "$UPLOAD" "digest=$d")"
hdr_is Docker-Content-Digest "$d"
rm -f "$T/big"
check_blob "$d"

echo "ok: $SPECREG_FRONTEND carried $N bytes both ways, chunked and not"
