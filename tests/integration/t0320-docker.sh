#!/bin/sh
# docker (Debian's docker.io: dockerd 20.10 and its CLI) against
# specreg: docker load of an image made by mkimage.sh, tag, push, rmi,
# pull by tag and by digest (image IDs and digests compared, layers
# byte for byte); a second image built FROM the first and pushed, its
# shared layers found with HEAD, and mounted into another repository;
# docker manifest inspect; a missing tag is a clean "not found"; then
# restricted mode with token auth: docker login, push and pull as the
# write user, the read user's push denied, anonymous pulls refused.
# A private dockerd (daemons.sh) in private mount and PID namespaces.
# store passes: no
. "$top_srcdir/tests/integration/clients.sh"
CLIENTS_NEED="dockerd docker"
clients_reexec "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/oci.sh"
. "$top_srcdir/tests/integration/daemons.sh"

start_registry
oci_init
clients_confine
dockerd_start
MK="sh $top_srcdir/tests/integration/mkimage.sh"
R=$HOSTPORT/test/docker
nonce=$(od -An -N6 -tx1 /dev/urandom | tr -d ' ')

# image_id REF: the ID of local image REF (the digest of its config).
image_id()
{
	"$DOCKER" image inspect --format '{{.Id}}' "$1" ||
	    fail "docker image inspect $1"
}

# pushed_digest TAG: the digest "docker push" printed for TAG.
pushed_digest()
{
	sed -n "s/^$1: digest: \(sha256:[0-9a-f]*\) size: [0-9]*\$/\1/p" \
	    "$CL/out"
}

# log_since N: specreg.log from line N + 1 on, in $T/new.log.
log_since()
{
	tail -n "+$(($1 + 1))" "$T/specreg.log" >"$T/new.log"
}

# no_images: dockerd holds no image.
no_images()
{
	cl_ok "$DOCKER" images -q
	[ ! -s "$CL/out" ] || fail "images left: $(cat "$CL/out")"
}

note "docker load of an image made by mkimage.sh"
id=$($MK docker-archive "$T/loaded.tar" "specreg.test/loaded:v1" 3 \
    "docker-$nonce") || fail "mkimage docker-archive"
cl_ok "$DOCKER" load -i "$T/loaded.tar"
grep -q '^Loaded image: specreg.test/loaded:v1$' "$CL/out" ||
    fail "docker load said: $(cat "$CL/out")"
[ "$(image_id specreg.test/loaded:v1)" = "$id" ] ||
    fail "loaded image ID $(image_id specreg.test/loaded:v1), config $id"
mkdir "$T/loaded"
tar -C "$T/loaded" -xf "$T/loaded.tar" || fail "untar loaded.tar"

note "docker tag and push"
cl_ok "$DOCKER" tag specreg.test/loaded:v1 "$R:v1"
n=$(wc -l <"$T/specreg.log")
cl_ok "$DOCKER" push "$R:v1"
d1=$(pushed_digest v1)
[ -n "$d1" ] || fail "no digest in: $(cat "$CL/out")"
manifest_is test/docker v1 "$d1" "$D2"
jq -e --arg c "$id" '.config.digest == $c and (.layers | length) == 3' \
    "$T/body" >/dev/null || fail "pushed manifest: $(cat "$T/body")"
cp "$T/body" "$T/v1.json"
# docker sends each layer as one chunked PATCH.
log_since "$n"
grep -q 'PATCH /v2/test/docker/blobs/uploads/[^ ]* 202 ' "$T/new.log" ||
    fail "no PATCH upload: $(cat "$T/new.log")"
expect_status 200 "$V2/test/docker/blobs/$id"
cmp -s "$T/body" "$T/loaded/${id#sha256:}.json" || fail "config bytes differ"

note "docker rmi, then pull by tag: the same image"
cl_ok "$DOCKER" rmi "$R:v1" specreg.test/loaded:v1
no_images
cl_fail "$DOCKER" image inspect "$R:v1"
cl_ok "$DOCKER" pull "$R:v1"
grep -q "^Digest: $d1\$" "$CL/out" || fail "pull said: $(cat "$CL/out")"
[ "$(image_id "$R:v1")" = "$id" ] || fail "pulled ID $(image_id "$R:v1")"
cl_ok "$DOCKER" image inspect --format '{{json .RepoDigests}}' "$R:v1"
[ "$(cat "$CL/out")" = "[\"$R@$d1\"]" ] ||
    fail "RepoDigests: $(cat "$CL/out")"

