/*
 * fcgi/serve.h: serving FastCGI requests.
 *
 * serve_main() serves the socket the web server gave us on fd 0, or,
 * with "listen" set, binds it once and runs a pre-fork supervisor that
 * keeps "workers" processes accepting on it, replaces any that die and
 * on SIGTERM lets in-flight requests finish.
 */
#ifndef SPECREG_FCGI_SERVE_H
#define SPECREG_FCGI_SERVE_H

#include "common/conf.h"

int	serve_main(const struct conf *);

#endif
