# tests/integration/oci.sh: OCI distribution helpers for the curl tests.
# shellcheck shell=sh disable=SC2034
#
# Sourced after lib.sh and start_registry.  Everything here writes the
# response to $T/body and $T/headers, like lib.sh's expect_status, so
# header() and body_has() work after any of these calls.
#
#   oci_init                  check tools, set $V2 (the /v2 base URL)
#   call ARGS...              run curl, set $STATUS, never fail
#   err_code_is OCI           the body's errors[] has code OCI
#   err_code_in OCI...        ... one of these codes
#   expect_err CODE OCI ARGS  expect_status CODE plus an errors[] entry OCI
#   expect_4xx ARGS...        any 4xx, JSON errors if specreg answered
#   expect_not5xx ARGS...     anything but a 5xx or a transport error
#   check_4xx, check_not5xx, check_status CODE
#                             the same checks on the answer in $STATUS,
#                             $T/body and $T/headers (ARGS name it)
#   batch_add CHECK [ARG...] -- CURL-ARGS...   queue a request
#   batch_run                 send the queue with one curl, check each
#   log_has_no_status RE      specreg.log shows no response status RE
#   hdr_is NAME VALUE         response header NAME equals VALUE
#   hdr_nonempty NAME         response header NAME is present
#   abs_url LOCATION          resolve a Location value against $URL
#   add_query URL K=V         append a query parameter
#   upload_start REPO         POST an upload, set $UPLOAD (absolute URL)
#   blob_push REPO FILE       POST + PUT ?digest=, print "sha256:<hex>"
#   blob_race URL             rounds of clients racing to push one blob
#   randfile FILE BYTES       BYTES random bytes
#   digest_of FILE            "sha256:<hex>" of FILE
#   blob_desc MT FILE         an OCI descriptor for FILE as compact JSON
#   manifest_put REPO REF MT FILE   PUT, expect 201, check the digest
#   manifest_is REPO REF DIGEST MT  GET REF: 200, that digest and type
#   oci_image NAME N, docker_image NAME N   blobs pushed to $R, manifest
#                             written to $T/NAME.json

note()
{
	printf '# %s\n' "$*"
}

oci_init()
{
	command -v jq >/dev/null 2>&1 || { echo "jq missing"; exit 77; }
	command -v curl >/dev/null 2>&1 || { echo "curl missing"; exit 77; }
	V2="${URL%/}/v2"
	ORIGIN=$(printf '%s\n' "$URL" | sed -E 's#^([a-z]+://[^/]+).*#\1#')
	export V2 ORIGIN
}

# Run curl like expect_status does, but only record the status.
call()
{
	STATUS=$(curl -s -o "$T/body" -D "$T/headers" -w '%{http_code}' \
	    -H 'Expect:' "$@") || true
	[ -n "$STATUS" ] || STATUS=000
}

# Fail unless the body is an OCI error document naming code $1.
err_code_is()
{
	jq -e --arg c "$1" '(.errors | type == "array") and
	    ([.errors[].code] | index($c) != null)' "$T/body" >/dev/null 2>&1 ||
	    fail "expected OCI error $1, body: $(head -c 400 "$T/body")"
}

# Fail unless the body names one of the OCI error codes given.
err_code_in()
{
	for _c in "$@"; do
		jq -e --arg c "$_c" '[.errors[].code] | index($c) != null' \
		    "$T/body" >/dev/null 2>&1 && return 0
	done
	fail "none of $* in: $(head -c 400 "$T/body")"
}

expect_err()
{
	_code=$1
	_oci=$2
	shift 2
	expect_status "$_code" -H 'Expect:' "$@"
	err_code_is "$_oci"
}

# Did specreg itself answer (and not the front end)?
from_specreg()
{
	grep -qi '^Docker-Distribution-API-Version:' "$T/headers"
}

expect_4xx()
{
	call "$@"
	check_4xx "$@"
}

# check_4xx ARGS...: the answer to the request curl ARGS... ($STATUS,
# $T/body, $T/headers) is a 4xx, with JSON errors if specreg answered.
check_4xx()
{
	case $STATUS in
	4??)	;;
	*)	fail "expected 4xx, got $STATUS for: $*" ;;
	esac
	for _a in "$@"; do
		[ "$_a" != -I ] || return 0	# HEAD: no body to check
	done
	if from_specreg; then
		jq -e '.errors | type == "array" and length > 0' "$T/body" \
		    >/dev/null 2>&1 ||
		    fail "4xx without a JSON errors body for: $*"
	fi
}

