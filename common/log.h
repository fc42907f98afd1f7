/*
 * common/log.h: one line per event on stderr (OpenBSD httpd's API).
 *
 * Each line carries the level, the pid and, while a request is being
 * served, its request id.  log_warn() appends strerror(errno);
 * log_warnx() does not.  The level is checked before formatting.
 * fatal()/fatalx() are for start-up and broken invariants only, never
 * for something a client did.  log_raw() prints a line the caller
 * formatted, such as a request's JSON object, without any prefix.
 * Never log a password or a token.
 */
#ifndef SPECREG_COMMON_LOG_H
#define SPECREG_COMMON_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LVL_ERROR = 0,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG
};

void	log_init(int debug);
int	log_debugging(void);
void	log_setreqid(const char *);
const char *log_reqid(void);
/* A line formatted by the caller (a JSON object), printed as it is. */
void	log_raw(enum log_level, const char *);
void	log_warn(const char *, ...)
	    __attribute__((__format__(__printf__, 1, 2)));
void	log_warnx(const char *, ...)
	    __attribute__((__format__(__printf__, 1, 2)));
void	log_info(const char *, ...)
	    __attribute__((__format__(__printf__, 1, 2)));
void	log_debug(const char *, ...)
	    __attribute__((__format__(__printf__, 1, 2)));
void	fatal(const char *, ...)
	    __attribute__((__format__(__printf__, 1, 2), __noreturn__));
void	fatalx(const char *, ...)
	    __attribute__((__format__(__printf__, 1, 2), __noreturn__));

#endif
