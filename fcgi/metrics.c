/*
 * fcgi/metrics.c: counters in shared memory, rendered for Prometheus.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <inttypes.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "fcgi/metrics.h"
#include "fcgi/request.h"
#include "fcgi/route_id.h"

/* Bumped with any change of struct metrics_map. */
#define METRICS_MAGIC	UINT64_C(0x73706d6574726901)	/* "spmetri" 1 */
#define METRICS_METHODS	8			/* M_GET .. M_OTHER */

static const int metrics_statuses[] = {
	200, 201, 202, 204, 206, 307, 400, 401, 403, 404, 405, 411, 413,
	416, 429, 500, 502, 503, 507
};
#define METRICS_STATUSES	(nitems(metrics_statuses) + 1)	/* + other */

/* Upper bounds of the latency buckets, in microseconds; then +Inf. */
static const uint64_t metrics_bounds[] = {
	1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000, 10000000, 30000000, 60000000
};
#define METRICS_BUCKETS		(nitems(metrics_bounds) + 1)

static const char *const metrics_methods[METRICS_METHODS] = {
	"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"
};

static const struct {
	const char	*name;
	const char	*help;
} metrics_counters[MET__COUNT] = {
	[MET_UPLOADS_STARTED] = { "specreg_uploads_started_total",
	    "Blob uploads started (POST to /blobs/uploads/)." },
	[MET_UPLOADS_FINISHED] = { "specreg_uploads_finished_total",
	    "Blob uploads completed into a blob." },
	[MET_UPLOADS_FAILED] = { "specreg_uploads_failed_total",
	    "Upload requests that failed (body cut short, digest or "
	    "range wrong, store error)." },
	[MET_BLOBS_PUSHED] = { "specreg_blobs_pushed_total",
	    "Blobs pushed: uploads completed and cross-repository mounts." },
	[MET_MANIFESTS_PUSHED] = { "specreg_manifests_pushed_total",
	    "Manifests pushed." },
	[MET_PULL_HITS] = { "specreg_pull_through_hits_total",
	    "Pull-through: upstream served what the store lacked." },
	[MET_PULL_MISSES] = { "specreg_pull_through_misses_total",
	    "Pull-through: upstream did not have it either." },
	[MET_PULL_ERRORS] = { "specreg_pull_through_upstream_errors_total",
	    "Pull-through: upstream failed or answered wrongly." },
	[MET_PULL_CACHED] = { "specreg_pull_through_cached_total",
	    "Pull-through: manifests served from the cache, fresh or "
	    "confirmed by a HEAD." },
	[MET_PULL_STALE] = { "specreg_pull_through_stale_total",
	    "Pull-through: manifests served from the cache because the "
	    "upstream failed." },
	[MET_PRUNE_RUNS] = { "specreg_prune_runs_total",
	    "Prune runs finished." },
	[MET_PRUNE_FREED_BYTES] = { "specreg_prune_freed_bytes_total",
	    "Bytes freed by prune runs." },
	[MET_WORKER_STARTS] = { "specreg_worker_starts_total",
	    "Worker processes started." },
	[MET_WORKER_RESTARTS] = { "specreg_worker_restarts_total",
	    "Workers the supervisor replaced after they died." },
};

struct metrics_map {
	uint64_t	magic;
	uint64_t	requests[ROUTE__COUNT][METRICS_METHODS][METRICS_STATUSES];
	uint64_t	latency[ROUTE__COUNT][METRICS_BUCKETS];
	uint64_t	latency_usec[ROUTE__COUNT];
	uint64_t	received[ROUTE__COUNT];
	uint64_t	sent[ROUTE__COUNT];
	uint64_t	counters[MET__COUNT];
};

static struct metrics_map	*metrics;

#define METRICS_ADD(p, n)	__atomic_fetch_add((p), (n), __ATOMIC_RELAXED)
#define METRICS_GET(p)		__atomic_load_n((p), __ATOMIC_RELAXED)

