/*
 * fcgi/route_id.h: the routes' ids and names, what the metrics and the
 * request log count and name requests by.
 *
 * Below everything that uses them (metrics.c, exchange.c, route.c), so
 * that counting a request needs nothing from the route table.
 */
#ifndef SPECREG_FCGI_ROUTE_ID_H
#define SPECREG_FCGI_ROUTE_ID_H

enum route_id {
	ROUTE_NONE = 0,		/* no route: 404, 405, or failed early */
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

/* The route's name in metrics labels and logs: "manifest", "upload"... */
const char	*route_id_name(unsigned);

#endif
