#!/bin/sh
# Hostile input: path traversal in names, tags, digests and upload ids
# (raw, percent-encoded, overlong, NUL), bad digests, absurd ranges,
# garbage manifests.  Every answer is a 4xx (with a JSON errors body
# when specreg, not the web server, answered), never a 5xx, and no file
# appears outside the storage root.  The requests of a section go
# through one curl (oci.sh's batch_add and batch_run), each checked on
# its own answer.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/oci.sh"

start_registry
oci_init
R=test/bad
CANARY=pwn$$x

W=$T/w	# this test's own scratch files
mkdir "$W" || fail "mkdir $W"

# Everything under $T except the storage root, the web server's temp
# files, logs, and what curl and this test write.
snapshot()
{
	find "$T" -path "$DATA" -prune -o -print |
	    grep -v -e "^$T/body$" -e "^$T/headers$" -e "^$W" \
	    -e '\.log$' -e '\.out$' -e "^$T/tmp" -e "^$T/batch" | LC_ALL=C sort
}

# check_no_mount DIGEST CURL-ARGS...: a bad mount digest is a normal
# upload or a 4xx, never a mount.
check_no_mount()
{
	_d=$1
	shift
	check_not5xx "$@"
	[ "$STATUS" != 201 ] || fail "mount=$_d answered 201"
}

# check_cr RANGE CURL-ARGS...: the answer to a PATCH of 100 bytes at 0
# with Content-Range: RANGE.
check_cr()
{
	case $STATUS in
	202)	# Only a range that names exactly this chunk may pass.
		[ "$1" = "bytes 0-99/100" ] ||
		    fail "Content-Range '$1' for 100 bytes at 0 accepted" ;;
	4??)	from_specreg && ! jq -e '.errors | length > 0' "$T/body" \
		    >/dev/null 2>&1 && fail "Content-Range '$1': no JSON" ;;
	*)	fail "Content-Range '$1': $STATUS" ;;
	esac
}

# check_range RANGE CURL-ARGS...: the answer to a GET of the blob with
# a syntactically broken Range: RANGE.
check_range()
{
	_r=$1
	shift
	check_not5xx "$@"
	case $STATUS in
	200)	body_is_file "$T/blob" ;;
	206|416|400) ;;
	*)	fail "Range '$_r': $STATUS" ;;
	esac
}

randfile "$T/blob" 100
dblob=$(blob_push "$R" "$T/blob")
oci_image img 1
manifest_put "$R" latest "$OCI" "$T/img.json"
upload_start "$R"
good_upload=$UPLOAD
snapshot >"$W/before.list"

