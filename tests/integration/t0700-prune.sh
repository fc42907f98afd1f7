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
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/oci.sh"

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

M_OCI=application/vnd.oci.image.manifest.v1+json
M_INDEX=application/vnd.oci.image.index.v1+json
M_D2=application/vnd.docker.distribution.manifest.v2+json
C_OCI=application/vnd.oci.image.config.v1+json
L_OCI=application/vnd.oci.image.layer.v1.tar+gzip
POOL=8

# specreg ARGS...: the CLI on the registry's configuration, as the owner
# of the store (a front end that spawns specreg may run it as www-data).
specreg() {
	_owner=$(stat -c %u "$DATA")
	if [ "$(id -u)" = 0 ] && [ "$_owner" != 0 ]; then
		setpriv --reuid="$_owner" --regid="$(stat -c %g "$DATA")" \
		    --clear-groups "$SPECREG_BIN" -c "$T/specreg.ini" "$@"
	else
		"$SPECREG_BIN" -c "$T/specreg.ini" "$@"
	fi
}

rnd() {
	od -An -N2 -tu2 /dev/urandom | tr -d ' '
}

# error MESSAGE: record a failure seen by a background client.
error() {
	echo "$*" >>"$T/errors"
}

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

# --- Pushing ----------------------------------------------------------------

# upload REPO FILE: POST + PUT ?digest=; prints the PUT's status.
upload() {
	_u_loc=$(curl -s -o /dev/null -D - -X POST -H 'Content-Length: 0' \
	    "$V2/$1/blobs/uploads/" |
	    tr -d '\r' | sed -n 's/^[Ll]ocation: *//p')
	if [ -z "$_u_loc" ]; then
		echo 000
		return
	fi
	curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Expect:' \
	    -H 'Content-Type: application/octet-stream' --data-binary "@$2" \
	    "$(add_query "$(abs_url "$_u_loc")" "digest=$(digest_of "$2")")"
}

# ensure REPO FILE: upload FILE unless HEAD finds it.
ensure() {
	_e_c=$(curl -s -o /dev/null -w '%{http_code}' -I \
	    "$V2/$1/blobs/$(digest_of "$2")")
	[ "$_e_c" = 200 ] && return 0
	_e_c=$(upload "$1" "$2")
	[ "$_e_c" = 201 ] && return 0
	error "upload $2 to $1: HTTP $_e_c"
	return 1
}

# mput W REPO REF MT FILE: PUT a manifest.  0: 201; 1: 400
# MANIFEST_BLOB_UNKNOWN (push again); 2: anything else (an error).
mput() {
	_m_c=$(curl -s -o "$1/put" -w '%{http_code}' -X PUT -H 'Expect:' \
	    -H "Content-Type: $4" --data-binary "@$5" \
	    "$V2/$2/manifests/$3")
	[ "$_m_c" = 201 ] && return 0
	if [ "$_m_c" = 400 ] && jq -e '[.errors[].code] |
	    index("MANIFEST_BLOB_UNKNOWN") != null' "$1/put" >/dev/null 2>&1
	then
		return 1
	fi
	error "PUT $2:$3: HTTP $_m_c $(head -c 300 "$1/put")"
	return 2
}

# image_files W NAME MT: a config, a new layer and a base layer from the
# pool; the manifest in W/NAME.json.
image_files() {
	printf '{"architecture":"amd64","os":"linux","n":"%s-%s"}' "$2" \
	    "$(rnd)" >"$1/$2.cfg"
	randfile "$1/$2.l" $(($(rnd) % 60000 + 100))
	_if_b=$T/pool/p$(($(rnd) % $(cat "$T/pool.n")))
	cp "$_if_b" "$1/$2.b"
	printf '{"schemaVersion":2,"mediaType":"%s","config":%s,"layers":[%s,%s]}' \
	    "$3" "$(blob_desc "$C_OCI" "$1/$2.cfg")" \
	    "$(blob_desc "$L_OCI" "$1/$2.b")" \
	    "$(blob_desc "$L_OCI" "$1/$2.l")" >"$1/$2.json"
}

# image_push W REPO REF NAME MT: its blobs, then its manifest (mput's
# status).
image_push() {
	for _ip_f in cfg b l; do
		ensure "$2" "$1/$4.$_ip_f" || return 2
	done
	mput "$1" "$2" "$3" "$5" "$1/$4.json"
}

# index_push W REPO TAG: two OCI images by digest, then an index.
index_push() {
	_x_kids=
	for _x_k in k1 k2; do
		image_push "$1" "$2" "$(digest_of "$1/$_x_k.json")" "$_x_k" \
		    "$M_OCI" || return $?
		_x_kids="$_x_kids${_x_kids:+,}$(blob_desc "$M_OCI" "$1/$_x_k.json")"
	done
	printf '{"schemaVersion":2,"mediaType":"%s","manifests":[%s]}' \
	    "$M_INDEX" "$_x_kids" >"$1/top.json"
	mput "$1" "$2" "$3" "$M_INDEX" "$1/top.json"
}

