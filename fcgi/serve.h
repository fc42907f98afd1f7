/*
 * fcgi/serve.h: serving FastCGI requests.
 *
 * serve_main() serves the socket the web server gave us on fd 0, or,
 * with "listen" set, binds it once and runs a pre-fork supervisor that
 * keeps "workers" processes accepting on it, replaces any that die and
 * on SIGTERM lets in-flight requests finish.  On SIGHUP the supervisor
 * reads the configuration file again: a valid one (with the same
 * command-line flags applied) replaces the workers, which finish their
 * requests first; an invalid one is logged on one line and the old one
 * keeps serving.  The listening address stays until a restart.
 */
#ifndef SPECREG_FCGI_SERVE_H
#define SPECREG_FCGI_SERVE_H

#include "common/conf.h"

/* What the command line says over the file: applied again on SIGHUP. */
struct serve_args {
	const char	*listen;	/* NULL: the file's [serve] listen */
	uint64_t	 workers;	/* 0: the file's [serve] workers */
	int		 debug;
};

void	serve_args_apply(const struct serve_args *, struct conf *);
/* "conf" was loaded from conf->path, with serve_args_apply() done. */
int	serve_main(const struct conf *, const struct serve_args *);

#endif
