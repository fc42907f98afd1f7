# tests/integration/clients.sh: run podman, buildah and skopeo (and,
# with daemons.sh, docker and containerd) against specreg without
# touching the host.
# shellcheck shell=sh disable=SC2034
#
# A client test starts like this (clients_reexec must come before lib.sh,
# which creates $T as it is sourced):
#
#	. "$top_srcdir/tests/integration/clients.sh"
#	clients_reexec "$@"
#	. "$top_srcdir/tests/integration/lib.sh"
#	start_registry
#	clients_setup
#
# clients_reexec runs the whole test again as PID 1 of new mount and
# PID namespaces (unshare --mount --propagation private --pid --fork
# --mount-proc), so every mount dies with the test and so does every
# process it leaves behind.  It skips the test unless the commands in
# CLIENTS_NEED (default: podman buildah skopeo) are installed.
# clients_confine then, inside the namespace:
#   - bind-mounts private directories over /run and /var/lib/containers
#     (or an overlay over /var/lib when that directory does not exist),
#     which the clients write to whatever their configuration says;
#   - bind-mounts a hosts file that sends docker.io, registry-1.docker.io,
#     index.docker.io, auth.docker.io, production.cloudflare.docker.com,
#     quay.io and cdn*.quay.io to 127.0.0.1, and checks it works, so
#     nothing can fall through to the internet;
#   - exports TMPDIR=$CL/tmp;
# and clients_setup, which calls clients_confine, for podman, buildah
# and skopeo:
#   - writes containers.conf (host network, cgroupfs, file events),
#     registries.conf (specreg's $HOSTPORT insecure), storage.conf (vfs
#     under $CL) and an empty auth.json, and exports CONTAINERS_CONF,
#     CONTAINERS_REGISTRIES_CONF, CONTAINERS_STORAGE_CONF and
#     REGISTRY_AUTH_FILE;
#   - sets PODMAN, BUILDAH and SKOPEO (skopeo needs --registries-conf).
# Helpers: cl_run (run, log, return the status), cl_ok (must succeed),
# cl_fail (must fail), cl_label IMAGE KEY (a label of a local image).

clients_skip()
{
	if [ "${SPECREG_NO_SKIP:-0}" = 1 ]; then
		echo "FAIL: SPECREG_NO_SKIP=1 but would skip: $*" >&2
		exit 1
	fi
	echo "SKIP: $*" >&2
	exit 77
}

clients_reexec()
{
	[ "${SPECREG_CLIENTS_NS:-}" = 1 ] && return 0
	[ "$(id -u)" = 0 ] || clients_skip "client tests need root"
	# dockerd is in /usr/sbin (lib.sh, sourced later, adds it too).
	PATH=$PATH:/usr/sbin:/sbin
	for _c in unshare mount jq ${CLIENTS_NEED:-podman buildah skopeo}; do
		command -v "$_c" >/dev/null 2>&1 ||
		    clients_skip "$_c is not installed"
	done
	unshare --mount --pid --fork true 2>/dev/null ||
	    clients_skip "cannot create mount and PID namespaces"
	SPECREG_CLIENTS_NS=1 exec unshare --mount --propagation private \
	    --pid --fork --mount-proc -- sh "$0" "$@"
}

# The names a client could reach the internet by, all sent to 127.0.0.1.
CLIENTS_TRAP="docker.io registry-1.docker.io index.docker.io auth.docker.io
production.cloudflare.docker.com quay.io cdn.quay.io cdn01.quay.io
cdn02.quay.io cdn03.quay.io"

clients_mounts()
{
	mkdir -p "$CL/ns/run" "$CL/ns/varlib" "$CL/ns/up" "$CL/ns/work" ||
	    fail "mkdir $CL/ns"
	mount --bind "$CL/ns/run" /run || fail "bind /run"
	if [ -d /var/lib/containers ]; then
		mount --bind "$CL/ns/varlib" /var/lib/containers ||
		    fail "bind /var/lib/containers"
	else
		mount -t overlay overlay -o "lowerdir=/var/lib" \
		    -o "upperdir=$CL/ns/up,workdir=$CL/ns/work" /var/lib ||
		    fail "overlay on /var/lib"
	fi
	cp /etc/hosts "$CL/ns/hosts" || fail "copy /etc/hosts"
	for _h in $CLIENTS_TRAP; do
		echo "127.0.0.1 $_h"
	done >>"$CL/ns/hosts"
	mount --bind "$CL/ns/hosts" /etc/hosts || fail "bind /etc/hosts"
	for _h in $CLIENTS_TRAP; do
		_a=$(getent hosts "$_h" | awk '{ print $1; exit }')
		[ "$_a" = 127.0.0.1 ] || fail "hosts trap: $_h is '$_a'"
	done
}

# clients_registries FILE [TOML...]: a registries.conf that knows
# specreg as insecure, plus the extra TOML given.
clients_registries()
{
	_f=$1
	shift
	{
		echo 'unqualified-search-registries = []'
		echo
		echo '[[registry]]'
		echo "location = \"$HOSTPORT\""
		echo 'insecure = true'
		for _x in "$@"; do
			printf '\n%s\n' "$_x"
		done
	} >"$_f"
}

