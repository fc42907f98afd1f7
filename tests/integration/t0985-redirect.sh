#!/bin/sh
# tests/integration/t0985-redirect.sh: [registry] redirect = yes on
# Swift, or with SPECREG_STORAGE=s3 on an S3 store.  Two hosts on one
# fresh Swift account, which has no TempURL key yet: the first blob
# GETs on both hosts race to set it, and every URL either hands out
# works.
#  1. A blob GET answers 307, Location a TempURL on the Swift proxy
#     (HMAC-SHA256 under the account's key, about 300 s ahead), or on
#     S3 a presigned GET on the test's bucket (Signature V4 with the
#     store's access key, expiring within 300 s), and
#     Docker-Content-Digest; curl -L gets the exact bytes, a Range too.
#  2. The store refuses a tampered signature and a PUT to the URL, and
#     Swift an expired URL.
#  3. A blob the repository does not hold is a 404, not a redirect; HEAD
#     stays a 200 with Content-Length.
#  4. On Swift a blob of 9 MiB pushed in one request (a manifest of
#     one part) sends the client to that part under .segments/, a plain
#     object; pushed in two PATCHes, to the blob's manifest.  Either way
#     curl -L gets the exact bytes, a Range too.
#  5. skopeo pushes an image and pulls it back through the redirects.
# Runs in private mount and PID namespaces (clients.sh), for skopeo.
# front end: any
# shellcheck source=tests/integration/clients.sh
. "${top_srcdir:?}/tests/integration/clients.sh"
clients_reexec "$@"
# shellcheck source=tests/integration/lib.sh
. "$top_srcdir/tests/integration/lib.sh"
# shellcheck source=tests/integration/oci.sh
. "$top_srcdir/tests/integration/oci.sh"

need_cmd openssl
[ "${SPECREG_STORAGE:-}" = s3 ] || SPECREG_STORAGE=swift
# shellcheck disable=SC2034
SPECREG_INI_EXTRA='[registry]
redirect = yes'
host_start 1
host_start 2
oci_init
SWIFT=${SPECREG_SWIFT_AUTH:-}
SWIFT=${SWIFT%/auth/v1.0}
ACCOUNT=/v1/AUTH_test

# account_key: the account's TempURL key ("" if none).
account_key() {
	_ak_tok=$(curl -sS -D - -o /dev/null -H 'X-Auth-User: test:tester' \
	    -H 'X-Auth-Key: testing' "$SPECREG_SWIFT_AUTH" | tr -d '\r' |
	    sed -n 's/^[Xx]-[Aa]uth-[Tt]oken: //p')
	curl -sS -I -H "X-Auth-Token: $_ak_tok" "$SWIFT$ACCOUNT" |
	    tr -d '\r' | sed -n 's/^[Xx]-[Aa]ccount-[Mm]eta-[Tt]emp-[Uu]rl-[Kk]ey: //p'
}

# v2 N: host N's /v2 base URL.
v2() {
	eval "printf '%s/v2\n' \"\$URL_$1\""
}

# qparam URL NAME: a query parameter's value.
qparam() {
	printf '%s\n' "$1" | sed -n "s/.*[?&]$2=\([^&]*\).*/\1/p"
}

