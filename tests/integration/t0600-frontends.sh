#!/bin/sh
# tests/integration/t0600-frontends.sh: what the front end chosen by
# SPECREG_FRONTEND (see tests/run-frontends) must pass through to
# specreg and back, for the traps in ../shared/notes/fastcgi-servers.md:
#   - a chunked PATCH and a monolithic PUT of more than 2 MiB (above
#     mod_fcgid's 128 KiB FcgidMaxRequestLen and 64 KiB in-memory
#     buffer, nginx's 1 MiB client_max_body_size) arrive intact;
#   - Authorization reaches specreg (Apache needs CGIPassAuth), on /v2/
#     and on /auth/token;
#   - HEAD keeps Content-Length (mod_proxy_fcgi drops it) and
#     Docker-Content-Digest;
#   - 201/202/204/206/404/416 and Location/Range/Content-Range pass
#     unchanged, error bodies are specreg's JSON;
#   - blob GET returns the right bytes with sendfile off and with the
#     front end's own (X-Sendfile or X-Accel-Redirect, which keeps
#     Docker-Content-Digest);
#   - one Range rule, specreg's, on blobs of 1000 bytes, 16 KiB and
#     3.5 MiB, sendfile on or off: specreg answers every Range itself
#     and the front end never ranges a response (lighttpd and Apache
#     did, on small ones: 416 pages, multipart 206s, partial
#     manifests);
#   - "/" and "/ui/" reach specreg's web UI, Basic credentials and a
#     form POST included.
# Every front end of lib.sh runs it, lighttpd-spawn included.
# Runs twice unless SPECREG_SENDFILE is set: sendfile off, then the
# front end's default; once on Swift or S3, whose blobs are no files to
# hand over (the default streams them as sendfile off does).
if [ -z "${SPECREG_SENDFILE:-}" ] &&
    [ "${SPECREG_STORAGE:-filesystem}" = filesystem ]; then
	echo "# pass 1: SPECREG_SENDFILE=off"
	SPECREG_SENDFILE=off sh "$0" || exit $?
	echo "# pass 2: the front end's default"
	SPECREG_SENDFILE=
fi
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?}/tests/integration/lib.sh"
# shellcheck source=tests/integration/oci.sh
. "$top_srcdir/tests/integration/oci.sh"
need_cmd jq sha256sum

PUSHER=pusher
PASS=fe-pass-0600
# The quotes in [user "NAME"] are meant literally.
# shellcheck disable=SC2089,SC2090
SPECREG_INI_EXTRA="[registry]
secret = t0600-secret-0123456789abcdef
[user \"$PUSHER\"]
password = $PASS
access = write"
# shellcheck disable=SC2090
export SPECREG_INI_EXTRA
start_registry
oci_init
R=fe/test
CRED="$PUSHER:$PASS"
MIB=1048576

# specreg_logged PATTERN: wait up to 3 s for specreg to log a line
# matching PATTERN (its stderr goes to specreg.log, or to Apache's
# error log under mod_fcgid).
specreg_logged() {
	_sl_n=30
	while [ "$_sl_n" -gt 0 ]; do
		cat "$T/specreg.log" "$T/apache-error.log" 2>/dev/null |
		    grep -q -- "$1" && return 0
		_sl_n=$((_sl_n - 1))
		sleep 0.1
	done
	return 1
}

# body_is FILE: fail unless $T/body has exactly FILE's bytes.
body_is() {
	cmp -s "$T/body" "$1" ||
	    fail "body ($(size_of "$T/body") bytes) differs from $1 ($(size_of "$1") bytes)"
}

# no_sendfile_leak: the hand-off header never reaches the client.
no_sendfile_leak() {
	hdr_absent X-Sendfile
	hdr_absent X-Accel-Redirect
}

note "front end $SPECREG_FRONTEND, sendfile ${SPECREG_SENDFILE:-$FRONT_SENDFILE}"

note "Authorization reaches specreg: 401 without, 202 with Basic"
expect_status 401 -X POST -H 'Content-Length: 0' "$V2/$R/blobs/uploads/"
case $(header WWW-Authenticate) in
"Bearer realm=\"$URL/auth/token\""*) ;;
*)	fail "401 challenge: '$(header WWW-Authenticate)'" ;;
esac
err_code_is UNAUTHORIZED
expect_status 401 -u "$PUSHER:wrong" -X POST -H 'Content-Length: 0' \
    "$V2/$R/blobs/uploads/"
expect_status 202 -u "$CRED" -X POST -H 'Content-Length: 0' \
    "$V2/$R/blobs/uploads/"

note "Authorization reaches /auth/token, and the Bearer token /v2/"
expect_status 401 "$URL/auth/token?service=specreg&scope=repository:$R:push,pull" \
    -u "$PUSHER:wrong"
