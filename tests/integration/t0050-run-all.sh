#!/bin/sh
# tests/integration/t0050-run-all.sh: tests/run-all's last line,
# "N passed, M failed", counts every test of every stage, and M is 0
# only if everything passed: a failed front end test counts, and so
# does a stage that failed without a count of its own (a build, a
# valgrind run that died).  .ci/run's last line adds its own stages to
# run-all's count, and a process left behind by the suite fails it.
# Both run in scratch trees whose make, configure, tests/run-valgrind,
# tests/run-frontends (and for .ci/run: apt-get, tests/run-all,
# tests/fuzz/run, bench/run) are stubs that pass or fail as $STUB_FAIL
# says.
# front end: any
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?}/tests/integration/lib.sh"

tree=$T/tree
mkdir -p "$tree/tests" "$tree/bin" || harness_error "cannot create $tree"
cp "$top_srcdir/tests/run-all" "$tree/tests/" ||
    harness_error "cannot copy run-all"
printf '#!/bin/sh\nexit 0\n' >"$tree/configure"
: >"$tree/Makefile"

# make [-C DIR] [-jN] [check] [distdir=DIR]: "check" writes two .trs
# files in DIR (t2 fails with STUB_FAIL=check), "distdir=" a tree with
# a configure; a build fails with STUB_FAIL=build or asan-build.
cat >"$tree/bin/make" <<'EOF'
#!/bin/sh
dir=. check=0 dist= prev=
for a; do
	[ "$prev" = -C ] && dir=$a
	case $a in
	check)		check=1 ;;
	distdir=*)	dist=${a#distdir=} ;;
	esac
	prev=$a
done
fails() { case " $STUB_FAIL " in *" $1 "*) return 0 ;; esac; return 1; }
if [ -n "$dist" ]; then
	mkdir -p "$dist" && cp configure "$dist/"
	exit
