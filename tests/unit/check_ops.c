/*
 * tests/unit/check_ops.c: GET /readyz (fcgi/h_ops.c) against a driver
 * whose check answers, fails or hangs.
 *
 * exchange_run() goes through the route layer as in production; the
 * response is collected from the I/O seam.  A hung check must give a
 * 503 within about a second, and a second probe while it still hangs
 * must not start another check.  [metrics] enabled = no: GET /metrics
 * is 404 and nothing is counted.  The metrics file is [metrics] file,
 * else under the storage root; a store without a root has none.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/conf.h"
#include "fcgi/exchange.h"
#include "fcgi/metrics.h"
#include "fcgi/request.h"
#include "storage/driver.h"
#include "storage/store.h"
#include "tests/unit/check_run.h"
#include "tests/unit/fake_io.h"

enum fake_mode { FAKE_OK, FAKE_FAIL, FAKE_HANG };

static volatile enum fake_mode	fake_mode;
static volatile int		fake_calls;

static enum reg_err
fake_check(struct stor_driver *sd, struct buf *why)
{
	(void)sd;
	fake_calls++;
	switch (fake_mode) {
	case FAKE_OK:
		return (REG_OK);
	case FAKE_FAIL:
		buf_addstr(why, "stat /srv/x: No such file or directory");
		return (REG_E_IO);
	case FAKE_HANG:
		usleep(1500 * 1000);
		break;
	}
	return (REG_OK);
}

static const struct stor_ops	fake_ops = { .name = "fake",
    .check = fake_check };
static struct stor_driver	fake_driver = { &fake_ops };

static const char *
fake_param(void *arg, const char *name)
{
	(void)arg;
	if (strcmp(name, "REQUEST_METHOD") == 0)
		return ("GET");
	if (strcmp(name, "REQUEST_URI") == 0)
		return ("/readyz");
	return (NULL);
}

static int
fake_write(void *arg, const void *data, size_t len)
{
	buf_add(arg, data, len);
	return (0);
}

static int
fake_body_error(void *arg)
{
	(void)arg;
	return (0);
}

/* GET /readyz: the response in "out"; returns the seconds it took. */
static double
readyz(struct buf *out)
{
	struct request_io	 io = { fake_param, NULL, fake_write,
	    fake_body_error, out };
	struct store		 st = { &fake_driver, 0, NULL };
	struct request		 req;
	struct timespec		 a, b;
	struct conf		 conf;

	conf_init(&conf);
	buf_reset(out);
	clock_gettime(CLOCK_MONOTONIC, &a);
	request_init(&req, &conf, &st, &io);
	exchange_run(&req);
	request_release(&req);
	clock_gettime(CLOCK_MONOTONIC, &b);
	conf_release(&conf);
	return ((double)(b.tv_sec - a.tv_sec) +
	    (double)(b.tv_nsec - a.tv_nsec) / 1e9);
}

START_TEST(test_readyz)
{
	struct buf	out = BUF_INIT;
	double		secs;

	fake_mode = FAKE_OK;
	readyz(&out);
	ck_assert_msg(strncmp(out.buf, "Status: 200", 11) == 0, "%s", out.buf);

	fake_mode = FAKE_FAIL;
	readyz(&out);
	ck_assert_msg(strncmp(out.buf, "Status: 503", 11) == 0, "%s", out.buf);
	ck_assert_ptr_nonnull(strstr(out.buf,
	    "\r\n\r\nstat /srv/x: No such file or directory\n"));

	/* Hung: 503 after about a second, not after the check's 1.5 s. */
	fake_mode = FAKE_HANG;
	fake_calls = 0;
	secs = readyz(&out);
	ck_assert_msg(strncmp(out.buf, "Status: 503", 11) == 0, "%s", out.buf);
	ck_assert_ptr_nonnull(strstr(out.buf, "did not answer within"));
	ck_assert_msg(secs >= 0.9 && secs < 1.4, "took %.2f s", secs);
	/* Still hung: no second check, an immediate 503. */
	secs = readyz(&out);
	ck_assert_msg(strncmp(out.buf, "Status: 503", 11) == 0, "%s", out.buf);
	ck_assert_ptr_nonnull(strstr(out.buf, "still hangs"));
	ck_assert_msg(secs < 0.3, "took %.2f s", secs);
	ck_assert_int_eq(fake_calls, 1);
	/* Once it is over, checks run again. */
	usleep(800 * 1000);
	fake_mode = FAKE_OK;
	readyz(&out);
	ck_assert_msg(strncmp(out.buf, "Status: 200", 11) == 0, "%s", out.buf);
	buf_release(&out);
}
END_TEST

/* GET /metrics with [metrics] enabled = "on": the response in "out". */
static void
metrics_get(int on, struct buf *out)
{
	struct fake_io		 f;
	struct request_io	 io;
	struct store		 st = { &fake_driver, 0, NULL };
	struct request		 req;
	struct conf		 conf;

	conf_init(&conf);
	conf.metrics_enabled = on;
	fake_io_init(&f, &io, "GET", "/metrics", "");
	request_init(&req, &conf, &st, &io);
	exchange_run(&req);
	request_release(&req);
	buf_reset(out);
	buf_add(out, f.out.buf, f.out.len);
	fake_io_release(&f);
	conf_release(&conf);
}

START_TEST(test_metrics_off)
{
	struct buf	out = BUF_INIT;

	metrics_get(1, &out);
	ck_assert_msg(strncmp(out.buf, "Status: 200", 11) == 0, "%s", out.buf);
	metrics_get(0, &out);
	ck_assert_msg(strncmp(out.buf, "Status: 404", 11) == 0, "%s", out.buf);
	ck_assert_ptr_nonnull(strstr(out.buf, "enabled = no"));
	buf_release(&out);
}
END_TEST

/* path_of TEXT: metrics_file_path() for a configuration, or "-". */
static const char *
path_of(const char *text, struct buf *out)
{
	struct conf	conf;

	conf_init(&conf);
	ck_assert_int_eq(conf_load_string(&conf, "t.ini", text), 0);
	if (metrics_file_path(&conf, out) == -1) {
		ck_assert_uint_eq(out->len, 0);
		buf_addstr(out, "-");
	}
	conf_release(&conf);
	return (out->buf);
}

START_TEST(test_metrics_path)
{
	struct buf	out = BUF_INIT;

	ck_assert_str_eq(path_of("[storage]\nroot = /srv/r\n", &out),
	    "/srv/r/.specreg-metrics");
	ck_assert_str_eq(path_of("[storage]\nroot = /srv/r\n"
	    "[metrics]\nfile = /run/m\n", &out), "/run/m");
	ck_assert_str_eq(path_of("[storage]\ndriver = swift\n"
	    "auth-url = http://127.0.0.1:1/auth/v1.0\nusername = a:b\n"
	    "password = c\ncontainer = d\n", &out), "-");
	buf_release(&out);
}
END_TEST

int
main(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("ops");
	tc = tcase_create("readyz");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_readyz);
	suite_add_tcase(s, tc);
	tc = tcase_create("metrics");
	tcase_add_test(tc, test_metrics_off);
	tcase_add_test(tc, test_metrics_path);
	suite_add_tcase(s, tc);
	return (check_run(s));
}
