#!/bin/sh
# tests/integration/t0825-get-abort.sh: clients that go away in the
# middle of a blob specreg sends itself.
#
# With [registry] sendfile = off specreg writes the body in full-size
# FastCGI records straight to the web server's socket (fcgi/record.h).
# A client reads a megabyte of a 24 MB blob, or of a range of it, and
# resets the connection, more times than the pool has workers.  No
# worker is left stuck (the blob then streams whole, and so does a
# range), and nothing is logged as a warning or an error: a client
# that goes away is no fault of specreg's.  Run it behind every front
# end (SPECREG_FRONTEND).
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?}/tests/integration/lib.sh"
# shellcheck source=tests/integration/oci.sh
. "$top_srcdir/tests/integration/oci.sh"

need_cmd python3
SPECREG_SENDFILE=off
start_registry
oci_init
ABORT="python3 $top_srcdir/tests/integration/abort.py"

randfile "$T/big" 24000000
d=$(blob_push abort/get "$T/big") || fail "blob_push"
uri=/v2/abort/get/blobs/$d

note "GET: a megabyte, then the client is gone, $((${SPECREG_WORKERS:-4} + 2)) times"
i=0
while [ "$i" -lt $((${SPECREG_WORKERS:-4} + 2)) ]; do
	st=$($ABORT get "$HOSTPORT" "$uri" 1048576) || fail "abort.py get"
	case $st in
	*" 200 "*)	;;
	*)		fail "GET $uri: '$st', not 200" ;;
	esac
	i=$((i + 1))
done

note "a Range GET, cut off the same way"
st=$($ABORT get "$HOSTPORT" "$uri" 1048576 -H 'Range: bytes=1000-20999999') ||
    fail "abort.py get"
case $st in
*" 206 "*)	;;
*)		fail "GET $uri with a Range: '$st', not 206" ;;
esac

note "the whole blob still streams intact, and a range of it"
curl -s -m 60 -o "$T/got" "$V2/abort/get/blobs/$d" || fail "GET after aborts"
cmp -s "$T/big" "$T/got" || fail "the blob came back different"
curl -s -m 60 -r 5000000-15999999 -o "$T/part" "$V2/abort/get/blobs/$d" ||
    fail "Range GET after aborts"
tail -c +5000001 "$T/big" | head -c 11000000 | cmp -s - "$T/part" ||
    fail "the range came back different"

note "nothing logged as a warning or an error"
sleep 1
if grep -E ' (warn|error): ' "$T/specreg.log"; then
	fail "a client going away was logged as specreg's trouble"
fi
exit 0
