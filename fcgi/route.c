/*
 * fcgi/route.c: the route table, its lookup, and who may use a route.
 */
#include "config.h"

#include <string.h>

#include "common/util.h"
#include "fcgi/auth.h"
#include "fcgi/handlers.h"
#include "fcgi/route.h"
#include "fcgi/ui.h"

#define M_ANY	(M_GET | M_HEAD | M_POST | M_PUT | M_PATCH | M_DELETE | \
	M_OPTIONS | M_OTHER)

/*
 * First match wins: the paths without a repository come first, and
 * upload routes before the plain blob routes.
 */
static const struct route route_table[] = {
	{ ROUTE_BASE, M_GET|M_HEAD, ROUTE_EXACT, "/v2/", ROUTE_PULL, h_base },
	{ ROUTE_BASE, M_GET|M_HEAD, ROUTE_EXACT, "/v2", ROUTE_PULL, h_base },
	{ ROUTE_CATALOG, M_GET, ROUTE_EXACT, "/v2/_catalog", ROUTE_PULL,
	    h_catalog },
	{ ROUTE_TOKEN, M_GET|M_POST, ROUTE_EXACT, "/auth/token", ROUTE_OPEN,
	    h_token },
	{ ROUTE_HEALTHZ, M_GET|M_HEAD, ROUTE_EXACT, "/healthz", ROUTE_OPEN,
	    h_healthz },
	{ ROUTE_READYZ, M_GET|M_HEAD, ROUTE_EXACT, "/readyz", ROUTE_OPEN,
	    h_readyz },
	{ ROUTE_METRICS, M_GET|M_HEAD, ROUTE_EXACT, "/metrics", ROUTE_SCRAPE,
	    h_metrics },
	/* The UI answers every method itself, in HTML. */
	{ ROUTE_UI, M_ANY, ROUTE_EXACT, "/", ROUTE_OPEN, ui_dispatch },
	{ ROUTE_UI, M_ANY, ROUTE_PREFIX, "/ui/", ROUTE_OPEN, ui_dispatch },
	{ ROUTE_TAGS, M_GET|M_HEAD, ROUTE_REPO, "/tags/list", ROUTE_PULL,
	    h_tags_list },
	{ ROUTE_MANIFEST, M_GET|M_HEAD, ROUTE_REPO, "/manifests/*",
	    ROUTE_PULL, h_manifest_get },
	{ ROUTE_MANIFEST, M_PUT, ROUTE_REPO, "/manifests/*", ROUTE_PUSH,
	    h_manifest_put },
	{ ROUTE_MANIFEST, M_DELETE, ROUTE_REPO, "/manifests/*", ROUTE_PUSH,
	    h_manifest_delete },
	{ ROUTE_UPLOAD, M_POST, ROUTE_REPO, "/blobs/uploads/", ROUTE_PUSH,
	    h_upload_start },
	{ ROUTE_UPLOAD, M_GET, ROUTE_REPO, "/blobs/uploads/*", ROUTE_PUSH,
	    h_upload_status },
	{ ROUTE_UPLOAD, M_PATCH, ROUTE_REPO, "/blobs/uploads/*", ROUTE_PUSH,
	    h_upload_chunk },
	{ ROUTE_UPLOAD, M_PUT, ROUTE_REPO, "/blobs/uploads/*", ROUTE_PUSH,
	    h_upload_finish },
	{ ROUTE_UPLOAD, M_DELETE, ROUTE_REPO, "/blobs/uploads/*", ROUTE_PUSH,
	    h_upload_cancel },
	{ ROUTE_BLOB, M_GET|M_HEAD, ROUTE_REPO, "/blobs/*", ROUTE_PULL,
	    h_blob_get },
	{ ROUTE_BLOB, M_DELETE, ROUTE_REPO, "/blobs/*", ROUTE_PUSH,
	    h_blob_delete },
	{ ROUTE_REFERRERS, M_GET, ROUTE_REPO, "/referrers/*", ROUTE_PULL,
	    h_referrers },
};

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

/* Does row "r" match "path"?  0, or -1. */
static int
route_path_matches(const struct route *r, const char *path,
    struct route_args *args)
{
	switch (r->kind) {
	case ROUTE_EXACT:
		return (strcmp(path, r->path) == 0 ? 0 : -1);
	case ROUTE_PREFIX:
		return (strncmp(path, r->path, strlen(r->path)) == 0 ? 0 : -1);
	case ROUTE_REPO:
		return (route_match(r->path, path, args));
	}
	return (-1);
}

const struct route *
route_lookup(const char *path, unsigned method, int read_only,
    struct route_args *args, unsigned *allow)
{
	const struct route	*found = NULL;
	struct route_args	 a;
	size_t			 i;

	memset(args, 0, sizeof(*args));
	*allow = 0;
	for (i = 0; i < nitems(route_table); i++) {
		memset(&a, 0, sizeof(a));
		if (route_path_matches(&route_table[i], path, &a) == -1)
			continue;
		/* Allow: what a read-only registry still does. */
		if (route_table[i].guard != ROUTE_PUSH || !read_only)
			*allow |= route_table[i].methods;
		if (found == NULL && (route_table[i].methods & method) != 0) {
			found = &route_table[i];
			*args = a;
		}
	}
	return (found);
}

/* The repository name from the path, validated once for every handler. */
static enum reg_err
route_set_name(struct request *req)
{
	if (!name_valid(req->args.name.p, req->args.name.len))
		return (req_fail(req, REG_E_NAME_INVALID, "invalid name"));
	memcpy(req->name, req->args.name.p, req->args.name.len);
	req->name[req->args.name.len] = '\0';
	return (REG_OK);
}

enum reg_err
route_run(struct request *req)
{
	const struct route	*r;
	const char		*name;
	enum reg_err		 err = REG_OK;

	r = route_lookup(req->path, req->method, req->conf->read_only,
	    &req->args, &req->allow);
	if (r == NULL && req->allow != 0)
		return (req_fail(req, REG_E_METHOD, "%s not allowed here",
		    req->method_name));
	if (r == NULL)
		return (req_fail(req, REG_E_NO_ROUTE, "no route for %s",
		    req->path));
	req->route = r->id;
	if (r->kind == ROUTE_REPO && (err = route_set_name(req)) != REG_OK)
		return (err);
	name = r->kind == ROUTE_REPO ? req->name : NULL;
	switch (r->guard) {
	case ROUTE_OPEN:
		break;
	case ROUTE_PULL:
		err = auth_check(req, name, ACCESS_READ);
		break;
	case ROUTE_PUSH:
		if (req->conf->read_only)
			return (req_fail(req, REG_E_METHOD, "the registry is "
			    "read-only: %s is refused, pulls go on",
			    req->method_name));
		err = auth_check(req, name, ACCESS_WRITE);
		break;
	case ROUTE_SCRAPE:
		err = auth_scrape(req);
		break;
	}
	if (err != REG_OK)
		return (err);
	return (r->handler(req));
}
