/*
 * fcgi/prefetch.h: "specreg prefetch NAME:TAG...", which warms the
 * pull-through cache before a CI run.
 *
 * Each reference is pulled the way a client pulls it, through
 * exchange_run() on a request held in memory: the manifest by tag, the
 * manifests of an index by digest (every platform), then the config and
 * layers of each image.  Bodies are dropped; the store keeps what a
 * client's pull keeps.  Whoever runs the command on the host with the
 * configuration is the operator: the requests skip HTTP
 * authentication, so that restricted mode (a read user configured)
 * does not refuse them.
 */
#ifndef SPECREG_FCGI_PREFETCH_H
#define SPECREG_FCGI_PREFETCH_H

#include "common/conf.h"

/* 0 when every reference was pulled whole, else 1 (each failure logged). */
int		prefetch_main(const struct conf *, char **refs, int nrefs);

#endif
