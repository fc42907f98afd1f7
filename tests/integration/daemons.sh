# tests/integration/daemons.sh: private dockerd and containerd daemons
# for the client tests, confined like the clients of clients.sh.
# shellcheck shell=sh disable=SC2034
#
# A test using them starts like this:
#
#	. "$top_srcdir/tests/integration/clients.sh"
#	CLIENTS_NEED="dockerd docker"
#	clients_reexec "$@"
#	. "$top_srcdir/tests/integration/lib.sh"
#	. "$top_srcdir/tests/integration/daemons.sh"
#	start_registry
#	clients_confine
#	dockerd_start
#
# dockerd_start: Debian's dockerd with its data root, pidfile, socket,
# log and daemon.json in $T/docker, and its exec root in
# /run/specreg-docker (the private /run, so under $T as well; the
# sockets of the containerd that dockerd runs are made there, and a
# Unix socket's path must stay under 108 bytes).  No bridge, no
# iptables rules and no IP forwarding: with --bridge=none alone,
# dockerd 20.10 still turns net.ipv4.ip_forward on for the whole host,
# so the test fails if that setting changed anyway.  $HOSTPORT is an
# insecure registry.  Overlays over /etc/docker (dockerd writes
# key.json there) and /opt (containerd makes /opt/containerd) keep
# those writes in $T; DNS fails at once (clients_no_dns).  Sets
# DOCKER, the package's CLI (/usr/bin/docker, not a newer one earlier
# in PATH), and exports DOCKER_HOST and DOCKER_CONFIG ($T/docker/cli,
# where logins go).
#
# dockerd_insecure HOSTPORT: make HOSTPORT insecure too (daemon.json,
# then SIGHUP), e.g. for a registry restarted on another port.
#
# containerd_start: containerd with its root in $T/containerd, its
# state and socket in /run/specreg-containerd, its "opt" directory in
# $T/containerd/opt and the CRI plugin off.  From then on the shell
# function ctr runs ctr against it ("ctr -a SOCKET").
#
# The daemons are stopped (SIGTERM, then SIGKILL) before lib.sh cleans
# up, however the test ends; being in the test's PID namespace, they
# could not outlive it anyway.  Their logs are shown when it fails.

DOCKERD_PID=
CONTAINERD_PID=
DAEMON_LOGS=

# daemon_wait PID WHAT CMD...: wait until CMD succeeds (60 s at most),
# PID (the daemon, WHAT) being alive; print the seconds it took.
daemon_wait()
{
	_dw_pid=$1
	_dw_what=$2
	shift 2
	_dw_t0=$(date +%s%N)
	_dw_n=600
	until "$@" >/dev/null 2>&1; do
		pid_alive "$_dw_pid" ||
		    harness_error "$_dw_what died: $(tail -n 20 $DAEMON_LOGS)"
		_dw_n=$((_dw_n - 1))
		[ "$_dw_n" -gt 0 ] ||
		    harness_error "$_dw_what did not answer in 60 s"
		sleep 0.1
	done
	_dw_ms=$((($(date +%s%N) - _dw_t0) / 1000000))
	printf '%d.%03d\n' $((_dw_ms / 1000)) $((_dw_ms % 1000))
}

# daemon_stop PID NAME: SIGTERM PID, SIGKILL it after 30 s, and kill
# any child it left (dockerd's containerd).
daemon_stop()
{
	[ -n "$1" ] || return 0
	_ds_kids=$(pgrep -P "$1" 2>/dev/null)
	stop_pid "$1" 30 || echo "$2 ($1) ignored SIGTERM; killed" >&2
	for _ds_k in $_ds_kids; do
		if pid_alive "$_ds_k"; then
			echo "$2's child $_ds_k outlived it; killed" >&2
			kill -KILL "$_ds_k" 2>/dev/null
		fi
	done
}

daemons_cleanup()
{
	_dc_rc=$1
	[ -s "$T/.abort" ] && _dc_rc=$(cat "$T/.abort")
	daemon_stop "$DOCKERD_PID" dockerd
	DOCKERD_PID=
	daemon_stop "$CONTAINERD_PID" containerd
	CONTAINERD_PID=
	case $_dc_rc in
	0|77)	;;
	*)	for _dc_f in $DAEMON_LOGS; do
			echo "--- tail -30 ${_dc_f#"$T"/}"
			tail -n 30 "$_dc_f"
		done >&2 ;;
	esac
	lib_cleanup "$_dc_rc"
}

