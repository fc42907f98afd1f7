# tests/integration/lib.sh: run specreg behind a private web server.
#
# Sourced (POSIX sh) by tests/integration/tNNNN-*.sh:
#
#	. "$top_srcdir/tests/integration/lib.sh"
#	start_registry
#	expect_status 200 "$URL/v2/"
#	body_has '{}'
#
# Exit codes follow automake: 0 pass, 1 fail, 77 skip, 99 harness error.
#
# lighttpd answers 411 to a POST without Content-Length before specreg
# sees it: send "-H 'Content-Length: 0'" with a bodyless POST, as Go
# clients (docker, podman, skopeo) do.
#
# Read from the environment:
#   SPECREG_BIN            the binary under test (make check sets it)
#   top_srcdir             the source tree (make check sets it)
#   SPECREG_FRONTEND       the web server: lighttpd (default); see below
#   SPECREG_INI_EXTRA      lines appended verbatim to specreg.ini; may
#                          open sections ([user "x"], a second [registry])
#   SPECREG_LISTEN         where specreg's pool listens: unix (default,
#                          $T/fcgi.sock), tcp (a free 127.0.0.1 port) or
#                          an explicit address
#   SPECREG_WORKERS        the pool's size (default 4)
#   SPECREG_SENDFILE       [registry] sendfile (default: what the front
#                          end supports)
#   SPECREG_FRONT_TIMEOUT  seconds the front end waits for a slow
#                          client's header and body (default: the
#                          shipped deploy/ values)
#   SPECREG_NO_SKIP=1      a missing tool fails the test (CI sets it)
#   SPECREG_KEEP=1         keep $T after the test
#   SPECREG_START_TIMEOUT  seconds to wait for GET /v2/ (default 20)
#   SPECREG_STORAGE        filesystem (default), swift or s3.  swift:
#                          the store is then a container of its own on
#                          the Swift at SPECREG_SWIFT_AUTH (an auth v1.0
#                          URL, user test:tester, key testing), or
#                          without it on a single-node Swift started in
#                          $T/saio (tests/swift/saio.sh).  s3: a bucket
#                          of its own (S3_BUCKET) on the store at
#                          SPECREG_S3_ENDPOINT (with SPECREG_S3_REGION,
#                          SPECREG_S3_ACCESS_KEY, SPECREG_S3_SECRET_KEY),
#                          or without it on a store of the test's own
#                          in $T/s3 (s3_start).  Tests that read or
#                          write $DATA themselves say "# storage:
#                          filesystem" in their header.
#   SPECREG_S3_STORE       the S3 store s3_start starts: swift (default;
#                          Swift's s3api, tests/swift/saio.sh) or
#                          radosgw (Ceph, tests/ceph/ceph-aio.sh)
#
# Set when sourced: T, a private directory removed on exit, and DATA,
# the storage root ($T/data).  Set by start_registry: URL PORT HOSTPORT,
# SPECREG_PID (the pool's supervisor), FCGI_ADDR (what it listens on)
# and FRONT_BIN (the binary that serves: SPECREG_BIN, or the copy in $T
# that a server running specreg as another user runs).
#
# Front ends.  SPECREG_FRONTEND=NAME ("-" read as "_", so apache-fcgid
# means the functions below with apache_fcgid) selects:
#   setup_frontend_NAME    check its tools with need_cmd; set
#                          FRONT_SENDFILE, and FRONT_SPAWNS=1 if the
#                          server starts specreg itself (no pool is run)
#   start_frontend_NAME    write $T/NAME.conf, start the server in the
#                          foreground, in the background, on
#                          127.0.0.1:$PORT talking to $FCGI_ADDR (or
#                          spawning "$SPECREG_BIN -c $T/specreg.ini
#                          serve"); set FRONT_PID and FRONT_LOGS; return 0
#                          once it listens, 1 if the port was taken (it is
#                          retried on another port) and exit 99 otherwise
#   stop_frontend_NAME     optional; by default FRONT_PID gets SIGTERM

PATH=$PATH:/usr/sbin:/sbin
export PATH

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${SPECREG_BIN:=$top_srcdir/specreg}"
: "${SPECREG_FRONTEND:=lighttpd}"

T=
DATA=
URL=
PORT=
HOSTPORT=
SPECREG_PID=
FCGI_ADDR=
FRONT_PID=
FRONT_LOGS=
FRONT_SENDFILE=off
FRONT_SPAWNS=0
FRONT_BIN=$SPECREG_BIN
LIB_PID=$$
SWIFT_DIR=
# A container per test, so that tests can share one Swift.  Not named
# by $$: client tests run as PID 1 of their own PID namespace, and the
# same test behind two front ends at once would share a container.
SWIFT_CONTAINER=specreg-$(basename "$0" .sh)-$(od -An -N6 -tx1 /dev/urandom |
    tr -d ' \n')
ZUUL_SWIFT_PASSWORD=testing
export ZUUL_SWIFT_PASSWORD
# On S3: the store this test started (s3_start), and the bucket it
# made (s3_bucket); lib_cleanup stops the one and deletes the other.
S3_DIR=
S3_BUCKET=

# --- Outcomes --------------------------------------------------------------

# lib_abort CODE: exit with CODE.  Works inside $(...) too: the
# subshell leaves CODE in $T/.abort and stops the test's main shell.
lib_abort() {
	if [ -n "$T" ] && [ "$(exec sh -c 'echo "$PPID"')" != "$LIB_PID" ]; then
		echo "$1" >"$T/.abort"
		kill -TERM "$LIB_PID"
	fi
	exit "$1"
}

# fail MESSAGE: the test failed (exit 1).
fail() {
	echo "FAIL: $*" >&2
	lib_abort 1
}

# harness_error MESSAGE: the harness itself broke (exit 99).
harness_error() {
	echo "ERROR: $*" >&2
	lib_abort 99
}

# skip REASON: exit 77, or fail when SPECREG_NO_SKIP=1.
skip() {
	if [ "${SPECREG_NO_SKIP:-0}" = 1 ]; then
		echo "FAIL: SPECREG_NO_SKIP=1 but would skip: $*" >&2
		lib_abort 1
	fi
	echo "SKIP: $*" >&2
	lib_abort 77
}

# need_cmd CMD...: skip unless every command is installed.
need_cmd() {
	for _nc in "$@"; do
		command -v "$_nc" >/dev/null 2>&1 || skip "$_nc is not installed"
	done
}

