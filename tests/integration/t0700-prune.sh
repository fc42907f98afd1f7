#!/bin/sh
# specreg prune while clients push and pull.
#
# Part 1, for $PRUNE_SECONDS (60; 600 with SPECREG_LONG=1): four clients
# push images (schema 2, OCI, and OCI indexes whose children go first by
# digest) to two repositories, each with a "base layer" from a pool of
# blobs that nothing references yet, reused as docker does (HEAD, upload
# only if missing); two clients pull what was pushed and check every
# digest; one adds a blob to the pool and runs "specreg prune" in a loop
# (--untagged every other run), and before
# each run makes the blobs and manifest links that have been idle for
# $AGE_IDLE seconds (30) two hours old, as if time had passed, so that
# the sweep keeps finding candidates that pushes are referencing at that
# very moment.  A manifest PUT may then fail with
# MANIFEST_BLOB_UNKNOWN (the blob went before the PUT checked it); the
# client pushes again, as a real one would.  What must never happen: a
# push that succeeded and then does not pull back intact.
#
# Part 2: images whose tags are old expire (expiration 3600, grace 0,
# no client running): a dry run lists them and changes nothing, the real
# run removes their tags, manifests, blobs and repository; everything
# pushed in part 1 still pulls back intact, and fsck is clean.
#
# Part 3: a supervisor with [storage] prune-interval = 1 on a relative
# storage root prunes by itself: an old unreferenced blob and a stale
# upload go within seconds.
# storage: filesystem
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/oci.sh"
# shellcheck source=tests/integration/pushpull.sh
. "$top_srcdir/tests/integration/pushpull.sh"

if [ "${SPECREG_LONG:-0}" = 1 ]; then
	: "${PRUNE_SECONDS:=600}"
else
	: "${PRUNE_SECONDS:=60}"
fi
: "${AGE_IDLE:=30}"
SPECREG_WORKERS=${SPECREG_WORKERS:-8}
SPECREG_INI_EXTRA="prune-grace = 60"
start_registry
oci_init
need_cmd jq

POOL=8

# age PATH...: make files two hours old.
age() {
	find "$@" -type f ! -name '.*' -exec touch -d '2 hours ago' {} + \
	    2>/dev/null
}

# age_idle PATH...: make the files idle for $AGE_IDLE seconds two hours
# old, tags excepted (they would expire in part 2); count them in
# $T/aged.
age_idle() {
	find "$@" -type f ! -name '.*' ! -path '*/_tags/*' \
	    ! -newermt "$AGE_IDLE seconds ago" \
	    -newermt '1 hour ago' 2>/dev/null >"$T/aging"
	wc -l <"$T/aging" >>"$T/aged"
	tr '\n' '\0' <"$T/aging" | xargs -0r touch -d '2 hours ago'
}

# --- Pruning ----------------------------------------------------------------

# pruner: prune in a loop until $END, aging the store now and then.
pruner() {
	i=0
	while [ "$(date +%s)" -lt "$END" ]; do
		i=$((i + 1))
		pool_add
		age_idle "$DATA/blobs" "$DATA/repos"
		set --
		[ $((i % 2)) = 0 ] && set -- --untagged
		t0=$(date +%s%N)
		specreg_cli prune "$@" 2>>"$T/prune.log" ||
		    error "prune $* failed: $(tail -3 "$T/prune.log")"
		echo $((($(date +%s%N) - t0) / 1000000)) >>"$T/prune.ms"
	done
}

# sum FIELD: the sum over the prune summaries of "N FIELD".
sum() {
	sed -n "s/.*prune: removed .* \([0-9][0-9]*\) $1[,;].*/\1/p" \
	    "$T/prune.log" | awk '{ s += $1 } END { print s + 0 }'
}

note "a pool of $POOL base layers, two hours old, unreferenced"
mkdir "$T/pool"
echo 0 >"$T/pool.n"
: >"$T/errors"
i=0
while [ "$i" -lt "$POOL" ]; do
	pool_add
	i=$((i + 1))
done
[ -s "$T/errors" ] && fail "$(cat "$T/errors")"
age "$DATA/blobs"

