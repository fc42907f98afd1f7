/*
 * fcgi/route.c: map "/v2/<name>/<tail>" to a handler.
 */
#include "config.h"

#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "fcgi/auth.h"
#include "fcgi/handlers.h"
#include "fcgi/route.h"
#include "fcgi/ui.h"

struct route {
	enum route_id		 id;
	unsigned		 methods;	/* M_GET | M_HEAD ... */
	const char		*tail;		/* a trailing '*' is a segment */
	enum conf_access	 access;
	enum reg_err		(*handler)(struct request *);
};

/* First match wins: upload routes come before the plain blob routes. */
static const struct route routes[] = {
	{ ROUTE_TAGS, M_GET|M_HEAD, "/tags/list", ACCESS_READ, h_tags_list },
	{ ROUTE_MANIFEST, M_GET|M_HEAD, "/manifests/*", ACCESS_READ,
	    h_manifest_get },
	{ ROUTE_MANIFEST, M_PUT, "/manifests/*", ACCESS_WRITE,
	    h_manifest_put },
	{ ROUTE_MANIFEST, M_DELETE, "/manifests/*", ACCESS_WRITE,
	    h_manifest_delete },
	{ ROUTE_UPLOAD, M_POST, "/blobs/uploads/", ACCESS_WRITE,
	    h_upload_start },
	{ ROUTE_UPLOAD, M_GET, "/blobs/uploads/*", ACCESS_WRITE,
	    h_upload_status },
	{ ROUTE_UPLOAD, M_PATCH, "/blobs/uploads/*", ACCESS_WRITE,
	    h_upload_chunk },
	{ ROUTE_UPLOAD, M_PUT, "/blobs/uploads/*", ACCESS_WRITE,
	    h_upload_finish },
	{ ROUTE_UPLOAD, M_DELETE, "/blobs/uploads/*", ACCESS_WRITE,
	    h_upload_cancel },
	{ ROUTE_BLOB, M_GET|M_HEAD, "/blobs/*", ACCESS_READ, h_blob_get },
	{ ROUTE_BLOB, M_DELETE, "/blobs/*", ACCESS_WRITE, h_blob_delete },
	{ ROUTE_REFERRERS, M_GET, "/referrers/*", ACCESS_READ, h_referrers },
};

static const char *const route_names[ROUTE__COUNT] = {
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
route_name(unsigned id)
{
	return (id < ROUTE__COUNT ? route_names[id] : "none");
}

/*
 * Match "path" against "/v2/<name><tail>".  Names may contain '/', so
 * match from the end.  Returns 0 and fills "out" with slices into
 * "path", or -1.  No allocation, no I/O.
 */
int
route_match(const char *tail, const char *path, struct route_args *out)
{
	const char	*star, *seg, *end;
	size_t		 fixed;

	if (strncmp(path, "/v2/", 4) != 0)
		return (-1);
	path += 4;
	end = path + strlen(path);
	memset(out, 0, sizeof(*out));

	if ((star = strchr(tail, '*')) != NULL) {
		/* The argument is the last segment: non-empty, no '/'. */
		for (seg = end; seg > path && seg[-1] != '/'; seg--)
			;
		if (seg == end)
			return (-1);
		out->arg.p = seg;
		out->arg.len = (size_t)(end - seg);
		end = seg;
		fixed = (size_t)(star - tail);
	} else
		fixed = strlen(tail);

	/* What is left must be "<name>" followed by the fixed part. */
	if ((size_t)(end - path) <= fixed ||
	    memcmp(end - fixed, tail, fixed) != 0)
		return (-1);
	out->name.p = path;
	out->name.len = (size_t)(end - fixed - path);
	return (0);
}

/* Paths without a repository; the operator's need no credentials. */
static const struct {
	const char		*path;
	enum route_id		 id;
	unsigned		 methods;
	enum reg_err		(*handler)(struct request *);
} route_fixed_paths[] = {
	{ "/v2/", ROUTE_BASE, M_GET|M_HEAD, h_base },
	{ "/v2", ROUTE_BASE, M_GET|M_HEAD, h_base },
	{ "/v2/_catalog", ROUTE_CATALOG, M_GET, h_catalog },
	{ "/auth/token", ROUTE_TOKEN, M_GET|M_POST, h_token },
	{ "/healthz", ROUTE_HEALTHZ, M_GET|M_HEAD, h_healthz },
	{ "/readyz", ROUTE_READYZ, M_GET|M_HEAD, h_readyz },
	{ "/metrics", ROUTE_METRICS, M_GET|M_HEAD, h_metrics },
};

static enum reg_err
route_fixed(struct request *req, int *matched)
{
	size_t	i;

	for (i = 0; i < nitems(route_fixed_paths); i++) {
		if (strcmp(req->path, route_fixed_paths[i].path) != 0)
			continue;
		*matched = 1;
		req->route = route_fixed_paths[i].id;
		req->allow = route_fixed_paths[i].methods;
		if ((req->method & req->allow) == 0)
			return (req_fail(req, REG_E_METHOD, "%s not allowed here",
			    req->method_name));
		return (route_fixed_paths[i].handler(req));
	}
	if (ui_path(req->path)) {
		*matched = 1;
		req->route = ROUTE_UI;
		return (ui_dispatch(req));
	}
	*matched = 0;
	return (REG_OK);
}

static enum reg_err
route_run(struct request *req, const struct route *r)
{
	enum reg_err	err;

	if (!name_valid(req->args.name.p, req->args.name.len))
		return (req_fail(req, REG_E_NAME_INVALID, "invalid name"));
	memcpy(req->name, req->args.name.p, req->args.name.len);
	req->name[req->args.name.len] = '\0';
	if (r->access == ACCESS_WRITE && req->conf->read_only)
		return (req_fail(req, REG_E_METHOD, "the registry is "
		    "read-only: %s is refused, pulls go on",
		    req->method_name));
	if ((err = auth_check(req, req->name, r->access)) != REG_OK)
		return (err);
	return (r->handler(req));
}

enum reg_err
route_dispatch(struct request *req)
{
	const struct route	*found = NULL;
	struct route_args	 args;
	enum reg_err		 err;
	size_t			 i;
	int			 matched;

	if ((err = route_fixed(req, &matched)) != REG_OK || matched)
		return (err);
	for (i = 0; i < nitems(routes); i++) {
		if (route_match(routes[i].tail, req->path, &args) == -1)
			continue;
		/* Allow: what a read-only registry still does. */
		if (routes[i].access == ACCESS_READ || !req->conf->read_only)
			req->allow |= routes[i].methods;
		if (found == NULL && (routes[i].methods & req->method) != 0) {
			found = &routes[i];
			req->route = found->id;
			req->args = args;
		}
	}
	if (found != NULL)
		return (route_run(req, found));
	if (req->allow != 0)
		return (req_fail(req, REG_E_METHOD, "%s not allowed here",
		    req->method_name));
	return (req_fail(req, REG_E_NO_ROUTE, "no route for %s", req->path));
}
