/*
 * fcgi/h_ops.c: the operator's endpoints, GET /healthz, /readyz, /metrics.
 *
 * None needs registry credentials, in restricted mode either: a load
 * balancer probes them every second.  /healthz answers while the worker
 * serves; /readyz also asks the store (store_check()) in a thread and
 * waits at most OPS_READY_MS for it, so a hung mount gives a quick 503
 * instead of a hung probe.  While an earlier check still hangs, no new
 * one starts: each worker holds at most one stuck thread.  /metrics
 * takes Basic credentials when [metrics] sets them, checked by
 * route_run() (auth_scrape()) before h_metrics() runs.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/util.h"
#include "fcgi/handlers.h"
#include "fcgi/metrics.h"
#include "fcgi/response.h"
#include "storage/store.h"

#define OPS_READY_MS	1000

static struct {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	int		 running;	/* a check thread exists */
	int		 done;		/* it finished: rc and why are set */
	enum reg_err	 rc;
	struct buf	 why;
	struct store	*store;
} ops_probe = {
	PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, REG_OK,
	BUF_INIT, NULL
};

static enum reg_err
ops_text(struct request *req, int status, const char *text)
{
	resp_status(req, status);
	resp_header(req, "Cache-Control", "no-store");
	return (resp_body(req, "text/plain; charset=utf-8", text,
	    strlen(text)));
}

enum reg_err
h_healthz(struct request *req)
{
	return (ops_text(req, 200, "ok\n"));
}

static void *
ops_check_thread(void *arg)
{
	struct buf	why = BUF_INIT;
	enum reg_err	rc;

	(void)arg;
	rc = store_check(ops_probe.store, &why);
	pthread_mutex_lock(&ops_probe.mu);
	buf_reset(&ops_probe.why);
	buf_add(&ops_probe.why, why.buf, why.len);
	ops_probe.rc = rc;
	ops_probe.done = 1;
	ops_probe.running = 0;
	pthread_cond_broadcast(&ops_probe.cv);
	pthread_mutex_unlock(&ops_probe.mu);
	buf_release(&why);
	return (NULL);
}

/* Run store_check() with a time limit; the reason goes to "why". */
static enum reg_err
ops_check(struct store *store, struct buf *why)
{
	struct timespec	 until;
	pthread_attr_t	 attr;
	pthread_t	 t;
	enum reg_err	 rc = REG_E_UNAVAILABLE;
	int		 e = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += OPS_READY_MS / 1000;
	pthread_mutex_lock(&ops_probe.mu);
	if (ops_probe.running) {
		buf_addstr(why, "an earlier store check still hangs");
		goto out;
	}
	ops_probe.store = store;
	ops_probe.done = 0;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	e = pthread_create(&t, &attr, ops_check_thread, NULL);
	pthread_attr_destroy(&attr);
	if (e != 0) {
		buf_addf(why, "cannot start the store check: %s", strerror(e));
		goto out;
	}
	ops_probe.running = 1;
	while (!ops_probe.done && e != ETIMEDOUT)
		e = pthread_cond_timedwait(&ops_probe.cv, &ops_probe.mu,
		    &until);
	if (!ops_probe.done)
		buf_addf(why, "the store did not answer within %d ms",
		    OPS_READY_MS);
	else if ((rc = ops_probe.rc) != REG_OK)
		buf_add(why, ops_probe.why.buf, ops_probe.why.len);
 out:
	pthread_mutex_unlock(&ops_probe.mu);
	return (rc);
}

enum reg_err
h_readyz(struct request *req)
{
	struct buf	why = BUF_INIT;
	enum reg_err	err;

	if (ops_check(req->store, &why) == REG_OK) {
		buf_release(&why);
		return (ops_text(req, 200, "ok\n"));
	}
	log_warnx("readyz: %s", why.buf);
	buf_addch(&why, '\n');
	err = ops_text(req, 503, why.buf);
	buf_release(&why);
	return (err);
}

enum reg_err
h_metrics(struct request *req)
{
	struct buf	out = BUF_INIT;
	enum reg_err	err;

	if (!req->conf->metrics_enabled)
		return (req_fail(req, REG_E_NO_ROUTE,
		    "the metrics are off ([metrics] enabled = no)"));
	metrics_render(&out);
	resp_status(req, 200);
	resp_header(req, "Cache-Control", "no-store");
	err = resp_body(req, "text/plain; version=0.0.4; charset=utf-8",
	    out.buf, out.len);
	buf_release(&out);
	return (err);
}
