/*
 * fcgi/exchange.c: one request in, one response out, one log line.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/log.h"
#include "fcgi/exchange.h"
#include "fcgi/metrics.h"
#include "fcgi/request.h"
#include "fcgi/response.h"
#include "fcgi/route.h"
#include "fcgi/route_id.h"

/* One line of words: "GET /v2/x/manifests/1 200 in=0 1.2ms user=u". */
static void
exchange_log_text(struct request *req, const char *query, int64_t us)
{
	log_info("%s %s%s%s %d in=%llu %.1fms%s%s", req->method_name,
	    req->path, *query ? "?" : "", query, req->status,
	    (unsigned long long)req->body_read, (double)us / 1e3,
	    req->user != NULL ? " user=" : "",
	    req->user != NULL ? req->user : "");
}

/* One JSON object, for log shippers; the same facts and a few more. */
static void
exchange_log_json(struct request *req, const char *query, int64_t us)
{
	struct json_object	*o = json_object_new_object();
	char			 stamp[32], ms[32];
	struct tm		 tm;
	time_t			 now = time(NULL);

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(ms, sizeof(ms), "%.3f", (double)us / 1e3);
	json_object_object_add(o, "time", json_object_new_string(stamp));
	json_object_object_add(o, "pid", json_object_new_int64(getpid()));
	json_object_object_add(o, "request_id",
	    json_object_new_string(req->reqid));
	json_object_object_add(o, "user", req->user != NULL ?
	    json_object_new_string(req->user) : NULL);
	json_object_object_add(o, "method",
	    json_object_new_string(req->method_name));
	json_object_object_add(o, "route",
	    json_object_new_string(route_id_name(req->route)));
	json_object_object_add(o, "path", json_object_new_string(req->path));
	json_object_object_add(o, "query", json_object_new_string(query));
	json_object_object_add(o, "status", json_object_new_int(req->status));
	json_object_object_add(o, "bytes_in",
	    json_object_new_uint64(req->body_read));
	json_object_object_add(o, "bytes_out",
	    json_object_new_uint64(req->body_sent));
	json_object_object_add(o, "duration_ms",
	    json_object_new_double_s((double)us / 1e3, ms));
	log_raw(LOG_LVL_INFO, json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

/* Log the request and count it; "start" is when it began. */
static void
exchange_log(struct request *req, struct timespec *start)
{
	struct timespec	 end;
	const char	*query = req->query;
	int64_t		 us;

	/* A careless client may put credentials there: never logged. */
	if (strncmp(req->path, "/auth/", 6) == 0)
		query = "";
	clock_gettime(CLOCK_MONOTONIC, &end);
	us = (int64_t)(end.tv_sec - start->tv_sec) * 1000000 +
	    (end.tv_nsec - start->tv_nsec) / 1000;
	if (us < 0)
		us = 0;
	metrics_request(req->route, req->method, req->status, req->body_read,
	    req->body_sent, (uint64_t)us);
	if (req->conf->log_format == LOG_FORMAT_JSON)
		exchange_log_json(req, query, us);
	else
		exchange_log_text(req, query, us);
}

void
exchange_run(struct request *req)
{
	struct timespec	start;
	enum reg_err	err;

	clock_gettime(CLOCK_MONOTONIC, &start);
	err = request_parse(req);
	if (err == REG_OK)
		err = route_run(req);
	if (err != REG_OK) {
		if (req->client_gone)
			/* What clients do: not specreg's trouble. */
			log_info("%s %s: the client went away after %llu "
			    "body bytes", req->method_name, req->path,
			    (unsigned long long)req->body_sent);
		else if (req->resp_started)
			/* Headers are on the wire; JSON would corrupt it. */
			log_warnx("%s %s: %s after the response started",
			    req->method_name, req->path,
			    reg_err_info(err)->code);
		else
			resp_error(req, err);
	}
	if (!req->resp_started)
		resp_end(req);
	exchange_log(req, &start);
}
