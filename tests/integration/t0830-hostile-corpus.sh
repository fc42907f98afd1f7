#!/bin/sh
# tests/integration/t0830-hostile-corpus.sh: every request in
# tests/integration/hostile.txt gets the answer written next to it.
#
# hostile.txt has one request a line, fields separated by " | ":
#
#	METHOD | PATH | EXPECT | ARG | ARG ...
#
# METHOD is sent as is (curl -X; HEAD uses -I).  "fcgi:METHOD" sends
# the request in FastCGI straight to the pool (abort.py), bypassing the
# front end's own checks; those lines are skipped when the front end
# spawns specreg itself.  PATH is sent with --path-as-is.  The lines
# between two "fcgi:" or "@auth" lines go in order through one curl
# (oci.sh's batch_run), each checked on its own answer.
#
# EXPECT lists the acceptable answers separated by " / ": "STATUS CODE"
# (specreg answered STATUS with an OCI error body whose first code is
# CODE), "STATUS -" (specreg answered STATUS; no body is checked: HEAD
# and successes), "fe" (the front end may refuse the request itself
# with any 4xx: it never reached specreg, or came back with X-Sendfile
# and the front end applied Range) or "fe STATUS" (the front end may
# answer STATUS).
#
# ARGs: "H Name: value" adds a header, "B @NAME" sends $T/corpus/NAME
# as the body (see make_bodies), "B text" sends the text.
#
# Placeholders, in PATH and ARGs: @R@ a repository with a pushed image,
# @D@ its layer's digest, @MD@ its manifest's digest, @U@ the id of a
# live upload in @R@, @UX@ the id of an upload of another repository,
# @CANARY@ a name that must never appear in a file name, @A256@ 256
# "a"s, @T129@ 129 "t"s, @NAME300@ a valid-looking 300-byte name,
# @BIG64K@ 65536 "x"s, @BIG32K@ 32768, @ZERO64@ 64 zeros, @TOKEN@ a
# valid pull token for @R@ and @TOKX@ one for another repository (after
# "@auth").
#
# A line "@auth" restarts the registry with a secret, a write user and
# a read user ("restricted": no anonymous pulls), so that every request
# from there on needs credentials.
#
# Afterwards: no worker died (the supervisor's log, or the same pids
# serve as at the start), nothing appeared outside the storage root or
# anywhere under a name holding the canary, and the pushed image still
# pulls back intact.  SPECREG_CORPUS_SHOW=1 prints every answer and
# does not fail on a mismatch (for writing new lines).
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?}/tests/integration/lib.sh"
# shellcheck source=tests/integration/oci.sh
. "$top_srcdir/tests/integration/oci.sh"

need_cmd python3 jq
CORPUS=${SPECREG_CORPUS:-$top_srcdir/tests/integration/hostile.txt}
[ -r "$CORPUS" ] || harness_error "cannot read $CORPUS"
SHOW=${SPECREG_CORPUS_SHOW:-0}
ABORT="python3 $top_srcdir/tests/integration/abort.py"
CANARY=pwn$$x
SVC=specreg-hostile
SECRET=t0830-secret-0123456789abcdef
R=hostile/repo

# Everything under $T but the storage root and the files that change.
snapshot() {
	find "$T" -path "$DATA" -prune -o -print |
	    grep -v -e "^$T/body$" -e "^$T/headers$" -e "^$T/fcgi" -e '\.list$' \
	    -e '\.log$' -e '\.out$' -e "^$T/tmp" -e "^$T/run" -e "^$T/batch" |
	    LC_ALL=C sort
}

# repeat CHAR N: CHAR N times.
repeat() {
	head -c "$2" /dev/zero | tr '\0' "$1"
}

