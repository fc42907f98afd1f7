#!/bin/sh
# Tag lists and the catalog: sorted, n/last pagination with Link
# headers, NAME_UNKNOWN, host-prefixed repository names.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/oci.sh"

start_registry
oci_init
R=test/tags
export LC_ALL=C

# list_json: the strings of jq path $1 in the body, one per line.
list_of()
{
	jq -r "$1 | .[]" "$T/body" || fail "not a list at $1: $(cat "$T/body")"
}

# next_link: the target of a Link rel="next" header, absolute, or "".
next_link()
{
	_l=$(header Link)
	[ -n "$_l" ] || return 0
	case $_l in
	*'rel="next"'*) ;;
	*)	fail "Link without rel=\"next\": $_l" ;;
	esac
	_u=$(printf '%s\n' "$_l" | sed -n 's/^ *<\([^>]*\)>.*/\1/p')
	[ -n "$_u" ] || fail "Link not <url>; rel=\"next\": $_l"
	abs_url "$_u"
}

# paginate URL N KEY: follow Link headers from URL?n=N; every page has
# at most N entries; print all entries.
paginate()
{
	_url=$(add_query "$1" "n=$2")
	_pages=0
	while [ -n "$_url" ]; do
		expect_status 200 "$_url"
		list_of ".$3" >"$T/page"
		[ "$(wc -l <"$T/page")" -le "$2" ] ||
		    fail "page of $(wc -l <"$T/page") entries for n=$2"
		cat "$T/page"
		_url=$(next_link)
		_pages=$((_pages + 1))
		[ "$_pages" -le 100 ] || fail "pagination does not end"
	done
}

note "a sorted tag list"
oci_image img 1
tags="latest v1.0 v1.10 v1.2 A _x 1.0 b Zeta a-b a.b a_b"
for t in $tags; do
	manifest_put "$R" "$t" "$OCI" "$T/img.json"
done
# A manifest pushed by digest is not a tag.
oci_image other 1
manifest_put "$R" "$(digest_of "$T/other.json")" "$OCI" "$T/other.json"
printf '%s\n' $tags | sort >"$T/want"
expect_status 200 "$V2/$R/tags/list"
case $(header Content-Type) in
application/json*) ;;
*)	fail "tags/list Content-Type: $(header Content-Type)" ;;
esac
[ "$(jq -r .name "$T/body")" = "$R" ] || fail "name: $(cat "$T/body")"
list_of .tags >"$T/got"
cmp -s "$T/got" "$T/want" ||
    fail "tags: $(tr '\n' ' ' <"$T/got") want $(tr '\n' ' ' <"$T/want")"
hdr_absent Link

note "n/last pagination"
for n in 1 2 3 5 11 12 100; do
	paginate "$V2/$R/tags/list" "$n" tags >"$T/got"
	cmp -s "$T/got" "$T/want" ||
	    fail "n=$n pages: $(tr '\n' ' ' <"$T/got")"
done
# The first page of two, and its Link.
expect_status 200 "$V2/$R/tags/list?n=2"
[ "$(list_of .tags | tr '\n' ' ')" = "1.0 A " ] ||
    fail "n=2: $(cat "$T/body")"
case $(header Link) in
*"/v2/$R/tags/list?"*'n=2'*'last=A'*'>; rel="next"'|\
*"/v2/$R/tags/list?"*'last=A'*'n=2'*'>; rel="next"') ;;
*)	fail "Link: $(header Link)" ;;
esac
# last alone, last with n, and a last that is not a tag.
expect_status 200 "$V2/$R/tags/list?last=v1.0"
[ "$(list_of .tags | tr '\n' ' ')" = "v1.10 v1.2 " ] ||
    fail "last=v1.0: $(cat "$T/body")"
expect_status 200 "$V2/$R/tags/list?n=3&last=_x"
[ "$(list_of .tags | tr '\n' ' ')" = "a-b a.b a_b " ] ||
    fail "n=3&last=_x: $(cat "$T/body")"
expect_status 200 "$V2/$R/tags/list?last=m"
[ "$(list_of .tags | tr '\n' ' ')" = "v1.0 v1.10 v1.2 " ] ||
    fail "last=m: $(cat "$T/body")"
expect_status 200 "$V2/$R/tags/list?last=v1.2"
[ "$(jq '.tags | length' "$T/body")" = 0 ] || fail "after the last tag"
hdr_absent Link
expect_4xx "$V2/$R/tags/list?n=abc"
expect_4xx "$V2/$R/tags/list?n=-1"