# quickstart_copy DIR: a scratch tree in DIR from which ./quickstart
# runs the binary under test: the script, deploy/lighttpd.conf,
# $SPECREG_BIN, and a configure and a Makefile with nothing to do; and
# $T/bin/dpkg-query, which says every package is installed (put $T/bin
# first in PATH).
quickstart_copy() {
	mkdir -p "$1/deploy" "$T/bin" || harness_error "cannot create $1"
	if ! cp "$top_srcdir/quickstart" "$1/" ||
	    ! cp "$top_srcdir/deploy/lighttpd.conf" "$1/deploy/" ||
	    ! cp "$SPECREG_BIN" "$1/specreg"; then
		harness_error "cannot copy quickstart, lighttpd.conf and specreg"
	fi
	printf '#!/bin/sh\nexit 0\n' >"$1/configure"
	printf 'specreg:\n\t@:\n' >"$1/Makefile"
	printf '#!/bin/sh\necho "install ok installed"\n' >"$T/bin/dpkg-query"
	chmod +x "$1/configure" "$T/bin/dpkg-query"
}

# quickstart_start DIR ARGS...: run DIR/quickstart (made by
# quickstart_copy) with --port on a free port and ARGS, in a session of
# its own (SIGINT not ignored, as in a terminal), with TMPDIR $T/qs-tmp
# and its output in $T/qs.log; return once it serves, with its PID in
# QS_PID and its port in QS_PORT.  A port taken meanwhile (free_port
# can only guess) is retried.
quickstart_start() {
	mkdir -p "$T/qs-tmp" || harness_error "cannot create $T/qs-tmp"
	_qs_try=1
	until quickstart_run "$@"; do
		grep -q 'Address already in use' "$T/qs.log" ||
		    fail "quickstart exited: $(tail -n 20 "$T/qs.log")"
		_qs_try=$((_qs_try + 1))
		[ "$_qs_try" -le 5 ] || fail "5 ports taken: $(cat "$T/qs.log")"
	done
}

# quickstart_run DIR ARGS...: one try of quickstart_start; false if
# quickstart exits before it serves.
quickstart_run() {
	_qr_dir=$1
	shift
	QS_PORT=$(free_port)
	# Emptied here, not by the job's redirection, which may come after
	# the first grep below: that would find the last run's line.
	: >"$T/qs.log"
	TMPDIR=$T/qs-tmp PATH=$T/bin:$PATH setsid \
	    env --default-signal=INT sh "$_qr_dir/quickstart" \
	    --port "$QS_PORT" "$@" </dev/null >>"$T/qs.log" 2>&1 &
	QS_PID=$!
	_qr_n=300
	until grep -q 'specreg is serving' "$T/qs.log"; do
		if ! pid_alive "$QS_PID"; then
			wait "$QS_PID"
			return 1
		fi
		_qr_n=$((_qr_n - 1))
		[ "$_qr_n" -gt 0 ] || fail "quickstart did not start in 30 s"
		sleep 0.1
	done
}

# as_store_owner CMD...: run CMD as the owner of $DATA, as the workers
# run (a front end that spawns specreg runs it as its own user): files
# the CLI writes there (prefetch, prune) stay theirs to touch.
as_store_owner() {
	_ao_u=$(stat -c %u "$DATA")
	if [ "$(id -u)" = 0 ] && [ "$_ao_u" != 0 ]; then
		setpriv --reuid="$_ao_u" --regid="$(stat -c %g "$DATA")" \
		    --clear-groups "$@"
	else
		"$@"
	fi
}

# specreg_cli ARGS...: the specreg CLI on the test's configuration, as
# the owner of the store.
specreg_cli() {
	as_store_owner "$SPECREG_BIN" -c "$T/specreg.ini" "$@"
}

# --- Processes and ports ---------------------------------------------------

# pid_alive PID: true while PID runs (a zombie counts as gone).
pid_alive() {
	_pa_state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
	[ -n "$_pa_state" ] && [ "$_pa_state" != Z ]
}

# hold_upload_lock UUID SECONDS: hold that upload's lock in the
# background for SECONDS, as a worker would; returns once it is held,
# with the holder's pid in HOLDER_PID.  A request on the upload then
# waits inside its worker.
hold_upload_lock() {
	_hl_lock=$DATA/uploads/$1/lock
	[ -f "$_hl_lock" ] || fail "no upload lock at $_hl_lock"
	rm -f "$T/lock-held"
	flock -x "$_hl_lock" sh -c ": >'$T/lock-held'; sleep $2" &
	# shellcheck disable=SC2034 # for the caller
	HOLDER_PID=$!
	while [ ! -e "$T/lock-held" ]; do
		sleep 0.1
	done
}

# stop_pid PID [SECONDS]: SIGTERM, then SIGKILL after SECONDS (default
# 10).  Returns 1 if SIGKILL was needed.
stop_pid() {
	_sp_n=$((${2:-10} * 10))
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null
	while pid_alive "$1"; do
		_sp_n=$((_sp_n - 1))
		if [ "$_sp_n" -le 0 ]; then
			kill -KILL "$1" 2>/dev/null
			wait "$1" 2>/dev/null
			return 1
		fi
		sleep 0.1
	done
	wait "$1" 2>/dev/null
	return 0
}

