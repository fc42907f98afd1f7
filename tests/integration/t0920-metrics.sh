#!/bin/sh
# tests/integration/t0920-metrics.sh: GET /metrics after known traffic,
# sent in parallel so that several workers answer it: every scrape, by
# whichever worker, shows the whole pool's counts (requests by route,
# method and status, the latency histogram, bytes, uploads, blobs and
# manifests pushed).  [metrics] credentials are required when set.
# promtool accepts the exposition, and a real Prometheus server on
# 127.0.0.1 scrapes it.  Behind lighttpd specreg's supervisor shares
# the counters; behind apache-fcgid (or lighttpd-spawn) the workers the
# web server spawns share a file under the storage root.
# storage: filesystem
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?}/tests/integration/lib.sh"
need_cmd jq
SPECREG_INI_EXTRA='[metrics]
username = scraper
password = s3cret-scrape'
start_registry
R=metrics/img
OCI=application/vnd.oci.image.manifest.v1+json
CREDS=scraper:s3cret-scrape
PROM_PID=

# value SERIES: the value of SERIES (name and labels, exactly as
# exposed) in the last scrape in $T/body, or nothing.
value() {
	awk -v s="$1" '$1 == s { print $2 }' "$T/body"
}

# expect_value SERIES N: SERIES is N in the last scrape.
expect_value() {
	[ "$(value "$1")" = "$2" ] ||
	    fail "$1 is '$(value "$1")', expected $2"
}

# have_tool TOOL: true if TOOL is there; else say so, or fail under
# SPECREG_NO_SKIP=1 (the rest of the test still runs).
have_tool() {
	command -v "$1" >/dev/null 2>&1 && return 0
	[ "${SPECREG_NO_SKIP:-0}" = 1 ] && fail "$1 is not installed"
	echo "# $1 is not installed: that part is skipped"
	return 1
}

# heads N: N HEADs of the first blob, one status a line in $T/heads.$$.
heads() {
	_h_i=0
	while [ "$_h_i" -lt "$1" ]; do
		curl -s -m 30 -o /dev/null -w '%{http_code}\n' -I \
		    "$URL/v2/$R/blobs/$d1" >>"$T/heads.$2"
		_h_i=$((_h_i + 1))
	done
}

# The known traffic: two blobs and a manifest pushed; two status
# requests on an upload whose lock is held, so that each keeps a worker
# busy for three seconds (a web server that spawns workers must start
# others); meanwhile 40 HEADs from four clients at once.
printf 'blob one' >"$T/b1"
printf 'blob two!' >"$T/b2"
d1=$(push_blob "$R" "$T/b1")
d2=$(push_blob "$R" "$T/b2")
printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":8},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":9}]}' \
    "$OCI" "$d1" "$d2" >"$T/manifest"
expect_status 201 -X PUT -H "Content-Type: $OCI" \
    --data-binary "@$T/manifest" "$URL/v2/$R/manifests/v1"
expect_status 202 -X POST -H 'Content-Length: 0' "$URL/v2/$R/blobs/uploads/"
held=$(header Location)
case $held in http*) ;; *) held=$URL$held ;; esac
uuid=${held##*/}
hold_upload_lock "${uuid%%\?*}" 3
curl -s -m 30 -o /dev/null -w '%{http_code}\n' "$held" >"$T/held.1" & b1=$!
curl -s -m 30 -o /dev/null -w '%{http_code}\n' "$held" >"$T/held.2" & b2=$!
heads 10 1 & p1=$!
heads 10 2 & p2=$!
heads 10 3 & p3=$!
heads 10 4 & p4=$!
wait "$p1" "$p2" "$p3" "$p4" "$b1" "$b2" "$HOLDER_PID"
[ "$(cat "$T"/heads.* | grep -c '^200$')" = 40 ] ||
    fail "HEADs: $(sort "$T"/heads.* | uniq -c | tr '\n' ' ')"
[ "$(cat "$T"/held.*)" = "204
204" ] || fail "status of the held upload: $(cat "$T"/held.*)"
if [ -s "$T/specreg.log" ]; then
	workers=$(grep -E "(HEAD|GET) /v2/$R/blobs/" "$T/specreg.log" |
	    sed -n 's/.*specreg\[\([0-9]*\)\].*/\1/p' | sort -u | wc -l)
	[ "$workers" -ge 2 ] ||
	    fail "the requests went to $workers worker(s); the test needs several"
	echo "# $workers workers answered the requests counted"
else
	# apache-shared: specreg logs to Apache's error log, without DEBUG.
	workers=1
	echo "# no specreg.log behind $SPECREG_FRONTEND: which workers answered is unknown"
fi

# Credentials: none or wrong is 401 with a Basic challenge.
expect_status 401 "$URL/metrics"
case $(header WWW-Authenticate) in
Basic*)	;;
*)	fail "401 challenge is '$(header WWW-Authenticate)'" ;;
esac
expect_status 401 -u scraper:wrong "$URL/metrics"

