#!/bin/sh
# tests/integration/t0925-log-json.sh: with [registry] log-format = json
# every request is logged as one JSON object on its own line (jq parses
# each one) with its request id, user, route, method, status, bytes in
# and out and duration; the query of an /auth/ request, passwords and
# tokens appear nowhere in the log.
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?}/tests/integration/lib.sh"
need_cmd jq
need_pool
SVC=t0925
SPECREG_SENDFILE=off
# The quotes in [user "NAME"] are meant literally.
# shellcheck disable=SC2089,SC2090
SPECREG_INI_EXTRA="[registry]
log-format = json
secret = t0925-secret-0123456789
service = $SVC
[user \"alice\"]
password = t0925-alice-pw
access = write"
# shellcheck disable=SC2090
export SPECREG_INI_EXTRA
start_registry
R=logs/img

expect_status 200 -u alice:t0925-alice-pw \
    "$URL/auth/token?service=$SVC&scope=repository:$R:pull,push&x=t0925-query-secret"
TOKEN=$(jq -er .token "$T/body") || fail "no token: $(cat "$T/body")"
printf 'some layer bytes' >"$T/layer"
expect_status 202 -X POST -H 'Content-Length: 0' \
    -H "Authorization: Bearer $TOKEN" "$URL/v2/$R/blobs/uploads/"
loc=$(header Location)
case $loc in http://*|https://*) ;; *) loc=$URL$loc ;; esac
case $loc in *\?*) sep='&' ;; *) sep='?' ;; esac
digest=sha256:$(sha256_of "$T/layer")
expect_status 201 -T "$T/layer" -H "Authorization: Bearer $TOKEN" \
    "$loc${sep}digest=$digest"
expect_status 200 "$URL/v2/$R/blobs/$digest"
expect_status 404 "$URL/v2/$R/manifests/nosuch"
sleep 0.2

# Request lines are JSON objects, and jq reads every one of them.
grep '^{' "$T/specreg.log" >"$T/requests"
[ "$(wc -l <"$T/requests")" -ge 5 ] ||
    fail "expected 5 JSON request lines: $(cat "$T/specreg.log")"
jq -e . "$T/requests" >/dev/null || fail "a line is not JSON"
grep -q 'info: \(GET\|PUT\|POST\) /' "$T/specreg.log" &&
    fail "a request was logged as text: $(grep 'info: [A-Z]* /' "$T/specreg.log")"
# Every line has the same fields with the same types.
jq -se 'all(.[]; (.time | test("^[0-9-]{10}T[0-9:]{8}Z$")) and
    (.pid | type) == "number" and (.request_id | test("^[0-9a-f]{16}$")) and
    ((.user | type) == "string" or .user == null) and
    (.method | type) == "string" and (.route | type) == "string" and
    (.path | startswith("/")) and (.query | type) == "string" and
    (.status | type) == "number" and (.bytes_in | type) == "number" and
    (.bytes_out | type) == "number" and (.duration_ms | type) == "number" and
    .duration_ms >= 0)' "$T/requests" >/dev/null ||
    fail "fields: $(head -n 3 "$T/requests")"

# line FILTER: the one request line FILTER selects.
line() {
	_l=$(jq -c "select($1)" "$T/requests")
	[ "$(printf '%s\n' "$_l" | grep -c .)" = 1 ] ||
	    fail "expected one line for $1, got: $_l"
	printf '%s\n' "$_l"
}

line '.route == "token"' | jq -e '.method == "GET" and .status == 200 and
    .query == "" and .user == "alice" and .bytes_out > 0' >/dev/null ||
    fail "token line: $(line '.route == "token"')"
line '.method == "PUT"' | jq -e '.route == "upload" and .status == 201 and
    .user == "alice" and .bytes_in == 16' >/dev/null ||
    fail "PUT line: $(line '.method == "PUT"')"
line '.route == "blob"' | jq -e '.method == "GET" and .status == 200 and
    .user == null and .bytes_in == 0 and .bytes_out == 16' >/dev/null ||
    fail "blob line: $(line '.route == "blob"')"
line '.route == "manifest"' | jq -e '.status == 404 and
    .path == "/v2/logs/img/manifests/nosuch"' >/dev/null ||
    fail "manifest line: $(line '.route == "manifest"')"
# Request ids are unique.
[ "$(jq -r .request_id "$T/requests" | sort -u | wc -l)" = \
    "$(wc -l <"$T/requests")" ] || fail "request ids repeat"

# No secret anywhere in the log.
for secret in t0925-query-secret t0925-alice-pw t0925-secret-0123456789 \
    "$TOKEN"; do
	grep -qF -- "$secret" "$T/specreg.log" &&
	    fail "the log holds a secret: $(grep -F -- "$secret" "$T/specreg.log")"
done
exit 0
