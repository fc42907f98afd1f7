#!/bin/sh
# containerd (Debian's containerd 1.6 and ctr) against specreg over
# plain HTTP: ctr images import of an OCI image made by mkimage.sh,
# push, rm, pull by tag and by digest (manifest and blobs compared byte
# for byte); a multi-arch index pushed whole, pulled with
# --all-platforms and with --platform, one platform pushed alone; a
# missing tag is a clean "not found".  Then containerd's mirror mode:
# hosts.toml sends quay.io/... to specreg's quay.io/ repositories and
# docker.io/... to specreg, with a second specreg as the upstream
# server: what specreg lacks (a clean 404) comes from the upstream,
# what specreg holds shadows the upstream's.  A private containerd
# (daemons.sh) in private mount and PID namespaces.
# store passes: no
. "$top_srcdir/tests/integration/clients.sh"
CLIENTS_NEED="containerd ctr"
clients_reexec "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/oci.sh"
. "$top_srcdir/tests/integration/daemons.sh"

note "start the upstream: a second specreg with a store of its own"
MAIN_DATA=$DATA
MAIN_CONTAINER=$SWIFT_CONTAINER
DATA=$T/hostup/data
SWIFT_CONTAINER=$SWIFT_CONTAINER-up
mkdir -p "$DATA" || harness_error "mkdir $DATA"
host_start up
UP=$HOSTPORT
UP_LOG=$T/hostup/specreg.log
DATA=$MAIN_DATA
SWIFT_CONTAINER=$MAIN_CONTAINER

start_registry
oci_init
clients_confine
containerd_start
MK="sh $top_srcdir/tests/integration/mkimage.sh"
HTTP=--plain-http
nonce=$(od -An -N6 -tx1 /dev/urandom | tr -d ' ')

# import DIR NAME: import the OCI layout DIR (tagged v1 by mkimage.sh),
# every platform, as NAME:v1.
import()
{
	tar -C "$1" -cf "$1.tar" . || fail "tar $1"
	cl_ok ctr images import --all-platforms --base-name "$2" "$1.tar"
	cl_ok ctr images ls -q
	grep -qx "$2:v1" "$CL/out" || fail "imported: $(cat "$CL/out")"
}

# image_digest REF: the digest of local image REF (its manifest or
# index).
image_digest()
{
	cl_ok ctr images ls "name==$1"
	awk -v r="$1" '$1 == r { print $3 }' "$CL/out"
}

# forget REF...: remove the images and, synchronously, their content.
forget()
{
	cl_ok ctr images rm --sync "$@"
	cl_ok ctr content ls -q
	[ ! -s "$CL/out" ] || fail "content left: $(cat "$CL/out")"
}

# have_blobs DIR DIGEST...: containerd holds each blob with the bytes of
# DIR/blobs/sha256/<hex>.
have_blobs()
{
	_d=$1
	shift
	for _b; do
		cl_ok ctr content get "$_b"
		cmp -s "$CL/out" "$_d/blobs/sha256/${_b#sha256:}" ||
		    fail "blob $_b differs from mkimage's"
	done
}

# blobs_of DIR DIGEST: the config and layers of manifest DIGEST in DIR.
blobs_of()
{
	jq -r '.config.digest, .layers[].digest' \
	    "$1/blobs/sha256/${2#sha256:}"
}

# log_since N: specreg.log from line N + 1 on, in $T/new.log.
log_since()
{
	tail -n "+$(($1 + 1))" "$T/specreg.log" >"$T/new.log"
}

note "ctr images import of an OCI image, push"
dm=$($MK oci "$T/oci" v1 3 amd64 "ctr-$nonce") || fail "mkimage oci"
import "$T/oci" specreg.test/img
n=$(wc -l <"$T/specreg.log")
cl_ok ctr images push $HTTP "$HOSTPORT/test/ctr:v1" specreg.test/img:v1
manifest_is test/ctr v1 "$dm" "$OCI"
cmp -s "$T/body" "$T/oci/blobs/sha256/${dm#sha256:}" ||
    fail "pushed manifest bytes differ"
