/*
 * fcgi/metrics.h: the figures of GET /metrics, counted for the whole pool.
 *
 * One table of fixed size (routes, methods, statuses and histogram
 * buckets are known at compile time) lives in a MAP_SHARED mapping that
 * every process of the pool updates: anonymous, mapped by the
 * supervisor of "serve --listen" before it forks, or a file that each
 * worker a web server spawns (mod_fcgid, spawn-fcgi) maps by name
 * ([metrics] file; by default .specreg-metrics under the storage root,
 * a name the store's listings skip).  Updates are relaxed atomic adds:
 * no lock on the request path.  Until metrics_open_*() succeeds (unit
 * tests, check-config) every update is a no-op.
 */
#ifndef SPECREG_FCGI_METRICS_H
#define SPECREG_FCGI_METRICS_H

#include <stdint.h>

#include "common/buf.h"
#include "common/conf.h"

enum metrics_counter {
	MET_UPLOADS_STARTED = 0,
	MET_UPLOADS_FINISHED,
	MET_UPLOADS_FAILED,
	MET_BLOBS_PUSHED,
	MET_MANIFESTS_PUSHED,
	MET_PULL_HITS,		/* upstream had what the store lacked */
	MET_PULL_MISSES,	/* upstream did not have it either */
	MET_PULL_ERRORS,	/* upstream failed or sent something wrong */
	MET_PULL_CACHED,	/* served from the cache, upstream not asked */
	MET_PULL_STALE,		/* served from the cache, upstream out */
	MET_PRUNE_RUNS,
	MET_PRUNE_FREED_BYTES,
	MET_WORKER_STARTS,
	MET_WORKER_RESTARTS,	/* by the supervisor, after a worker died */
	MET__COUNT
};

/* An anonymous shared mapping for the processes forked after it. */
int		metrics_open_shared(void);
/*
 * Map the file "path", creating it (mode 0600) if "create".  -1 after
 * logging if it cannot be mapped or holds another layout.
 */
int		metrics_open_file(const char *path, int create);
/* The file of a pool that a web server spawns: [metrics] file or default. */
int		metrics_file_path(const struct conf *, struct buf *);
void		metrics_add(enum metrics_counter, uint64_t);
/* One answered request: route id, M_* method, status, bytes, duration. */
void		metrics_request(unsigned route, unsigned method, int status,
		    uint64_t received, uint64_t sent, uint64_t usec);
/* Append the Prometheus text exposition (format 0.0.4). */
void		metrics_render(struct buf *);

#endif
