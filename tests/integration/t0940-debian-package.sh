#!/bin/sh
# tests/integration/t0940-debian-package.sh: "dpkg-buildpackage -us -uc
# -b" builds specreg_*.deb from a copy of the tree, lintian finds no
# error or warning, and the installed package holds the binary, the
# manual pages, /etc/specreg/specreg.ini as a conffile, the specreg user,
# /var/lib/specreg, the systemd unit and the examples.  The pool then
# starts as the unit starts it (its ExecStartPre and ExecStart lines, as
# its user and group, without systemd) and a blob and a manifest go
# through a private lighttpd and back.  "dpkg --purge" leaves no specreg
# process, package or storage behind.
#
# This changes the machine while it runs: it needs root and skips when a
# specreg package is installed already or /run/specreg exists.  The user
# it creates is removed again.
# front end: any
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?}/tests/integration/lib.sh"
need_cmd dpkg-buildpackage dh lintian dpkg setpriv lighttpd curl jq
[ "$(id -u)" = 0 ] || skip "installing a package needs root"
dpkg-query -W -f='${Status}\n' specreg 2>/dev/null | grep -q installed &&
    skip "a specreg package is installed already"
[ ! -e /run/specreg ] || skip "/run/specreg exists already"
OCI=application/vnd.oci.image.manifest.v1+json
UNIT=/lib/systemd/system/specreg.service
INI=/etc/specreg/specreg.ini
made_user=0
getent passwd specreg >/dev/null || made_user=1
installed=0
_t0940_rc=0

# deb_remove: stop the pool, purge the package, remove what the test
# made; fails if a process of the specreg user is left.
deb_remove() {
	_dr_rc=0
	stop_pool
	if [ "$installed" = 1 ]; then
		dpkg --purge specreg >>"$T/dpkg.log" 2>&1 || _dr_rc=1
		installed=0
	fi
	if getent passwd specreg >/dev/null; then
		if pgrep -u specreg >/dev/null; then
			echo "specreg processes left: $(pgrep -a -u specreg)" >&2
			_dr_rc=1
		fi
		[ "$made_user" = 0 ] || userdel specreg 2>/dev/null || _dr_rc=1
	fi
	rm -rf /run/specreg
	return "$_dr_rc"
}
trap '_t0940_rc=$?; deb_remove || _t0940_rc=1; lib_cleanup "$_t0940_rc"' EXIT

# Build from a copy of the tree: its git files, or all of it.
mkdir "$T/build" "$T/build/specreg"
# (A tree inside a checkout, as run-all's ASan copy under _build/, is
# not the checkout: copy all of it.)
if [ "$(git -C "$top_srcdir" rev-parse --show-toplevel 2>/dev/null)" = \
    "$(cd "$top_srcdir" && pwd -P)" ]; then
	(cd "$top_srcdir" && git ls-files -co --exclude-standard) |
	    (cd "$top_srcdir" && tar -cf - -T -) |
	    tar -xf - -C "$T/build/specreg"
else
	cp -a "$top_srcdir/." "$T/build/specreg/"
fi
start=$(date +%s)
(cd "$T/build/specreg" &&
    DEB_BUILD_OPTIONS="nocheck parallel=2" dpkg-buildpackage -us -uc -b) \
    >"$T/build.log" 2>&1 || fail "dpkg-buildpackage: $(tail -n 30 "$T/build.log")"
echo "# dpkg-buildpackage: $(($(date +%s) - start)) s"
set -- "$T"/build/specreg_*.deb
[ -f "$1" ] || fail "no specreg_*.deb: $(ls "$T/build")"
deb=$1
# lintian leaves a cache file in TMPDIR (run-test's, checked for
# leftovers): give it one under $T, which goes with the test.
mkdir "$T/lintian-tmp" || harness_error "cannot create $T/lintian-tmp"
TMPDIR=$T/lintian-tmp lintian --fail-on error,warning "$deb" \
    >"$T/lintian.log" 2>&1 ||
    fail "lintian: $(cat "$T/lintian.log")"

# Install: the files, the conffile, the user and its directories.
installed=1
dpkg -i "$deb" >"$T/dpkg.log" 2>&1 || fail "dpkg -i: $(cat "$T/dpkg.log")"
for f in /usr/bin/specreg /usr/share/man/man8/specreg.8.gz \
    /usr/share/man/man5/specreg.ini.5.gz "$INI" "$UNIT" \
    /usr/share/doc/specreg/examples/lighttpd.conf \
    /usr/share/doc/specreg/examples/nginx.conf; do
	[ -f "$f" ] || fail "$f is not installed"
