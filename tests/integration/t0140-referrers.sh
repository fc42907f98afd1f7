#!/bin/sh
# The OCI 1.1 referrers API: an index of the manifests whose subject is
# a digest, the artifactType filter, an empty index when none.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/oci.sh"

start_registry
oci_init
R=test/referrers
EMPTY=application/vnd.oci.empty.v1+json

# The last response is an OCI index.
is_index()
{
	hdr_is Content-Type "$OCI_INDEX"
	jq -e --arg mt "$OCI_INDEX" \
	    '.schemaVersion == 2 and .mediaType == $mt and
	    (.manifests | type == "array")' "$T/body" >/dev/null ||
	    fail "not an OCI index: $(cat "$T/body")"
}

# The digests listed, sorted, one per line.
listed()
{
	jq -r '.manifests[].digest' "$T/body" | LC_ALL=C sort
}

# want FILE...: the listed digests are exactly those of FILEs.
want()
{
	for _f in "$@"; do
		digest_of "$_f"
	done | LC_ALL=C sort >"$T/want"
	listed >"$T/got"
	cmp -s "$T/got" "$T/want" ||
	    fail "referrers: $(tr '\n' ' ' <"$T/got"), want $(tr '\n' ' ' <"$T/want")"
}

# The descriptor of FILE in the index: size, media and artifact type.
desc_ok()
{
	jq -e --arg d "$(digest_of "$1")" --argjson s "$(size_of "$1")" \
	    --arg mt "$OCI" --arg at "$2" \
	    '[.manifests[] | select(.digest == $d)] | length == 1 and
	    .[0].size == $s and .[0].mediaType == $mt and
	    .[0].artifactType == $at' "$T/body" >/dev/null ||
	    fail "descriptor of $1 (artifactType $2): $(cat "$T/body")"
}

printf '{}' >"$T/empty.json"
blob_push "$R" "$T/empty.json" >/dev/null

# artifact NAME ARTIFACT_TYPE SUBJECT_FILE [ANNOTATIONS_JSON]: an OCI
# artifact manifest with an empty config, one layer, and a subject.
artifact()
{
	randfile "$T/$1.blob" 123
	blob_push "$R" "$T/$1.blob" >/dev/null
	printf '{"schemaVersion":2,"mediaType":"%s","artifactType":"%s","config":%s,"layers":[%s],"subject":%s%s}' \
	    "$OCI" "$2" "$(blob_desc "$EMPTY" "$T/empty.json")" \
	    "$(blob_desc application/octet-stream "$T/$1.blob")" \
	    "$(blob_desc "$OCI" "$3")" \
	    "${4:+,\"annotations\":$4}" >"$T/$1.json"
}

note "an image and nothing referring to it"
oci_image img 1
manifest_put "$R" latest "$OCI" "$T/img.json"
dimg=$(digest_of "$T/img.json")
expect_status 200 "$V2/$R/referrers/$dimg"
is_index
want

note "three referrers of different kinds"
artifact sbom application/vnd.example.sbom "$T/img.json"
manifest_put "$R" "$(digest_of "$T/sbom.json")" "$OCI" "$T/sbom.json"
hdr_is OCI-Subject "$dimg"
artifact sig application/vnd.example.sig "$T/img.json" \
    '{"org.example.signer":"tester","org.opencontainers.image.created":"2026-11-27T00:00:00Z"}'
manifest_put "$R" sig-tagged "$OCI" "$T/sig.json"
hdr_is OCI-Subject "$dimg"
# An image manifest without artifactType: its config's mediaType is
# the artifactType in the referrers index.
mkblobs cfgonly 1
printf '{"schemaVersion":2,"mediaType":"%s","config":%s,"layers":[%s],"subject":%s}' \
    "$OCI" "$(blob_desc application/vnd.example.cfg+json "$T/cfgonly.cfg")" \
    "$(blob_desc "$OCI_LAYER" "$T/cfgonly.l1")" \
    "$(blob_desc "$OCI" "$T/img.json")" >"$T/cfgonly.json"
manifest_put "$R" "$(digest_of "$T/cfgonly.json")" "$OCI" "$T/cfgonly.json"
hdr_is OCI-Subject "$dimg"
# Something with no subject must not show up.
oci_image unrelated 1
manifest_put "$R" unrelated "$OCI" "$T/unrelated.json"
hdr_absent OCI-Subject

expect_status 200 "$V2/$R/referrers/$dimg"
is_index
hdr_absent OCI-Filters-Applied
want "$T/sbom.json" "$T/sig.json" "$T/cfgonly.json"
desc_ok "$T/sbom.json" application/vnd.example.sbom
desc_ok "$T/sig.json" application/vnd.example.sig
desc_ok "$T/cfgonly.json" application/vnd.example.cfg+json
jq -e --arg d "$(digest_of "$T/sig.json")" \
    '.manifests[] | select(.digest == $d) | .annotations["org.example.signer"] == "tester"' \
    "$T/body" >/dev/null || fail "annotations not copied: $(cat "$T/body")"