# Four scrapes at once, answered by whichever workers: all see the
# pool's totals.
for i in 1 2 3 4; do
	curl -s -m 30 -u "$CREDS" -o "$T/scrape.$i" "$URL/metrics" &
	eval "s$i=\$!"
done
# shellcheck disable=SC2154 # s1..s4 are set by the eval above
wait "$s1" "$s2" "$s3" "$s4"
for i in 1 2 3 4; do
	cp "$T/scrape.$i" "$T/body"
	expect_value 'specreg_http_requests_total{route="blob",method="HEAD",status="200"}' 40
done

expect_status 200 -u "$CREDS" "$URL/metrics"
case $(header Content-Type) in
'text/plain; version=0.0.4'*)	;;
*)	fail "Content-Type is '$(header Content-Type)'" ;;
esac
expect_value 'specreg_http_requests_total{route="blob",method="HEAD",status="200"}' 40
expect_value 'specreg_http_requests_total{route="upload",method="POST",status="202"}' 3
expect_value 'specreg_http_requests_total{route="upload",method="GET",status="204"}' 2
expect_value 'specreg_http_requests_total{route="upload",method="PUT",status="201"}' 2
expect_value 'specreg_http_requests_total{route="manifest",method="PUT",status="201"}' 1
expect_value 'specreg_http_requests_total{route="metrics",method="GET",status="401"}' 2
expect_value 'specreg_http_request_duration_seconds_count{route="blob"}' 40
expect_value 'specreg_http_request_duration_seconds_bucket{route="blob",le="+Inf"}' 40
expect_value 'specreg_http_received_bytes_total{route="upload"}' 17
expect_value 'specreg_http_received_bytes_total{route="manifest"}' \
    "$(wc -c <"$T/manifest" | tr -d ' ')"
expect_value specreg_uploads_started_total 3
expect_value specreg_uploads_finished_total 2
expect_value specreg_uploads_failed_total 0
expect_value specreg_blobs_pushed_total 2
expect_value specreg_manifests_pushed_total 1
expect_value specreg_pull_through_hits_total 0
[ "$(value specreg_worker_starts_total)" -ge "$workers" ] ||
    fail "specreg_worker_starts_total is $(value specreg_worker_starts_total)"

# An upload cut short counts as failed.
expect_status 202 -X POST -H 'Content-Length: 0' "$URL/v2/$R/blobs/uploads/"
loc=$(header Location)
case $loc in http*) ;; *) loc=$URL$loc ;; esac
case $loc in *\?*) loc="$loc&" ;; *) loc="$loc?" ;; esac
expect_status 400 -X PUT -T "$T/b1" "${loc}digest=$d2"
expect_status 200 -u "$CREDS" "$URL/metrics"
expect_value specreg_uploads_started_total 4
expect_value specreg_uploads_failed_total 1

if have_tool promtool; then
	promtool check metrics <"$T/body" >"$T/promtool.out" 2>&1 ||
	    fail "promtool check metrics: $(cat "$T/promtool.out")"
fi

# A Prometheus server of its own scrapes the registry every second.
have_tool prometheus || exit 0
stop_prometheus() {
	[ -z "$PROM_PID" ] || stop_pid "$PROM_PID"
	PROM_PID=
}
for try in 1 2 3; do
	PROM=127.0.0.1:$(free_port)
	cat >"$T/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: specreg
    static_configs:
      - targets: ['$HOSTPORT']
    basic_auth:
      username: scraper
      password: s3cret-scrape
YML
	# Bounded: it stops by itself even if this test dies.
	timeout 120 prometheus --config.file="$T/prometheus.yml" \
	    --storage.tsdb.path="$T/prometheus" \
	    --web.listen-address="$PROM" </dev/null \
	    >"$T/prometheus.log" 2>&1 &
	PROM_PID=$!
	# (PROM_PID is timeout's: ask Prometheus itself whether it is up.)
	n=0
	while [ "$n" -lt 100 ] && pid_alive "$PROM_PID" &&
	    ! curl -sf -m 2 -o /dev/null "http://$PROM/-/ready"; do
		n=$((n + 1))
		sleep 0.2
	done
	curl -sf -m 2 -o /dev/null "http://$PROM/-/ready" && break
	stop_prometheus
	[ "$try" -lt 3 ] || harness_error "prometheus did not start: $(tail -5 "$T/prometheus.log")"
done
n=0
got=
while [ "$n" -lt 60 ]; do
	got=$(curl -s -m 5 -G "http://$PROM/api/v1/query" --data-urlencode \
	    'query=specreg_http_requests_total{route="blob",method="HEAD",status="200"}' |
	    jq -r '.data.result[0].value[1] // empty' 2>/dev/null) || true
	[ -n "$got" ] && break
	n=$((n + 1))
	sleep 0.5
done
stop_prometheus
[ "$got" = 40 ] || fail "Prometheus has '$got' for the blob HEADs, not 40: $(tail -5 "$T/prometheus.log")"