# listen_inodes ADDR: the inodes of the sockets listening on ADDR, a
# Unix socket path or host:port (any host).
listen_inodes() {
	case $1 in
	/*)	awk -v p="$1" '$NF == p && $4 == "00010000" { print $7 }' \
		    /proc/net/unix ;;
	*)	cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
		    awk -v h="$(printf '%04X' "${1##*:}")" '
		    $4 == "0A" { n = split($2, a, ":"); if (a[n] == h) print $10 }'
		;;
	esac
}

# port_listening PORT: true if something listens on TCP PORT.
port_listening() {
	[ -n "$(listen_inodes ":$1")" ]
}

# pid_listens PID ADDR: true if PID itself holds a socket listening on
# ADDR (someone else's listener on the same port does not count).
pid_listens() {
	for _pl_i in $(listen_inodes "$2"); do
		find "/proc/$1/fd" -lname "socket:\[$_pl_i\]" 2>/dev/null |
		    grep -q . && return 0
	done
	return 1
}

# free_port: print a random 127.0.0.1 port from 20000-59999 that
# nothing listens on.  Callers still retry: another test may win it.
free_port() {
	for _fp_i in 1 2 3 4 5 6 7 8 9 10; do
		_fp_n=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
		_fp_port=$((20000 + _fp_n % 40000))
		if ! port_listening "$_fp_port"; then
			echo "$_fp_port"
			return 0
		fi
	done
	harness_error "no free port found"
}

# wait_listening ADDR PID: wait until PID listens on ADDR (a path or
# host:port).  Returns 1 if PID died first or after 10 seconds.
wait_listening() {
	_wl_n=100
	while [ "$_wl_n" -gt 0 ]; do
		pid_alive "$2" || return 1
		pid_listens "$2" "$1" && return 0
		_wl_n=$((_wl_n - 1))
		sleep 0.1
	done
	return 1
}

# --- The registry ----------------------------------------------------------

write_config() {
	{
		echo "# Written by tests/integration/lib.sh."
		echo "[registry]"
		echo "public-url = $URL"
		echo "sendfile = ${SPECREG_SENDFILE:-$FRONT_SENDFILE}"
		storage_config
		if [ -n "${SPECREG_INI_EXTRA:-}" ]; then
			printf '%s\n' "$SPECREG_INI_EXTRA"
		fi
	} >"$T/specreg.ini"
}

# storage_config: the [storage] section for SPECREG_STORAGE.  The
# Swift key comes through the environment, as deployments pass it.
storage_config() {
	echo "[storage]"
	case ${SPECREG_STORAGE:-filesystem} in
	filesystem)
		echo "driver = filesystem"
		echo "root = $DATA"
		;;
	swift)
		[ -n "${SPECREG_SWIFT_AUTH:-}" ] || swift_start
		echo "driver = swift"
		echo "auth-url = $SPECREG_SWIFT_AUTH"
		echo "username = test:tester"
		echo "password = %(ZUUL_SWIFT_PASSWORD)"
		echo "container = $SWIFT_CONTAINER"
		;;
	s3)
		s3_bucket
		echo "driver = s3"
		echo "endpoint = $SPECREG_S3_ENDPOINT"
		echo "region = $SPECREG_S3_REGION"
		echo "bucket = $S3_BUCKET"
		echo "access-key = %(ZUUL_S3_ACCESS_KEY)"
		echo "secret-key = %(ZUUL_S3_SECRET_KEY)"
		echo "path-style = yes"
		;;
	*)
		harness_error "unknown SPECREG_STORAGE=$SPECREG_STORAGE"
		;;
	esac
}

# swift_start: a single-node Swift in $T/saio on free ports, stopped by
# lib_cleanup; sets SPECREG_SWIFT_AUTH.  A port taken meanwhile is
# retried with a fresh directory.
swift_start() {
	need_cmd memcached
	/usr/bin/python3 -c 'import swift' 2>/dev/null ||
	    skip "OpenStack Swift is not installed"
	for _ss_try in 1 2 3; do
		SWIFT_DIR=$T/saio.$_ss_try
		_ss_port=$(free_port)
		if SAIO_PROXY_PORT=$_ss_port SAIO_OBJECT_PORT=$(free_port) \
		    SAIO_CONTAINER_PORT=$(free_port) \
		    SAIO_ACCOUNT_PORT=$(free_port) \
		    SAIO_MEMCACHED_PORT=$(free_port) SAIO_START_TIMEOUT=240 \
		    "$top_srcdir/tests/swift/saio.sh" start "$SWIFT_DIR" \
		    >"$T/saio.log" 2>&1; then
			SPECREG_SWIFT_AUTH=http://127.0.0.1:$_ss_port/auth/v1.0
			return 0
		fi
		grep -Eq 'in use|Could not bind' "$T/saio.log" || break
	done
	SWIFT_DIR=
	harness_error "Swift did not start: $(tail -n 20 "$T/saio.log")"
}

# s3_start: an S3 store of SPECREG_S3_STORE's kind in $T/s3 on free
# ports (tests/integration/s3-store), stopped by lib_cleanup; sets and
# exports SPECREG_S3_STORE, SPECREG_S3_ENDPOINT, SPECREG_S3_REGION,
# SPECREG_S3_ACCESS_KEY and SPECREG_S3_SECRET_KEY (what check_stor_s3
# reads).  Skips if the store is not installed.
s3_start() {
	need_cmd python3
	S3_DIR=$T/s3
	_s3_rc=0
	sh "$top_srcdir/tests/integration/s3-store" start \
	    "${SPECREG_S3_STORE:-swift}" "$S3_DIR" >"$T/s3-store.log" 2>&1 ||
	    _s3_rc=$?
	case $_s3_rc in
	0)	;;
	77)	S3_DIR=
		skip "$(tail -n 1 "$T/s3-store.log")" ;;
	*)	harness_error "the S3 store did not start:" \
		    "$(tail -n 20 "$T/s3-store.log")" ;;
	esac
	# shellcheck source=/dev/null
	. "$S3_DIR/s3.env"
	export SPECREG_S3_STORE SPECREG_S3_ENDPOINT SPECREG_S3_REGION \
	    SPECREG_S3_ACCESS_KEY SPECREG_S3_SECRET_KEY
}

# s3_bucket: make this test's bucket, S3_BUCKET (also exported as
# SPECREG_S3_BUCKET), on the store at SPECREG_S3_ENDPOINT, or on one
# s3_start starts; the keys go to specreg as deployments pass them,
# through the environment (ZUUL_S3_ACCESS_KEY, ZUUL_S3_SECRET_KEY).
# lib_cleanup deletes the bucket and everything in it.
s3_bucket() {
	[ -z "$S3_BUCKET" ] || return 0
	need_cmd python3
	[ -n "${SPECREG_S3_ENDPOINT:-}" ] || s3_start
	: "${SPECREG_S3_REGION:=us-east-1}"
	export SPECREG_S3_REGION
	# Bucket names: 3-63 of [a-z0-9-].
	_sb_name=$(basename "$0" .sh | tr 'A-Z' 'a-z' | tr -c 'a-z0-9-\n' -)
	_sb_name=specreg-$(printf %s "$_sb_name" | cut -c1-36)-$$-$(od -An \
	    -N3 -tx1 /dev/urandom | tr -d ' \n')
	python3 "$top_srcdir/tests/integration/s3-bucket.py" create \
	    "$_sb_name" >&2 || harness_error "cannot make bucket $_sb_name"
	S3_BUCKET=$_sb_name
	SPECREG_S3_BUCKET=$S3_BUCKET
	ZUUL_S3_ACCESS_KEY=$SPECREG_S3_ACCESS_KEY
	ZUUL_S3_SECRET_KEY=$SPECREG_S3_SECRET_KEY
	export SPECREG_S3_BUCKET ZUUL_S3_ACCESS_KEY ZUUL_S3_SECRET_KEY
}

# s3_cleanup: stop the test's own S3 store, or delete its bucket from
# a shared one (unless SPECREG_KEEP=1); false if that failed.
s3_cleanup() {
	if [ -n "$S3_DIR" ]; then
		sh "$top_srcdir/tests/integration/s3-store" stop "$S3_DIR" \
		    >>"$T/s3-store.log" 2>&1
		S3_DIR=
		S3_BUCKET=
		return 0
	fi
	[ -n "$S3_BUCKET" ] && [ "${SPECREG_KEEP:-0}" != 1 ] || return 0
	python3 "$top_srcdir/tests/integration/s3-bucket.py" delete \
	    "$S3_BUCKET" >&2 || {
		echo "FAIL: bucket $S3_BUCKET is left on $SPECREG_S3_ENDPOINT" >&2
		return 1
	}
	S3_BUCKET=
}

# store_stop, store_again: stop the store this test started itself
# (swift_start, s3_start), keeping its data, and start it again, on the
# same ports: for the fault tests.
store_stop() {
	if [ -n "$S3_DIR" ]; then
		sh "$top_srcdir/tests/integration/s3-store" stop "$S3_DIR"
	elif [ -n "$SWIFT_DIR" ]; then
		"$top_srcdir/tests/swift/saio.sh" stop "$SWIFT_DIR" >/dev/null
	else
		harness_error "store_stop: this test started no store"
	fi
}

store_again() {
	if [ -n "$S3_DIR" ]; then
		sh "$top_srcdir/tests/integration/s3-store" again "$S3_DIR"
	elif [ -n "$SWIFT_DIR" ]; then
		"$top_srcdir/tests/swift/saio.sh" start "$SWIFT_DIR" \
		    >"$T/saio-again.log" 2>&1 || {
			tail -n 20 "$T/saio-again.log" >&2
			return 1
		}
	else
		harness_error "store_again: this test started no store"
	fi
}

# start_pool: run "specreg serve --listen" in the background.
start_pool() {
	for _sp_try in 1 2 3 4 5; do
		case ${SPECREG_LISTEN:-unix} in
		unix)	FCGI_ADDR=$T/fcgi.sock ;;
		tcp)	FCGI_ADDR=127.0.0.1:$(free_port) ;;
		*)	FCGI_ADDR=$SPECREG_LISTEN ;;
		esac
		echo "--- specreg serve --listen $FCGI_ADDR" >>"$T/specreg.log"
		DEBUG=1 "$SPECREG_BIN" -c "$T/specreg.ini" serve \
		    --listen "$FCGI_ADDR" --workers "${SPECREG_WORKERS:-4}" \
		    </dev/null >>"$T/specreg.log" 2>&1 &
		SPECREG_PID=$!
		wait_listening "$FCGI_ADDR" "$SPECREG_PID" && return 0
		stop_pool
		[ "${SPECREG_LISTEN:-unix}" = tcp ] || break
	done
	harness_error "specreg serve --listen $FCGI_ADDR did not start"
}

# stop_pool: SIGTERM the supervisor; kill any worker it left behind.
stop_pool() {
	[ -n "$SPECREG_PID" ] || return 0
	_st_kids=$(pgrep -P "$SPECREG_PID" 2>/dev/null)
	stop_pid "$SPECREG_PID" ||
	    echo "specreg $SPECREG_PID ignored SIGTERM; killed" >&2
	for _st_k in $_st_kids; do
		if pid_alive "$_st_k"; then
			echo "specreg worker $_st_k outlived its supervisor" >&2
			kill -KILL "$_st_k" 2>/dev/null
		fi
	done
	SPECREG_PID=
}

stop_frontend() {
	if command -v "stop_frontend_$LIB_FE" >/dev/null 2>&1; then
		"stop_frontend_$LIB_FE"
	elif [ -n "$FRONT_PID" ]; then
		stop_pid "$FRONT_PID"
	fi
	FRONT_PID=
}

# wait_ready: wait until GET /v2/ gets an answer from specreg itself.
wait_ready() {
	_wr_n=$((${SPECREG_START_TIMEOUT:-20} * 10))
	while [ "$_wr_n" -gt 0 ]; do
		_wr_code=$(curl -s -o /dev/null -m 5 -w '%{http_code}' \
		    "$URL/v2/") || true
		case $_wr_code in
		000|502|503|504)	;;
		*)			return 0 ;;
		esac
		_wr_n=$((_wr_n - 1))
		sleep 0.1
	done
	harness_error "GET $URL/v2/ did not answer (last status $_wr_code)"
}

# start_registry: specreg's pool plus the front end on a free port.
start_registry() {
	need_cmd curl pgrep
	LIB_FE=$(echo "$SPECREG_FRONTEND" | tr - _)
	command -v "start_frontend_$LIB_FE" >/dev/null 2>&1 ||
	    harness_error "unknown SPECREG_FRONTEND=$SPECREG_FRONTEND"
	"setup_frontend_$LIB_FE"
	for _sr_try in 1 2 3 4 5; do
		PORT=$(free_port)
		HOSTPORT=127.0.0.1:$PORT
		URL=http://$HOSTPORT
		write_config
		[ "$FRONT_SPAWNS" = 1 ] || start_pool
		if "start_frontend_$LIB_FE"; then
			wait_ready
			return 0
		fi
		stop_frontend
		stop_pool
	done
	harness_error "$SPECREG_FRONTEND did not start on a free port"
}

# --- Several hosts ---------------------------------------------------------

# host_start N: start registry host N on the store of the others: a
# pool and a front end of its own, with its configuration, sockets and
# logs in $T/hostN, so that hosts share nothing but [storage] (on
# Swift, the container; on S3, the bucket).  Sets URL_N, POOL_N (the pool's supervisor)
# and FRONT_N (the front end's PID); URL and the other start_registry
# variables are those of the last host started.
host_start() {
	if [ "${SPECREG_STORAGE:-filesystem}" = swift ] &&
	    [ -z "${SPECREG_SWIFT_AUTH:-}" ]; then
		swift_start
	fi
	# The store and the bucket in $T, not in host N's directory.
	[ "${SPECREG_STORAGE:-filesystem}" != s3 ] || s3_bucket
	_hs_top=$T
	T=$_hs_top/host$1
	mkdir -p "$T/tmp" "$T/www" || harness_error "cannot create $T"
	chmod 755 "$T"
	start_registry
	T=$_hs_top
	eval "URL_$1=\$URL POOL_$1=\$SPECREG_PID FRONT_$1=\$FRONT_PID"
	HOSTS="${HOSTS:-} $1"
	# lib_cleanup stops the hosts; start_registry's next call must not
	# stop this one.
	SPECREG_PID=
	FRONT_PID=
}

# hosts_stop: stop every host that host_start started.
hosts_stop() {
	for _ht_n in ${HOSTS:-}; do
		eval "FRONT_PID=\$FRONT_$_ht_n SPECREG_PID=\$POOL_$_ht_n"
		stop_frontend
		stop_pool
	done
	HOSTS=
}

# --- lighttpd --------------------------------------------------------------

setup_frontend_lighttpd() {
	need_cmd lighttpd
	FRONT_SENDFILE=x-sendfile
}

start_frontend_lighttpd() {
	case $FCGI_ADDR in
	/*)	_lt_be="\"socket\" => \"$FCGI_ADDR\"" ;;
	*)	_lt_be="\"host\" => \"${FCGI_ADDR%:*}\", \"port\" => ${FCGI_ADDR##*:}" ;;
	esac
	sed -e "s|@T@|$T|g" -e "s|@PORT@|$PORT|g" -e "s|@DATA@|$DATA|g" \
	    -e "s|@BACKEND@|$_lt_be|g" \
	    -e "s|@READ_TIMEOUT@|${SPECREG_FRONT_TIMEOUT:-60}|g" \
	    "$top_srcdir/tests/integration/lighttpd.conf.in" \
	    >"$T/lighttpd.conf" || harness_error "cannot write lighttpd.conf"
	FRONT_LOGS="$T/lighttpd.out $T/lighttpd-error.log"
	lighttpd -tt -f "$T/lighttpd.conf" >>"$T/lighttpd.out" 2>&1 ||
	    harness_error "lighttpd.conf: $(cat "$T/lighttpd.out")"
	lighttpd -D -f "$T/lighttpd.conf" </dev/null >>"$T/lighttpd.out" 2>&1 &
	FRONT_PID=$!
	wait_listening "127.0.0.1:$PORT" "$FRONT_PID" && return 0
	grep -q 'Address already in use' "$T/lighttpd.out" "$T/lighttpd-error.log" \
	    2>/dev/null && return 1
	harness_error "lighttpd did not start"
}

# --- Apache (mod_fcgid, mod_proxy_fcgi), nginx, spawn-fcgi, shared host ----
#
# These run the shipped deploy/ files: tests/integration/NAME.conf.in
# holds only what a distribution's main config would (paths in $T,
# modules, user) and includes or wraps the deploy file.  As root, the
# servers' workers (and under mod_fcgid specreg itself) run as www-data
# (or nobody): the pool's Unix socket gets their group, and what
# specreg writes under mod_fcgid ($DATA, $T/tmp) becomes theirs.  They
# read nothing from the source tree, which may be private: deploy/ and
# (under mod_fcgid) specreg are copied into $T, and front_can fails the
# test in one line if that user cannot reach what it needs there.

: "${APACHE_MODULES:=/usr/lib/apache2/modules}"
FRONT_USER=
FRONT_GROUP=

# front_user: set FRONT_USER and FRONT_GROUP.
front_user() {
	if [ "$(id -u)" != 0 ]; then
		FRONT_USER=$(id -un)
	elif id www-data >/dev/null 2>&1; then
		FRONT_USER=www-data
	else
		FRONT_USER=nobody
	fi
	FRONT_GROUP=$(id -gn "$FRONT_USER")
}

# front_own PATH...: as root, give PATH... to FRONT_USER.
front_own() {
	[ "$(id -u)" = 0 ] || return 0
	chown -R "$FRONT_USER:$FRONT_GROUP" "$@" ||
	    harness_error "cannot chown $* to $FRONT_USER"
}

# front_conf NAME BACKEND: write $T/NAME.conf from NAME.conf.in, with
# a copy of deploy/ in $T/deploy (the server reads nothing from the
# source tree, which its user may not be allowed to enter).
# @NO_TIMEOUT@ comments out the lines that set @FRONT_TIMEOUT@ unless
# SPECREG_FRONT_TIMEOUT is set.
front_conf() {
	[ -d "$T/deploy" ] || cp -R "$top_srcdir/deploy" "$T/deploy" ||
	    harness_error "cannot copy deploy/ to $T"
	_fc_be=$(printf '%s\n' "$2" | sed 's/[|&\\]/\\&/g')
	_fc_no=#
	[ -z "${SPECREG_FRONT_TIMEOUT:-}" ] || _fc_no=
	sed -e "s|@T@|$T|g" -e "s|@PORT@|$PORT|g" -e "s|@DATA@|$DATA|g" \
	    -e "s|@NO_TIMEOUT@|$_fc_no|g" \
	    -e "s|@FRONT_TIMEOUT@|${SPECREG_FRONT_TIMEOUT:-}|g" \
	    -e "s|@BACKEND@|$_fc_be|g" \
	    -e "s|@MODULES@|$APACHE_MODULES|g" \
	    -e "s|@USER@|$FRONT_USER|g" -e "s|@GROUP@|$FRONT_GROUP|g" \
	    "$top_srcdir/tests/integration/$1.conf.in" >"$T/$1.conf" ||
	    harness_error "cannot write $1.conf"
}

# front_socket: let the workers connect to the pool's socket (0660).
front_socket() {
	case $FCGI_ADDR in
	/*)	front_own "$FCGI_ADDR"
		front_can -w "$FCGI_ADDR" ;;
	esac
}

# front_can -r|-w|-x PATH...: as root, unless FRONT_USER may read,
# write or execute every PATH (which needs every directory above it to
# be searchable), the front end cannot run: say why in one line, fail.
front_can() {
	[ "$(id -u)" = 0 ] || return 0
	_fk_op=$1
	shift
	for _fk_p in "$@"; do
		setpriv --reuid="$FRONT_USER" --regid="$FRONT_GROUP" \
		    --clear-groups test "$_fk_op" "$_fk_p" && continue
		harness_error "$SPECREG_FRONTEND cannot run: $FRONT_USER" \
		    "fails 'test $_fk_op $_fk_p' (is a directory above it" \
		    "private? TMPDIR must be searchable by $FRONT_USER)"
	done
}

# front_bin: copy SPECREG_BIN to $T/bin/specreg, which a server running
# it as FRONT_USER can reach wherever the build tree is.
front_bin() {
	mkdir -p "$T/bin" && cp "$SPECREG_BIN" "$T/bin/specreg" &&
	    chmod 755 "$T/bin" "$T/bin/specreg" ||
	    harness_error "cannot copy $SPECREG_BIN to $T/bin"
	FRONT_BIN=$T/bin/specreg
}

# need_apache MODULE...: skip unless apache2 and these modules exist.
need_apache() {
	need_cmd apache2 setpriv
	for _na_m in "$@"; do
		[ -f "$APACHE_MODULES/mod_$_na_m.so" ] ||
		    skip "$APACHE_MODULES/mod_$_na_m.so is not installed"
	done
	front_user
}

# apache_start NAME: check and start $T/NAME.conf in the foreground,
# with TMPDIR (mod_fcgid's spool) $FRONT_TMPDIR, default $T/tmp.
apache_start() {
	mkdir -p "$T/run" || harness_error "cannot create $T/run"
	FRONT_LOGS="$T/apache.out $T/apache-error.log"
	apache2 -t -f "$T/$1.conf" >>"$T/apache.out" 2>&1 ||
	    harness_error "$1.conf: $(cat "$T/apache.out")"
	TMPDIR=${FRONT_TMPDIR:-$T/tmp} env -u SPECREG_CONFIG \
	    apache2 -f "$T/$1.conf" -DFOREGROUND \
	    </dev/null >>"$T/apache.out" 2>&1 &
	FRONT_PID=$!
	wait_listening "127.0.0.1:$PORT" "$FRONT_PID" && return 0
	grep -q 'Address already in use' "$T/apache.out" \
	    "$T/apache-error.log" 2>/dev/null && return 1
	harness_error "apache2 did not start"
}

# Apache + mod_fcgid: spawns "specreg serve" on demand, one request at
# a time per process, with SPECREG_CONFIG pointing at $T/specreg.ini.
setup_frontend_apache_fcgid() {
	need_apache mpm_event authz_core fcgid xsendfile reqtimeout
	FRONT_SENDFILE=x-sendfile
	FRONT_SPAWNS=1
}

start_frontend_apache_fcgid() {
	# specreg's stderr would go to Apache's error log: tests read
	# $T/specreg.log, so mod_fcgid runs it through a wrapper.
	front_bin
	if ! printf '#!/bin/sh\nexec %s "$@" 2>>%s\n' "'$T/bin/specreg'" \
	    "'$T/specreg.log'" >"$T/specreg-fcgid" ||
	    ! chmod 755 "$T/specreg-fcgid" || ! touch "$T/specreg.log"; then
		harness_error "cannot write $T/specreg-fcgid"
	fi
	front_own "$DATA" "$T/tmp" "$T/specreg.log"
	front_can -x "$T/specreg-fcgid" "$T/bin/specreg"
	front_can -r "$T/specreg.ini"
	front_can -w "$DATA" "$T/tmp" "$T/specreg.log"
	front_conf apache-fcgid ""
	apache_start apache-fcgid
}

# Apache + mod_proxy_fcgi in front of the pool.
setup_frontend_apache_proxy() {
	need_apache mpm_event authz_core proxy proxy_fcgi headers xsendfile \
	    reqtimeout
	FRONT_SENDFILE=x-sendfile
}

start_frontend_apache_proxy() {
	case $FCGI_ADDR in
	/*)	_ap_be="unix:$FCGI_ADDR|fcgi://localhost/" ;;
	*)	_ap_be="fcgi://$FCGI_ADDR/" ;;
	esac
	front_socket
	front_conf apache-proxy "$_ap_be"
	apache_start apache-proxy
}

# nginx in front of the pool; blobs through X-Accel-Redirect.
setup_frontend_nginx() {
	need_cmd nginx setpriv
	[ -f /etc/nginx/fastcgi_params ] ||
	    skip "/etc/nginx/fastcgi_params is missing"
	front_user
	FRONT_SENDFILE=x-accel-redirect
}

start_frontend_nginx() {
	case $FCGI_ADDR in
	/*)	_ng_be="unix:$FCGI_ADDR" ;;
	*)	_ng_be=$FCGI_ADDR ;;
	esac
	front_socket
	front_conf nginx "$_ng_be"
	# The shipped server block, with the test's port, pool and root
	# (and timeouts, if SPECREG_FRONT_TIMEOUT says).
	_ng_to=
	if [ -n "${SPECREG_FRONT_TIMEOUT:-}" ]; then
		_ng_to="s/\(client_[a-z]*_timeout\) [0-9]*s;/\1 ${SPECREG_FRONT_TIMEOUT}s;/"
	fi
	sed -e "s|^\([ 	]*listen\) 80;|\1 127.0.0.1:$PORT;|" \
	    -e "s|unix:/run/specreg/fcgi.sock|$_ng_be|" \
	    -e "s|/var/lib/specreg/|$DATA/|" -e "${_ng_to:-}" \
	    -e "s|/var/log/nginx/access.log|$T/nginx-access.log|" \
	    "$top_srcdir/deploy/nginx.conf" >"$T/nginx-site.conf" ||
	    harness_error "cannot write nginx-site.conf"
	if ! grep -q "listen 127.0.0.1:$PORT;" "$T/nginx-site.conf" ||
	    ! grep -q "alias $DATA/;" "$T/nginx-site.conf" ||
	    grep -v '^[[:space:]]*#' "$T/nginx-site.conf" |
	    grep -q -e /run/specreg/ -e /var/lib/specreg/; then
		harness_error "deploy/nginx.conf no longer has 'listen 80;'," \
		    "'unix:/run/specreg/fcgi.sock' and '/var/lib/specreg/'"
	fi
	mkdir -p "$T/tmp/nginx" || harness_error "cannot create $T/tmp/nginx"
	FRONT_LOGS="$T/nginx.out $T/nginx-error.log"
	nginx -t -p "$T/" -c "$T/nginx.conf" -e "$T/nginx-error.log" \
	    >>"$T/nginx.out" 2>&1 ||
	    harness_error "nginx.conf: $(cat "$T/nginx.out")"
	nginx -p "$T/" -c "$T/nginx.conf" -e "$T/nginx-error.log" \
	    -g 'daemon off;' </dev/null >>"$T/nginx.out" 2>&1 &
	FRONT_PID=$!
	wait_listening "127.0.0.1:$PORT" "$FRONT_PID" && return 0
	grep -q 'Address already in use' "$T/nginx.out" \
	    "$T/nginx-error.log" 2>/dev/null && return 1
	harness_error "nginx did not start"
}

# lighttpd in front of a spawn-fcgi pool: deploy/lighttpd-spawn-fcgi.conf
# as shipped (it reads its settings from the environment).  spawn-fcgi
# forks the workers and exits; their PIDs are in $T/pool.pids.  A shell
# keeps specreg's log: spawn-fcgi points stderr at /dev/null.  Nothing
# replaces a worker that dies, so t0800 (kill -9) cannot pass here; the
# point is t0600 (and the rest of the suite, which does pass).
setup_frontend_lighttpd_spawn() {
	need_cmd lighttpd spawn-fcgi
	FRONT_SENDFILE=x-sendfile
	FRONT_SPAWNS=1
}

start_frontend_lighttpd_spawn() {
	FCGI_ADDR=$T/fcgi.sock
	rm -f "$FCGI_ADDR" "$T/pool.pids"
	FRONT_LOGS="$T/spawn-fcgi.out $T/lighttpd.out"
	# shellcheck disable=SC2016
	DEBUG=1 spawn-fcgi -s "$FCGI_ADDR" -F "${SPECREG_WORKERS:-4}" \
	    -P "$T/pool.pids" -- /bin/sh -c \
	    'exec "$0" -c "$1" serve 2>>"$2"' \
	    "$SPECREG_BIN" "$T/specreg.ini" "$T/specreg.log" \
	    </dev/null >>"$T/spawn-fcgi.out" 2>&1 ||
	    harness_error "spawn-fcgi: $(cat "$T/spawn-fcgi.out")"
	SPECREG_BIND=127.0.0.1 SPECREG_PORT=$PORT SPECREG_STATE=$T \
	    SPECREG_DATA=$DATA SPECREG_SOCKET=$FCGI_ADDR \
	    lighttpd -D -f "$top_srcdir/deploy/lighttpd-spawn-fcgi.conf" \
	    </dev/null >>"$T/lighttpd.out" 2>&1 &
	FRONT_PID=$!
	wait_listening "127.0.0.1:$PORT" "$FRONT_PID" && return 0
	grep -q 'Address already in use' "$T/lighttpd.out" && return 1
	harness_error "lighttpd did not start"
}

stop_frontend_lighttpd_spawn() {
	[ -z "$FRONT_PID" ] || stop_pid "$FRONT_PID"
	[ -s "$T/pool.pids" ] || return 0
	# One PID a line, and no newline after the last: "read" would
	# drop that one.
	for _sf_p in $(cat "$T/pool.pids"); do
		stop_pid "$_sf_p" ||
		    echo "specreg $_sf_p (spawn-fcgi) ignored SIGTERM; killed" >&2
	done
	rm -f "$T/pool.pids"
}

# need_pool: call before start_registry in a test of specreg's own pool
# (its supervisor, FastCGI straight to $FCGI_ADDR).  A front end that
# starts specreg itself (apache-fcgid, lighttpd-spawn, apache-shared)
# has no such pool: the test then runs behind lighttpd.
need_pool() {
	_np_fe=setup_frontend_$(echo "$SPECREG_FRONTEND" | tr - _)
	command -v "$_np_fe" >/dev/null 2>&1 || return 0
	FRONT_SPAWNS=0
	"$_np_fe"
	[ "$FRONT_SPAWNS" = 1 ] || return 0
	echo "# $SPECREG_FRONTEND runs no pool: this test runs behind lighttpd"
	SPECREG_FRONTEND=lighttpd
	FRONT_SPAWNS=0
}

# Shared hosting (t0610): a host's Apache with mod_fcgid and mod_rewrite
# serving a user's ~/public_html (SHARED_HOME, default $T/home/user)
# with AllowOverride All.  The user installs specreg.fcgi there with
# deploy/htaccess.example as .htaccess and specreg.ini next to the
# binary (a copy of $T/specreg.ini: keep $DATA in the home); specreg
# finds it without -c or SPECREG_CONFIG.  As root, the user is nobody.
setup_frontend_apache_shared() {
	need_apache mpm_event authz_core mime rewrite fcgid
	if [ "$(id -u)" = 0 ]; then
		FRONT_USER=nobody
		FRONT_GROUP=$(id -gn nobody)
	fi
	: "${SHARED_HOME:=$T/home/user}"
	FRONT_SPAWNS=1
}

start_frontend_apache_shared() {
	_sh_web=$SHARED_HOME/public_html
	mkdir -p "$_sh_web" "$DATA" "$T/tmp/fcgid" ||
	    harness_error "cannot create $_sh_web"
	if ! cp "$SPECREG_BIN" "$_sh_web/specreg.fcgi" ||
	    ! cp "$T/specreg.ini" "$_sh_web/specreg.ini" ||
	    ! cp "$top_srcdir/deploy/htaccess.example" "$_sh_web/.htaccess" ||
	    ! chmod 755 "$_sh_web/specreg.fcgi" ||
	    ! chmod 600 "$_sh_web/specreg.ini"; then
		harness_error "cannot install specreg into $_sh_web"
	fi
	# shellcheck disable=SC2034 # for the tests
	FRONT_BIN=$_sh_web/specreg.fcgi
	front_own "$SHARED_HOME" "$DATA" "$T/tmp/fcgid"
	front_can -x "$_sh_web/specreg.fcgi"
	front_can -r "$_sh_web/specreg.ini" "$_sh_web/.htaccess"
	front_can -w "$DATA" "$T/tmp/fcgid"
	front_conf apache-shared ""
	sed -i "s|@HOME@|$SHARED_HOME|g" "$T/apache-shared.conf"
	FRONT_TMPDIR=$T/tmp/fcgid
	apache_start apache-shared
}

# --- Requests --------------------------------------------------------------

# expect_status CODE CURL-ARGS...: run curl with the response in
# $T/headers and $T/body; fail unless the status is CODE.
expect_status() {
	_es_want=$1
	shift
	rm -f "$T/body" "$T/headers"
	_es_got=$(curl -s -m 120 -o "$T/body" -D "$T/headers" \
	    -w '%{http_code}' "$@") || true
	touch "$T/body" "$T/headers"
	[ "$_es_got" = "$_es_want" ] && return 0
	{
		echo "curl $*"
		sed 's/^/< /' "$T/headers"
		head -c 2000 "$T/body"
		echo
	} >&2
	fail "expected HTTP $_es_want, got $_es_got"
}

# header NAME: the value of NAME in the last response in $T/headers,
# one line per occurrence, CR stripped.
header() {
	awk -v n="$1" '
	    BEGIN { n = tolower(n) ":"; k = 0 }
	    { sub(/\r$/, "") }
	    /^HTTP\// { k = 0; next }
	    tolower(substr($0, 1, length(n))) == n {
		v = substr($0, length(n) + 1)
		sub(/^[ \t]+/, "", v)
		sub(/[ \t]+$/, "", v)
		vals[++k] = v
	    }
	    END { for (i = 1; i <= k; i++) print vals[i] }' "$T/headers"
}

# body_has STRING: fail unless $T/body contains STRING.
body_has() {
	grep -qF -- "$1" "$T/body" ||
	    fail "body lacks '$1': $(head -c 500 "$T/body")"
}

# error_code: the first OCI error code in $T/body; fails unless the
# body is {"errors":[{"code":"...","message":"...",...}, ...]}.
error_code() {
	need_cmd jq
	jq -er '.errors[0] | select((.code | type) == "string" and
	    (.message | type) == "string") | .code' "$T/body" 2>/dev/null ||
	    fail "not an OCI error body: $(head -c 500 "$T/body")"
}

# sha256_of FILE: the hex SHA-256 of FILE.
sha256_of() {
	sha256sum <"$1" | cut -d' ' -f1
}

# push_blob REPO FILE: monolithic upload (POST, then PUT ?digest=);
# prints "sha256:<hex>".
push_blob() {
	_pb_d=sha256:$(sha256_of "$2")
	expect_status 202 -X POST -H 'Content-Length: 0' \
	    "$URL/v2/$1/blobs/uploads/"
	_pb_loc=$(header Location)
	[ -n "$_pb_loc" ] || fail "push_blob $1: POST gave no Location"
	case $_pb_loc in
	http://*|https://*)	;;
	*)			_pb_loc=$URL$_pb_loc ;;
	esac
	case $_pb_loc in
	*\?*)	_pb_loc="$_pb_loc&digest=$_pb_d" ;;
	*)	_pb_loc="$_pb_loc?digest=$_pb_d" ;;
	esac
	expect_status 201 -T "$2" -H 'Content-Type: application/octet-stream' \
	    "$_pb_loc"
	[ "$(header Docker-Content-Digest)" = "$_pb_d" ] ||
	    fail "push_blob $1: Docker-Content-Digest is" \
	    "'$(header Docker-Content-Digest)', not $_pb_d"
	echo "$_pb_d"
}

# fcgi_request METHOD URI [BODY-FILE [VAR=VALUE...]]: talk FastCGI to
# the pool directly (cgi-fcgi), bypassing the web server.  The response
# goes to $T/fcgi.headers and $T/fcgi.body; prints the status code.
fcgi_request() {
	need_cmd cgi-fcgi
	[ -n "$FCGI_ADDR" ] || harness_error "fcgi_request: no pool running"
	_fr_m=$1
	_fr_u=$2
	shift 2
	_fr_f=/dev/null
	if [ $# -gt 0 ]; then
		_fr_f=$1
		shift
		set -- CONTENT_LENGTH="$(wc -c <"$_fr_f" | tr -d ' ')" "$@"
	fi
	_fr_q=
	case $_fr_u in *\?*) _fr_q=${_fr_u#*\?} ;; esac
	env -i PATH="$PATH" GATEWAY_INTERFACE=CGI/1.1 \
	    REQUEST_METHOD="$_fr_m" REQUEST_URI="$_fr_u" \
	    QUERY_STRING="$_fr_q" SERVER_PROTOCOL=HTTP/1.1 \
	    SERVER_NAME=127.0.0.1 SERVER_PORT="${PORT:-80}" \
	    REMOTE_ADDR=127.0.0.1 HTTP_HOST="${HOSTPORT:-127.0.0.1}" \
	    "$@" \
	    cgi-fcgi -bind -connect "$FCGI_ADDR" <"$_fr_f" >"$T/fcgi.out" ||
	    fail "cgi-fcgi $_fr_m $_fr_u failed"
	sed -n '1,/^\r\{0,1\}$/p' "$T/fcgi.out" | tr -d '\r' >"$T/fcgi.headers"
	sed '1,/^\r\{0,1\}$/d' "$T/fcgi.out" >"$T/fcgi.body"
	_fr_s=$(sed -n 's/^[Ss]tatus: *\([0-9]*\).*/\1/p' "$T/fcgi.headers")
	echo "${_fr_s:-200}"
}

