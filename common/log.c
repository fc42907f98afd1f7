/*
 * common/log.c: one line per event on stderr.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

static int	log_level = LOG_LVL_INFO;
static char	log_req[40];

static const char *log_names[] = { "error", "warn", "info", "debug" };

void
log_init(int debug)
{
	log_level = debug ? LOG_LVL_DEBUG : LOG_LVL_INFO;
}

int
log_debugging(void)
{
	return (log_level >= LOG_LVL_DEBUG);
}

void
log_setreqid(const char *id)
{
	if (id == NULL)
		log_req[0] = '\0';
	else
		snprintf(log_req, sizeof(log_req), "%s", id);
}

const char *
log_reqid(void)
{
	return (log_req);
}

static void
log_vline(int level, int errnum, const char *fmt, va_list ap)
{
	char		 msg[2048], stamp[32];
	struct tm	 tm;
	time_t		 now;

	if (level > log_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(stderr, "%s specreg[%ld]%s%s %s: %s%s%s\n", stamp,
	    (long)getpid(), log_req[0] ? " r:" : "", log_req,
	    log_names[level], msg, errnum ? ": " : "",
	    errnum ? strerror(errnum) : "");
}

void
log_raw(enum log_level level, const char *line)
{
	if ((int)level <= log_level)
		fprintf(stderr, "%s\n", line);
}

#define LOG_FN(name, level, witherr)				\
void								\
name(const char *fmt, ...)					\
{								\
	va_list	ap;						\
	int	saved = errno;					\
								\
	va_start(ap, fmt);					\
	log_vline(level, witherr ? saved : 0, fmt, ap);		\
	va_end(ap);						\
	errno = saved;						\
}

LOG_FN(log_warn, LOG_LVL_WARN, 1)
LOG_FN(log_warnx, LOG_LVL_WARN, 0)
LOG_FN(log_info, LOG_LVL_INFO, 0)
LOG_FN(log_debug, LOG_LVL_DEBUG, 0)

void
fatal(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	log_vline(LOG_LVL_ERROR, saved, fmt, ap);
	va_end(ap);
	exit(EXIT_FAILURE);
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vline(LOG_LVL_ERROR, 0, fmt, ap);
	va_end(ap);
	exit(EXIT_FAILURE);
}