# The upload id part of a good upload URL, for building bad ones.
uid=${good_upload##*/}
uid=${uid%%\?*}
upbase="$V2/$R/blobs/uploads"

long300=$(head -c 300 /dev/zero | tr '\0' a)
longname=$(printf 'abcdefghij/%.0s' 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27)abc
tag128=$(head -c 128 /dev/zero | tr '\0' t)
tag129=${tag128}t

note "names"
for name in \
    "..%2F..%2F$CANARY" "%2e%2e/%2e%2e/$CANARY" "test/%2e%2e/$CANARY" \
    "test%2f..%2f..%2f$CANARY" "test/.." "test/./x" ".hidden" "a//b" \
    "$long300" "$longname" "Upper/Case" "test/x%00y" "test%00" \
    "-lead" "trail-" "a..b" "a/_b" "%20a" "a%0ab"; do
	batch_add check_4xx -- --path-as-is "$V2/$name/tags/list"
	batch_add check_4xx -- --path-as-is -X POST -H 'Content-Length: 0' \
	    "$V2/$name/blobs/uploads/"
	batch_add check_4xx -- --path-as-is -X PUT -H "Content-Type: $OCI" \
	    --data-binary "@$T/img.json" "$V2/$name/manifests/$CANARY"
	batch_add check_4xx -- --path-as-is "$V2/$name/blobs/$dblob"
done
batch_add check_4xx -- --path-as-is "$V2/../../../../etc/passwd"
batch_add check_4xx -- --path-as-is "$V2/test/../../$CANARY/tags/list"
batch_run
[ ${#longname} -gt 255 ] || fail "longname is only ${#longname} bytes"

note "tags"
for tag in \
    "..%2F..%2F$CANARY" "%2e%2e" ".." "." "%2e" "a%2Fb" "a%00b" "$tag129" \
    ".$CANARY" "-$CANARY" "a%20b" "a%0Ab" "%C3%A9" "a:b"; do
	batch_add check_4xx -- --path-as-is -X PUT -H "Content-Type: $OCI" \
	    --data-binary "@$T/img.json" "$V2/$R/manifests/$tag"
	batch_add check_4xx -- --path-as-is -H "Accept: $OCI" \
	    "$V2/$R/manifests/$tag"
	batch_add check_4xx -- --path-as-is -X DELETE "$V2/$R/manifests/$tag"
done
batch_run
# 128 characters is the longest tag the grammar allows.
manifest_put "$R" "$tag128" "$OCI" "$T/img.json"
expect_status 200 -H "Accept: $OCI" "$V2/$R/manifests/$tag128"

note "digests"
for d in sha256:xyz "md5:d41d8cd98f00b204e9800998ecf8427e" \
    "sha256:$(head -c 63 /dev/zero | tr '\0' a)" \
    "sha256:$(head -c 65 /dev/zero | tr '\0' a)" \
    "sha256:$(head -c 64 /dev/zero | tr '\0' A)" \
    "sha256:..%2F..%2F$CANARY" "sha256:%2e%2e" "sha256:" ":" \
    "sha512:$(head -c 64 /dev/zero | tr '\0' a)" \
    "sha256:$(head -c 60 /dev/zero | tr '\0' a)%00aaa" \
    "SHA256:$(sha256_of "$T/blob")" "sha256:${dblob#sha256:}%00"; do
	batch_add check_4xx -- --path-as-is "$V2/$R/blobs/$d"
	batch_add check_4xx -- --path-as-is -I "$V2/$R/blobs/$d"
	batch_add check_4xx -- --path-as-is -X DELETE "$V2/$R/blobs/$d"
	batch_add check_4xx -- --path-as-is "$V2/$R/manifests/$d"
	batch_add check_4xx -- --path-as-is -X PUT -H "Content-Type: $OCI" \
	    --data-binary "@$T/img.json" "$V2/$R/manifests/$d"
	batch_add check_4xx -- --path-as-is "$V2/$R/referrers/$d"
	batch_add check_4xx -- -X POST --data-binary "@$T/blob" \
	    "$V2/$R/blobs/uploads/?digest=$d"
	batch_add check_no_mount "$d" -- -X POST -H 'Content-Length: 0' \
	    "$V2/$R/blobs/uploads/?mount=$d&from=$R"
done
batch_run
# A digest query on an upload.
upload_start "$R"
expect_4xx -X PUT --data-binary "@$T/blob" \
    "$(add_query "$UPLOAD" "digest=md5:d41d8cd98f00b204e9800998ecf8427e")"
expect_4xx -X PUT --data-binary "@$T/blob" \
    "$(add_query "$UPLOAD" "digest=sha256:xyz")"
expect_not5xx -X POST -H 'Content-Length: 0' \
    "$V2/$R/blobs/uploads/?mount=$dblob&from=..%2F..%2F$CANARY"
case $STATUS in
201|202|4??) ;;
*)	fail "mount from a bad name: $STATUS" ;;
esac

note "upload ids"
for id in "..%2F..%2F$CANARY" "%2e%2e" ".." "${uid}%2F..%2F.." \
    "${uid}%00" "$(printf '%s' "$uid" | tr 'a-f0-9' 'A-F0-9')" \
    "$uid$uid" "x" "$CANARY" "%00"; do
	batch_add check_4xx -- --path-as-is "$upbase/$id"
	batch_add check_4xx -- --path-as-is -X PATCH \
	    --data-binary "@$T/blob" "$upbase/$id"
	batch_add check_4xx -- --path-as-is -X PUT --data-binary "@$T/blob" \
	    "$upbase/$id?digest=$dblob"
	batch_add check_4xx -- --path-as-is -X DELETE "$upbase/$id"
done
batch_run

note "absurd Content-Range values"
for cr in abc 5-2 -1-5 0- -5 "0-99999999999999999999999" \
    "18446744073709551615-18446744073709551615" "bytes 0-99/100" \
    "0-0" "0-200" "1-100" "0x0-0x63"; do
	upload_start "$R"
	batch_add check_cr "$cr" -- -X PATCH -H "Content-Range: $cr" \
	    -H 'Content-Type: application/octet-stream' \
	    --data-binary "@$T/blob" "$UPLOAD"
done
batch_run
note "a Content-Range that does not match the body"
upload_start "$R"
expect_4xx -X PATCH -H 'Content-Range: 0-49' \
    -H 'Content-Type: application/octet-stream' \
    --data-binary "@$T/blob" "$UPLOAD"
expect_status 204 "$UPLOAD"
case $(header Range) in
0-0|0-49) ;;
*)	fail "after a bad chunk the upload is at $(header Range)" ;;
esac

note "a final PUT whose Content-Range does not match its body"
for cr in 0-200 0-49 5-104 abc; do
	upload_start "$R"
	batch_add check_4xx -- -X PUT -H "Content-Range: $cr" \
	    -H 'Content-Type: application/octet-stream' \
	    --data-binary "@$T/blob" "$(add_query "$UPLOAD" "digest=$dblob")"
done
batch_run

note "absurd Range values on a blob"
blob="$V2/$R/blobs/$dblob"
for r in "bytes=100-" "bytes=-0" "bytes=18446744073709551615-" \
    "bytes=200-300"; do
	batch_add check_status 416 -- -H "Range: $r" "$blob"
done
# Syntactically broken ranges may be ignored (RFC 9110) or refused.
for r in "bytes=abc" "bytes=5-2" "bytes=--1" "bytes=0-1,5-4" "items=0-5" \
    "bytes=" "bytes=-99999999999999999999999" "bytes=1-2-3" "bytes = 0-5" \
    "bytes=99999999999999999999999-"; do
	batch_add check_range "$r" -- -H "Range: $r" "$blob"
