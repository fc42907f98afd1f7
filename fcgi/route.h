/*
 * fcgi/route.h: map "/v2/<name>/<tail>" to a handler.
 *
 * route_match() is pure (no allocation, no I/O) and has its own unit
 * tests.  route_dispatch() validates the repository name once, checks
 * access through auth.h, and calls the handler; a path that matches
 * with the wrong method is 405 with Allow, an unknown path 404.
 */
#ifndef SPECREG_FCGI_ROUTE_H
#define SPECREG_FCGI_ROUTE_H

#include "common/errors.h"
#include "fcgi/request.h"

int		route_match(const char *tail, const char *path,
		    struct route_args *);
enum reg_err	route_dispatch(struct request *);

#endif