# make_bodies: what "B @NAME" sends.
make_bodies() {
	mkdir -p "$T/corpus"
	_c=$T/corpus
	cp "$T/img.json" "$_c/good.json"
	repeat '[' 100000 >"$_c/deep.json"
	printf '{"a":%s1%s}' "$(repeat '[' 5000)" "$(repeat ']' 5000)" \
	    >"$_c/deep5000.json"
	{
		printf '{"schemaVersion":2,"mediaType":"%s","config":%s,' \
		    "$OCI" "$(blob_desc "$OCI_CONFIG" "$T/img.cfg")"
		printf '"layers":[],"annotations":{"x":"'
		repeat x $((5 * 1024 * 1024))
		printf '"}}'
	} >"$_c/huge.json"
	head -c 3000 /dev/urandom >"$_c/junk"
	: >"$_c/empty"
	printf '{"schemaVersion":2,"mediaType":"%s","config":%s,"layers":[{"mediaType":"%s","digest":"sha256:%s","size":5}]}' \
	    "$OCI" "$(blob_desc "$OCI_CONFIG" "$T/img.cfg")" "$OCI_LAYER" \
	    "$(repeat 0 64)" >"$_c/missing-layer.json"
	printf '{"schemaVersion":2,"mediaType":"%s","config":%s,"layers":[{"mediaType":"%s","digest":"%s","size":%s}]}' \
	    "$OCI" "$(blob_desc "$OCI_CONFIG" "$T/img.cfg")" "$OCI_LAYER" \
	    "$(digest_of "$T/img.l1")" "$(($(size_of "$T/img.l1") + 1))" \
	    >"$_c/wrong-size.json"
	printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"%s","digest":"sha256:%s","size":2},"layers":[]}' \
	    "$OCI" "$OCI_CONFIG" "$(repeat 1 64)" >"$_c/missing-config.json"
	printf '{"schemaVersion":2,"mediaType":"%s","manifests":[{"mediaType":"%s","digest":"sha256:%s","size":7}]}' \
	    "$OCI_INDEX" "$OCI" "$(repeat 2 64)" >"$_c/index-missing.json"
	printf '{"schemaVersion":2,"mediaType":"%s","manifests":[{"mediaType":"%s","digest":"../../%s","size":1}]}' \
	    "$OCI_INDEX" "$OCI" "$CANARY" >"$_c/index-traversal.json"
	printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"%s","digest":"sha256:../../../%s","size":2},"layers":[]}' \
	    "$OCI" "$OCI_CONFIG" "$CANARY" >"$_c/config-traversal.json"
	printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"%s","digest":"%s","size":-1},"layers":[]}' \
	    "$OCI" "$OCI_CONFIG" "$(digest_of "$T/img.cfg")" \
	    >"$_c/negative-size.json"
	printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"%s","digest":"%s","size":18446744073709551617},"layers":[]}' \
	    "$OCI" "$OCI_CONFIG" "$(digest_of "$T/img.cfg")" \
	    >"$_c/huge-size.json"
	sed "s#$OCI#application/x-$CANARY#" "$T/img.json" \
	    >"$_c/unknown-mt.json"
	printf '{"schemaVersion":1,"name":"%s","tag":"x","fsLayers":[]}' \
	    "$R" >"$_c/schema1.json"
	head -c 100 /dev/urandom >"$_c/100"
	head -c 1000 /dev/urandom >"$_c/1000"
}

# expand [FILE]: FILE (or the standard input) with the placeholders
# replaced; the lines stay where they were.
expand() {
	sed -e "s|@R@|$R|g" -e "s|@D@|$DL|g" \
	    -e "s|@MD@|$MD|g" -e "s|@U@|$UID1|g" -e "s|@UX@|$UIDX|g" \
	    -e "s|@CANARY@|$CANARY|g" -e "s|@A256@|$A256|g" \
	    -e "s|@T129@|$T129|g" -e "s|@NAME300@|$NAME300|g" \
	    -e "s|@BIG64K@|$BIG64K|g" -e "s|@BIG32K@|$BIG32K|g" \
	    -e "s|@ZERO64@|$ZERO64|g" "$@"
}

# expand_tokens: the standard input with @TOKEN@ and @TOKX@ replaced.
expand_tokens() {
	sed -e "s|@TOKEN@|${TOKEN:-}|g" -e "s|@TOKX@|${TOKX:-}|g"
}

# trim STRING: without leading and trailing blanks.
trim() {
	printf '%s\n' "$1" | sed -e 's/^[[:blank:]]*//' -e 's/[[:blank:]]*$//'
}

# send_fcgi METHOD PATH ARG...: FastCGI straight to the pool; the
# headers become HTTP_* parameters (CONTENT_TYPE for Content-Type).
send_fcgi() {
	_m=$1
	_p=$2
	shift 2
	_f=$T/corpus/empty
	_n=$#
	while [ "$_n" -gt 0 ]; do
		_a=$1
		shift
		_n=$((_n - 1))
		case $_a in
		-H)	_h=$1
			shift
			_n=$((_n - 1))
			_k=$(printf '%s' "${_h%%:*}" | tr 'a-z-' 'A-Z_')
			case $_k in
			CONTENT_TYPE)	;;
			*)		_k=HTTP_$_k ;;
			esac
			set -- "$@" -p "$_k=$(trim "${_h#*:}")" ;;
		--data-binary)
			case $1 in
			@*)	_f=${1#@} ;;
			*)	printf '%s' "$1" >"$T/fcgi.body"
				_f=$T/fcgi.body ;;
			esac
			shift
			_n=$((_n - 1)) ;;
		esac
	done
	STATUS=$($ABORT fcgi "$FCGI_ADDR" "$_m" "$_p" "$(size_of "$_f")" \
	    "$_f" --eof "$@" 2>"$T/fcgi.raw") || STATUS=000
	sed -n '1,/^\r\{0,1\}$/p' "$T/fcgi.raw" | tr -d '\r' >"$T/headers"
	sed '1,/^\r\{0,1\}$/d' "$T/fcgi.raw" >"$T/body"
}

