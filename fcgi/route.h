/*
 * fcgi/route.h: map a request's path and method to a handler.
 *
 * One table holds every route.  A row's path is, by its kind:
 *   ROUTE_EXACT	the whole path ("/v2/", "/auth/token", "/healthz");
 *   ROUTE_PREFIX	a prefix ("/ui/": the UI, which routes its pages);
 *   ROUTE_REPO		a tail after "/v2/<name>" ("/tags/list"); a
 *			trailing '*' stands for the last segment.
 * route_lookup() is pure (no allocation, no I/O) and has its own unit
 * tests: the first row whose path and method match wins, and every row
 * whose path matches adds its methods to Allow (in a read-only
 * registry, only those that read).
 *
 * route_run() is the one place that decides who may do what, before
 * any handler runs: it validates the repository name once, refuses
 * writes in a read-only registry (405), checks registry credentials
 * through auth.h or the [metrics] ones, and calls the handler.  A path
 * that matches with the wrong method is 405 with Allow, an unknown path
 * 404.  The UI's pages answer in HTML and check access themselves
 * (ui_allow()), since what they show depends on their query.
 */
#ifndef SPECREG_FCGI_ROUTE_H
#define SPECREG_FCGI_ROUTE_H

#include "common/errors.h"
#include "fcgi/request.h"
#include "fcgi/route_id.h"

enum route_kind {
	ROUTE_REPO = 0,
	ROUTE_EXACT,
	ROUTE_PREFIX
};

/* Who may use a route, decided by route_run(). */
enum route_guard {
	ROUTE_OPEN = 0,		/* anyone: token, health, the UI's frame */
	ROUTE_PULL,		/* registry credentials, to read */
	ROUTE_PUSH,		/* to write; refused when read-only */
	ROUTE_SCRAPE		/* the [metrics] credentials, when set */
};

struct route {
	enum route_id		 id;
	unsigned		 methods;	/* M_GET | M_HEAD ... */
	enum route_kind		 kind;
	const char		*path;
	enum route_guard	 guard;
	enum reg_err		(*handler)(struct request *);
};

/* Match "path" against "/v2/<name><tail>": 0 and "out", or -1. */
int		route_match(const char *tail, const char *path,
		    struct route_args *);
/*
 * The route for "path" and "method" (an M_* bit), with "args" filled
 * for a ROUTE_REPO one, or NULL.  "allow" gets the methods the path
 * has: not 0 with NULL means 405, 0 means 404.
 */
const struct route *route_lookup(const char *path, unsigned method,
		    int read_only, struct route_args *args, unsigned *allow);
/* Look up, authorise and run the request's route. */
enum reg_err	route_run(struct request *);

#endif
