#!/bin/sh
# tests/integration/t0020-config.sh: "specreg check-config" refuses a bad
# file naming file and line, accepts a good one, substitutes %(ZUUL_*)
# and %(SPECREG_*) only, and "serve" refuses a bad file before serving.
# front end: any
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?}/tests/integration/lib.sh"

unset ZUUL_X SPECREG_X OTHER_X

# bad LINE TEXT: a config whose only error is on LINE must fail and
# print "bad.ini:LINE:".
bad() {
	printf '%s\n' "$2" >"$T/bad.ini"
	(cd "$T" && "$SPECREG_BIN" -c bad.ini check-config) \
	    >"$T/out" 2>&1 && fail "check-config accepted: $2"
	grep -q "^bad\.ini:$1: " "$T/out" ||
	    fail "expected 'bad.ini:$1:' for: $2; got: $(cat "$T/out")"
}

# good TEXT: a config that must pass.
good() {
	printf '%s\n' "$1" >"$T/good.ini"
	"$SPECREG_BIN" -c "$T/good.ini" check-config >"$T/out" 2>&1 ||
	    fail "check-config refused: $1; got: $(cat "$T/out")"
}

storage="[storage]
root = $DATA"

# In every case below $storage is lines 1-2, so the error is on line 4
# unless the case says otherwise.
# Unknown keys, in a known and an unknown section.
bad 4 "$storage
[registry]
bogus = 1"
bad 4 "$storage
[nosuchsection]
x = 1"
# Bad numbers: junk, negative, below and above the range, overflow.
bad 4 "$storage
[registry]
token-lifetime = 12x"
bad 3 "$storage
expiration = -1"
bad 4 "$storage
[serve]
workers = 0"
bad 4 "$storage
[serve]
workers = 513"
bad 4 "$storage
[registry]
token-lifetime = 99999999999999999999999"
# Syntax errors: no "=", an unclosed section header.
bad 4 "$storage

