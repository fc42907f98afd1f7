/*
 * fcgi/route_id.c: the routes' names.
 */
#include "config.h"

#include "fcgi/route_id.h"

static const char *const route_id_names[ROUTE__COUNT] = {
	[ROUTE_NONE] = "none",
	[ROUTE_BASE] = "base",
	[ROUTE_CATALOG] = "catalog",
	[ROUTE_TOKEN] = "token",
	[ROUTE_HEALTHZ] = "healthz",
	[ROUTE_READYZ] = "readyz",
	[ROUTE_METRICS] = "metrics",
	[ROUTE_TAGS] = "tags",
	[ROUTE_MANIFEST] = "manifest",
	[ROUTE_BLOB] = "blob",
	[ROUTE_UPLOAD] = "upload",
	[ROUTE_REFERRERS] = "referrers",
	[ROUTE_UI] = "ui",
};

const char *
route_id_name(unsigned id)
{
	return (id < ROUTE__COUNT ? route_id_names[id] : "none");
}