expect_not5xx()
{
	call "$@"
	check_not5xx "$@"
}

check_not5xx()
{
	case $STATUS in
	000|5??) fail "got $STATUS for: $*" ;;
	esac
}

# check_status CODE ARGS...: the answer to curl ARGS... is HTTP CODE
# (expect_status's check and message).
check_status()
{
	_cs_want=$1
	shift
	[ "$STATUS" = "$_cs_want" ] && return 0
	{
		echo "curl $*"
		sed 's/^/< /' "$T/headers"
		head -c 2000 "$T/body"
		echo
	} >&2
	fail "expected HTTP $_cs_want, got $STATUS"
}

# Batches: many requests, one curl process.  "batch_add CHECK [ARG...]
# -- CURL-ARGS..." queues a request; batch_run sends the queue in order
# with one curl (--next between requests, each with its own -o, -D and
# -w), then for each request in order puts its answer in $STATUS,
# $T/body and $T/headers, as call does, and runs "CHECK [ARG...]
# CURL-ARGS...", which fails the test (or counts) as after call.  The
# requests may share a connection, as a real client's do: a request
# that makes the server close it, hang or read a slow body goes alone
# (call, or a batch of one).
BATCH_N=0
batch_add()
{
	if [ "$BATCH_N" = 0 ]; then
		rm -rf "$T/batch"
		mkdir "$T/batch" || harness_error "mkdir $T/batch"
	fi
	BATCH_N=$((BATCH_N + 1))
	_ba_f=$T/batch/$BATCH_N.check
	: >"$_ba_f"
	for _ba_a in "$@"; do
		if [ "$_ba_a" = -- ] && [ "$_ba_f" != "$T/batch/$BATCH_N.curl" ]
		then
			_ba_f=$T/batch/$BATCH_N.curl
			: >"$_ba_f"
			continue
		fi
		case $_ba_a in
		*'
'*)			harness_error "batch_add: a newline in '$_ba_a'" ;;
		*\'*)	_ba_a=$(printf '%s\n' "$_ba_a" | sed "s/'/'\\\\''/g") ;;
		esac
		printf "'%s' " "$_ba_a" >>"$_ba_f"
	done
	[ "$_ba_f" = "$T/batch/$BATCH_N.curl" ] ||
	    harness_error "batch_add: no -- in: $*"
}

