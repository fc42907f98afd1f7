#!/bin/sh
# podman and buildah against specreg: buildah from scratch, copy,
# config, commit; podman push (OCI and v2s2), rmi, pull (by tag and by
# digest); buildah push, build and pull; contents and labels compared.
# Runs in private mount and PID namespaces (clients.sh).
. "$top_srcdir/tests/integration/clients.sh"
clients_reexec "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/oci.sh"

start_registry
oci_init
clients_setup
TLS=--tls-verify=false
nonce=$(od -An -N6 -tx1 /dev/urandom | tr -d ' ')
LOCAL=localhost/probe/basic:latest
REMOTE=$HOSTPORT/test/basic

# file_in IMAGE PATH FILE: PATH inside local IMAGE has FILE's bytes.
file_in()
{
	cl_ok buildah from --name cl-look "$1"
	cl_ok buildah mount cl-look
	_m=$(cat "$CL/out")
	cmp -s "$_m$2" "$3" || fail "$2 in $1 differs from $3"
	cl_ok buildah rm cl-look
}

note "buildah from scratch, copy, config, commit"
printf 'hello %s\n' "$nonce" >"$T/hello.txt"
cl_ok buildah from --name basic scratch
cl_ok buildah copy basic "$T/hello.txt" /hello.txt
cl_ok buildah config --label "probe=$nonce" --cmd '["/hello.txt"]' basic
cl_ok buildah commit --rm basic "$LOCAL"
[ "$(cl_label "$LOCAL" probe)" = "$nonce" ] || fail "local label"

note "podman push (OCI, as buildah committed it)"
cl_ok podman push $TLS "$LOCAL" "$REMOTE:latest"
expect_status 200 -H "Accept: $OCI" -H "Accept: $D2" \
    "$V2/test/basic/manifests/latest"
hdr_is Content-Type "$OCI"
doci=$(header Docker-Content-Digest)
[ "$(digest_of "$T/body")" = "$doci" ] || fail "manifest digest"
cfg=$(jq -r .config.digest "$T/body")
expect_status 200 "$V2/test/basic/blobs/$cfg"
jq -e --arg n "$nonce" '.config.Labels.probe == $n' "$T/body" >/dev/null ||
    fail "pushed config: $(cat "$T/body")"

note "podman rmi, pull, and the image is the same"
cl_ok podman rmi "$LOCAL"
cl_fail podman image exists "$LOCAL"
cl_ok podman pull $TLS "$REMOTE:latest"
cl_ok podman image exists "$REMOTE:latest"
[ "$(cl_label "$REMOTE:latest" probe)" = "$nonce" ] || fail "pulled label"
cl_ok podman image inspect --format '{{.Digest}}' "$REMOTE:latest"
[ "$(cat "$CL/out")" = "$doci" ] || fail "pulled digest $(cat "$CL/out")"
file_in "$REMOTE:latest" /hello.txt "$T/hello.txt"

note "podman push --format v2s2"
cl_ok podman push $TLS --format v2s2 "$REMOTE:latest" "$REMOTE:v2s2"
expect_status 200 -H "Accept: $OCI" -H "Accept: $D2" \
    "$V2/test/basic/manifests/v2s2"
hdr_is Content-Type "$D2"
dd2=$(header Docker-Content-Digest)
cl_ok podman rmi "$REMOTE:latest"
cl_ok podman pull $TLS "$REMOTE:v2s2"
[ "$(cl_label "$REMOTE:v2s2" probe)" = "$nonce" ] || fail "v2s2 label"
file_in "$REMOTE:v2s2" /hello.txt "$T/hello.txt"

note "podman pull by digest"
cl_ok podman rmi -a -f
cl_ok podman pull $TLS "$REMOTE@$doci"
cl_ok podman image inspect --format '{{.Digest}}' "$REMOTE@$doci"
[ "$(cat "$CL/out")" = "$doci" ] || fail "by-digest pull: $(cat "$CL/out")"
cl_ok podman pull $TLS "$REMOTE@$dd2"

note "buildah build FROM an image in specreg, buildah push, podman pull"
mkdir "$T/ctx"
printf 'second %s\n' "$nonce" >"$T/ctx/second.txt"
printf 'FROM %s\nCOPY second.txt /second.txt\nLABEL built=%s\n' \
    "$REMOTE:latest" "$nonce" >"$T/ctx/Containerfile"
cl_ok podman rmi -a -f
cl_ok buildah build $TLS --pull-always -t localhost/probe/built:latest "$T/ctx"
cl_ok buildah push $TLS localhost/probe/built:latest "$REMOTE:built"
cl_ok podman rmi -a -f
cl_ok buildah pull $TLS "$REMOTE:built"
[ "$(cl_label "$REMOTE:built" built)" = "$nonce" ] || fail "built label"
[ "$(cl_label "$REMOTE:built" probe)" = "$nonce" ] || fail "base label"
file_in "$REMOTE:built" /hello.txt "$T/hello.txt"
file_in "$REMOTE:built" /second.txt "$T/ctx/second.txt"
expect_status 200 "$V2/test/basic/tags/list"
[ "$(jq -c .tags "$T/body")" = '["built","latest","v2s2"]' ] ||
    fail "tags: $(cat "$T/body")"

note "buildah commit --format docker, buildah push"
cl_ok buildah from --name fmt scratch
cl_ok buildah copy fmt "$T/hello.txt" /hello.txt
cl_ok buildah commit --rm --format docker fmt localhost/probe/docker:latest
cl_ok buildah push $TLS localhost/probe/docker:latest \
    "$HOSTPORT/quay.io/org/docker:1"
expect_status 200 -H "Accept: $OCI" -H "Accept: $D2" \
    "$V2/quay.io/org/docker/manifests/1"
hdr_is Content-Type "$D2"
cl_ok podman rmi -a -f
cl_ok podman pull $TLS "$HOSTPORT/quay.io/org/docker:1"
file_in "$HOSTPORT/quay.io/org/docker:1" /hello.txt "$T/hello.txt"

note "failures are clean"
cl_fail podman pull $TLS "$HOSTPORT/test/dne:latest"
[ "$CL_RC" = 125 ] || fail "podman pull of a missing image: rc $CL_RC"
grep -q 'manifest unknown' "$CL/err" || fail "$(cat "$CL/err")"
cl_fail podman pull $TLS "$REMOTE:nope"
grep -q 'manifest unknown' "$CL/err" || fail "$(cat "$CL/err")"
log_has_no_status '5[0-9][0-9]'

note "podman login and logout"
cl_ok podman login $TLS -u anyone -p anything "$HOSTPORT"
cl_ok podman logout "$HOSTPORT"

exit 0