fi
if [ "$check" = 0 ]; then
	case $dir in
	_build/*)	! fails asan-build ;;
	*)		! fails build ;;
	esac
	exit
fi
sleep 0.1
echo ':test-result: PASS' >"$dir/t1.trs"
if fails check; then
	echo ':test-result: FAIL' >"$dir/t2.trs"
	exit 2
fi
echo ':test-result: PASS' >"$dir/t2.trs"
EOF
cat >"$tree/tests/run-valgrind" <<'EOF'
#!/bin/sh
echo "PASS valgrind check_a"
case " $STUB_FAIL " in *" valgrind "*) echo "valgrind died"; exit 1 ;; esac
echo "PASS valgrind check_b"
EOF
cat >"$tree/tests/run-frontends" <<'EOF'
#!/bin/sh
rc=0
for fe; do
	[ "$fe" = -- ] && break
	echo "PASS $fe t0010-base 1s"
	case " $STUB_FAIL " in
	*" fe "*)	echo "FAIL $fe t0600-frontends 1s"; rc=1 ;;
	*)		echo "PASS $fe t0600-frontends 1s" ;;
	esac
done
exit $rc
EOF
# tests/integration/s3-store: each store (Swift, for the Swift lane and
# Swift's s3api, and radosgw) starts unless STUB_FAIL names it
# (s3-swift, s3-radosgw); s3-bucket.py lists a bucket left behind with
# STUB_FAIL=s3-left.  The tree has no specreg, so no s3 driver: the S3
# lanes run t0963 alone.
mkdir -p "$tree/tests/integration" ||
    harness_error "cannot create $tree/tests/integration"
cat >"$tree/tests/integration/s3-store" <<'EOF'
#!/bin/sh
case " $STUB_FAIL " in *" s3-$2 "*) exit 1 ;; esac
[ "$1" = start ] || exit 0
mkdir -p "$3" && echo "SPECREG_S3_STORE=$2" >"$3/s3.env"
EOF
cat >"$tree/tests/integration/s3-bucket.py" <<'EOF'
import os
if " s3-left " in " %s " % os.environ.get("STUB_FAIL", ""):
    print("specreg-t0100-blobs-1-abcdef")
EOF
chmod +x "$tree/configure" "$tree/bin/make" "$tree/tests/run-valgrind" \
    "$tree/tests/run-frontends" "$tree/tests/integration/s3-store" ||
    harness_error "cannot chmod the stubs"

# run_all STATUS LAST-LINE [STUB_FAIL]: run-all exits with STATUS and
# its last line is LAST-LINE.  Both S3 stores, as CI runs them.
run_all() {
	STUB_FAIL=${3:-} PATH=$tree/bin:$PATH \
	    sh "$tree/tests/run-all" --no-install --no-lint \
	    >"$T/out" 2>&1
	_ra_rc=$?
	_ra_last=$(tail -n 1 "$T/out")
	if [ "$_ra_rc" != "$1" ] || [ "$_ra_last" != "$2" ]; then
		cat "$T/out" >&2
		fail "STUB_FAIL='${3:-}': exit $_ra_rc, last line '$_ra_last';" \
		    "want exit $1, '$2'"
	fi
}

# 2 make check + 2 valgrind + 2 ASan + 3 x 2 front ends + 1 x 2 spawn
# + 2 x 2 on Swift + 2 x 2 on the S3 stores (t0963 behind lighttpd).
echo "# everything passes"
run_all 0 "22 passed, 0 failed"
echo "# a test of make check fails (in the tree and under ASan)"
run_all 1 "20 passed, 2 failed" check
echo "# a front end test fails (in each of the eight runs)"
run_all 1 "14 passed, 8 failed" fe
echo "# valgrind fails with no test failing: one failure"
run_all 1 "21 passed, 1 failed" valgrind
echo "# the ASan build fails: one failure, its tests do not run"
run_all 1 "20 passed, 1 failed" asan-build
echo "# Swift does not start: a failure for each (the Swift lane's and"
echo "# the s3api's), the tests of both lanes do not run"
run_all 1 "16 passed, 2 failed" s3-swift
grep -q '^run-all: FAILED: store-swift store-s3-swift$' "$T/out" ||
    fail "no 'run-all: FAILED: store-swift store-s3-swift' line"
echo "# radosgw does not start: one failure, its tests do not run"
run_all 1 "20 passed, 1 failed" s3-radosgw
grep -q '^run-all: FAILED: store-s3-radosgw$' "$T/out" ||
    fail "no 'run-all: FAILED: store-s3-radosgw' line"
echo "# a bucket is left on each S3 store: a failure each"
run_all 1 "22 passed, 2 failed" s3-left
echo "# the build fails: nothing else runs"
run_all 1 "0 passed, 1 failed" build
grep -q '^run-all: FAILED: build$' "$T/out" ||
    fail "no 'run-all: FAILED: build' line"
echo "ok: run-all's last line counts every stage"

ci=$T/ci
mkdir -p "$ci/.ci" "$ci/tests/integration" "$ci/tests/fuzz" "$ci/bench" ||
    harness_error "cannot create $ci"
if ! cp "$top_srcdir/.ci/run" "$ci/.ci/" ||
    ! cp "$top_srcdir/tests/integration/leftovers" "$ci/tests/integration/"
then
	harness_error "cannot copy .ci/run and leftovers"
fi
printf '#!/bin/sh\nexit 0\n' >"$tree/bin/apt-get"
# run-all: STUB_FAIL=leak leaves a process (in a session of its own,
# as spawn-fcgi's workers were), tests fails 2 tests, nocount dies
# before its count; fuzz and bench fail those stages.
cat >"$ci/tests/run-all" <<'EOF'
#!/bin/sh
[ "$1" = --print-deps ] && exit 0
fails() { case " $STUB_FAIL " in *" $1 "*) return 0 ;; esac; return 1; }
fails leak && setsid sleep 60 </dev/null >/dev/null 2>&1 &
fails nocount && exit 1
fails tests && { echo "3 passed, 2 failed"; exit 1; }
echo "5 passed, 0 failed"
EOF
printf '#!/bin/sh\ncase " $STUB_FAIL " in *" fuzz "*) exit 1 ;; esac\n' \
    >"$ci/tests/fuzz/run"
printf '#!/bin/sh\ncase " $STUB_FAIL " in *" bench "*) exit 1 ;; esac\n' \
    >"$ci/bench/run"
chmod +x "$tree/bin/apt-get" "$ci/tests/run-all" "$ci/tests/fuzz/run" \
    "$ci/bench/run" || harness_error "cannot chmod the stubs"

# ci_run STATUS LAST-LINE [STUB_FAIL]: .ci/run exits with STATUS and
# its last line is LAST-LINE.
ci_run() {
	STUB_FAIL=${3:-} PATH=$tree/bin:$PATH bash "$ci/.ci/run" \
	    >"$T/out" 2>&1
	_cr_rc=$?
	_cr_last=$(tail -n 1 "$T/out")
	if [ "$_cr_rc" != "$1" ] || [ "$_cr_last" != "$2" ]; then
		cat "$T/out" >&2
		fail ".ci/run STUB_FAIL='${3:-}': exit $_cr_rc," \
		    "last line '$_cr_last'; want exit $1, '$2'"
	fi
}

echo "# .ci/run: everything passes"
ci_run 0 "5 passed, 0 failed"
echo "# .ci/run: two tests of run-all fail"
ci_run 1 "3 passed, 2 failed" tests
echo "# .ci/run: run-all dies before its count"
ci_run 1 "0 passed, 1 failed" nocount
echo "# .ci/run: the fuzzers and the benchmark fail"
ci_run 1 "5 passed, 2 failed" "fuzz bench"
echo "# .ci/run: the suite leaves a process behind"
ci_run 1 "5 passed, 1 failed" leak
grep -q 'sleep 60' "$T/out" || fail ".ci/run did not list the leftover"
echo "ok: .ci/run's last line counts its stages and leftovers"