note "unknown repositories"
expect_err 404 NAME_UNKNOWN "$V2/no/such/repo/tags/list"
expect_err 404 NAME_UNKNOWN "$V2/test/tag/tags/list"
expect_err 404 NAME_UNKNOWN "$V2/test/tags/extra/tags/list"
expect_err 404 NAME_UNKNOWN "$V2/test/tags/list"

note "a deleted tag leaves the list"
expect_status 202 -X DELETE "$V2/$R/manifests/Zeta"
expect_status 200 "$V2/$R/tags/list"
list_of .tags >"$T/got"
grep -v '^Zeta$' "$T/want" >"$T/want2"
cmp -s "$T/got" "$T/want2" || fail "after DELETE: $(tr '\n' ' ' <"$T/got")"

note "the catalog"
# Names that sort around '/': the catalog is in byte order of the
# full names, "cat/a" < "cat/a-b" < "cat/a.b" < "cat/a/deeper" < "cat/a0".
repos="cat/a cat/b quay.io/org/img library/alpine a0 cat/a/deeper cat/a0
cat/a.b cat/a-b"
for r in $repos; do
	R=$r
	oci_image "c$(printf '%s' "$r" | tr '/.' '__')" 1
	manifest_put "$r" latest "$OCI" "$T/c$(printf '%s' "$r" | tr '/.' '__').json"
done
R=test/tags
printf '%s\n' $repos test/tags | sort >"$T/want"
expect_status 200 "$V2/_catalog"
case $(header Content-Type) in
application/json*) ;;
*)	fail "_catalog Content-Type: $(header Content-Type)" ;;
esac
list_of .repositories >"$T/got"
cmp -s "$T/got" "$T/want" ||
    fail "catalog: $(tr '\n' ' ' <"$T/got") want $(tr '\n' ' ' <"$T/want")"
for n in 1 2 3 7 8 50; do
	paginate "$V2/_catalog" "$n" repositories >"$T/got"
	cmp -s "$T/got" "$T/want" ||
	    fail "catalog n=$n: $(tr '\n' ' ' <"$T/got")"
done
expect_status 200 "$V2/_catalog?last=library/alpine"
list_of .repositories | tr '\n' ' ' >"$T/got"
[ "$(cat "$T/got")" = "quay.io/org/img test/tags " ] ||
    fail "last=library/alpine: $(cat "$T/got")"
expect_status 200 "$V2/_catalog?n=1&last=cat/b"
[ "$(list_of .repositories | tr '\n' ' ')" = "library/alpine " ] ||
    fail "n=1&last=cat/b: $(cat "$T/body")"
case $(header Link) in
*'/v2/_catalog?'*'>; rel="next"') ;;
*)	fail "catalog Link: $(header Link)" ;;
esac
# "last" inside a nested name, and before one.
expect_status 200 "$V2/_catalog?n=1&last=cat/a/deeper"
[ "$(list_of .repositories | tr '\n' ' ')" = "cat/a0 " ] ||
    fail "n=1&last=cat/a/deeper: $(cat "$T/body")"
next_link | grep -Eq 'last=cat(/|%2F)a0>?$' || fail "Link after cat/a0: $(header Link)"
expect_status 200 "$V2/_catalog?n=3&last=cat/a"
[ "$(list_of .repositories | tr '\n' ' ')" = "cat/a-b cat/a.b cat/a/deeper " ] ||
    fail "n=3&last=cat/a: $(cat "$T/body")"
expect_status 200 "$V2/_catalog?last=test/tags"
[ "$(list_of .repositories | wc -l)" = 0 ] || fail "after the last: $(cat "$T/body")"
hdr_absent Link
# n=0: an empty page, and no Link.
expect_status 200 "$V2/_catalog?n=0"
[ "$(list_of .repositories | wc -l)" = 0 ] || fail "n=0: $(cat "$T/body")"
hdr_absent Link
note "a parent of repositories is not one"
expect_err 404 NAME_UNKNOWN "$V2/cat/tags/list"
expect_status 200 "$V2/cat/a/tags/list"
[ "$(list_of .tags)" = latest ] || fail "cat/a: $(cat "$T/body")"
note "a host-prefixed repository is an ordinary name"
expect_status 200 "$V2/quay.io/org/img/tags/list"
[ "$(jq -r .name "$T/body")" = quay.io/org/img ] || fail "$(cat "$T/body")"
[ "$(list_of .tags)" = latest ] || fail "$(cat "$T/body")"

exit 0
