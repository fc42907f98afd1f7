#!/bin/sh
# tests/integration/t0800-faults.sh: kill -9 under load.
#
# Three pushers upload images in chunks (slowly, so that kills land in
# the middle of PATCHes, final PUTs, the move into the blob store and
# manifest PUTs) and pull each one back, a reader checks all the while
# that every blob and tag is either absent or complete and right, and a
# killer SIGKILLs a random busy worker every 50-400 ms
# (tests/integration/faultload.py).  Clients retry like registry
# clients: resume an upload where its status says, or start over.
#
# Afterwards: every image pulls back intact, the supervisor replaced
# every worker (its log names each death) and kept the pool full,
# "specreg fsck" finds no problem, and every file under $DATA/blobs
# hashes to its name.
#
# 40 kills by default; SPECREG_LONG=1 makes it 200, SPECREG_KILLS=N
# anything.  The numbers are printed (and kept in $T/faults.json).
# storage: filesystem
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?}/tests/integration/lib.sh"

need_cmd python3
kills=${SPECREG_KILLS:-40}
[ "${SPECREG_LONG:-0}" = 1 ] && kills=${SPECREG_KILLS:-200}
SPECREG_WORKERS=${SPECREG_WORKERS:-4}
start_registry

sup=$SPECREG_PID
[ "$FRONT_SPAWNS" = 1 ] && sup=0
python3 "$top_srcdir/tests/integration/faultload.py" --url "$URL" \
    --data "$DATA" --bin "$FRONT_BIN" --supervisor "$sup" \
    --workers "$SPECREG_WORKERS" --kills "$kills" \
    --report "$T/faults.json" ${SPECREG_SEED:+--seed "$SPECREG_SEED"} ||
    fail "faultload found problems (above)"

if [ "$sup" != 0 ]; then
	pid_alive "$SPECREG_PID" || fail "the supervisor died"
	died=$(grep -c 'died (status 9)' "$T/specreg.log")
	echo "# supervisor log: $died workers died of SIGKILL and were replaced"
	[ "$died" -ge "$kills" ] ||
	    fail "$kills kills, but the supervisor saw $died deaths"
	n=$(pgrep -P "$SPECREG_PID" | wc -l)
	[ "$n" -eq "$SPECREG_WORKERS" ] ||
	    fail "$n workers at the end, not $SPECREG_WORKERS"
fi

# No process may hold a lock while fsck looks: stop serving first.
stop_frontend
stop_pool
"$SPECREG_BIN" -c "$T/specreg.ini" fsck >"$T/fsck.out" 2>&1 || {
	cat "$T/fsck.out" >&2
	fail "fsck found problems after the kills"
}
grep 'problems' "$T/fsck.out" | sed 's/^.*fsck: /# fsck: /'

# Independently of fsck: every blob is named by its content.
nblobs=0
find "$DATA/blobs/sha256" -type f ! -name '.*' >"$T/blobs.list"
while read -r f; do
	[ "$(sha256_of "$f")" = "${f##*/}" ] || fail "corrupt blob $f"
	nblobs=$((nblobs + 1))
done <"$T/blobs.list"
echo "# $nblobs blobs re-hashed, all good"
[ "$nblobs" -gt 0 ] || fail "no blobs in $DATA/blobs"
exit 0