# containerd sends each blob in one PUT, no PATCH.
log_since "$n"
[ "$(grep -c 'PUT /v2/test/ctr/blobs/uploads/[^ ]*digest=[^ ]* 201 ' \
    "$T/new.log")" = 4 ] || fail "blob PUTs: $(cat "$T/new.log")"
if grep 'PATCH ' "$T/new.log" >&2; then
	fail "ctr sent PATCH"
fi

note "ctr images rm, then pull by tag: the same manifest and blobs"
forget specreg.test/img:v1
cl_ok ctr images pull $HTTP "$HOSTPORT/test/ctr:v1"
[ "$(image_digest "$HOSTPORT/test/ctr:v1")" = "$dm" ] ||
    fail "pulled $(image_digest "$HOSTPORT/test/ctr:v1"), pushed $dm"
# shellcheck disable=SC2046
have_blobs "$T/oci" "$dm" $(blobs_of "$T/oci" "$dm")

note "ctr pull by digest"
forget "$HOSTPORT/test/ctr:v1"
cl_ok ctr images pull $HTTP "$HOSTPORT/test/ctr@$dm"
[ "$(image_digest "$HOSTPORT/test/ctr@$dm")" = "$dm" ] ||
    fail "by-digest pull: $(cat "$CL/out")"
# shellcheck disable=SC2046
have_blobs "$T/oci" "$dm" $(blobs_of "$T/oci" "$dm")
forget "$HOSTPORT/test/ctr@$dm"