note "docker save: the layers are mkimage's, byte for byte"
cl_ok "$DOCKER" save -o "$T/saved.tar" "$R:v1"
mkdir "$T/saved"
tar -C "$T/saved" -xf "$T/saved.tar" || fail "untar saved.tar"
jq -r '.[0].Layers[]' "$T/loaded/manifest.json" >"$T/want"
jq -r '.[0].Layers[]' "$T/saved/manifest.json" >"$T/got"
[ "$(wc -l <"$T/got")" = 3 ] || fail "saved layers: $(cat "$T/got")"
paste "$T/want" "$T/got" | while read -r w g; do
	cmp -s "$T/loaded/$w" "$T/saved/$g" || fail "layer $w differs"
done

note "docker pull by digest"
cl_ok "$DOCKER" rmi "$R:v1"
no_images
cl_ok "$DOCKER" pull "$R@$d1"
[ "$(image_id "$R@$d1")" = "$id" ] || fail "by-digest ID $(image_id "$R@$d1")"

note "a second image FROM the first: its push finds the shared layers"
mkdir "$T/ctx"
printf 'second %s\n' "$nonce" >"$T/ctx/second.txt"
printf 'FROM %s\nCOPY second.txt /second.txt\nLABEL built=%s\n' \
    "$R@$d1" "$nonce" >"$T/ctx/Dockerfile"
# Debian 12 has no buildx: the legacy builder, which COPY suffices for.
DOCKER_BUILDKIT=0 cl_ok "$DOCKER" build -t "$R:v2" "$T/ctx"
n=$(wc -l <"$T/specreg.log")
cl_ok "$DOCKER" push "$R:v2"
d2=$(pushed_digest v2)
[ -n "$d2" ] && [ "$d2" != "$d1" ] || fail "v2 digest '$d2'"
[ "$(grep -c ': Layer already exists$' "$CL/out")" = 3 ] ||
    fail "docker uploaded shared layers: $(cat "$CL/out")"
log_since "$n"
jq -r '.layers[].digest' "$T/v1.json" | while read -r l; do
	grep -q "HEAD /v2/test/docker/blobs/$l 200 " "$T/new.log" ||
	    fail "no HEAD 200 for the shared layer $l"
done
# Two uploads: the new layer and the config.
[ "$(grep -c 'POST /v2/test/docker/blobs/uploads/ 202 ' "$T/new.log")" = 2 ] ||
    fail "uploads for v2: $(cat "$T/new.log")"
manifest_is test/docker v2 "$d2" "$D2"
jq -e --slurpfile a "$T/v1.json" '.layers[:3] == $a[0].layers and
    (.layers | length) == 4' "$T/body" >/dev/null ||
    fail "v2 does not share v1's layers: $(cat "$T/body")"

note "the same image to another repository: the layers are mounted"
cl_ok "$DOCKER" tag "$R:v2" "$HOSTPORT/test/other:v1"
n=$(wc -l <"$T/specreg.log")
cl_ok "$DOCKER" push "$HOSTPORT/test/other:v1"
[ "$(pushed_digest v1)" = "$d2" ] || fail "test/other:v1 is $(pushed_digest v1)"
[ "$(grep -c ': Mounted from test/docker$' "$CL/out")" = 4 ] ||
    fail "not mounted: $(cat "$CL/out")"
log_since "$n"
[ "$(grep -c 'POST /v2/test/other/blobs/uploads/?[^ ]*mount=[^ ]* 201 ' \
    "$T/new.log")" = 4 ] ||
    fail "mounts: $(cat "$T/new.log")"
manifest_is test/other v1 "$d2" "$D2"

note "docker manifest inspect"
cl_ok "$DOCKER" manifest inspect --insecure "$R:v1"
jq -e --arg c "$id" '.config.digest == $c' "$CL/out" >/dev/null ||
    fail "manifest inspect: $(cat "$CL/out")"