this line is not ini"
bad 3 "$storage
[registry"
# Enumerations and user sections.
bad 4 "$storage
[registry]
sendfile = yes"
bad 6 "$storage
[registry]
secret = 0123456789abcdef0123
[user \"bob\"]
access = admin
password = x"
bad 6 "$storage
[registry]
secret = 0123456789abcdef0123
[user \"bob\"]
pasword = x"

# A missing file names the file.
"$SPECREG_BIN" -c "$T/nonexistent.ini" check-config >"$T/out" 2>&1 &&
    fail "check-config accepted a missing file"
grep -q "nonexistent.ini" "$T/out" ||
    fail "missing file not named: $(cat "$T/out")"

# Good files: the minimum, and every key.
good "$storage"
good "[registry]
public-url = https://registry.example.org
secret = 0123456789abcdef0123456789abcdef
service = registry.example.org
token-lifetime = 600
sendfile = x-accel-redirect
x-accel-prefix = /_blobs
; a comment
# another comment
[storage]
driver = filesystem
root = $DATA
expiration = 0
upload-expiration = 7200
prune-grace = 60
prune-interval = 3600
[serve]
listen = 127.0.0.1:9000
workers = 8
[user \"alice\"]
password = secret-one
access = write
[user \"bob\"]
password = secret-two
access = read"
grep -q ': ok$' "$T/out" || fail "check-config did not say ok: $(cat "$T/out")"

# %(ZUUL_*) and %(SPECREG_*) come from the environment; unknown
# variables and other prefixes stay literal (and so fail here).
sub="$storage
[registry]
token-lifetime = %(ZUUL_X)"
bad 4 "$sub"
export ZUUL_X=77
good "$sub"
ZUUL_X=abc
bad 4 "$sub"
ZUUL_X=3
good "$storage
[registry]
token-lifetime = %(ZUUL_X)0%(ZUUL_X)"
unset ZUUL_X
sub="$storage
[registry]
token-lifetime = %(SPECREG_X)"
bad 4 "$sub"
export SPECREG_X=77
good "$sub"
unset SPECREG_X
export OTHER_X=77
bad 4 "$storage
[registry]
token-lifetime = %(OTHER_X)"
unset OTHER_X
export ZUUL_URL=http://127.0.0.1:1234
good "[registry]
public-url = %(ZUUL_URL)
$storage"
unset ZUUL_URL

# Credentials are never a placeholder left as written, nor empty: a
# secret or password anyone can read in the shipped file would let them
# in.  The message names the variable.
unset ZUUL_REGISTRY_SECRET ZUUL_REGISTRY_PASSWORD ZUUL_QUAY_PASSWORD
bad_says() {	# bad_says LINE MESSAGE TEXT
	bad "$1" "$3"
	grep -qxF "bad.ini:$1: $2" "$T/out" ||
	    fail "expected 'bad.ini:$1: $2'; got: $(cat "$T/out")"
}
bad_says 4 "ZUUL_REGISTRY_SECRET is not set" "$storage
[registry]
secret = %(ZUUL_REGISTRY_SECRET)"
bad_says 6 "ZUUL_REGISTRY_PASSWORD is not set" "$storage
[registry]
secret = 0123456789abcdef0123
[user \"zuul\"]
password = %(ZUUL_REGISTRY_PASSWORD)
access = write"
bad_says 6 "ZUUL_QUAY_PASSWORD is not set" "$storage
[upstream]
quay.io = https://quay.io
quay.io.username = robot
quay.io.password = %(ZUUL_QUAY_PASSWORD)"
ZUUL_REGISTRY_SECRET='' ZUUL_REGISTRY_PASSWORD=''
export ZUUL_REGISTRY_SECRET ZUUL_REGISTRY_PASSWORD
bad_says 4 "ZUUL_REGISTRY_SECRET is empty" "$storage
[registry]
secret = %(ZUUL_REGISTRY_SECRET)"
bad_says 6 "ZUUL_REGISTRY_PASSWORD is empty" "$storage
[registry]
secret = 0123456789abcdef0123
[user \"zuul\"]
password = %(ZUUL_REGISTRY_PASSWORD)
access = write"
bad_says 6 "password is empty" "$storage
[registry]
secret = 0123456789abcdef0123
[user \"zuul\"]
password =
access = write"
ZUUL_REGISTRY_SECRET=0123456789abcdef-from-env
ZUUL_REGISTRY_PASSWORD=pw-from-env
good "$storage
[registry]
secret = %(ZUUL_REGISTRY_SECRET)
[user \"zuul\"]
password = %(ZUUL_REGISTRY_PASSWORD)
access = write"
unset ZUUL_REGISTRY_SECRET ZUUL_REGISTRY_PASSWORD

# The shipped example with its user section turned on and the variables
# unset: refused, so no token is ever signed with the placeholder.
sed -e 's/^;\(secret = \)/\1/' -e 's/^;\(\[user "zuul"\]\).*/\1/' \
    -e 's/^;\(password = \)/\1/' -e 's/^;\(access = \)/\1/' \
    -e "s|^root = .*|root = $DATA|" \
    "$top_srcdir/deploy/specreg.ini" >"$T/bad.ini"
line=$(grep -n '^secret = %(ZUUL_REGISTRY_SECRET)$' "$T/bad.ini" | cut -d: -f1)
[ -n "$line" ] || fail "deploy/specreg.ini no longer has the secret example"
(cd "$T" && "$SPECREG_BIN" -c bad.ini check-config) >"$T/out" 2>&1 &&
    fail "check-config accepted the example's unset placeholders"
grep -qxF "bad.ini:$line: ZUUL_REGISTRY_SECRET is not set" "$T/out" ||
    fail "example: expected bad.ini:$line: $(cat "$T/out")"
grep -q ": ZUUL_REGISTRY_PASSWORD is not set$" "$T/out" ||
    fail "example: password placeholder not refused: $(cat "$T/out")"
(cd "$T" && timeout 20 "$SPECREG_BIN" -c bad.ini serve \
    --listen "$T/fcgi.sock" --workers 1) >"$T/out" 2>&1
rc=$?
[ "$rc" -ne 0 ] || fail "serve accepted an unset secret"
[ "$rc" -ne 124 ] || fail "serve with an unset secret kept running"
grep -qxF "bad.ini:$line: ZUUL_REGISTRY_SECRET is not set" "$T/out" ||
    fail "serve did not name the unset secret: $(cat "$T/out")"
[ -e "$T/fcgi.sock" ] && fail "serve created its socket with an unset secret"

# deploy/specreg.ini, the documented example, is valid and documents
# every key of conf.c's table.
"$SPECREG_BIN" -c "$top_srcdir/deploy/specreg.ini" check-config \
    >"$T/out" 2>&1 || fail "deploy/specreg.ini: $(cat "$T/out")"
keys=$(sed -n 's/^[[:space:]]*{ "\([a-z]*\)", "\([a-z-]*\)",.*/\1.\2/p' \
    "$top_srcdir/common/conf.c")
[ -n "$keys" ] || fail "no keys found in common/conf.c"
for k in $keys password access; do
	grep -Eq "^;?${k#*.} = " "$top_srcdir/deploy/specreg.ini" ||
	    fail "deploy/specreg.ini does not document ${k#*.}"
done

# serve refuses a bad file before it binds anything.
printf '%s\n' "$storage" "[registry]" "bogus = 1" >"$T/bad.ini"
(cd "$T" && timeout 20 "$SPECREG_BIN" -c bad.ini serve \
    --listen "$T/fcgi.sock" --workers 1) >"$T/out" 2>&1
rc=$?
[ "$rc" -ne 0 ] || fail "serve accepted a bad config"
[ "$rc" -ne 124 ] || fail "serve with a bad config kept running"
grep -q "^bad\.ini:4: " "$T/out" ||
    fail "serve did not name bad.ini:4: $(cat "$T/out")"
[ -e "$T/fcgi.sock" ] && fail "serve created its socket despite the error"

exit 0
