#!/bin/sh
# specreg as a speculative mirror (issue 4): registries.conf mirrors
# docker.io and quay.io to specreg first and to an "upstream" second,
# the upstream being CNCF distribution (Debian's docker-registry) on
# 127.0.0.1.  What only the upstream has comes through the fallback;
# what specreg has wins; quay.io/... maps to specreg's quay.io/...
# repositories; what neither has fails cleanly.  podman pull, buildah
# pull and build FROM docker.io/..., skopeo with --registries-conf.
# Everything runs in private mount and PID namespaces with docker.io
# and quay.io trapped to 127.0.0.1 (clients.sh): nothing leaves.
. "$top_srcdir/tests/integration/clients.sh"
clients_reexec "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/oci.sh"

need_cmd docker-registry
start_registry
oci_init
clients_setup
TLS=--tls-verify=false
nonce=$(od -An -N6 -tx1 /dev/urandom | tr -d ' ')

note "start the upstream (distribution) on 127.0.0.1"
UP=$T/upstream
distribution_start "$UP"
UPSTREAM=127.0.0.1:$UPORT
expect_status 200 "http://$UPSTREAM/v2/"

# Pushes go to each registry's own address; pulls go through mirrors.
clients_registries "$CL/conf/registries.conf" "[[registry]]
location = \"$UPSTREAM\"
insecure = true" "[[registry]]
prefix = \"docker.io\"
location = \"docker.io\"
[[registry.mirror]]
location = \"$HOSTPORT\"
insecure = true
[[registry.mirror]]
location = \"$UPSTREAM\"
insecure = true" "[[registry]]
prefix = \"quay.io\"
location = \"quay.io\"
[[registry.mirror]]
location = \"$HOSTPORT/quay.io\"
insecure = true
[[registry.mirror]]
location = \"$UPSTREAM/quay.io\"
insecure = true"

# seed REGISTRY NAME ORIGIN: build an image labelled origin=ORIGIN and
# push it to REGISTRY/NAME:latest.
seed()
{
	cl_image "localhost/seed/$3:latest" "origin=$3" "nonce=$nonce"
	cl_ok podman push $TLS "localhost/seed/$3:latest" "$1/$2:latest"
}

# origin_of IMAGE: the origin label of a local image.
origin_of()
{
	cl_label "$1" origin
}

# requests LOG PATH: how many requests for PATH the access log shows.
up_requests()
{
	grep -c "\"[A-Z]* $1" "$UP/access.log"
}

note "seed the upstream and specreg"
seed "$UPSTREAM" test/onlyup upstream
seed "$UPSTREAM" test/both upstream-both
seed "$UPSTREAM" quay.io/test/qup upstream-quay
seed "$HOSTPORT" test/both specreg-both
seed "$HOSTPORT" quay.io/test/q specreg-quay
seed "$HOSTPORT" "library/l$nonce" specreg-library
cl_ok podman rmi -a -f
: >"$UP/access.log"

note "podman: an image only upstream has comes through the fallback"
cl_ok podman pull docker.io/test/onlyup:latest
[ "$(origin_of docker.io/test/onlyup:latest)" = upstream ] ||
    fail "docker.io/test/onlyup came from $(origin_of docker.io/test/onlyup:latest)"
grep -q 'GET /v2/test/onlyup/manifests/latest 404 ' "$T/specreg.log" ||
    fail "specreg did not answer 404 for test/onlyup"
[ "$(up_requests /v2/test/onlyup/manifests/latest)" -ge 1 ] ||
    fail "the upstream was not asked"

note "podman: the speculative version in specreg wins"
cl_ok podman pull docker.io/test/both:latest
[ "$(origin_of docker.io/test/both:latest)" = specreg-both ] ||
    fail "docker.io/test/both came from $(origin_of docker.io/test/both:latest)"
[ "$(up_requests /v2/test/both/)" = 0 ] ||
    fail "the upstream was asked for test/both"

note "podman: quay.io maps to specreg's quay.io/ repositories"
cl_ok podman pull quay.io/test/q:latest
[ "$(origin_of quay.io/test/q:latest)" = specreg-quay ] ||
    fail "quay.io/test/q came from $(origin_of quay.io/test/q:latest)"