int
metrics_open_shared(void)
{
	void	*p;

	p = mmap(NULL, sizeof(*metrics), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		log_warn("metrics: mmap");
		return (-1);
	}
	metrics = p;
	metrics->magic = METRICS_MAGIC;
	return (0);
}

/* A new file is all zeroes: the first to map it claims it. */
static int
metrics_claim(struct metrics_map *m, const char *path)
{
	uint64_t	zero = 0;

	if (__atomic_compare_exchange_n(&m->magic, &zero, METRICS_MAGIC, 0,
	    __ATOMIC_RELAXED, __ATOMIC_RELAXED) || zero == METRICS_MAGIC)
		return (0);
	log_warnx("metrics: %s holds another layout; remove it", path);
	return (-1);
}

int
metrics_open_file(const char *path, int create)
{
	struct stat	 st;
	void		*p;
	int		 fd;

	if ((fd = open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0),
	    0600)) == -1) {
		if (create)
			log_warn("metrics: %s", path);
		return (-1);
	}
	if (fstat(fd, &st) == -1 || (st.st_size == 0 &&
	    ftruncate(fd, (off_t)sizeof(*metrics)) == -1)) {
		log_warn("metrics: %s", path);
		close(fd);
		return (-1);
	}
	if (st.st_size != 0 && st.st_size != (off_t)sizeof(*metrics)) {
		log_warnx("metrics: %s holds another layout; remove it", path);
		close(fd);
		return (-1);
	}
	p = mmap(NULL, sizeof(*metrics), PROT_READ | PROT_WRITE, MAP_SHARED,
	    fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		log_warn("metrics: mmap %s", path);
		return (-1);
	}
	if (metrics_claim(p, path) == -1) {
		munmap(p, sizeof(*metrics));
		return (-1);
	}
	metrics = p;
	return (0);
}

/*
 * The file spawned workers share their counters in: [metrics] file, or
 * one under the storage root.  -1 when there is neither (a store
 * without a local root, such as Swift, and no file configured).
 */
int
metrics_file_path(const struct conf *conf, struct buf *out)
{
	const char	*root;

	buf_reset(out);
	if (conf->metrics_file != NULL) {
		buf_addstr(out, conf->metrics_file);
		return (0);
	}
	if ((root = conf_storage_get(conf, "root")) == NULL)
		return (-1);
	buf_addf(out, "%s/.specreg-metrics", root);
	return (0);
}

void
metrics_add(enum metrics_counter c, uint64_t n)
{
	if (metrics != NULL)
		METRICS_ADD(&metrics->counters[c], n);
}

static size_t
metrics_status_index(int status)
{
	size_t	i;

	for (i = 0; i < nitems(metrics_statuses); i++)
		if (metrics_statuses[i] == status)
			break;
	return (i);
}

void
metrics_request(unsigned route, unsigned method, int status,
    uint64_t received, uint64_t sent, uint64_t usec)
{
	size_t	b, m;

	if (metrics == NULL)
		return;
	if (route >= ROUTE__COUNT)
		route = ROUTE_NONE;
	m = method != 0 ? (size_t)__builtin_ctz(method) : METRICS_METHODS - 1;
	if (m >= METRICS_METHODS)
		m = METRICS_METHODS - 1;
	METRICS_ADD(&metrics->requests[route][m][metrics_status_index(status)],
	    1);
	for (b = 0; b < nitems(metrics_bounds) && usec > metrics_bounds[b]; b++)
		;
	METRICS_ADD(&metrics->latency[route][b], 1);
	METRICS_ADD(&metrics->latency_usec[route], usec);
	if (received > 0)
		METRICS_ADD(&metrics->received[route], received);
	if (sent > 0)
		METRICS_ADD(&metrics->sent[route], sent);
}