# clients_overlay DIR: an overlay over DIR whose upper layer is in
# $CL/ns, so that what a client writes there stays in the test.
clients_overlay()
{
	_o=$CL/ns/overlay$(printf '%s' "$1" | tr / _)
	mkdir -p "$_o/up" "$_o/work" || fail "mkdir $_o"
	mount -t overlay overlay -o "lowerdir=$1" \
	    -o "upperdir=$_o/up,workdir=$_o/work" "$1" ||
	    fail "overlay on $1"
}

# clients_no_dns: a resolv.conf naming only 127.0.0.1, where no name
# server listens, so that a name the hosts file does not know fails at
# once instead of being looked up outside (for daemons that resolve
# names of their own, such as dockerd).
clients_no_dns()
{
	if [ -L /etc/resolv.conf ]; then
		# A link into /run (systemd-resolved) leads nowhere now.
		[ -e /etc/resolv.conf ] || return 0
		fail "/etc/resolv.conf is a link out of the namespace's reach"
	fi
	echo 'nameserver 127.0.0.1' >"$CL/ns/resolv.conf" &&
	    mount --bind "$CL/ns/resolv.conf" /etc/resolv.conf ||
	    fail "bind /etc/resolv.conf"
}

# clients_confine: $CL and the private mounts (above).
clients_confine()
{
	[ "${SPECREG_CLIENTS_NS:-}" = 1 ] ||
	    fail "clients_reexec was not called"
	CL=$T/cl
	mkdir -p "$CL/tmp" || fail "mkdir $CL"
	clients_mounts
	TMPDIR=$CL/tmp
	export TMPDIR
}

clients_setup()
{
	clients_confine
	mkdir -p "$CL/conf" "$CL/storage" "$CL/run/networks" \
	    "$CL/run/events" "$CL/run/libpod-tmp" || fail "mkdir $CL"
	cat >"$CL/conf/containers.conf" <<EOF
[containers]
netns = "host"
[network]
network_config_dir = "$CL/run/networks"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$CL/run/events/events.log"
tmp_dir = "$CL/run/libpod-tmp"
image_copy_tmp_dir = "$CL/tmp"
EOF
	# podman refuses a runroot longer than 50 characters; /run is private.
	cat >"$CL/conf/storage.conf" <<EOF
[storage]
driver = "vfs"
graphroot = "$CL/storage"
runroot = "/run/specreg-clients"
EOF
	clients_registries "$CL/conf/registries.conf"
	echo '{}' >"$CL/conf/auth.json"
	CONTAINERS_CONF=$CL/conf/containers.conf
	CONTAINERS_REGISTRIES_CONF=$CL/conf/registries.conf
	CONTAINERS_STORAGE_CONF=$CL/conf/storage.conf
	REGISTRY_AUTH_FILE=$CL/conf/auth.json
	export CONTAINERS_CONF CONTAINERS_REGISTRIES_CONF \
	    CONTAINERS_STORAGE_CONF REGISTRY_AUTH_FILE
	PODMAN=podman
	BUILDAH=buildah
	SKOPEO="skopeo --registries-conf $CONTAINERS_REGISTRIES_CONF"
	# The storage really is ours before anything is written to it.
	cl_ok podman info \
	    --format '{{.Store.GraphRoot}} {{.Store.GraphDriverName}}'
	[ "$(cat "$CL/out")" = "$CL/storage vfs" ] ||
	    fail "podman storage is $(cat "$CL/out")"
}

# cl_run CMD...: run CMD, output in $CL/out and $CL/err (and appended to
# $CL/clients.log); return its status.
cl_run()
{
	echo "\$ $*" >>"$CL/clients.log"
	"$@" >"$CL/out" 2>"$CL/err"
	_rc=$?
	cat "$CL/out" "$CL/err" >>"$CL/clients.log"
	echo "rc=$_rc" >>"$CL/clients.log"
	return "$_rc"
}

cl_ok()
{
	cl_run "$@" && return 0
	_rc=$?
	{
		echo "--- $*: rc $_rc"
		tail -c 3000 "$CL/err"
	} >&2
	fail "$1 $2 failed (rc $_rc)"
}

# cl_fail CMD...: CMD must fail (any non-zero status, left in $CL_RC).
cl_fail()
{
	if cl_run "$@"; then
		fail "$* succeeded"
	fi
	CL_RC=$_rc
}

# cl_label IMAGE KEY: the label KEY of local image IMAGE.
cl_label()
{
	podman image inspect --format "{{index .Labels \"$2\"}}" "$1" ||
	    fail "podman image inspect $1"
}

# cl_image NAME LABEL=VALUE...: build a small local image NAME from
# scratch with a file and labels (buildah from/copy/config/commit).
cl_image()
{
	_n=$1
	shift
	printf 'image %s %s\n' "$_n" "$(od -An -N8 -tx8 /dev/urandom)" \
	    >"$CL/tmp/hello.txt"
	cl_ok buildah from --name cl-build scratch
	cl_ok buildah copy cl-build "$CL/tmp/hello.txt" /hello.txt
	for _l in "$@"; do
		cl_ok buildah config --label "$_l" cl-build
	done
	cl_ok buildah config --cmd '["/hello.txt"]' cl-build
	cl_ok buildah commit --rm cl-build "$_n"
}
