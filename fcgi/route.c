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

struct route {
	unsigned		 methods;	/* M_GET | M_HEAD ... */
	const char		*tail;		/* a trailing '*' is a segment */
	enum conf_access	 access;
	enum reg_err		(*handler)(struct request *);
};

/* First match wins: upload routes come before the plain blob routes. */
static const struct route routes[] = {
	{ M_GET|M_HEAD, "/tags/list", ACCESS_READ, h_tags_list },
	{ M_GET|M_HEAD, "/manifests/*", ACCESS_READ, h_manifest_get },
	{ M_PUT, "/manifests/*", ACCESS_WRITE, h_manifest_put },
	{ M_DELETE, "/manifests/*", ACCESS_WRITE, h_manifest_delete },
	{ M_POST, "/blobs/uploads/", ACCESS_WRITE, h_upload_start },
	{ M_GET, "/blobs/uploads/*", ACCESS_WRITE, h_upload_status },
	{ M_PATCH, "/blobs/uploads/*", ACCESS_WRITE, h_upload_chunk },
	{ M_PUT, "/blobs/uploads/*", ACCESS_WRITE, h_upload_finish },
	{ M_DELETE, "/blobs/uploads/*", ACCESS_WRITE, h_upload_cancel },
	{ M_GET|M_HEAD, "/blobs/*", ACCESS_READ, h_blob_get },
	{ M_DELETE, "/blobs/*", ACCESS_WRITE, h_blob_delete },
	{ M_GET, "/referrers/*", ACCESS_READ, h_referrers },
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

/* Paths without a repository. */
static enum reg_err
route_fixed(struct request *req, int *matched)
{
	*matched = 1;
	if (strcmp(req->path, "/v2/") == 0 || strcmp(req->path, "/v2") == 0) {
		req->allow = M_GET | M_HEAD;
		if ((req->method & req->allow) == 0)
			return (req_fail(req, REG_E_METHOD, "use GET"));
		return (h_base(req));
	}
	if (strcmp(req->path, "/v2/_catalog") == 0) {
		req->allow = M_GET;
		if ((req->method & req->allow) == 0)
			return (req_fail(req, REG_E_METHOD, "use GET"));
		return (h_catalog(req));
	}
	if (strcmp(req->path, "/auth/token") == 0) {
		req->allow = M_GET | M_POST;
		if ((req->method & req->allow) == 0)
			return (req_fail(req, REG_E_METHOD, "use GET"));
		return (h_token(req));
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
		req->allow |= routes[i].methods;
		if (found == NULL && (routes[i].methods & req->method) != 0) {
			found = &routes[i];
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