done
batch_run

note "garbage manifests"
head -c 3000 /dev/urandom >"$W/junk"
deep=$(head -c 100000 /dev/zero | tr '\0' '[')
printf '%s' "$deep" >"$W/deep.json"
printf '{"schemaVersion":2,"mediaType":"%s","config":%s,"layers":[%s' \
    "$OCI" "$(blob_desc "$OCI_CONFIG" "$T/img.cfg")" \
    "$(blob_desc "$OCI_LAYER" "$T/img.l1")" >"$W/truncated.json"
printf '{"schemaVersion":2,"mediaType":"%s","config":%s,"layers":[%s]}\0junk' \
    "$OCI" "$(blob_desc "$OCI_CONFIG" "$T/img.cfg")" \
    "$(blob_desc "$OCI_LAYER" "$T/img.l1")" >"$W/nul.json"
printf '{"schemaVersion":2,"mediaType":"%s","config":%s,"layers":[%s]}{}' \
    "$OCI" "$(blob_desc "$OCI_CONFIG" "$T/img.cfg")" \
    "$(blob_desc "$OCI_LAYER" "$T/img.l1")" >"$W/two.json"
printf '{"schemaVersion":2,"mediaType":"%s","config":%s,"layers":{"a":1}}' \
    "$OCI" "$(blob_desc "$OCI_CONFIG" "$T/img.cfg")" >"$W/layers-obj.json"
printf '{"schemaVersion":"2","mediaType":"%s","config":%s,"layers":[]}' \
    "$OCI" "$(blob_desc "$OCI_CONFIG" "$T/img.cfg")" >"$W/str-version.json"
printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"%s","digest":"%s","size":1e99},"layers":[]}' \
    "$OCI" "$OCI_CONFIG" "$(digest_of "$T/img.cfg")" >"$W/huge-size.json"
printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"%s","digest":"%s","size":18446744073709551616},"layers":[]}' \
    "$OCI" "$OCI_CONFIG" "$(digest_of "$T/img.cfg")" >"$W/big-size.json"
printf '{"schemaVersion":2,"mediaType":"%s","manifests":[{"mediaType":"%s","digest":"../../%s","size":1}]}' \
    "$OCI_INDEX" "$OCI" "$CANARY" >"$W/trav-index.json"
: >"$W/empty-body"
for f in junk deep.json truncated.json nul.json two.json layers-obj.json \
    str-version.json huge-size.json big-size.json empty-body; do
	for mt in "$OCI" "$D2" "$OCI_INDEX"; do
		batch_add check_4xx -- -X PUT -H "Content-Type: $mt" \
		    --data-binary "@$W/$f" "$V2/$R/manifests/garbage"
	done
done
batch_add check_4xx -- -X PUT -H "Content-Type: $OCI_INDEX" \
    --data-binary "@$W/trav-index.json" "$V2/$R/manifests/garbage"
note "Content-Type that is no manifest type"
for ct in text/plain application/json application/octet-stream ''; do
	batch_add check_not5xx -- -X PUT -H "Content-Type: $ct" \
	    --data-binary "@$T/img.json" "$V2/$R/manifests/ct"
done
batch_add check_4xx -- -X PUT -H "Content-Type: text/plain" \
    --data-binary "@$W/junk" "$V2/$R/manifests/ct"
batch_add check_status 404 -- -H "Accept: $OCI" "$V2/$R/manifests/garbage"
batch_run

note "query strings"
for q in "n=abc" "n=-1" "n=99999999999999999999999" "n=" "last=%00" \
    "last=..%2F..%2F$CANARY" "n=1&n=2" "%zz" "n=1e3"; do
	batch_add check_not5xx -- "$V2/$R/tags/list?$q"
	batch_add check_not5xx -- "$V2/_catalog?$q"
done
batch_run

note "the registry still works, and nothing escaped the storage root"
expect_status 200 "$V2/"
expect_status 200 "$blob"
body_is_file "$T/blob"
expect_status 200 -H "Accept: $OCI" "$V2/$R/manifests/latest"
body_is_file "$T/img.json"
snapshot >"$W/after.list"
diff "$W/before.list" "$W/after.list" >&2 ||
    fail "files appeared or vanished outside the storage root"
hits=$(find "$T/.." -maxdepth 4 -name "*$CANARY*" 2>/dev/null)
[ -z "$hits" ] || fail "canary files: $hits"
hits=$(find / -xdev -maxdepth 3 -name "*$CANARY*" 2>/dev/null)
[ -z "$hits" ] || fail "canary files: $hits"
# Nothing named after the canary inside the root either.
hits=$(find "$DATA" -name "*$CANARY*")
[ -z "$hits" ] || fail "canary files in the root: $hits"
# No worker crashed on the way (the supervisor logs replacements).
if grep 'died' "$T/specreg.log" >&2; then
	fail "a worker died"
fi
exit 0
