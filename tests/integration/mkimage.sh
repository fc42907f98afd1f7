#!/bin/sh
# tests/integration/mkimage.sh: container images from random data, as
# skopeo reads them, with no container tool involved.
#
#   mkimage.sh oci DIR TAG LAYERS [ARCH [LABEL]]
#	Add an OCI image manifest with LAYERS tar+gzip layers to the OCI
#	layout DIR (created if needed), tagged TAG in its index.json.
#   mkimage.sh oci-index DIR TAG ARCH...
#	Add one image per ARCH (2 layers each) and an OCI image index of
#	them, the index tagged TAG.
#   mkimage.sh dir DIR LAYERS [LABEL]
#	Write a Docker schema 2 image as a containers/image "dir:" layout.
#   mkimage.sh docker-archive FILE NAME:TAG LAYERS [LABEL]
#	Write an image as "docker save" does (docker load reads it): a
#	tar with manifest.json, the config and each layer uncompressed.
#	Prints the digest of the config, which docker calls the image ID.
#
# Layers are real tarballs (a few random files under /data, owner 0,
# mtime 0, gzip -n), the config has the right diff_ids, and the label
# "specreg.test" is LABEL (default: random).  Prints the digest of the
# manifest (or of the index).  Needs jq, tar, gzip and sha256sum.
set -eu

OCI_MANIFEST=application/vnd.oci.image.manifest.v1+json
OCI_INDEX=application/vnd.oci.image.index.v1+json
OCI_CONFIG=application/vnd.oci.image.config.v1+json
OCI_LAYER=application/vnd.oci.image.layer.v1.tar+gzip
D2_MANIFEST=application/vnd.docker.distribution.manifest.v2+json
D2_CONFIG=application/vnd.docker.container.image.v1+json
D2_LAYER=application/vnd.docker.image.rootfs.diff.tar.gzip

die()
{
	echo "mkimage: $*" >&2
	exit 1
}

hex_of()
{
	sha256sum "$1" | cut -d' ' -f1
}

size_of()
{
	wc -c <"$1" | tr -d ' '
}

rand()
{
	od -An -N4 -tu4 /dev/urandom | tr -d ' '
}

# store FILE: move FILE into the blob store ($STORE/<hex>); print the
# descriptor fields "digest size".
store()
{
	_h=$(hex_of "$1")
	_s=$(size_of "$1")
	mv "$1" "$STORE/$_h"
	echo "sha256:$_h $_s"
}

# layer N: build layer N in $WORK, store it; set LAYER_DESC (digest
# size) and DIFF_ID.
layer()
{
	_d=$WORK/layer$1
	mkdir -p "$_d/data"
	head -c $((1000 * $1 + $(rand) % 70000)) /dev/urandom >"$_d/data/l$1.bin"
	printf 'layer %s of %s\n' "$1" "$LABEL" >"$_d/data/l$1.txt"
	tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 \
	    -C "$_d" -cf "$WORK/l.tar" data
	DIFF_ID=sha256:$(hex_of "$WORK/l.tar")
	gzip -n -c "$WORK/l.tar" >"$WORK/l.tgz"
	rm -rf "$_d" "$WORK/l.tar"
	LAYER_DESC=$(store "$WORK/l.tgz")
}

# image N ARCH MANIFEST_MT CONFIG_MT LAYER_MT: store the layers, the
# config and the manifest; set MANIFEST_DESC (digest size).
image()
{
	_layers=
	_diffs=
	_hist=
	_i=1
	while [ "$_i" -le "$1" ]; do
		layer "$_i"
		_layers="$_layers${_layers:+,}$(printf '{"mediaType":"%s","digest":"%s","size":%s}' \
		    "$5" "${LAYER_DESC% *}" "${LAYER_DESC#* }")"
		_diffs="$_diffs${_diffs:+,}\"$DIFF_ID\""
		_hist="$_hist${_hist:+,}{\"created\":\"1970-01-01T00:00:00Z\",\"created_by\":\"mkimage layer $_i\"}"
		_i=$((_i + 1))
	done
	_variant=
	[ "$2" != arm64 ] || _variant=',"variant":"v8"'
	printf '{"created":"1970-01-01T00:00:00Z","architecture":"%s"%s,"os":"linux","config":{"Labels":{"specreg.test":"%s"},"Cmd":["/data/l1.txt"]},"rootfs":{"type":"layers","diff_ids":[%s]},"history":[%s]}' \
	    "$2" "$_variant" "$LABEL" "$_diffs" "$_hist" >"$WORK/config.json"
	_cfg=$(store "$WORK/config.json")
	printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"%s","digest":"%s","size":%s},"layers":[%s]}' \
	    "$3" "$4" "${_cfg% *}" "${_cfg#* }" "$_layers" >"$WORK/manifest.json"
	cp "$WORK/manifest.json" "$WORK/last-manifest.json"
	MANIFEST_DESC=$(store "$WORK/manifest.json")
}