note "part 1: 4 pushers, 2 pullers, prune in a loop, $PRUNE_SECONDS s"
END=$(($(date +%s) + PRUNE_SECONDS))
# Each job as PID:LOG, so that a failure names its job and its output.
jobs=
for c in 1 2 3 4; do
	client "$c" >"$T/client.$c.log" 2>&1 &
	jobs="$jobs $!:client.$c.log"
done
for c in 1 2; do
	puller "$c" >"$T/puller.$c.log" 2>&1 &
	jobs="$jobs $!:puller.$c.log"
done
pruner >"$T/pruner.log" 2>&1 &
jobs="$jobs $!:pruner.log"
for j in $jobs; do
	wait "${j%%:*}" || { rc=$?; error "${j#*:} exited with $rc:" \
	    "$(tail -5 "$T/${j#*:}" | tr '\n' ' ')"; }
done
[ -s "$T/errors" ] && fail "$(sort "$T/errors" | uniq -c | head -20)"

cat "$T"/pushed.* >"$T/all"
pushed=$(wc -l <"$T/all")
retries=$(cat "$T/retries" 2>/dev/null | wc -l)
pulls=$(cat "$T/pulls" 2>/dev/null | wc -l)
aged=$(awk '{ s += $1 } END { print s + 0 }' "$T/aged")
runs=$(wc -l <"$T/prune.ms")
ms_max=$(sort -n "$T/prune.ms" | tail -1)
ms_avg=$(awk '{ s += $1 } END { print int(s / NR) }' "$T/prune.ms")
note "$pushed images pushed ($retries pushed again after" \
    "MANIFEST_BLOB_UNKNOWN), $pulls pulls checked"
note "$runs prune runs (avg ${ms_avg} ms, max ${ms_max} ms; $aged files aged) removed" \
    "$(sum blobs) blobs, $(sum manifests) manifests, $(sum uploads) uploads"
[ "$pushed" -ge 4 ] || fail "only $pushed images were pushed"
[ "$runs" -ge 2 ] || fail "only $runs prune runs"
[ "$(sum blobs)" -gt 0 ] || fail "no prune run removed a blob"
grep -q 'missing objects' "$T/prune.log" || fail "no prune summary"
grep 'prune: removed [0-9]* uploads' "$T/prune.log" >"$T/summaries"
grep -v ' 0 missing objects' "$T/summaries" &&
    fail "a prune found missing objects"

note "every image pushed pulls back intact"
W=$T/final
mkdir "$W"
while read -r repo tag mt d; do
	why=$(image_ok "$W" "$repo" "$tag" "$mt" "$d") ||
	    fail "$repo:$tag ($mt): $why"
done <"$T/all"

note "part 2: old tags expire (expiration 3600, grace 0)"
W=$T/exp
mkdir "$W"
for n in 1 2 3; do
	image_files "$W" "e$n" "$M_OCI"
	image_push "$W" test/prune/expire "e$n" "e$n" "$M_OCI" ||
	    fail "push e$n: $(cat "$T/errors")"
done
age "$DATA/repos/test/prune/expire"
for n in 1 2 3; do
	for f in cfg l json; do
		age "$DATA/blobs/sha256/$(sha256_of "$W/e$n.$f" | cut -c1-2)/$(sha256_of "$W/e$n.$f")"
	done
done
cp "$T/specreg.ini" "$T/specreg.ini.orig"
printf 'expiration = 3600\n' >>"$T/specreg.ini"
sed -i 's/^prune-grace = 60$/prune-grace = 0/' "$T/specreg.ini"
find "$DATA" -type f | sort >"$T/before"
specreg_cli prune --dry-run 2>"$T/dry.log" || fail "prune --dry-run failed"
find "$DATA" -type f | sort >"$T/after"
cmp -s "$T/before" "$T/after" || fail "prune --dry-run changed the store"
# Manifests: the three, and children that a client pushed for an index
# it had no time left to push.
grep -q 'prune: would remove [0-9]* uploads, 3 tags, [0-9]* manifests, 1 repositories' \
    "$T/dry.log" || fail "dry run summary: $(tail -1 "$T/dry.log")"
for n in 1 2 3; do
	grep -q "would remove tag test/prune/expire:e$n " "$T/dry.log" ||
	    fail "the dry run does not list tag e$n"
	grep -q "would remove blob $(digest_of "$W/e$n.l") " "$T/dry.log" ||
	    fail "the dry run does not list the layer of e$n"
done
expect_status 200 -H "Accept: $M_OCI" "$V2/test/prune/expire/manifests/e1"

specreg_cli prune 2>"$T/exp.log" || fail "prune with expiration failed"
grep -q 'prune: removed [0-9]* uploads, 3 tags, [0-9]* manifests, 1 repositories' \
    "$T/exp.log" || fail "expiration summary: $(tail -1 "$T/exp.log")"
mv "$T/specreg.ini.orig" "$T/specreg.ini"
for n in 1 2 3; do
	expect_status 404 -H "Accept: $M_OCI" \
	    "$V2/test/prune/expire/manifests/e$n"
	expect_status 404 -H "Accept: $M_OCI" \
	    "$V2/test/prune/expire/manifests/$(digest_of "$W/e$n.json")"
	for f in cfg l; do
		expect_status 404 "$V2/test/prune/expire/blobs/$(digest_of "$W/e$n.$f")"
	done
done
[ ! -e "$DATA/repos/test/prune/expire" ] ||
    fail "the expired repository is still there"
expect_status 200 "$V2/_catalog"
jq -e '.repositories | index("test/prune/expire") == null' "$T/body" \
    >/dev/null || fail "the catalog still lists test/prune/expire"

note "the images of part 1 are still intact"
W=$T/final
while read -r repo tag mt d; do
	why=$(image_ok "$W" "$repo" "$tag" "$mt" "$d") ||
	    fail "$repo:$tag ($mt) after expiration: $why"
done <"$T/all"

note "fsck is clean"
specreg_cli fsck >"$T/fsck.out" 2>"$T/fsck.err" ||
    fail "fsck: $(head -20 "$T/fsck.out")"
[ ! -s "$T/fsck.out" ] || fail "fsck said: $(head -20 "$T/fsck.out")"
note "$(tail -1 "$T/fsck.err" | sed 's/.*fsck: //')"

note "part 3: the supervisor prunes every second (prune-interval = 1)"
cat >"$T/periodic.ini" <<EOF
[registry]
public-url = http://127.0.0.1:1
[storage]
driver = filesystem
root = pdata
prune-interval = 1
prune-grace = 0
upload-expiration = 1
EOF
printf 'old garbage' >"$T/garbage"
g=$(sha256_of "$T/garbage")
gdir=$T/pdata/blobs/sha256/$(echo "$g" | cut -c1-2)
u=0123456789abcdef0123456789abcdef
mkdir -p "$gdir" "$T/pdata/uploads/$u"
cp "$T/garbage" "$gdir/$g"
printf 'specreg-upload 1\ntest/x\n0\n' >"$T/pdata/uploads/$u/state"
age "$T/pdata"
(cd "$T" && exec "$SPECREG_BIN" -c periodic.ini serve \
    --listen "$T/periodic.sock" --workers 1 >"$T/periodic.log" 2>&1) &
ppid=$!
n=0
while [ -e "$gdir/$g" ] || [ -e "$T/pdata/uploads/$u" ]; do
	n=$((n + 1))
	if [ "$n" -gt 150 ] || ! pid_alive "$ppid"; then
		stop_pid "$ppid"
		fail "nothing pruned in 15 s: $(tail -5 "$T/periodic.log")"
	fi
	sleep 0.1
done
stop_pid "$ppid" || fail "serve with a prune child ignored SIGTERM"
grep -q 'prune [0-9]* started' "$T/periodic.log" ||
    fail "no prune run in the log: $(tail -5 "$T/periodic.log")"
grep -q "prune: removed blob sha256:$g " "$T/periodic.log" ||
    fail "the periodic prune did not log the blob"
grep -q 'prune [0-9]* failed' "$T/periodic.log" &&
    fail "a periodic prune failed: $(grep -A3 failed "$T/periodic.log")"
exit 0
