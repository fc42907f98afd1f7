#!/bin/sh
# tests/integration/t0930-man.sh: the manual pages render without a
# warning (man -l), lexgrog finds their NAME lines, and specreg.ini(5)
# documents exactly the keys that deploy/specreg.ini documents and
# common/conf.c accepts.
# front end: any
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?}/tests/integration/lib.sh"
need_cmd man lexgrog
MAN=$top_srcdir/man

for page in specreg.8 specreg.ini.5; do
	MANWIDTH=80 man --warnings -l "$MAN/$page" >"$T/$page.txt" \
	    2>"$T/$page.err" || fail "man -l $page: $(cat "$T/$page.err")"
	[ -s "$T/$page.err" ] && fail "man -l $page warns: $(cat "$T/$page.err")"
	grep -q '^NAME' "$T/$page.txt" || fail "$page renders no NAME section"
	lexgrog "$MAN/$page" >"$T/lexgrog.out" 2>&1 ||
	    fail "lexgrog $page: $(cat "$T/lexgrog.out")"
	grep -q "\"${page%.*} - " "$T/lexgrog.out" ||
	    fail "lexgrog $page: $(cat "$T/lexgrog.out")"
done

# The key lists, one "section.key" a line; [user "NAME"] is "user" and
# an upstream registry host is "HOST".
# specreg.ini(5): a ".TP" then ".B key" under ".SS [section]".
awk '
/^\.SS / { s = $2; sub(/^\[/, "", s); sub(/\]$/, "", s) }
prev == ".TP" && /^\.B / { k = $2; gsub(/\\-/, "-", k); print s "." k }
{ prev = $0 }' "$MAN/specreg.ini.5" | sort -u >"$T/keys.man"
# deploy/specreg.ini: "key = value" lines, commented out or not.
awk '
function host(k) {
	if (s != "upstream" || k ~ /^(timeout|tag-ttl|stale-limit|cache-expiration)$/)
		return (k)
	if (k ~ /\.(username|password)$/) {
		sub(/^.*\./, "HOST.", k)
		return (k)
	}
	return ("HOST")
}
/^;?\[/ { s = $0; sub(/^;?\[/, "", s); sub(/[] "].*/, "", s) }
/^;?[a-z][a-z0-9.-]* = / { k = $1; sub(/^;/, "", k); print s "." host(k) }
' "$top_srcdir/deploy/specreg.ini" | sort -u >"$T/keys.deploy"
# common/conf.c: its key table, and the keys of the user and upstream
# sections, which it checks in code; the storage drivers' keys, from
# their tables (storage/driver.h's struct stor_key).
{
	sed -n 's/^[[:space:]]*{ "\([a-z]*\)", "\([a-z-]*\)",.*/\1.\2/p' \
	    "$top_srcdir/common/conf.c"
	sed -n '/^conf_user_key(/,/^}/s/.*strcmp(key, "\([a-z-]*\)").*/user.\1/p' \
	    "$top_srcdir/common/conf.c"
	sed -n '/^conf_upstream_\(key\|number\)(/,/^}/{
		s/.*strcmp(key, "\([a-z-]*\)").*/upstream.\1/p
		s/.*strcmp(dot, "\.\([a-z]*\)").*/upstream.HOST.\1/p
		s/.*u->url = .*/upstream.HOST/p
	}' "$top_srcdir/common/conf.c"
	sed -n '/^const struct stor_key stor_[a-z0-9]*_keys\[\] = {/,/^};/{
		s/^[[:space:]]*{ "\([a-z-]*\)",.*/storage.\1/p
	}' "$top_srcdir"/storage/*.c
} | sort -u >"$T/keys.conf"

for f in man deploy conf; do
	[ "$(wc -l <"$T/keys.$f")" -ge 20 ] ||
	    fail "only $(wc -l <"$T/keys.$f") keys found in the $f list"
done
diff "$T/keys.conf" "$T/keys.man" >"$T/diff" ||
    fail "common/conf.c (<) and specreg.ini(5) (>) differ: $(cat "$T/diff")"
diff "$T/keys.deploy" "$T/keys.man" >"$T/diff" ||
    fail "deploy/specreg.ini (<) and specreg.ini(5) (>) differ: $(cat "$T/diff")"
