#!/bin/sh
# skopeo against specreg: copy OCI and Docker schema 2 images built from
# random data there and back (digests and bytes compared), a multi-arch
# index with --all, copies within the registry, inspect, list-tags,
# delete, login.  Runs in private mount and PID namespaces (clients.sh).
. "$top_srcdir/tests/integration/clients.sh"
clients_reexec "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/oci.sh"

start_registry
oci_init
clients_setup
MK="sh $top_srcdir/tests/integration/mkimage.sh"
REG=docker://$HOSTPORT
TO=--dest-tls-verify=false
FROM=--src-tls-verify=false

# same_blobs A B: every blob of OCI layout A is in B with the same bytes.
same_blobs()
{
	for _b in "$1"/blobs/sha256/*; do
		cmp -s "$_b" "$2/blobs/sha256/${_b##*/}" ||
		    fail "blob ${_b##*/} differs or is missing in $2"
	done
}

note "a 3-layer OCI image: oci: -> specreg -> oci:"
dm=$($MK oci "$T/oci" v1 3 amd64 oci-label) || fail "mkimage oci"
cl_ok skopeo copy $TO "oci:$T/oci:v1" "$REG/test/oci-img:v1"
manifest_is test/oci-img v1 "$dm" "$OCI"
cmp -s "$T/body" "$T/oci/blobs/sha256/${dm#sha256:}" ||
    fail "pushed manifest bytes differ"
cl_ok skopeo copy $FROM "$REG/test/oci-img:v1" "oci:$T/back:v1"
[ "$(jq -r '.manifests[0].digest' "$T/back/index.json")" = "$dm" ] ||
    fail "pulled manifest digest: $(cat "$T/back/index.json")"
same_blobs "$T/oci" "$T/back"
same_blobs "$T/back" "$T/oci"

note "skopeo inspect"
cl_ok skopeo inspect --tls-verify=false "$REG/test/oci-img:v1"
jq -e --arg d "$dm" '.Digest == $d and .Labels["specreg.test"] == "oci-label"
    and .Architecture == "amd64" and (.Layers | length) == 3
    and (.RepoTags | index("v1") != null)' "$CL/out" >/dev/null ||
    fail "inspect: $(cat "$CL/out")"
jq -r '.layers[].digest' "$T/oci/blobs/sha256/${dm#sha256:}" >"$T/want"
jq -r '.Layers[]' "$CL/out" >"$T/got"
cmp -s "$T/want" "$T/got" || fail "inspect layers differ"
cl_ok skopeo inspect --raw --tls-verify=false "$REG/test/oci-img:v1"
[ "$(digest_of "$CL/out")" = "$dm" ] || fail "inspect --raw digest"
cl_ok skopeo inspect --config --raw --tls-verify=false "$REG/test/oci-img:v1"
jq -e '.config.Labels["specreg.test"] == "oci-label"' "$CL/out" >/dev/null ||
    fail "inspect --config: $(cat "$CL/out")"

note "a 2-layer Docker schema 2 image: dir: -> specreg -> dir:"
dd=$($MK dir "$T/dir" 2 docker-label) || fail "mkimage dir"
cl_ok skopeo copy $TO "dir:$T/dir" "$REG/test/docker-img:v1"
manifest_is test/docker-img v1 "$dd" "$D2"
cmp -s "$T/body" "$T/dir/manifest.json" || fail "pushed manifest bytes"
cl_ok skopeo copy $FROM "$REG/test/docker-img:v1" "dir:$T/dirback"
cmp -s "$T/dir/manifest.json" "$T/dirback/manifest.json" ||
    fail "pulled manifest.json differs"
for b in $(jq -r '.config.digest, .layers[].digest' "$T/dir/manifest.json"); do
	cmp -s "$T/dir/${b#sha256:}" "$T/dirback/${b#sha256:}" ||
	    fail "blob $b differs after the round trip"
done
cl_ok skopeo inspect --tls-verify=false "$REG/test/docker-img:v1"
jq -e --arg d "$dd" '.Digest == $d and .Labels["specreg.test"] == "docker-label"' \
    "$CL/out" >/dev/null || fail "inspect: $(cat "$CL/out")"

note "a multi-arch index with --all"
di=$($MK oci-index "$T/multi" v1 amd64 arm64) || fail "mkimage oci-index"
cl_ok skopeo copy --all $TO "oci:$T/multi:v1" "$REG/test/multi:v1"
manifest_is test/multi v1 "$di" "$OCI_INDEX"
for c in $(jq -r '.manifests[].digest' "$T/body"); do
	manifest_is test/multi "$c" "$c" "$OCI"