done
dpkg-query -W -f='${Conffiles}\n' specreg | grep -q "^ $INI " ||
    fail "$INI is not a conffile: $(dpkg-query -W -f='${Conffiles}' specreg)"
getent passwd specreg >/dev/null || fail "no specreg user"
[ "$(stat -c %U /var/lib/specreg)" = specreg ] ||
    fail "/var/lib/specreg belongs to $(stat -c %U /var/lib/specreg)"
man -l /usr/share/man/man8/specreg.8.gz >/dev/null 2>&1 ||
    fail "man -l specreg.8 failed"

# unit_line KEY: the unit's KEY= value, continuation lines joined.
unit_line() {
	sed -e ':a' -e '/\\$/N; s/\\\n[ \t]*//; ta' "$UNIT" |
	    sed -n "s/^$1=//p"
}
user=$(unit_line User)
group=$(unit_line Group)
pre=$(unit_line ExecStartPre)
exec_start=$(unit_line ExecStart)
case $exec_start in
"/usr/bin/specreg -c $INI serve --listen /run/specreg/fcgi.sock"*) ;;
*)	fail "ExecStart is: $exec_start" ;;
esac
[ -n "$(unit_line ExecReload)" ] || fail "the unit has no ExecReload"

# What systemd would do: RuntimeDirectory, then the unit's commands as
# its user and group (setpriv execs, so the pid is the supervisor's).
install -d -o "$user" -g "$group" -m 0750 /run/specreg
# shellcheck disable=SC2086 # the unit's lines are words
setpriv --reuid="$user" --regid="$group" --init-groups -- $pre \
    >"$T/check-config.log" 2>&1 ||
    fail "ExecStartPre: $(cat "$T/check-config.log")"
# shellcheck disable=SC2086
setpriv --reuid="$user" --regid="$group" --init-groups -- $exec_start \
    </dev/null >>"$T/specreg.log" 2>&1 &
SPECREG_PID=$!
FCGI_ADDR=/run/specreg/fcgi.sock
wait_listening "$FCGI_ADDR" "$SPECREG_PID" ||
    fail "the unit's ExecStart did not listen: $(cat "$T/specreg.log")"
[ "$(stat -c %U "$FCGI_ADDR")" = "$user" ] || fail "the socket is not $user's"

# A private lighttpd in front, on a free port.
DATA=/var/lib/specreg
SPECREG_FRONTEND=lighttpd
LIB_FE=lighttpd
setup_frontend_lighttpd
for try in 1 2 3 4 5; do
	PORT=$(free_port)
	URL=http://127.0.0.1:$PORT
	start_frontend_lighttpd && break
	[ "$try" -lt 5 ] || harness_error "lighttpd did not start"
done
wait_ready

R=deb/img
printf '{}' >"$T/config"
head -c 50000 /dev/urandom >"$T/layer"
cfg=$(push_blob "$R" "$T/config")
layer=$(push_blob "$R" "$T/layer")
printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":2},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":50000}]}' \
    "$OCI" "$cfg" "$layer" >"$T/manifest"
expect_status 201 -X PUT -H "Content-Type: $OCI" \
    --data-binary "@$T/manifest" "$URL/v2/$R/manifests/v1"
expect_status 200 -H "Accept: $OCI" "$URL/v2/$R/manifests/v1"
cmp -s "$T/body" "$T/manifest" || fail "the manifest came back changed"
expect_status 200 "$URL/v2/$R/blobs/$layer"
cmp -s "$T/body" "$T/layer" || fail "the layer came back changed"
[ -n "$(find /var/lib/specreg -type f -user specreg | head -n 1)" ] ||
    fail "nothing in /var/lib/specreg belongs to specreg"

# Purge: nothing of specreg is left running or installed.
stop_frontend
deb_remove || fail "removing the package left something behind"
! dpkg-query -W -f='${Status}\n' specreg 2>/dev/null | grep -q installed ||
    fail "specreg is still installed"
[ ! -e /var/lib/specreg ] || fail "/var/lib/specreg outlived the purge"
[ ! -e "$INI" ] || fail "$INI outlived the purge"
exit 0