expect_status 200 -u "$CRED" \
    "$URL/auth/token?service=specreg&scope=repository:$R:push,pull"
TOKEN=$(jq -er '.token' "$T/body") || fail "no token in $(cat "$T/body")"
expect_status 202 -H "Authorization: Bearer $TOKEN" -X POST \
    -H 'Content-Length: 0' "$V2/$R/blobs/uploads/"
expect_status 401 -H "Authorization: Bearer x$TOKEN" -X POST \
    -H 'Content-Length: 0' "$V2/$R/blobs/uploads/"

# Everything below pushes with Basic credentials.
# up_start: POST an upload to $R; set $UPLOAD (absolute) and $UUID.
up_start() {
	expect_status 202 -u "$CRED" -X POST -H 'Content-Length: 0' \
	    "$V2/$R/blobs/uploads/"
	UPLOAD=$(abs_url "$(header Location)")
	UUID=$(header Docker-Upload-UUID)
}

note "POST: 202, Location, Range, Docker-Upload-UUID unchanged"
up_start
hdr_is Range 0-0
hdr_nonempty Docker-Upload-UUID
loc=$(header Location)
case $loc in
"/v2/$R/blobs/uploads/$UUID"*) ;;
*)	fail "POST Location '$loc' is not specreg's /v2/$R/blobs/uploads/$UUID" ;;
esac

note "chunked PATCH (2.5 MiB then 1 MiB + 1): 202 and the right Range"
randfile "$T/p1" $((5 * MIB / 2))
randfile "$T/p2" $((MIB + 1))
cat "$T/p1" "$T/p2" >"$T/chunked"
dch=$(digest_of "$T/chunked")
n1=$(size_of "$T/p1")
n=$(size_of "$T/chunked")
expect_status 202 -u "$CRED" -X PATCH -H 'Expect:' \
    -H 'Transfer-Encoding: chunked' \
    -H 'Content-Type: application/octet-stream' \
    --data-binary "@$T/p1" "$UPLOAD"
hdr_is Range "0-$((n1 - 1))"
hdr_is Docker-Upload-UUID "$UUID"
upload_follow
expect_status 202 -u "$CRED" -X PATCH -H 'Expect:' \
    -H 'Transfer-Encoding: chunked' \
    -H 'Content-Type: application/octet-stream' \
    --data-binary "@$T/p2" "$UPLOAD"
hdr_is Range "0-$((n - 1))"
upload_follow

note "GET upload status: 204 with Range and Location"
expect_status 204 -u "$CRED" "$UPLOAD"
hdr_is Range "0-$((n - 1))"
hdr_is Docker-Upload-UUID "$UUID"
hdr_nonempty Location

note "PATCH at the wrong offset: 416 with the committed Range"
expect_status 416 -u "$CRED" -X PATCH -H 'Expect:' \
    -H "Content-Range: 5-9" -H 'Content-Type: application/octet-stream' \
    --data-binary "hello" "$UPLOAD"
err_code_is BLOB_UPLOAD_INVALID

note "PUT ?digest= without a body: 201, Location, digest checked"
expect_status 201 -u "$CRED" -X PUT -H 'Content-Length: 0' \
    "$(add_query "$UPLOAD" "digest=$dch")"
hdr_is Docker-Content-Digest "$dch"
hdr_is Location "/v2/$R/blobs/$dch"

note "monolithic PUT of 3 MiB + 7 with Content-Length (and Expect: 100-continue)"
randfile "$T/mono" $((3 * MIB + 7))
dmono=$(digest_of "$T/mono")
up_start
expect_status 201 -u "$CRED" -T "$T/mono" \
    -H 'Content-Type: application/octet-stream' \
    "$(add_query "$UPLOAD" "digest=$dmono")"
hdr_is Docker-Content-Digest "$dmono"
hdr_is Location "/v2/$R/blobs/$dmono"

note "monolithic chunked PUT of 2 MiB + 3 (no Content-Length at all)"
randfile "$T/monoch" $((2 * MIB + 3))
dmonoch=$(digest_of "$T/monoch")
up_start
expect_status 201 -u "$CRED" -X PUT -H 'Expect:' -H 'Transfer-Encoding: chunked' \
    -H 'Content-Type: application/octet-stream' \
    --data-binary "@$T/monoch" "$(add_query "$UPLOAD" "digest=$dmonoch")"
hdr_is Docker-Content-Digest "$dmonoch"

note "a body that does not match its digest is refused, not stored"
up_start
expect_status 400 -u "$CRED" -T "$T/mono" \
    -H 'Content-Type: application/octet-stream' \
    "$(add_query "$UPLOAD" "digest=$dch")"
