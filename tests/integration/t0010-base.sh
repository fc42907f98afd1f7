#!/bin/sh
# tests/integration/t0010-base.sh: GET /v2/, HEAD, and the error shapes
# every response shares (404 for an unknown path, 405 with Allow, a bad
# repository name).
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?}/tests/integration/lib.sh"
need_cmd jq
start_registry

# api_header: every response carries the API version.
api_header() {
	[ "$(header Docker-Distribution-API-Version)" = registry/2.0 ] ||
	    fail "Docker-Distribution-API-Version is" \
	    "'$(header Docker-Distribution-API-Version)'"
}

# json_type: Content-Type is application/json (parameters allowed).
json_type() {
	case $(header Content-Type) in
	application/json|application/json\;*)	;;
	*)	fail "Content-Type is '$(header Content-Type)'" ;;
	esac
}

# GET /v2/: 200 and exactly {}.
expect_status 200 "$URL/v2/"
api_header
json_type
[ "$(tr -d ' \n' <"$T/body")" = '{}' ] ||
    fail "GET /v2/ body is '$(cat "$T/body")', not {}"

# HEAD /v2/ through the web server: 200, the same headers, no body.
expect_status 200 -I "$URL/v2/"
api_header
# A second request on the same connection would trip over stray bytes.
got=$(curl -s -m 30 -I -o /dev/null -w '%{http_code}' "$URL/v2/" \
    --next -s -o "$T/body2" -w ' %{http_code}' "$URL/v2/")
[ "$got" = "200 200" ] || fail "HEAD then GET on one connection: $got"
[ "$(tr -d ' \n' <"$T/body2")" = '{}' ] || fail "GET after HEAD: $(cat "$T/body2")"

# HEAD /v2/ straight to specreg: no body even without a web server's help.
if [ -n "$FCGI_ADDR" ]; then
	st=$(fcgi_request HEAD /v2/)
	[ "$st" = 200 ] || fail "FastCGI HEAD /v2/: status $st"
	[ -s "$T/fcgi.body" ] &&
	    fail "FastCGI HEAD /v2/ has a body: $(head -c 200 "$T/fcgi.body")"
	grep -qi '^Docker-Distribution-API-Version: registry/2.0$' \
	    "$T/fcgi.headers" || fail "FastCGI HEAD /v2/ lacks the API header"
fi

# An unknown path: 404 with an OCI error body.
expect_status 404 "$URL/v2/foo/bar"
api_header
json_type
error_code >/dev/null

# A known path with the wrong method: 405, Allow, error body.
expect_status 405 -X DELETE "$URL/v2/a/tags/list"
api_header
json_type
allow=$(header Allow)
case $allow in
*GET*)	;;
*)	fail "405 Allow is '$allow', expected it to list GET" ;;
esac
case $allow in
*DELETE*)	fail "405 Allow lists the refused method: '$allow'" ;;
esac
error_code >/dev/null

# An invalid repository name: 400 NAME_INVALID, or 404 with an error body.
code=$(curl -s -m 30 -o "$T/body" -D "$T/headers" -w '%{http_code}' \
    "$URL/v2/A..b/tags/list")
api_header
err=$(error_code)
case $code:$err in
400:NAME_INVALID|404:*)	;;
*)	fail "GET /v2/A..b/tags/list: $code $err" ;;
esac

exit 0