# answer_ok EXPECT: does the last answer match one of EXPECT?
answer_ok() {
	_from=fe
	while IFS= read -r _h; do
		case $_h in
		[Dd]ocker-[Dd]istribution-[Aa][Pp][Ii]-[Vv]ersion:*)
			_from=specreg ;;
		esac
	done <"$T/headers"
	_got_code=
	_rest=$1
	while [ -n "$_rest" ]; do
		_alt=${_rest%% / *}
		case $_rest in
		*" / "*)	_rest=${_rest#* / } ;;
		*)		_rest= ;;
		esac
		case $_alt in
		fe)	[ "$_from" = fe ] && case $STATUS in 4??) return 0 ;; esac
			;;
		"fe "*)	[ "$_from" = fe ] && [ "$STATUS" = "${_alt#fe }" ] &&
			    return 0 ;;
		*" -")	[ "$_from" = specreg ] && [ "$STATUS" = "${_alt% -}" ] &&
			    return 0 ;;
		*)	if [ "$_from" != specreg ] ||
			    [ "$STATUS" != "${_alt%% *}" ]; then
				continue
			fi
			[ -n "$_got_code" ] || _got_code=$(jq -r \
			    '.errors[0].code // "-"' "$T/body" 2>/dev/null)
			[ "$_got_code" = "${_alt#* }" ] && return 0 ;;
		esac
	done
	return 1
}

# run_line LINE: send it, check the answer; NR names the line.
run_line() {
	set -f
	_ifs=$IFS
	IFS='|'
	# shellcheck disable=SC2086
	set -- $1
	IFS=$_ifs
	set +f
	[ $# -ge 3 ] || harness_error "$CORPUS:$NR: fewer than three fields"
	# Each field lost its "|"; drop the blank on either side.
	_method=${1% }
	_path=${2# }
	_path=${_path% }
	_expect=${3# }
	_expect=${_expect% }
	shift 3
	_n=$#
	while [ "$_n" -gt 0 ]; do
		_arg=${1# }
		_arg=${_arg% }
		shift
		_n=$((_n - 1))
		case $_arg in
		"H "*)	set -- "$@" -H "${_arg#H }" ;;
		"B @"*)	set -- "$@" --data-binary "@$T/corpus/${_arg#B @}" ;;
		"B "*)	set -- "$@" --data-binary "${_arg#B }" ;;
		*)	harness_error "$CORPUS:$NR: bad argument '$_arg'" ;;
		esac
	done
	case $_method in
	fcgi:*)	[ "$FRONT_SPAWNS" = 1 ] && { SKIPPED=$((SKIPPED + 1)); return 0; }
		batch_run	# the requests before it go first
		send_fcgi "${_method#fcgi:}" "$_path" "$@"
		check_line "$NR" "$_method" "$_path" "$_expect" ;;
	HEAD)	batch_add check_line "$NR" "$_method" "$_path" "$_expect" -- \
		    -m 60 --path-as-is "$@" -I "$URL$_path" ;;
	*)	batch_add check_line "$NR" "$_method" "$_path" "$_expect" -- \
		    -m 60 --path-as-is "$@" -X "$_method" "$URL$_path" ;;
	esac
}

# check_line NR METHOD PATH EXPECT [CURL-ARGS...]: check the answer to
# line NR (in $STATUS, $T/body and $T/headers).
check_line() {
	RAN=$((RAN + 1))
	[ "$SHOW" = 1 ] || ! answer_ok "$4" || return 0
	_desc="$CORPUS:$1: $2 $(printf '%s' "$3" | cut -c1-100)"
	if [ "$SHOW" = 1 ]; then
		printf '%s => %s %s%s\n' "$_desc" "$STATUS" \
		    "$(jq -r '.errors[0].code // empty' "$T/body" 2>/dev/null)" \
		    "$(from_specreg || echo ' (front end)')"
		return 0
	fi
	{
		echo "$_desc"
		echo "expected: $4"
		sed 's/^/< /' "$T/headers"
		head -c 500 "$T/body"
		echo
	} >&2
	FAILED=$((FAILED + 1))
}

