# tests/integration/pushpull.sh: clients that push and pull images in
# a loop while something else (prune) runs, for t0700 and t0975.
# shellcheck shell=sh
#
# Sourced after lib.sh and oci.sh.  The clients use $V2 (set it in the
# background job to put a client on another host), run until $END (a
# date +%s) and past it while $T/prune.runs (a line per run of the
# test's prune loop) has fewer than $PRUNE_RUNS lines (default 0),
# append "repo tag media-type digest" of every image they pushed to
# $T/pushed.N and every failure to $T/errors.  The images take
# a base layer from a pool of blobs ($T/pool/p<i>, $T/pool.n of them)
# that nothing references until then, reused as docker does (HEAD,
# upload only if missing).  A manifest PUT may fail with
# MANIFEST_BLOB_UNKNOWN when prune took a blob first: the client pushes
# again, as a real one would (listed in $T/retries).

M_OCI=application/vnd.oci.image.manifest.v1+json
M_INDEX=application/vnd.oci.image.index.v1+json
M_D2=application/vnd.docker.distribution.manifest.v2+json
C_OCI=application/vnd.oci.image.config.v1+json
L_OCI=application/vnd.oci.image.layer.v1.tar+gzip

rnd() {
	od -An -N2 -tu2 /dev/urandom | tr -d ' '
}

# error MESSAGE: record a failure seen by a background client.
error() {
	echo "$*" >>"$T/errors"
}

# running: the loops go on: $END has not come, or the prune loop has
# not made $PRUNE_RUNS runs yet (on a slow store one run can outlast
# $END, and each kind of run must have pushes around it).
running() {
	[ "$(date +%s)" -lt "$END" ] && return 0
	[ "$(cat "$T/prune.runs" 2>/dev/null | wc -l)" -lt "${PRUNE_RUNS:-0}" ]
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

# client N: push images while running; record each in $T/pushed.N.
client() {
	W=$T/c$1
	mkdir -p "$W"
	repo=test/prune/r$(($1 % 2))
	n=0
	while running; do
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

# puller N: pull random images that were pushed, while running.
puller() {
	W=$T/p$1
	mkdir -p "$W"
	while running; do
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