batch_run()
{
	set --
	_br_i=1
	while [ "$_br_i" -le "$BATCH_N" ]; do
		[ "$_br_i" = 1 ] || set -- "$@" --next
		set -- "$@" -s -m 120 -H 'Expect:' -o "$T/batch/$_br_i.body" \
		    -D "$T/batch/$_br_i.headers" -w "$_br_i %{http_code}\n"
		read -r _br_w <"$T/batch/$_br_i.curl"
		eval "set -- \"\$@\" $_br_w"
		eval "_br_s$_br_i="
		_br_i=$((_br_i + 1))
	done
	: >"$T/batch/status"
	[ $# = 0 ] || curl "$@" >"$T/batch/status" </dev/null
	while read -r _br_i _br_w; do
		eval "_br_s$_br_i=\$_br_w"
	done <"$T/batch/status"
	_br_n=$BATCH_N
	BATCH_N=0
	_br_i=1
	while [ "$_br_i" -le "$_br_n" ]; do
		eval "STATUS=\${_br_s$_br_i:-000}"
		for _br_w in body headers; do
			if [ -e "$T/batch/$_br_i.$_br_w" ]; then
				mv -f "$T/batch/$_br_i.$_br_w" "$T/$_br_w"
			else
				: >"$T/$_br_w"
			fi
		done
		read -r _br_w <"$T/batch/$_br_i.check"
		read -r _br_a <"$T/batch/$_br_i.curl"
		eval "$_br_w $_br_a"
		_br_i=$((_br_i + 1))
	done
}

# log_has_no_status RE: no request in specreg.log was answered with a
# status matching the extended regex RE.  The log must show requests
# ("GET /v2/ 200 in=0 0.1ms"), or the check would prove nothing.
log_has_no_status()
{
	grep -Eq ' [1-5][0-9][0-9] in=[0-9]' "$T/specreg.log" ||
	    fail "specreg.log shows no requests: cannot check statuses"
	if grep -E " ($1) in=[0-9]" "$T/specreg.log" >&2; then
		fail "specreg answered $1"
	fi
}

hdr_is()
{
	_v=$(header "$1")
	[ "$_v" = "$2" ] || fail "header $1: expected '$2', got '$_v'"
}

hdr_nonempty()
{
	[ -n "$(header "$1")" ] || fail "header $1 missing"
}

hdr_absent()
{
	[ -z "$(header "$1")" ] || fail "header $1 present: $(header "$1")"
}

abs_url()
{
	case $1 in
	http://*|https://*) printf '%s\n' "$1" ;;
	/*)	printf '%s%s\n' "$ORIGIN" "$1" ;;
	*)	printf '%s/%s\n' "$ORIGIN" "$1" ;;
	esac
}

add_query()
{
	case $1 in
	*\?*)	printf '%s&%s\n' "$1" "$2" ;;
	*)	printf '%s?%s\n' "$1" "$2" ;;
	esac
}

# Bodiless POSTs carry "Content-Length: 0", as Go clients send it:
# lighttpd answers a POST without Content-Length with 411 itself.

# POST an upload to REPO; $UPLOAD is its absolute URL, $UUID its id.
upload_start()
{
	expect_status 202 -X POST -H 'Content-Length: 0' "$V2/$1/blobs/uploads/"
	_loc=$(header Location)
	[ -n "$_loc" ] || fail "POST upload: no Location"
	UPLOAD=$(abs_url "$_loc")
	UUID=$(header Docker-Upload-UUID)
}

# Follow the Location of the last response, if there is one.
upload_follow()
{
	_loc=$(header Location)
	[ -z "$_loc" ] || UPLOAD=$(abs_url "$_loc")
}

# Upload FILE to REPO in two requests; print its digest.
blob_push()
{
	_bp_d=$(digest_of "$2")
	upload_start "$1"
	expect_status 201 -X PUT -H 'Content-Type: application/octet-stream' \
	    -H 'Expect:' --data-binary "@$2" \
	    "$(add_query "$UPLOAD" "digest=$_bp_d")"
	hdr_is Docker-Content-Digest "$_bp_d"
	echo "$_bp_d"
}

# blob_race URL: $ROUNDS rounds of $CLIENTS "pusher ID" jobs at once
# (the caller's function: one whole upload of the same blob, writing
# "post patch put head length" to $C/ID); odd rounds DELETE the blob at
# URL first, so that the uploads race to create it.  Fails unless every
# client got "202 202 201 200 $SIZE".
blob_race()
{
	_br_start=$(date +%s)
	_br_round=1
	while [ "$_br_round" -le "$ROUNDS" ]; do
		if [ $((_br_round % 2)) = 1 ]; then
			call -X DELETE "$1"
			case $STATUS in
			202|404) ;;
			*)	fail "round $_br_round: DELETE gave $STATUS" ;;
			esac
		fi
		rm -f "$C"/*
		_br_i=1
		_br_pids=
		while [ "$_br_i" -le "$CLIENTS" ]; do
			pusher "$_br_i" &
			_br_pids="$_br_pids $!"
			_br_i=$((_br_i + 1))
		done
		for _br_p in $_br_pids; do
			wait "$_br_p"
		done
		_br_i=1
		while [ "$_br_i" -le "$CLIENTS" ]; do
			[ -s "$C/$_br_i" ] ||
			    fail "round $_br_round client $_br_i left no result"
			_br_r=$(cat "$C/$_br_i")
			[ "$_br_r" = "202 202 201 200 $SIZE" ] ||
			    fail "round $_br_round client $_br_i:" \
			    "POST PATCH PUT HEAD length = $_br_r"
			_br_i=$((_br_i + 1))
		done
		_br_round=$((_br_round + 1))
	done
	note "$ROUNDS rounds in $(($(date +%s) - _br_start)) s"
}

randfile()
{
	head -c "$2" /dev/urandom >"$1"
}

digest_of()
{
	printf 'sha256:%s\n' "$(sha256sum "$1" | cut -d' ' -f1)"
}

size_of()
{
	wc -c <"$1" | tr -d ' '
}

blob_desc()
{
	printf '{"mediaType":"%s","digest":"%s","size":%s}' \
	    "$1" "$(digest_of "$2")" "$(size_of "$2")"
}

# PUT manifest FILE of media type MT as REPO:REF; expect 201 and the
# digest of the exact bytes in Docker-Content-Digest.
manifest_put()
{
	expect_status 201 -X PUT -H "Content-Type: $3" \
	    --data-binary "@$4" "$V2/$1/manifests/$2"
	hdr_is Docker-Content-Digest "$(digest_of "$4")"
	case $(header Location) in
	*"/v2/$1/manifests/"*) ;;
	*)	fail "manifest PUT Location: '$(header Location)'" ;;
	esac
}

# manifest_is REPO REF DIGEST MT: specreg serves REF as DIGEST, of type
# MT, with exactly the bytes that digest names.
manifest_is()
{
	expect_status 200 -H "Accept: $4" "$V2/$1/manifests/$2"
	hdr_is Docker-Content-Digest "$3"
	hdr_is Content-Type "$4"
	[ "$(digest_of "$T/body")" = "$3" ] || fail "$1:$2 body digest"
}

# Fail unless the last body has exactly the bytes of FILE.
body_is_file()
{
	cmp -s "$T/body" "$1" || fail "body differs from $1" \
	    "($(size_of "$T/body") vs $(size_of "$1") bytes)"
}

OCI=application/vnd.oci.image.manifest.v1+json
OCI_INDEX=application/vnd.oci.image.index.v1+json
OCI_CONFIG=application/vnd.oci.image.config.v1+json
OCI_LAYER=application/vnd.oci.image.layer.v1.tar+gzip
D2=application/vnd.docker.distribution.manifest.v2+json
D2_LIST=application/vnd.docker.distribution.manifest.list.v2+json
D2_CONFIG=application/vnd.docker.container.image.v1+json
D2_LAYER=application/vnd.docker.image.rootfs.diff.tar.gzip

# mkblobs NAME N: a config $T/NAME.cfg and N layers $T/NAME.l<i>,
# pushed to repository $R.
mkblobs()
{
	printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{"Labels":{"n":"%s-%s"}}}' \
	    "$1" "$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')" >"$T/$1.cfg"
	blob_push "${R:?}" "$T/$1.cfg" >/dev/null || fail "push config $1"
	_i=1
	while [ "$_i" -le "$2" ]; do
		randfile "$T/$1.l$_i" $((_i * 1000 + 17))
		blob_push "${R:?}" "$T/$1.l$_i" >/dev/null ||
		    fail "push layer $1"
		_i=$((_i + 1))
	done
}

# image NAME N MT CONFIG_MT LAYER_MT: push blobs, write $T/NAME.json
# (not pushed).  oci_image and docker_image NAME N pick the types.
image()
{
	mkblobs "$1" "$2"
	_layers=
	_i=1
	while [ "$_i" -le "$2" ]; do
		_layers="$_layers${_layers:+,}$(blob_desc "$5" "$T/$1.l$_i")"
		_i=$((_i + 1))
	done
	printf '{"schemaVersion":2,"mediaType":"%s","config":%s,"layers":[%s]}' \
	    "$3" "$(blob_desc "$4" "$T/$1.cfg")" "$_layers" >"$T/$1.json"
}

oci_image()
{
	image "$1" "$2" "$OCI" "$OCI_CONFIG" "$OCI_LAYER"
}

docker_image()
{
	image "$1" "$2" "$D2" "$D2_CONFIG" "$D2_LAYER"
}

# distribution_start DIR: CNCF distribution (Debian's docker-registry)
# on a free 127.0.0.1 port, deletes enabled, storage and logs under DIR
# (data/, access.log, app.log); sets UPORT and UPID.
distribution_start()
{
	mkdir -p "$1/data" || harness_error "cannot mkdir $1/data"
	for _ in 1 2 3 4 5; do
		UPORT=$(free_port)
		cat >"$1/config.yml" <<-EOF
		version: 0.1
		log: {level: info, formatter: text, accesslog: {disabled: false}}
		storage:
		  filesystem: {rootdirectory: $1/data}
		  delete: {enabled: true}
		  maintenance: {uploadpurging: {enabled: false}}
		http: {addr: 127.0.0.1:$UPORT}
		EOF
		# distribution reads REGISTRY_* variables as configuration:
		# REGISTRY_AUTH_FILE would become its auth section.
		env -u REGISTRY_AUTH_FILE docker-registry serve "$1/config.yml" \
		    >>"$1/access.log" 2>>"$1/app.log" </dev/null &
		UPID=$!
		wait_listening "127.0.0.1:$UPORT" "$UPID" && return 0
		UPID=
	done
	harness_error "docker-registry did not start: $(tail "$1/app.log")"
}