# workers: the pool's pids (empty when the front end spawns specreg).
workers() {
	[ "$FRONT_SPAWNS" = 1 ] || pgrep -P "$SPECREG_PID" | sort
}

# The quotes in [user "NAME"] are meant literally.
# shellcheck disable=SC2089,SC2090
restart_auth() {
	stop_frontend
	stop_pool
	SPECREG_INI_EXTRA="[registry]
secret = $SECRET
service = $SVC
[user \"hostile\"]
password = hostile-pw
access = write
[user \"reader\"]
password = reader-pw
access = read"
	export SPECREG_INI_EXTRA
	start_registry
	oci_init
	PIDS0=$(workers)
	expect_status 200 -u reader:reader-pw \
	    "$URL/auth/token?service=$SVC&scope=repository:$R:pull"
	TOKEN=$(jq -r '.token' "$T/body")
	expect_status 200 -u reader:reader-pw \
	    "$URL/auth/token?service=$SVC&scope=repository:other/repo:pull"
	TOKX=$(jq -r '.token' "$T/body")
	case $TOKEN in
	""|null)	fail "no token" ;;
	esac
}

start_registry
oci_init
PIDS0=$(workers)

# An image to aim at, and two live uploads.
oci_image img 1
manifest_put "$R" latest "$OCI" "$T/img.json"
DL=$(digest_of "$T/img.l1")
MD=$(digest_of "$T/img.json")
upload_start "$R"
UID1=$UUID
upload_start other/repo
UIDX=$UUID
if [ -z "$UID1" ] || [ -z "$UIDX" ]; then
	fail "no Docker-Upload-UUID"
fi
A256=$(repeat a 256)
T129=$(repeat t 129)
NAME300=$(repeat a 100)/$(repeat b 100)/$(repeat c 98)
BIG64K=$(repeat x 65536)
BIG32K=$(repeat x 32768)
ZERO64=$(repeat 0 64)
make_bodies
# Expanded once, but for the tokens, which exist only after "@auth".
expand "$CORPUS" >"$T/corpus.txt" || harness_error "cannot expand $CORPUS"
snapshot >"$T/before.list"

NR=0
RAN=0
SKIPPED=0
FAILED=0
while IFS= read -r line || [ -n "$line" ]; do
	NR=$((NR + 1))
	case $line in
	""|"#"*)	continue ;;
	@auth)		batch_run
			restart_auth
			continue ;;
	*@TOK*)		line=$(printf '%s\n' "$line" | expand_tokens) ;;
	esac
	run_line "$line"
done <"$T/corpus.txt"
batch_run
echo "# $RAN requests, $SKIPPED skipped (FastCGI), $FAILED wrong answers"
[ "$SHOW" = 1 ] && exit 0
[ "$FAILED" = 0 ] || fail "$FAILED requests got the wrong answer (above)"
[ "$RAN" -ge 100 ] || fail "only $RAN requests ran"

note "every worker survived, nothing escaped the storage root"
if grep 'died' "$T/specreg.log" >&2; then
	fail "a worker died"
fi
[ "$(workers)" = "$PIDS0" ] ||
    fail "workers were $(echo "$PIDS0" | tr '\n' ' '), now $(workers | tr '\n' ' ')"
for f in $FRONT_LOGS; do
	if grep -Ei 'segfault|signal (6|11)|exit\(.*signal|terminated by' \
	    "$f" >&2 2>/dev/null; then
		fail "the front end saw specreg crash ($f)"
	fi
done
snapshot >"$T/after.list"
diff "$T/before.list" "$T/after.list" >&2 ||
    fail "files appeared or vanished outside the storage root"
hits=$(find "$T/.." -maxdepth 3 -name "*$CANARY*" 2>/dev/null)
[ -z "$hits" ] || fail "canary files: $hits"
hits=$(find / -xdev -maxdepth 3 -name "*$CANARY*" 2>/dev/null)
[ -z "$hits" ] || fail "canary files: $hits"
hits=$(find "$DATA" -name "*$CANARY*")
[ -z "$hits" ] || fail "canary files in the storage root: $hits"

note "the image still pulls back"
[ -z "${TOKEN:-}" ] || set -- -H "Authorization: Bearer $TOKEN"
expect_status 200 "$@" -H "Accept: $OCI" "$V2/$R/manifests/latest"
body_is_file "$T/img.json"
expect_status 200 "$@" "$V2/$R/blobs/$DL"
body_is_file "$T/img.l1"
exit 0
