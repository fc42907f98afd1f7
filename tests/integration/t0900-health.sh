#!/bin/sh
# tests/integration/t0900-health.sh: GET /healthz answers 200 while
# specreg serves, GET /readyz also asks the store and answers 503 with
# a one-line reason once the storage root is gone or replaced; neither
# needs credentials, in restricted mode either, and every front end
# forwards both.
# storage: filesystem
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?}/tests/integration/lib.sh"
# Restricted mode: a read user exists, so pulls need credentials too.
SPECREG_INI_EXTRA='[registry]
secret = 0123456789abcdef0123
[user "reader"]
password = r3ader
access = read'
start_registry

# text_is TEXT: the body of the last response is the line TEXT.
text_is() {
	[ "$(cat "$T/body")" = "$1" ] ||
	    fail "body is '$(head -c 300 "$T/body")', expected '$1'"
}

expect_status 401 "$URL/v2/"
expect_status 200 "$URL/healthz"
text_is ok
expect_status 200 -I "$URL/healthz"
expect_status 200 "$URL/readyz"
text_is ok
expect_status 405 -X POST -H 'Content-Length: 0' "$URL/readyz"

# Cheap enough to probe every second: 50 in a row, all 200.
i=0
while [ "$i" -lt 50 ]; do
	code=$(curl -s -m 10 -o /dev/null -w '%{http_code}' "$URL/readyz")
	[ "$code" = 200 ] || fail "GET /readyz #$i answered $code"
	i=$((i + 1))
done

# The storage root goes away: not ready, with the reason on one line;
# still alive.
mv "$DATA" "$DATA.away" || harness_error "cannot move $DATA"
expect_status 503 "$URL/readyz"
[ "$(wc -l <"$T/body")" -eq 1 ] ||
    fail "503 body is not one line: $(head -c 300 "$T/body")"
grep -q "$DATA" "$T/body" || fail "503 body does not name the root: $(cat "$T/body")"
expect_status 200 "$URL/healthz"

# Another directory in its place is not the store specreg opened.
mkdir "$DATA" || harness_error "cannot create $DATA"
expect_status 503 "$URL/readyz"
grep -q 'no longer' "$T/body" || fail "503 body: $(cat "$T/body")"

# The real one back: ready again.
rmdir "$DATA" && mv "$DATA.away" "$DATA" || harness_error "cannot restore $DATA"
expect_status 200 "$URL/readyz"