# daemon_json: write $DK/daemon.json, the registries in DOCKER_INSECURE.
daemon_json()
{
	_dj=
	for _dj_r in $DOCKER_INSECURE; do
		_dj="$_dj${_dj:+, }\"$_dj_r\""
	done
	cat >"$DK/daemon.json" <<EOF
{
	"storage-driver": "vfs",
	"insecure-registries": [$_dj]
}
EOF
}

dockerd_start()
{
	[ -n "${CL:-}" ] || harness_error "dockerd_start before clients_confine"
	DK=$T/docker
	mkdir -p "$DK/data" "$DK/cli" || harness_error "mkdir $DK"
	# Both exist on Debian (docker.io ships /etc/docker).
	clients_overlay /etc/docker
	clients_overlay /opt
	clients_no_dns
	DOCKER_INSECURE=$HOSTPORT
	daemon_json
	_ds_fwd=$(cat /proc/sys/net/ipv4/ip_forward)
	trap 'daemons_cleanup $?' EXIT
	DAEMON_LOGS="$DAEMON_LOGS $DK/dockerd.log"
	dockerd --data-root "$DK/data" --exec-root /run/specreg-docker \
	    --pidfile "$DK/dockerd.pid" -H "unix://$DK/docker.sock" \
	    --config-file "$DK/daemon.json" --bridge=none --iptables=false \
	    --ip6tables=false --ip-forward=false \
	    </dev/null >>"$DK/dockerd.log" 2>&1 &
	DOCKERD_PID=$!
	DOCKER=/usr/bin/docker
	[ -x "$DOCKER" ] || DOCKER=docker
	DOCKER_HOST=unix://$DK/docker.sock
	DOCKER_CONFIG=$DK/cli
	export DOCKER_HOST DOCKER_CONFIG
	DOCKERD_SECONDS=$(daemon_wait "$DOCKERD_PID" dockerd "$DOCKER" version)
	note "dockerd answered in $DOCKERD_SECONDS s"
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$_ds_fwd" ] || {
		echo "$_ds_fwd" >/proc/sys/net/ipv4/ip_forward
		fail "dockerd changed the host's net.ipv4.ip_forward"
	}
	cl_ok "$DOCKER" version --format '{{.Client.Version}} {{.Server.Version}}'
	note "docker CLI and dockerd: $(cat "$CL/out")"
	cl_ok "$DOCKER" info --format '{{.DockerRootDir}} {{.Driver}}'
	[ "$(cat "$CL/out")" = "$DK/data vfs" ] ||
	    fail "dockerd runs on $(cat "$CL/out")"
}

dockerd_insecure()
{
	DOCKER_INSECURE="$DOCKER_INSECURE $1"
	daemon_json
	kill -HUP "$DOCKERD_PID" || fail "kill -HUP dockerd"
	_di_n=300
	until "$DOCKER" info --format '{{json .RegistryConfig.IndexConfigs}}' \
	    2>/dev/null | jq -e --arg r "$1" '.[$r].Secure == false' \
	    >/dev/null; do
		_di_n=$((_di_n - 1))
		[ "$_di_n" -gt 0 ] || fail "dockerd did not take $1 as insecure"
		sleep 0.1
	done
}

containerd_start()
{
	[ -n "${CL:-}" ] ||
	    harness_error "containerd_start before clients_confine"
	CT=$T/containerd
	_cs_run=/run/specreg-containerd
	mkdir -p "$CT/root" "$CT/opt" "$_cs_run" || harness_error "mkdir $CT"
	clients_no_dns
	cat >"$CT/config.toml" <<EOF
version = 2
root = "$CT/root"
state = "$_cs_run/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$_cs_run/containerd.sock"
[plugins."io.containerd.internal.v1.opt"]
  path = "$CT/opt"
EOF
	trap 'daemons_cleanup $?' EXIT
	DAEMON_LOGS="$DAEMON_LOGS $CT/containerd.log"
	# Without --config it would read /etc/containerd/config.toml.
	containerd --config "$CT/config.toml" \
	    </dev/null >>"$CT/containerd.log" 2>&1 &
	CONTAINERD_PID=$!
	CONTAINERD_SOCK=$_cs_run/containerd.sock
	CONTAINERD_SECONDS=$(daemon_wait "$CONTAINERD_PID" containerd \
	    ctr version)
	note "containerd answered in $CONTAINERD_SECONDS s"
	cl_ok ctr version
	note "ctr and containerd:$(awk '$1 == "Version:" { printf " %s", $2 }' \
	    "$CL/out")"
}

# ctr ARGS...: ctr talking to the test's containerd (never the host's).
ctr()
{
	[ -n "${CONTAINERD_SOCK:-}" ] || harness_error "ctr before containerd_start"
	command ctr -a "$CONTAINERD_SOCK" "$@"
}