err_code_is DIGEST_INVALID

note "HEAD keeps Content-Length and Docker-Content-Digest, sends no body"
for f in chunked mono monoch; do
	d=$(digest_of "$T/$f")
	expect_status 200 -I "$V2/$R/blobs/$d"
	hdr_is Content-Length "$(size_of "$T/$f")"
	hdr_is Docker-Content-Digest "$d"
	no_sendfile_leak
	got=$(curl -s -I -o /dev/null -w '%{size_download}' "$V2/$R/blobs/$d")
	[ "$got" = 0 ] || fail "HEAD $f sent a body of $got bytes"
done

note "GET returns the exact bytes, with Content-Length and Docker-Content-Digest"
for f in chunked mono monoch; do
	d=$(digest_of "$T/$f")
	expect_status 200 "$V2/$R/blobs/$d"
	hdr_is Docker-Content-Digest "$d"
	hdr_is Content-Type application/octet-stream
	no_sendfile_leak
	body_is "$T/$f"
	cl=$(header Content-Length)
	[ -z "$cl" ] || [ "$cl" = "$(size_of "$T/$f")" ] ||
	    fail "GET $f: Content-Length $cl"
done

note "Range GETs: 206, Content-Range and the right bytes; 416 past the end"
blob="$V2/$R/blobs/$dch"
range_is() {	# range_is SPEC FIRST LAST
	expect_status 206 -H "Range: bytes=$1" "$blob"
	hdr_is Content-Range "bytes $2-$3/$n"
	hdr_is Content-Length "$(($3 - $2 + 1))"
	hdr_is Docker-Content-Digest "$dch"
	no_sendfile_leak
	tail -c +$(($2 + 1)) "$T/chunked" | head -c $(($3 - $2 + 1)) >"$T/want"
	body_is "$T/want"
}
range_is 0-99 0 99
range_is "$MIB-$((2 * MIB - 1))" "$MIB" "$((2 * MIB - 1))"
range_is "$((n - 10))-" "$((n - 10))" "$((n - 1))"
range_is -5 "$((n - 5))" "$((n - 1))"
range_is "$((n - 3))-$((n + 100))" "$((n - 3))" "$((n - 1))"
expect_status 416 -H "Range: bytes=$n-" "$blob"
hdr_is Content-Range "bytes */$n"

note "a Range specreg ignores gets the whole blob, whatever the front end"
for r in 'bytes=5-2' 'bytes=0-1,5-6' 'items=0-5'; do
	expect_status 200 -H "Range: $r" "$blob"
	hdr_is Docker-Content-Digest "$dch"
	body_is "$T/chunked"
done

note "specreg answers every Range itself, with sendfile on or off"
# A repository of its own, so that its log line is this request's.
expect_status 201 -u "$CRED" -X POST -H 'Content-Length: 0' \
    "$V2/fe/probe/blobs/uploads/?mount=$dch&from=$R"
probe="/v2/fe/probe/blobs/$dch"
expect_status 206 -H 'Range: bytes=10-19' "$URL$probe"
specreg_logged "GET $probe 206" ||
    fail "specreg did not log 'GET $probe 206'"

# ranges_on FILE: the Range rule for blob FILE (pushed to $R), asked
# three times (lighttpd's answer used to depend on timing): one valid
# range is a 206; a malformed, reversed or multiple range is ignored
# (200, the whole blob); one past the end is specreg's 416; HEAD
# ignores Range.
ranges_on() {
	_rf=$1
	_rn=$(size_of "$_rf")
	_rb="$V2/$R/blobs/$(digest_of "$_rf")"
	for _ri in 1 2 3; do
		expect_status 206 -H 'Range: bytes=0-1' "$_rb"
		hdr_is Content-Range "bytes 0-1/$_rn"
		hdr_is Content-Length 2
		head -c 2 "$_rf" >"$T/want"
		body_is "$T/want"
		expect_status 206 -H 'Range: bytes=1-18446744073709551615' \
		    "$_rb"
		hdr_is Content-Range "bytes 1-$((_rn - 1))/$_rn"
		expect_status 206 -H 'Range: bytes=-10' "$_rb"
		hdr_is Content-Range "bytes $((_rn - 10))-$((_rn - 1))/$_rn"
		tail -c 10 "$_rf" >"$T/want"
		body_is "$T/want"
		for _rr in 'bytes=abc' 'bytes=5-2' 'bytes=0-1,500-501' \
		    "bytes=$_rn-$((_rn + 1)),$((_rn + 5))-$((_rn + 6))" \
		    'bytes=-' 'items=0-5'; do
			expect_status 200 -H "Range: $_rr" "$_rb"
			hdr_absent Content-Range
			body_is "$_rf"
		done
		expect_status 416 -H "Range: bytes=$_rn-" "$_rb"
		hdr_is Content-Range "bytes */$_rn"
		err_code_is RANGE_INVALID
		expect_status 200 -I -H 'Range: bytes=0-1' "$_rb"
		hdr_is Content-Length "$_rn"
		hdr_absent Content-Range
	done
}

