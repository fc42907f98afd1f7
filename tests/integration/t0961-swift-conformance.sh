#!/bin/sh
# tests/integration/t0961-swift-conformance.sh: the driver conformance
# suite (tests/unit/stor_conformance.c) on the swift driver, against a
# single-node Swift (lib.sh's swift_start, or SPECREG_SWIFT_AUTH), each
# test on a container of its own: tests/unit/check_stor_swift.
# front end: any
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?}/tests/integration/lib.sh"

CHECK=$(dirname "$SPECREG_BIN")/tests/unit/check_stor_swift
[ -x "$CHECK" ] || skip "no $CHECK (Check is missing, or make it first)"
[ -n "${SPECREG_SWIFT_AUTH:-}" ] || swift_start
export SPECREG_SWIFT_AUTH
"$CHECK" >"$T/check.out" 2>&1
rc=$?
grep -v ' info: \| warn: storage: ' "$T/check.out" >&2
[ "$rc" = 0 ] || fail "conformance on Swift: exit $rc"
grep -q '^100%: Checks: [0-9]*, Failures: 0, Errors: 0' "$T/check.out" ||
    fail "conformance on Swift did not pass"