note "the artifactType filter"
expect_status 200 "$V2/$R/referrers/$dimg?artifactType=application/vnd.example.sig"
is_index
hdr_is OCI-Filters-Applied artifactType
want "$T/sig.json"
expect_status 200 \
    "$V2/$R/referrers/$dimg?artifactType=application%2Fvnd.example.sbom"
hdr_is OCI-Filters-Applied artifactType
want "$T/sbom.json"
expect_status 200 "$V2/$R/referrers/$dimg?artifactType=application/nothing"
is_index
hdr_is OCI-Filters-Applied artifactType
want

note "a referrer may arrive before its subject"
oci_image later 1
artifact early application/vnd.example.sig "$T/later.json"
manifest_put "$R" "$(digest_of "$T/early.json")" "$OCI" "$T/early.json"
hdr_is OCI-Subject "$(digest_of "$T/later.json")"
expect_status 200 "$V2/$R/referrers/$(digest_of "$T/later.json")"
want "$T/early.json"
manifest_put "$R" later "$OCI" "$T/later.json"
expect_status 200 "$V2/$R/referrers/$(digest_of "$T/later.json")"
want "$T/early.json"

note "a referrer of an index"
manifest_put "$R" "$(digest_of "$T/unrelated.json")" "$OCI" \
    "$T/unrelated.json"
printf '{"schemaVersion":2,"mediaType":"%s","manifests":[%s]}' \
    "$OCI_INDEX" "$(blob_desc "$OCI" "$T/unrelated.json")" >"$T/idx.json"
manifest_put "$R" idx "$OCI_INDEX" "$T/idx.json"
randfile "$T/att.blob" 50
blob_push "$R" "$T/att.blob" >/dev/null
printf '{"schemaVersion":2,"mediaType":"%s","artifactType":"application/vnd.example.att","config":%s,"layers":[%s],"subject":%s}' \
    "$OCI" "$(blob_desc "$EMPTY" "$T/empty.json")" \
    "$(blob_desc application/octet-stream "$T/att.blob")" \
    "$(blob_desc "$OCI_INDEX" "$T/idx.json")" >"$T/att.json"
manifest_put "$R" "$(digest_of "$T/att.json")" "$OCI" "$T/att.json"
hdr_is OCI-Subject "$(digest_of "$T/idx.json")"
expect_status 200 "$V2/$R/referrers/$(digest_of "$T/idx.json")"
want "$T/att.json"

note "an index can be a referrer too"
printf '{"schemaVersion":2,"mediaType":"%s","artifactType":"application/vnd.example.bundle","manifests":[%s],"subject":%s}' \
    "$OCI_INDEX" "$(blob_desc "$OCI" "$T/unrelated.json")" \
    "$(blob_desc "$OCI" "$T/img.json")" >"$T/bundle.json"
manifest_put "$R" "$(digest_of "$T/bundle.json")" "$OCI_INDEX" \
    "$T/bundle.json"
hdr_is OCI-Subject "$dimg"
expect_status 200 "$V2/$R/referrers/$dimg"
want "$T/sbom.json" "$T/sig.json" "$T/cfgonly.json" "$T/bundle.json"
jq -e --arg d "$(digest_of "$T/bundle.json")" --arg mt "$OCI_INDEX" \
    '.manifests[] | select(.digest == $d) |
    .mediaType == $mt and .artifactType == "application/vnd.example.bundle"' \
    "$T/body" >/dev/null || fail "index referrer: $(cat "$T/body")"

note "deleting a referrer removes it from the index"
expect_status 202 -X DELETE "$V2/$R/manifests/$(digest_of "$T/sbom.json")"
expect_status 200 "$V2/$R/referrers/$dimg"
want "$T/sig.json" "$T/cfgonly.json" "$T/bundle.json"
# Untagging does not: the manifest is still there.
expect_status 202 -X DELETE "$V2/$R/manifests/sig-tagged"
expect_status 200 "$V2/$R/referrers/$dimg"
want "$T/sig.json" "$T/cfgonly.json" "$T/bundle.json"

note "digests nobody refers to, and bad digests"
unknown=sha256:$(printf 'none' | sha256sum | cut -d' ' -f1)
expect_status 200 "$V2/$R/referrers/$unknown"
is_index
want
expect_status 200 "$V2/$R/referrers/$(digest_of "$T/unrelated.json")"
want
expect_4xx "$V2/$R/referrers/sha256:xyz"
expect_4xx "$V2/$R/referrers/latest"

exit 0