static void
metrics_head(struct buf *out, const char *name, const char *type,
    const char *help)
{
	buf_addf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
metrics_render_requests(struct buf *out)
{
	uint64_t	v;
	size_t		r, m, s;

	metrics_head(out, "specreg_http_requests_total", "counter",
	    "Requests answered, by route, method and status.");
	for (r = 0; r < ROUTE__COUNT; r++)
		for (m = 0; m < METRICS_METHODS; m++)
			for (s = 0; s < METRICS_STATUSES; s++) {
				v = METRICS_GET(&metrics->requests[r][m][s]);
				if (v == 0)
					continue;
				buf_addf(out, "specreg_http_requests_total{"
				    "route=\"%s\",method=\"%s\",", route_id_name(
				    (unsigned)r), metrics_methods[m]);
				if (s < nitems(metrics_statuses))
					buf_addf(out, "status=\"%d\"}",
					    metrics_statuses[s]);
				else
					buf_addstr(out, "status=\"other\"}");
				buf_addf(out, " %" PRIu64 "\n", v);
			}
}

/* Cumulative buckets and a count that add up, whatever runs meanwhile. */
static void
metrics_render_latency(struct buf *out)
{
	const char	*name = "specreg_http_request_duration_seconds";
	uint64_t	 n[METRICS_BUCKETS], sum;
	size_t		 r, b;

	metrics_head(out, name, "histogram", "Time from the request's "
	    "parameters to the end of its response, by route.");
	for (r = 0; r < ROUTE__COUNT; r++) {
		for (sum = 0, b = 0; b < METRICS_BUCKETS; b++)
			sum += n[b] = METRICS_GET(&metrics->latency[r][b]);
		if (sum == 0)
			continue;
		for (sum = 0, b = 0; b < METRICS_BUCKETS; b++) {
			sum += n[b];
			if (b < nitems(metrics_bounds))
				buf_addf(out, "%s_bucket{route=\"%s\",le=\"%g\"}"
				    " %" PRIu64 "\n", name, route_id_name(
				    (unsigned)r),
				    (double)metrics_bounds[b] / 1e6, sum);
			else
				buf_addf(out, "%s_bucket{route=\"%s\","
				    "le=\"+Inf\"} %" PRIu64 "\n", name,
				    route_id_name((unsigned)r), sum);
		}
		buf_addf(out, "%s_sum{route=\"%s\"} %.6f\n", name,
		    route_id_name((unsigned)r),
		    (double)METRICS_GET(&metrics->latency_usec[r]) / 1e6);
		buf_addf(out, "%s_count{route=\"%s\"} %" PRIu64 "\n", name,
		    route_id_name((unsigned)r), sum);
	}
}

static void
metrics_render_bytes(struct buf *out, const char *name, const char *help,
    const uint64_t *per_route)
{
	uint64_t	v;
	size_t		r;

	metrics_head(out, name, "counter", help);
	for (r = 0; r < ROUTE__COUNT; r++)
		if ((v = METRICS_GET(&per_route[r])) != 0)
			buf_addf(out, "%s{route=\"%s\"} %" PRIu64 "\n", name,
			    route_id_name((unsigned)r), v);
}

void
metrics_render(struct buf *out)
{
	size_t	i;

	if (metrics == NULL)
		return;
	metrics_render_requests(out);
	metrics_render_latency(out);
	metrics_render_bytes(out, "specreg_http_received_bytes_total",
	    "Request body bytes read, by route.", metrics->received);
	metrics_render_bytes(out, "specreg_http_sent_bytes_total",
	    "Response body bytes specreg wrote, by route (not what a web "
	    "server sent for it with X-Sendfile).", metrics->sent);
	for (i = 0; i < MET__COUNT; i++) {
		metrics_head(out, metrics_counters[i].name, "counter",
		    metrics_counters[i].help);
		buf_addf(out, "%s %" PRIu64 "\n", metrics_counters[i].name,
		    METRICS_GET(&metrics->counters[i]));
	}
}