note "a multi-arch index: import, push every platform"
di=$($MK oci-index "$T/multi" v1 amd64 arm64) || fail "mkimage oci-index"
idx=$T/multi/blobs/sha256/${di#sha256:}
amd=$(jq -r '.manifests[] | select(.platform.architecture == "amd64") |
    .digest' "$idx")
arm=$(jq -r '.manifests[] | select(.platform.architecture == "arm64") |
    .digest' "$idx")
import "$T/multi" specreg.test/multi
cl_ok ctr images push $HTTP "$HOSTPORT/test/multi:v1" specreg.test/multi:v1
manifest_is test/multi v1 "$di" "$OCI_INDEX"
cmp -s "$T/body" "$idx" || fail "pushed index bytes differ"
manifest_is test/multi "$amd" "$amd" "$OCI"
manifest_is test/multi "$arm" "$arm" "$OCI"
forget specreg.test/multi:v1

note "ctr pull --all-platforms: every manifest and blob"
cl_ok ctr images pull $HTTP --all-platforms "$HOSTPORT/test/multi:v1"
[ "$(image_digest "$HOSTPORT/test/multi:v1")" = "$di" ] ||
    fail "pulled $(image_digest "$HOSTPORT/test/multi:v1")"
# shellcheck disable=SC2046
have_blobs "$T/multi" "$di" "$amd" "$arm" $(blobs_of "$T/multi" "$amd") \
    $(blobs_of "$T/multi" "$arm")
forget "$HOSTPORT/test/multi:v1"

note "ctr pull --platform linux/arm64: that platform's blobs only"
n=$(wc -l <"$T/specreg.log")
cl_ok ctr images pull $HTTP --platform linux/arm64 "$HOSTPORT/test/multi:v1"
[ "$(image_digest "$HOSTPORT/test/multi:v1")" = "$di" ] ||
    fail "pulled $(image_digest "$HOSTPORT/test/multi:v1")"
# shellcheck disable=SC2046
have_blobs "$T/multi" "$di" "$arm" $(blobs_of "$T/multi" "$arm")
log_since "$n"
for b in $(jq -r '.layers[].digest' "$T/multi/blobs/sha256/${amd#sha256:}"); do
	cl_fail ctr content get "$b"
	if grep "/blobs/$b " "$T/new.log" >&2; then
		fail "the amd64 layer $b was fetched"
	fi
done

note "ctr push --platform linux/arm64: that manifest alone"
cl_ok ctr images push $HTTP --platform linux/arm64 "$HOSTPORT/test/multi:arm" \
    "$HOSTPORT/test/multi:v1"
manifest_is test/multi arm "$arm" "$OCI"
forget "$HOSTPORT/test/multi:v1"

note "a missing tag or repository is a clean \"not found\""
cl_fail ctr images pull $HTTP "$HOSTPORT/test/ctr:nope"
grep -q 'not found' "$CL/err" || fail "missing tag: $(cat "$CL/err")"
cl_fail ctr images pull $HTTP "$HOSTPORT/test/no-such-repo:v1"
grep -q 'not found' "$CL/err" || fail "missing repository: $(cat "$CL/err")"
log_has_no_status '5[0-9][0-9]'

# --- Mirror mode: hosts.toml --------------------------------------------------

# seed REF LABEL: build an image labelled LABEL, import it and push it
# as REF; print its digest.
seed()
{
	_dir=$T/seed-$2
	$MK oci "$_dir" v1 1 amd64 "$2" >"$T/seed.digest" || fail "mkimage"
	import "$_dir" specreg.test/seed
	cl_ok ctr images push $HTTP "$1" specreg.test/seed:v1
	forget specreg.test/seed:v1
	cat "$T/seed.digest"
}

note "seed the upstream and specreg"
up_only=$(seed "$UP/test/onlyup:latest" "upstream-$nonce")
up_both=$(seed "$UP/test/both:latest" "upstream-both-$nonce")
sr_both=$(seed "$HOSTPORT/quay.io/test/both:latest" "specreg-quay-$nonce")
sr_hub=$(seed "$HOSTPORT/test/both:latest" "specreg-hub-$nonce")

# quay.io/NAME is specreg's quay.io/NAME, docker.io/NAME its NAME; the
# upstream server stands for both registries.
mkdir -p "$CT/hosts/quay.io" "$CT/hosts/docker.io"
cat >"$CT/hosts/quay.io/hosts.toml" <<EOF
server = "http://$UP"

[host."http://$HOSTPORT/v2/quay.io"]
  capabilities = ["pull", "resolve"]
  override_path = true
EOF
cat >"$CT/hosts/docker.io/hosts.toml" <<EOF
server = "http://$UP"

[host."http://$HOSTPORT"]
  capabilities = ["pull", "resolve"]
EOF

# mirror_pull REF: pull REF through the mirrors; print its digest.
mirror_pull()
{
	cl_ok ctr images pull --hosts-dir "$CT/hosts" "$1"
	image_digest "$1"
	forget "$1"
}

# up_asked PATH: how many requests the upstream got for PATH.
up_asked()
{
	grep -c " /v2/$1" "$UP_LOG"
}

for reg in quay.io docker.io; do
	case $reg in
	quay.io)	mine=$sr_both; p=quay.io/ ;;
	docker.io)	mine=$sr_hub; p= ;;
	esac
	note "$reg: what only the upstream has comes from it"
	n=$(wc -l <"$T/specreg.log")
	[ "$(mirror_pull "$reg/test/onlyup:latest")" = "$up_only" ] ||
	    fail "$reg/test/onlyup is not the upstream's"
	log_since "$n"
	grep -q "/v2/${p}test/onlyup/manifests/latest[^ ]* 404 " "$T/new.log" ||
	    fail "specreg did not answer 404: $(cat "$T/new.log")"

	note "$reg: what specreg has shadows the upstream's"
	before=$(up_asked test/both/)
	[ "$(mirror_pull "$reg/test/both:latest")" = "$mine" ] ||
	    fail "$reg/test/both is not specreg's"
	[ "$(up_asked test/both/)" = "$before" ] ||
	    fail "the upstream was asked for test/both"

	note "$reg: what neither has is a clean \"not found\""
	cl_fail ctr images pull --hosts-dir "$CT/hosts" "$reg/test/none:latest"
	grep -q 'not found' "$CL/err" || fail "$reg/test/none: $(cat "$CL/err")"
	[ "$(up_asked test/none/manifests/latest)" -ge 1 ] ||
	    fail "the upstream was not asked for test/none"
done
[ "$up_both" != "$sr_both" ] || fail "the seeds are alike"
log_has_no_status '5[0-9][0-9]'

exit 0