# client N: push images until $END; record each in $T/pushed.N.
client() {
	W=$T/c$1
	mkdir -p "$W"
	repo=test/prune/r$(($1 % 2))
	n=0
	while [ "$(date +%s)" -lt "$END" ]; do
		n=$((n + 1))
		tag=c$1-$n
		case $((n % 3)) in
		0)	mt=$M_D2 ;;
		1)	mt=$M_OCI ;;
		2)	mt=$M_INDEX ;;
		esac
		if [ "$mt" = "$M_INDEX" ]; then
			image_files "$W" k1 "$M_OCI"
			image_files "$W" k2 "$M_OCI"
		else
			image_files "$W" top "$mt"
		fi
		try=0
		while :; do
			rc=0
			if [ "$mt" = "$M_INDEX" ]; then
				index_push "$W" "$repo" "$tag" || rc=$?
			else
				image_push "$W" "$repo" "$tag" top "$mt" || rc=$?
			fi
			[ "$rc" = 1 ] || break
			try=$((try + 1))
			echo "$tag" >>"$T/retries"
			if [ "$try" -ge 50 ]; then
				error "client $1: $tag: still failing after $try tries"
				rc=2
				break
			fi
		done
		[ "$rc" = 0 ] || return 1
		echo "$repo $tag $mt $(digest_of "$W/top.json")" >>"$T/pushed.$1"
	done
}

# --- Pulling ----------------------------------------------------------------

# blobs_ok W REPO MANIFEST: every blob of an image manifest is intact.
blobs_ok() {
	for _b_d in $(jq -r '.config.digest, .layers[].digest' "$3"); do
		_b_c=$(curl -s -o "$1/blob" -w '%{http_code}' \
		    "$V2/$2/blobs/$_b_d")
		if [ "$_b_c" != 200 ]; then
			echo "blob $_b_d: HTTP $_b_c"
			return 1
		fi
		if [ "$(digest_of "$1/blob")" != "$_b_d" ]; then
			echo "blob $_b_d: wrong content"
			return 1
		fi
	done
}

# manifest_ok W REPO REF MT DIGEST OUT: the manifest has DIGEST.
manifest_ok() {
	_mo_c=$(curl -s -o "$6" -w '%{http_code}' -H "Accept: $4" \
	    "$V2/$2/manifests/$3")
	if [ "$_mo_c" != 200 ]; then
		echo "manifest $2:$3: HTTP $_mo_c"
		return 1
	fi
	if [ "$(digest_of "$6")" != "$5" ]; then
		echo "manifest $2:$3: digest $(digest_of "$6"), not $5"
		return 1
	fi
}

# image_ok W REPO TAG MT DIGEST: pull it all and check every digest.
image_ok() {
	manifest_ok "$1" "$2" "$3" "$4" "$5" "$1/m" || return 1
	if [ "$4" != "$M_INDEX" ]; then
		blobs_ok "$1" "$2" "$1/m"
		return
	fi
	jq -r '.manifests[] | .digest' "$1/m" >"$1/kids"
	while read -r _io_k; do
		manifest_ok "$1" "$2" "$_io_k" "$M_OCI" "$_io_k" "$1/k" &&
		    blobs_ok "$1" "$2" "$1/k" || return 1
	done <"$1/kids"
}

# puller N: pull random images that were pushed until $END.
puller() {
	W=$T/p$1
	mkdir -p "$W"
	while [ "$(date +%s)" -lt "$END" ]; do
		cat "$T"/pushed.* >"$W/all" 2>/dev/null
		_p_n=$(wc -l <"$W/all")
		if [ "$_p_n" -eq 0 ]; then
			sleep 0.2
			continue
		fi
		sed -n "$(($(rnd) % _p_n + 1))p" "$W/all" >"$W/one"
		read -r repo tag mt d <"$W/one"
		why=$(image_ok "$W" "$repo" "$tag" "$mt" "$d") ||
		    error "pull $repo:$tag: $why"
		echo x >>"$T/pulls"
	done
}

# --- Pruning ----------------------------------------------------------------

# pool_add: one more blob for the pool.
pool_add() {
	_pa_n=$(cat "$T/pool.n")
	randfile "$T/pool/p$_pa_n" 50000
	_pa_c=$(upload test/prune/pool "$T/pool/p$_pa_n")
	[ "$_pa_c" = 201 ] || error "upload p$_pa_n: HTTP $_pa_c"
	# Renamed into place: the clients read it meanwhile, and a file
	# truncated by ">" reads empty (an arithmetic error in image_files).
	echo $((_pa_n + 1)) >"$T/pool.n.new" && mv "$T/pool.n.new" "$T/pool.n"
}

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
		specreg prune "$@" 2>>"$T/prune.log" ||
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
specreg prune --dry-run 2>"$T/dry.log" || fail "prune --dry-run failed"
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

specreg prune 2>"$T/exp.log" || fail "prune with expiration failed"
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
specreg fsck >"$T/fsck.out" 2>"$T/fsck.err" ||
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