# s3_url_ok URL: URL is a presigned GET of a blob in the test's bucket.
s3_url_ok() {
	case $1 in
	"$SPECREG_S3_ENDPOINT/$S3_BUCKET/"*"blobs/sha256/"*\?*) ;;
	*) fail "Location is not in bucket $S3_BUCKET: $1" ;;
	esac
	[ "$(qparam "$1" X-Amz-Algorithm)" = AWS4-HMAC-SHA256 ] ||
	    fail "not Signature V4: $1"
	# The credential is percent-encoded ("test%3Atester%2F2026...").
	case $(qparam "$1" X-Amz-Credential |
	    sed 's/%3[Aa]/:/g; s/%2[Ff]/\//g') in
	"$SPECREG_S3_ACCESS_KEY"/*) ;;
	*) fail "not signed with the store's access key: $1" ;;
	esac
	_su_exp=$(qparam "$1" X-Amz-Expires)
	[ -n "$_su_exp" ] && [ "$_su_exp" -gt 0 ] && [ "$_su_exp" -le 300 ] ||
	    fail "X-Amz-Expires is '$_su_exp', not 1-300: $1"
	[ -n "$(qparam "$1" X-Amz-Signature)" ] || fail "no signature: $1"
}

[ "$SPECREG_STORAGE" = s3 ] || [ -z "$(account_key)" ] ||
    harness_error "the fresh account has a key"
randfile "$T/a" $((3 * 1024 * 1024 + 17))
randfile "$T/b" 4099
URL=$URL_1
V2=$URL/v2
da=$(blob_push r/a "$T/a")
db=$(blob_push r/b "$T/b")

note "the first GETs on both hosts race to set the key"
pids=
for h in 1 2; do
	for i in 1 2 3 4; do
		curl -s -o /dev/null -D "$T/race.$h.$i" \
		    "$(v2 "$h")/r/a/blobs/$da" &
		pids="$pids $!"
	done
done
for p in $pids; do
	wait "$p"
done
if [ "$SPECREG_STORAGE" = swift ]; then
	key=$(account_key)
	[ -n "$key" ] || fail "no TempURL key was set"
fi
for f in "$T"/race.*; do
	loc=$(tr -d '\r' <"$f" | sed -n 's/^[Ll]ocation: //p')
	[ -n "$loc" ] || fail "no Location: $(cat "$f")"
	expect_status 200 "$loc"
	cmp -s "$T/body" "$T/a" || fail "bytes from $f's URL differ"
done

note "a blob GET answers 307 with a TempURL or a presigned URL"
for h in 1 2; do
	expect_status 307 "$(v2 "$h")/r/a/blobs/$da"
	hdr_is Docker-Content-Digest "$da"
	loc=$(header Location)
	if [ "$SPECREG_STORAGE" = s3 ]; then
		s3_url_ok "$loc"
		continue
	fi
	case $loc in
	"$SWIFT$ACCOUNT/"*"/blobs/sha256/"*"?temp_url_sig="*) ;;
	*) fail "Location is not a TempURL on Swift: $loc" ;;
	esac
	sig=$(qparam "$loc" temp_url_sig)
	exp=$(qparam "$loc" temp_url_expires)
	now=$(date +%s)
	if [ "$exp" -le $((now + 240)) ] || [ "$exp" -gt $((now + 300)) ]; then
		fail "expires $exp is not about 300 s after $now"
	fi
	path=${loc#"$SWIFT"}
	path=${path%%\?*}
	want=$(printf 'GET\n%s\n%s' "$exp" "$path" |
	    openssl dgst -sha256 -hmac "$key" -r | cut -d' ' -f1)
	[ "$sig" = "$want" ] || fail "not HMAC-SHA256 under the key: $sig"
done
curl -s -L -o "$T/got" "$V2/r/a/blobs/$da" || fail "curl -L"
cmp -s "$T/got" "$T/a" || fail "curl -L: the bytes differ"
note "a Range goes along to the store"
expect_status 206 -L -H 'Range: bytes=1000-1999' "$V2/r/a/blobs/$da"
tail -c +1001 "$T/a" | head -c 1000 | cmp -s - "$T/body" ||
    fail "the range's bytes differ"

if [ "$SPECREG_STORAGE" = s3 ]; then
	note "the store refuses a tampered URL and a PUT to the URL"
	sig=$(qparam "$loc" X-Amz-Signature)
	bad=$(printf %s "$sig" | tr 0-9a-f 1-9a-f0)
	expect_status 403 "$(printf %s "$loc" | sed "s/$sig/$bad/")"
	expect_status 403 -X PUT --data-binary x "$loc"
	expect_status 200 "$loc"
	cmp -s "$T/body" "$T/a" || fail "the blob changed"
else
	note "Swift refuses a tampered or expired URL"
	bad=$(printf %s "$sig" | tr 0-9a-f 1-9a-f0)
	expect_status 401 "$(printf %s "$loc" | sed "s/$sig/$bad/")"
	old=$((now - 10))
	oldsig=$(printf 'GET\n%s\n%s' "$old" "$path" |
	    openssl dgst -sha256 -hmac "$key" -r | cut -d' ' -f1)
	expect_status 401 \
	    "$SWIFT$path?temp_url_sig=$oldsig&temp_url_expires=$old"
	expect_status 401 -X PUT --data-binary x "$loc"
fi

note "another repository's blob is a 404; HEAD is a 200"
expect_err 404 BLOB_UNKNOWN "$V2/r/a/blobs/$db"
hdr_absent Location
expect_err 404 BLOB_UNKNOWN "$V2/nothere/blobs/$da"
hdr_absent Location
expect_status 307 "$V2/r/b/blobs/$db"
expect_status 200 -I "$V2/r/a/blobs/$da"
hdr_is Content-Length "$(size_of "$T/a")"
hdr_is Docker-Content-Digest "$da"
hdr_absent Location

if [ "$SPECREG_STORAGE" = swift ]; then
	note "a blob of one part: the part; of two: the manifest"
	randfile "$T/one" $((9 * 1024 * 1024))
	done_=$(blob_push r/one "$T/one")
	randfile "$T/two" $((9 * 1024 * 1024 + 5))
	dtwo=$(digest_of "$T/two")
	upload_start r/two
	head -c 5242880 "$T/two" >"$T/two.1"
	tail -c +5242881 "$T/two" >"$T/two.2"
	expect_status 202 -X PATCH -H 'Content-Type: application/octet-stream' \
	    -H 'Content-Range: 0-5242879' --data-binary "@$T/two.1" "$UPLOAD"
	upload_follow
	expect_status 201 -X PUT -H 'Content-Type: application/octet-stream' \
	    --data-binary "@$T/two.2" "$(add_query "$UPLOAD" "digest=$dtwo")"
	for b in "one $done_ /.segments/[0-9a-f]*/00000000000000000000?" \
	    "two $dtwo /blobs/sha256/*?"; do
		set -- $b
		expect_status 307 "$V2/r/$1/blobs/$2"
		loc=$(header Location)
		# shellcheck disable=SC2254
		case ${loc#"$SWIFT$ACCOUNT/"*/} in
		${3#/}*) ;;
		*) fail "blob $1: Location is not $3...: $loc" ;;
		esac
		curl -s -L -o "$T/got" "$V2/r/$1/blobs/$2" || fail "curl -L"
		cmp -s "$T/got" "$T/$1" || fail "blob $1: the bytes differ"
		expect_status 206 -L -H 'Range: bytes=5242870-5242889' \
		    "$V2/r/$1/blobs/$2"
		tail -c +5242871 "$T/$1" | head -c 20 | cmp -s - "$T/body" ||
		    fail "blob $1: the range's bytes differ"
	done