note "the same Range answers on 1000-byte, 16 KiB and 3.5 MiB blobs"
randfile "$T/small" 1000
randfile "$T/mid" 16384
for f in small mid; do
	up_start
	expect_status 201 -u "$CRED" -T "$T/$f" \
	    -H 'Content-Type: application/octet-stream' \
	    "$(add_query "$UPLOAD" "digest=$(digest_of "$T/$f")")"
done
for f in small mid chunked; do
	ranges_on "$T/$f"
done

note "errors are specreg's JSON, not the front end's page"
expect_status 404 "$V2/$R/blobs/sha256:$(printf '%064d' 0)"
err_code_is BLOB_UNKNOWN
hdr_nonempty Docker-Distribution-API-Version

note "manifest PUT 201 + Location; HEAD keeps Content-Length, digest, type"
MT=application/vnd.oci.image.manifest.v1+json
printf '{}' >"$T/config"
up_start
expect_status 201 -u "$CRED" -X PUT -H 'Content-Type: application/octet-stream' \
    --data-binary "@$T/config" \
    "$(add_query "$UPLOAD" "digest=$(digest_of "$T/config")")"
printf '{"schemaVersion":2,"mediaType":"%s","config":%s,"layers":[%s]}' \
    "$MT" "$(blob_desc application/vnd.oci.image.config.v1+json "$T/config")" \
    "$(blob_desc application/vnd.oci.image.layer.v1.tar "$T/mono")" \
    >"$T/manifest"
dman=$(digest_of "$T/manifest")
expect_status 201 -u "$CRED" -X PUT -H "Content-Type: $MT" \
    --data-binary "@$T/manifest" "$V2/$R/manifests/v1"
hdr_is Docker-Content-Digest "$dman"
hdr_nonempty Location
expect_status 200 -I -H "Accept: $MT" "$V2/$R/manifests/v1"
hdr_is Content-Length "$(size_of "$T/manifest")"
hdr_is Docker-Content-Digest "$dman"
hdr_is Content-Type "$MT"
expect_status 200 -H "Accept: $MT" "$V2/$R/manifests/$dman"
body_is "$T/manifest"

note "a manifest is never ranged"
for r in 'bytes=0-9' 'bytes=-5' 'bytes=abc' 'bytes=0-1,5-6' 'bytes=99999-'; do
	for ref in v1 "$dman"; do
		expect_status 200 -H "Range: $r" -H "Accept: $MT" \
		    "$V2/$R/manifests/$ref"
		hdr_absent Content-Range
		[ "$(header Accept-Ranges)" != bytes ] ||
		    fail "manifest GET says Accept-Ranges: bytes"
		body_is "$T/manifest"
	done
done

note "DELETE of an upload: 204"
up_start
expect_status 204 -u "$CRED" -X DELETE "$UPLOAD"
expect_status 404 -u "$CRED" "$UPLOAD"
err_code_is BLOB_UPLOAD_UNKNOWN

note "the web UI: / and /ui/ reach specreg, with credentials and forms"
expect_status 200 "$URL/"
hdr_is Content-Type 'text/html; charset=utf-8'
hdr_nonempty Content-Security-Policy
body_has "<a href=\"/ui/repo?name=$R\">$R</a>"
expect_status 200 "$URL/ui/repo?name=$R"
body_has '>v1</a>'
expect_status 200 "$URL/ui/static/style.css"
hdr_is Content-Type 'text/css; charset=utf-8'
expect_status 404 "$URL/ui/nothing"
hdr_is Content-Type 'text/html; charset=utf-8'
expect_status 401 "$URL/ui/delete?name=$R&tag=v1"
case $(header WWW-Authenticate) in
'Basic realm="specreg"'*) ;;
*)	fail "UI challenge: '$(header WWW-Authenticate)'" ;;
esac
expect_status 200 -u "$CRED" "$URL/ui/delete?name=$R&tag=v1"
cookie=$(header Set-Cookie | sed 's/;.*//')
expect_status 303 -u "$CRED" -H "Cookie: $cookie" \
    --data "name=$R&tag=v1&csrf=${cookie#specreg_csrf=}" "$URL/ui/delete"
hdr_is Location "/ui/repo?name=$R"
expect_status 404 -H "Accept: $MT" "$V2/$R/manifests/v1"

echo "ok: $SPECREG_FRONTEND passes bodies, credentials, statuses and headers"
