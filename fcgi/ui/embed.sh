#!/bin/sh
# fcgi/ui/embed.sh OUT FILE...: compile the UI's assets into the binary,
# as C strings in OUT (fcgi/ui_assets.c), served under /ui/static/ by
# their base names.
set -eu
out=$1
shift
{
	printf '/* Made by fcgi/ui/embed.sh from fcgi/ui/; do not edit. */\n'
	printf '#include "config.h"\n\n#include "fcgi/ui.h"\n\n'
	n=0
	for f in "$@"; do
		n=$((n + 1))
		printf 'static const char asset%d[] =\n' "$n"
		sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$/\\n"/' \
		    "$f"
		printf ';\n\n'
	done
	printf 'const struct ui_asset ui_assets[] = {\n'
	n=0
	for f in "$@"; do
		n=$((n + 1))
		case $f in
		*.css) type='text/css; charset=utf-8' ;;
		*.js) type='text/javascript; charset=utf-8' ;;
		*) echo "embed.sh: $f: unknown type" >&2; exit 1 ;;
		esac
		printf '\t{ "%s", "%s", asset%d, sizeof(asset%d) - 1 },\n' \
		    "${f##*/}" "$type" "$n" "$n"
	done
	printf '};\nconst size_t ui_nassets = %d;\n' "$n"
} >"$out.tmp"
mv "$out.tmp" "$out"