fi

note "skopeo through the redirects"
URL=$URL_2
clients_setup
MK="sh $top_srcdir/tests/integration/mkimage.sh"
REG=docker://$HOSTPORT
dm=$($MK oci "$T/oci" v1 3 amd64 redirect) || fail "mkimage oci"
cl_ok skopeo copy --dest-tls-verify=false "oci:$T/oci:v1" "$REG/r/img:v1"
n=$(wc -l <"$T/host2/specreg.log")
cl_ok skopeo copy --src-tls-verify=false "$REG/r/img:v1" "oci:$T/back:v1"
[ "$(jq -r '.manifests[0].digest' "$T/back/index.json")" = "$dm" ] ||
    fail "pulled manifest digest: $(cat "$T/back/index.json")"
for b in "$T"/oci/blobs/sha256/*; do
	cmp -s "$b" "$T/back/blobs/sha256/${b##*/}" ||
	    fail "blob ${b##*/} differs after the pull"
done
tail -n +$((n + 1)) "$T/host2/specreg.log" >"$T/new.log"
[ "$(grep -c 'GET /v2/r/img/blobs/sha256:[0-9a-f]* 307 ' "$T/new.log")" \
    -eq 4 ] || fail "not 4 redirected blob GETs: $(cat "$T/new.log")"
exit 0