# --- Setup and cleanup -----------------------------------------------------

lib_dump_logs() {
	for _dl_f in "$T/specreg.log" $FRONT_LOGS "$T"/host*/specreg.log; do
		[ -s "$_dl_f" ] || continue
		echo "--- tail -50 ${_dl_f#"$T"/}"
		tail -n 50 "$_dl_f"
	done >&2
}

# lib_sanitizer_reports: print what ASan, LSan and UBSan said about any
# specreg process of this test (in $T/san/, or on stderr in a log);
# false if they said anything.
lib_sanitizer_reports() {
	_sr_bad=0
	for _sr_f in "$T"/san/*; do
		[ -s "$_sr_f" ] || continue
		echo "--- sanitizer report ${_sr_f#"$T"/}" >&2
		cat "$_sr_f" >&2
		_sr_bad=1
	done
	for _sr_f in "$T/specreg.log" $FRONT_LOGS; do
		grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' \
		    "$_sr_f" >&2 2>/dev/null && _sr_bad=1
	done
	[ "$_sr_bad" = 0 ]
}

# lib_tree PID: the PIDs of PID's descendants, parents first.
lib_tree() {
	for _lt_c in $(pgrep -P "$1"); do
		echo "$_lt_c"
		lib_tree "$_lt_c"
	done
}

# lib_stop_tree: stop whatever the test still runs in the background
# (and what that started): SIGTERM, then SIGKILL after 5 seconds.
# tests/integration/run-test fails a test that leaves a process behind.
lib_stop_tree() {
	_st_pids=$(lib_tree "$LIB_PID")
	[ -n "$_st_pids" ] || return 0
	# shellcheck disable=SC2086
	kill -TERM $_st_pids 2>/dev/null
	for _st_p in $_st_pids; do
		stop_pid "$_st_p" 5 || echo "pid $_st_p ignored SIGTERM; killed" >&2
	done
}

lib_cleanup() {
	_lc_rc=$1
	trap - EXIT INT TERM
	[ -s "$T/.abort" ] && _lc_rc=$(cat "$T/.abort")
	stop_frontend
	stop_pool
	hosts_stop
	if ! s3_cleanup; then
		case $_lc_rc in 0|77) _lc_rc=1 ;; esac
	fi
	if [ -n "$SWIFT_DIR" ]; then
		"$top_srcdir/tests/swift/saio.sh" stop "$SWIFT_DIR" >/dev/null 2>&1
	fi
	lib_stop_tree
	lib_sanitizer_reports || _lc_rc=1
	case $_lc_rc in
	0|77)	;;
	*)	lib_dump_logs ;;
	esac
	if [ "${SPECREG_KEEP:-0}" = 1 ]; then
		echo "kept $T" >&2
	else
		rm -rf "$T"
	fi
	exit "$_lc_rc"
}

[ -x "$SPECREG_BIN" ] || harness_error "SPECREG_BIN=$SPECREG_BIN is not executable"
T=$(mktemp -d "${TMPDIR:-/tmp}/specreg-$(basename "$0" .sh).XXXXXX") ||
    harness_error "mktemp failed"
# Web servers that drop privileges must reach $T.
chmod 755 "$T"
DATA=$T/data
mkdir "$DATA" "$T/tmp" "$T/www" || harness_error "cannot populate $T"
# An --enable-asan specreg (workers too, whoever they run as) reports
# to $T/san/, which lib_cleanup checks.
mkdir -m 1777 "$T/san" || harness_error "cannot create $T/san"
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$T/san/asan
UBSAN_OPTIONS=${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$T/san/ubsan
export ASAN_OPTIONS UBSAN_OPTIONS
trap 'lib_cleanup $?' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