grep -q 'GET /v2/quay.io/test/q/manifests/latest 200 ' "$T/specreg.log" ||
    fail "specreg was not asked for quay.io/test/q"
cl_ok podman pull quay.io/test/qup:latest
[ "$(origin_of quay.io/test/qup:latest)" = upstream-quay ] ||
    fail "quay.io/test/qup came from $(origin_of quay.io/test/qup:latest)"

note "podman: Docker Hub's library/ names"
cl_ok podman pull "docker.io/l$nonce"
[ "$(origin_of "docker.io/library/l$nonce:latest")" = specreg-library ] ||
    fail "library image from elsewhere"

note "podman: an image neither has fails cleanly, on loopback"
start=$(date +%s)
cl_fail podman pull docker.io/test/none:latest
[ "$CL_RC" = 125 ] || fail "missing everywhere: rc $CL_RC"
[ $(($(date +%s) - start)) -lt 60 ] || fail "the failing pull took too long"
grep -q 'GET /v2/test/none/manifests/latest 404 ' "$T/specreg.log" ||
    fail "specreg did not answer 404 for test/none"
grep -q 'registry-1.docker.io' "$CL/err" ||
    fail "the last try was not the trapped upstream: $(cat "$CL/err")"
cl_fail podman pull quay.io/test/none:latest

note "buildah pull"
cl_ok podman rmi -a -f
cl_ok buildah pull docker.io/test/both:latest
[ "$(origin_of docker.io/test/both:latest)" = specreg-both ] ||
    fail "buildah pull test/both: $(origin_of docker.io/test/both:latest)"
cl_ok buildah pull docker.io/test/onlyup:latest
[ "$(origin_of docker.io/test/onlyup:latest)" = upstream ] ||
    fail "buildah pull test/onlyup: $(origin_of docker.io/test/onlyup:latest)"

note "buildah build FROM docker.io/..."
cl_ok podman rmi -a -f
for base in onlyup both; do
	mkdir -p "$T/ctx-$base"
	printf 'FROM docker.io/test/%s:latest\nLABEL built=%s\n' \
	    "$base" "$nonce" >"$T/ctx-$base/Containerfile"
	cl_ok buildah build --pull-always -t "localhost/built/$base:latest" \
	    "$T/ctx-$base"
	[ "$(cl_label "localhost/built/$base:latest" built)" = "$nonce" ] ||
	    fail "built label"
done
[ "$(origin_of localhost/built/onlyup:latest)" = upstream ] ||
    fail "FROM test/onlyup: $(origin_of localhost/built/onlyup:latest)"
[ "$(origin_of localhost/built/both:latest)" = specreg-both ] ||
    fail "FROM test/both: $(origin_of localhost/built/both:latest)"

note "skopeo with --registries-conf"
for pair in test/onlyup=upstream test/both=specreg-both \
    quay.io/test/q=specreg-quay quay.io/test/qup=upstream-quay; do
	name=${pair%%=*}
	case $name in
	quay.io/*)	ref=$name ;;
	*)		ref=docker.io/$name ;;
	esac
	cl_ok $SKOPEO inspect --no-tags "docker://$ref:latest"
	[ "$(jq -r .Labels.origin "$CL/out")" = "${pair#*=}" ] ||
	    fail "skopeo inspect $ref: $(jq -c .Labels "$CL/out")"
done
cl_ok $SKOPEO copy docker://docker.io/test/both:latest "dir:$T/both"
jq -r .config.digest "$T/both/manifest.json" >"$T/cfgd"
cfg=$(cut -d: -f2 "$T/cfgd")
jq -e '.config.Labels.origin == "specreg-both"' "$T/both/$cfg" >/dev/null ||
    fail "skopeo copy took test/both from elsewhere"
cl_fail $SKOPEO inspect --no-tags docker://docker.io/test/none:latest

note "specreg never answered a mirror pull with 401 or 5xx"
log_has_no_status '401|5[0-9][0-9]'

exit 0