oci_layout()
{
	mkdir -p "$1/blobs/sha256"
	[ -e "$1/oci-layout" ] ||
	    echo '{"imageLayoutVersion":"1.0.0"}' >"$1/oci-layout"
	[ -e "$1/index.json" ] ||
	    echo '{"schemaVersion":2,"manifests":[]}' >"$1/index.json"
	STORE=$1/blobs/sha256
}

# tag DIR MEDIATYPE DESC TAG: add (or replace) TAG in DIR/index.json.
tag()
{
	jq --arg mt "$2" --arg d "${3% *}" --argjson s "${3#* }" \
	    --arg t "$4" \
	    '.manifests |= ([.[] | select(.annotations["org.opencontainers.image.ref.name"] != $t)] +
	    [{mediaType: $mt, digest: $d, size: $s,
	    annotations: {"org.opencontainers.image.ref.name": $t}}])' \
	    "$1/index.json" >"$WORK/index.json"
	mv "$WORK/index.json" "$1/index.json"
}

[ $# -ge 2 ] || die "usage: mkimage.sh oci|oci-index|dir DIR ..."
cmd=$1
dir=$2
shift 2
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mkimage.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
LABEL=$(rand)-$(rand)

case $cmd in
oci)
	[ $# -ge 2 ] || die "usage: mkimage.sh oci DIR TAG LAYERS [ARCH [LABEL]]"
	[ $# -lt 4 ] || LABEL=$4
	oci_layout "$dir"
	image "$2" "${3:-amd64}" "$OCI_MANIFEST" "$OCI_CONFIG" "$OCI_LAYER"
	tag "$dir" "$OCI_MANIFEST" "$MANIFEST_DESC" "$1"
	;;
oci-index)
	[ $# -ge 2 ] || die "usage: mkimage.sh oci-index DIR TAG ARCH..."
	oci_layout "$dir"
	t=$1
	shift
	entries=
	for arch in "$@"; do
		LABEL=$arch-$(rand)
		image 2 "$arch" "$OCI_MANIFEST" "$OCI_CONFIG" "$OCI_LAYER"
		variant=
		[ "$arch" != arm64 ] || variant=',"variant":"v8"'
		entries="$entries${entries:+,}$(printf '{"mediaType":"%s","digest":"%s","size":%s,"platform":{"architecture":"%s","os":"linux"%s}}' \
		    "$OCI_MANIFEST" "${MANIFEST_DESC% *}" "${MANIFEST_DESC#* }" \
		    "$arch" "$variant")"
	done
	printf '{"schemaVersion":2,"mediaType":"%s","manifests":[%s]}' \
	    "$OCI_INDEX" "$entries" >"$WORK/idx.json"
	MANIFEST_DESC=$(store "$WORK/idx.json")
	tag "$dir" "$OCI_INDEX" "$MANIFEST_DESC" "$t"
	;;
dir)
	[ $# -ge 1 ] || die "usage: mkimage.sh dir DIR LAYERS [LABEL]"
	[ $# -lt 2 ] || LABEL=$2
	mkdir -p "$dir"
	STORE=$dir
	image "$1" amd64 "$D2_MANIFEST" "$D2_CONFIG" "$D2_LAYER"
	# dir: keeps the manifest as manifest.json, not under its digest.
	h=${MANIFEST_DESC% *}
	rm "$dir/${h#sha256:}"
	cp "$WORK/last-manifest.json" "$dir/manifest.json"
	printf 'Directory Transport Version: 1.1\n' >"$dir/version"
	;;
docker-archive)
	[ $# -ge 2 ] ||
	    die "usage: mkimage.sh docker-archive FILE NAME:TAG LAYERS [LABEL]"
	[ $# -lt 3 ] || LABEL=$3
	STORE=$WORK/blobs
	mkdir -p "$STORE" "$WORK/archive"
	image "$2" amd64 "$D2_MANIFEST" "$D2_CONFIG" "$D2_LAYER"
	c=$(jq -r .config.digest "$WORK/last-manifest.json")
	c=${c#sha256:}
	cp "$STORE/$c" "$WORK/archive/$c.json"
	layers=
	for l in $(jq -r '.layers[].digest' "$WORK/last-manifest.json"); do
		l=${l#sha256:}
		mkdir "$WORK/archive/$l"
		gzip -dc "$STORE/$l" >"$WORK/archive/$l/layer.tar"
		layers="$layers${layers:+,}\"$l/layer.tar\""
	done
	printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":[%s]}]\n' \
	    "$c" "$1" "$layers" >"$WORK/archive/manifest.json"
	tar --owner=0 --group=0 --numeric-owner -C "$WORK/archive" \
	    -cf "$dir" .
	echo "sha256:$c"
	exit 0
	;;
*)
	die "unknown command $cmd"
	;;
esac
echo "${MANIFEST_DESC% *}"