note "a missing tag or repository is a clean \"not found\""
cl_fail "$DOCKER" pull "$R:nope"
grep -q 'not found: manifest unknown' "$CL/err" ||
    fail "missing tag: $(cat "$CL/err")"
cl_fail "$DOCKER" pull "$HOSTPORT/test/no-such-repo:v1"
grep -q 'not found: manifest unknown' "$CL/err" ||
    fail "missing repository: $(cat "$CL/err")"
log_has_no_status '5[0-9][0-9]'

# --- Users: restricted mode, token auth -------------------------------------

WUSER=pusher
WPASS='p:ss word'		# ':' and ' ' on purpose
RUSER=reader
RPASS=read-only-pw
# The quotes in [user "NAME"] are meant literally.
# shellcheck disable=SC2089,SC2090
SPECREG_INI_EXTRA="[registry]
secret = t0320-secret-0123456789abcdef
[user \"$WUSER\"]
password = $WPASS
access = write
[user \"$RUSER\"]
password = $RPASS
access = read"
# shellcheck disable=SC2090
export SPECREG_INI_EXTRA
note "restart specreg in restricted mode (a write and a read user)"
stop_frontend
stop_pool
start_registry
oci_init
dockerd_insecure "$HOSTPORT"
R=$HOSTPORT/test/docker
cl_ok "$DOCKER" image prune -a -f
no_images

note "anonymous: no pull"
cl_fail "$DOCKER" pull "$R:v1"
grep -q 'unauthorized' "$CL/err" || fail "anonymous pull: $(cat "$CL/err")"

note "docker login: a wrong password fails"
printf '%s' nope | cl_fail "$DOCKER" login -u "$WUSER" --password-stdin \
    "$HOSTPORT"
grep -q 'unauthorized: authentication required' "$CL/err" ||
    fail "wrong password: $(cat "$CL/err")"

note "the read user pulls, but may not push"
printf '%s' "$RPASS" | cl_ok "$DOCKER" login -u "$RUSER" --password-stdin \
    "$HOSTPORT"
cl_ok "$DOCKER" pull "$R:v1"
[ "$(image_id "$R:v1")" = "$id" ] || fail "read user pulled $(image_id "$R:v1")"
cl_ok "$DOCKER" tag "$R:v1" "$R:by-reader"
cl_fail "$DOCKER" push "$R:by-reader"
grep -q 'denied' "$CL/err" || fail "read user's push: $(cat "$CL/err")"
# The layers are there (HEAD 200): the manifest's PUT is refused.
grep -q 'PUT /v2/test/docker/manifests/by-reader 403 ' "$T/specreg.log" ||
    fail "no 403 for the read user's push"
expect_status 404 -u "$WUSER:$WPASS" "$V2/test/docker/manifests/by-reader"

note "the write user logs in, pushes and pulls"
printf '%s' "$WPASS" | cl_ok "$DOCKER" login -u "$WUSER" --password-stdin \
    "$HOSTPORT"
jq -e --arg h "$HOSTPORT" '.auths[$h].auth' "$DOCKER_CONFIG/config.json" \
    >/dev/null || fail "config.json: $(cat "$DOCKER_CONFIG/config.json")"
cl_ok "$DOCKER" tag "$R:v1" "$R:v3"
cl_ok "$DOCKER" push "$R:v3"
[ "$(pushed_digest v3)" = "$d1" ] || fail "v3 is $(pushed_digest v3)"
cl_ok "$DOCKER" rmi "$R:v1" "$R:v3" "$R:by-reader"
no_images
cl_ok "$DOCKER" pull "$R:v3"
[ "$(image_id "$R:v3")" = "$id" ] ||
    fail "write user pulled $(image_id "$R:v3")"

note "after docker logout, anonymous again: no pull"
cl_ok "$DOCKER" logout "$HOSTPORT"
jq -e --arg h "$HOSTPORT" '.auths[$h] == null' "$DOCKER_CONFIG/config.json" \
    >/dev/null || fail "config.json: $(cat "$DOCKER_CONFIG/config.json")"
cl_ok "$DOCKER" rmi "$R:v3"
cl_fail "$DOCKER" pull "$R:v3"
grep -q 'unauthorized' "$CL/err" || fail "anonymous pull: $(cat "$CL/err")"
log_has_no_status '5[0-9][0-9]'

exit 0