done
arm=$(jq -r '.manifests[] | select(.platform.architecture == "arm64") |
    .digest' "$T/multi/blobs/sha256/${di#sha256:}")
cl_ok skopeo inspect --raw --tls-verify=false "$REG/test/multi:v1"
[ "$(digest_of "$CL/out")" = "$di" ] || fail "index digest"
cl_ok skopeo --override-arch arm64 --override-variant v8 inspect \
    --tls-verify=false "$REG/test/multi:v1"
# Digest names the index; the layers are the arm64 image's.
jq -e --arg d "$di" '.Digest == $d and .Architecture == "arm64"' \
    "$CL/out" >/dev/null || fail "arm64 inspect: $(cat "$CL/out")"
jq -r '.Layers[]' "$CL/out" >"$T/got"
jq -r '.layers[].digest' "$T/multi/blobs/sha256/${arm#sha256:}" >"$T/want"
cmp -s "$T/got" "$T/want" || fail "arm64 inspect layers"
cl_ok skopeo copy --all $FROM "$REG/test/multi:v1" "oci:$T/multiback:v1"
[ "$(jq -r '.manifests[0].digest' "$T/multiback/index.json")" = "$di" ] ||
    fail "pulled index digest"
same_blobs "$T/multi" "$T/multiback"
note "one platform of the index"
cl_ok skopeo --override-arch arm64 --override-variant v8 copy $FROM \
    "$REG/test/multi:v1" "oci:$T/armonly:arm"
[ "$(jq -r '.manifests[0].digest' "$T/armonly/index.json")" = "$arm" ] ||
    fail "single-arch copy: $(cat "$T/armonly/index.json")"

note "copies inside the registry, and tags"
cl_ok skopeo copy $FROM $TO "$REG/test/oci-img:v1" "$REG/test/oci-img:v2"
cl_ok skopeo copy $FROM $TO "$REG/test/oci-img:v1" "$REG/test/oci-img:latest"
cl_ok skopeo copy $FROM $TO "$REG/test/oci-img:v1" \
    "$REG/quay.io/org/copied:v1"
manifest_is quay.io/org/copied v1 "$dm" "$OCI"
cl_ok skopeo list-tags --tls-verify=false "$REG/test/oci-img"
[ "$(jq -c .Tags "$CL/out")" = '["latest","v1","v2"]' ] ||
    fail "list-tags: $(cat "$CL/out")"
cl_ok skopeo list-tags --tls-verify=false "$REG/quay.io/org/copied"
[ "$(jq -c .Tags "$CL/out")" = '["v1"]' ] || fail "list-tags: $(cat "$CL/out")"
# A second copy of the same image does not need to send the blobs.
n=$(wc -l <"$T/specreg.log")
cl_ok skopeo copy $TO "oci:$T/oci:v1" "$REG/test/oci-img:again"
tail -n +$((n + 1)) "$T/specreg.log" >"$T/new.log"
grep -q 'HEAD /v2/test/oci-img/blobs/sha256:[0-9a-f]* 200 ' "$T/new.log" ||
    fail "no HEAD 200 for the blobs: $(cat "$T/new.log")"
if grep -E 'POST|PATCH|PUT /v2/test/oci-img/blobs' "$T/new.log" >&2; then
	fail "the second copy uploaded blobs again"
fi

note "failures are clean"
cl_fail skopeo inspect --tls-verify=false "$REG/test/oci-img:nope"
grep -q 'manifest unknown' "$CL/err" || fail "missing tag: $(cat "$CL/err")"
cl_fail skopeo inspect --tls-verify=false "$REG/test/no-such-repo:v1"
cl_fail skopeo list-tags --tls-verify=false "$REG/test/no-such-repo"
log_has_no_status '5[0-9][0-9]'

note "delete"
cl_ok skopeo delete --tls-verify=false "$REG/test/oci-img:v2"
# skopeo deletes the manifest by digest: every tag of it goes.
for t in v1 v2 latest again; do
	cl_fail skopeo inspect --tls-verify=false "$REG/test/oci-img:$t"
done
manifest_is test/docker-img v1 "$dd" "$D2"

note "login and logout"
cl_ok skopeo login --tls-verify=false -u anyone -p anything "$HOSTPORT"
jq -e --arg h "$HOSTPORT" '.auths[$h].auth' "$REGISTRY_AUTH_FILE" >/dev/null ||
    fail "auth.json: $(cat "$REGISTRY_AUTH_FILE")"
cl_ok skopeo logout "$HOSTPORT"

exit 0
