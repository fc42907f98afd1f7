/*
 * fcgi/route.h: map "/v2/<name>/<tail>" to a handler.
 *
 * route_match() is pure (no allocation, no I/O) and has its own unit
 * tests.  route_dispatch() validates the repository name once, checks
 * access through auth.h, and calls the handler; a path that matches
 * with the wrong method is 405 with Allow, an unknown path 404.
 *
 * Every route has an id, set in req->route before its handler runs,
 * which the metrics count by (a fixed set, known at compile time).
 * With [registry] read-only, route_dispatch() refuses every route that
 * needs write access with 405, in this one place.
 */
#ifndef SPECREG_FCGI_ROUTE_H
#define SPECREG_FCGI_ROUTE_H

#include "common/errors.h"
#include "fcgi/request.h"

enum route_id {
	ROUTE_NONE = 0,		/* no route: 404, or a request that failed early */
	ROUTE_BASE,
	ROUTE_CATALOG,
	ROUTE_TOKEN,
	ROUTE_HEALTHZ,
	ROUTE_READYZ,
	ROUTE_METRICS,
	ROUTE_TAGS,
	ROUTE_MANIFEST,
	ROUTE_BLOB,
	ROUTE_UPLOAD,
	ROUTE_REFERRERS,
	ROUTE_UI,		/* the web UI, "/" and "/ui/" */
	ROUTE__COUNT
};

/* The route's name in metrics labels: "manifest", "upload", ... */
const char	*route_name(unsigned);
int		route_match(const char *tail, const char *path,
		    struct route_args *);
enum reg_err	route_dispatch(struct request *);

#endif
