/*
 * tests/unit/check_ops.c: GET /readyz (fcgi/h_ops.c) against a driver
 * whose check answers, fails or hangs.
 *
 * exchange_run() goes through the route layer as in production; the
 * response is collected from the I/O seam.  A hung check must give a
 * 503 within about a second, and a second probe while it still hangs
 * must not start another check.  [metrics] enabled = no: GET /metrics
 * is 404 and nothing is counted.  The metrics file is [metrics] file,
 * else under the storage root; a store without a root has none.  A
 * blob that another user owns (a command run as root wrote it), which
 * the fs driver cannot mark used: a 500 with an OCI error body, and one
 * log line that says what to do.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/conf.h"
#include "common/digest.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "fcgi/exchange.h"
#include "fcgi/metrics.h"
#include "fcgi/request.h"
#include "storage/driver.h"
#include "storage/layout.h"
#include "storage/store.h"
#include "tests/unit/check_run.h"
#include "tests/unit/fake_io.h"
#include "tests/unit/stor_conformance.h"

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
		usleep(3000 * 1000);
		break;
	}
	return (REG_OK);
}

static const struct stor_ops	fake_ops = { .name = "fake",
    .check = fake_check };
static struct stor_driver	fake_driver = { .ops = &fake_ops };

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
	int		i;

	fake_mode = FAKE_OK;
	readyz(&out);
	ck_assert_msg(strncmp(out.buf, "Status: 200", 11) == 0, "%s", out.buf);

	fake_mode = FAKE_FAIL;
	readyz(&out);
	ck_assert_msg(strncmp(out.buf, "Status: 503", 11) == 0, "%s", out.buf);
	ck_assert_ptr_nonnull(strstr(out.buf,
	    "\r\n\r\nstat /srv/x: No such file or directory\n"));

	/* Hung: 503 after about a second, not after the check's 3 s. */
	fake_mode = FAKE_HANG;
	fake_calls = 0;
	secs = readyz(&out);
	ck_assert_msg(strncmp(out.buf, "Status: 503", 11) == 0, "%s", out.buf);
	ck_assert_ptr_nonnull(strstr(out.buf, "did not answer within"));
	ck_assert_msg(secs >= 0.9 && secs < 2.5, "took %.2f s", secs);
	/* Still hung: no second check, an immediate 503. */
	secs = readyz(&out);
	ck_assert_msg(strncmp(out.buf, "Status: 503", 11) == 0, "%s", out.buf);
	ck_assert_ptr_nonnull(strstr(out.buf, "still hangs"));
	ck_assert_msg(secs < 0.8, "took %.2f s", secs);
	ck_assert_int_eq(fake_calls, 1);
	/*
	 * Once it is over (3 s after it began; later on a loaded machine
	 * or under valgrind), checks run again.
	 */
	fake_mode = FAKE_OK;
	for (i = 0; i < 100; i++) {
		usleep(100 * 1000);
		readyz(&out);
		if (strstr(out.buf, "still hangs") == NULL)
			break;
	}
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

/* The whole of file "path" into "out". */
static void
slurp(const char *path, struct buf *out)
{
	char	chunk[4096];
	ssize_t	n;
	int	fd;

	fd = open(path, O_RDONLY);
	ck_assert_int_ne(fd, -1);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		buf_add(out, chunk, (size_t)n);
	close(fd);
}

/* As "nobody": GET the blob, the answer to "out", the log to "err". */
static void
blob_get_as_nobody(struct store *st, const struct digest *d,
    const char *out, const char *err)
{
	struct fake_io		 f;
	struct request_io	 io;
	struct request		 req;
	struct conf		 conf;
	char			 uri[256];
	int			 fd, ofd;

	fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd == -1 || ofd == -1 || dup2(fd, STDERR_FILENO) == -1 ||
	    setgid(65534) == -1 || setuid(65534) == -1)
		_exit(2);
	log_init(0);
	conf_init(&conf);
	(void)snprintf(uri, sizeof(uri), "/v2/r/blobs/%s", d->str);
	fake_io_init(&f, &io, "GET", uri, "");
	request_init(&req, &conf, st, &io);
	exchange_run(&req);
	request_release(&req);
	conf_release(&conf);
	if (write(ofd, f.out.buf, f.out.len) != (ssize_t)f.out.len)
		_exit(3);
	/*
	 * Done: SIGKILL, not exit, so that valgrind (which follows the
	 * child) does not report the parent's memory as this one's leaks.
	 */
	kill(getpid(), SIGKILL);
	_exit(4);
}

START_TEST(test_blob_not_ours)
{
	struct store		*st;
	struct digest		 d;
	struct buf		 path = BUF_INIT, out = BUF_INIT, err = BUF_INIT;
	struct timespec		 old[2];
	char			*root, *outf, *errf, *line, *eol;
	int			 status;
	pid_t			 pid;

	if (geteuid() != 0)
		return;		/* only root has a file another user cannot touch */
	root = stor_test_mkdtemp();
	ck_assert_int_eq(chmod(root, 0755), 0);
	st = stor_test_store(root);
	ck_assert_ptr_nonnull(st);
	digest_of(DIGEST_SHA256, "root's", 6, &d);
	layout_blob(&path, &d);
	ck_assert_int_eq(stor_put(st->sd, path.buf, "root's", 6, 0), REG_OK);
	/* Older than this second: a GET must mark it used. */
	old[0].tv_sec = old[1].tv_sec = time(NULL) - 3600;
	old[0].tv_nsec = old[1].tv_nsec = 0;
	buf_reset(&out);
	buf_addf(&out, "%s/%s", root, path.buf);
	ck_assert_int_eq(utimensat(AT_FDCWD, out.buf, old, 0), 0);
	outf = xasprintf("%s/out", root);
	errf = xasprintf("%s/err", root);
	if ((pid = fork()) == 0)
		blob_get_as_nobody(st, &d, outf, errf);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	    "the child ended with %d", status);
	buf_reset(&out);
	slurp(outf, &out);
	ck_assert_msg(strncmp(out.buf, "Status: 500", 11) == 0, "%s", out.buf);
	ck_assert_msg(strstr(out.buf, "{\"errors\":[{\"code\":") != NULL, "%s",
	    out.buf);
	slurp(errf, &err);
	/* One line: the path, and what to do. */
	ck_assert_ptr_nonnull(line = strstr(err.buf, "cannot mark "));
	if ((eol = strchr(line, '\n')) != NULL)
		*eol = '\0';
	ck_assert_msg(strstr(line, path.buf) != NULL &&
	    strstr(line, "run specreg commands as the store's owner") != NULL,
	    "%s", err.buf);
	free(outf);
	free(errf);
	buf_release(&path);
	buf_release(&out);
	buf_release(&err);
	store_close(st);
	stor_test_rmtree(root);
	free(root);
}
END_TEST

int
main(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("ops");
	tc = tcase_create("readyz");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_readyz);
	suite_add_tcase(s, tc);
	tc = tcase_create("metrics");
	tcase_add_test(tc, test_metrics_off);
	tcase_add_test(tc, test_metrics_path);
	suite_add_tcase(s, tc);
	tc = tcase_create("blobs");
	tcase_add_test(tc, test_blob_not_ours);
	suite_add_tcase(s, tc);
	return (check_run(s));
}
