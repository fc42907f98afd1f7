/*
 * fcgi/exchange.h: run one request, from its CGI parameters to its log
 * line.
 *
 * exchange_run() parses the request (request.h), routes, authorises and
 * runs it (route.h), renders any error a handler returned
 * (response.h), counts it (metrics.h) and logs it.  It sits above the
 * route table, so that request.c, route.c and the handlers never
 * include each other in a circle.
 */
#ifndef SPECREG_FCGI_EXCHANGE_H
#define SPECREG_FCGI_EXCHANGE_H

#include "fcgi/request.h"

/* Parse, authorise, route and answer; every outcome is a response. */
void	exchange_run(struct request *);

#endif
