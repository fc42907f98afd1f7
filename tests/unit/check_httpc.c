/*
 * tests/unit/check_httpc.c: net/httpc.c's connections, against a stub
 * server on 127.0.0.1 that numbers the connections it accepts: requests
 * of a process share them (8 idle at most), a forked child makes its
 * own, a request "alone" (another thread's) takes none of them, and a
 * request sent on a kept connection that the server drops is sent
 * again, its body too, pushed or not.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <check.h>
#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "common/xmalloc.h"
#include "net/httpc.h"
#include "tests/unit/check_run.h"

#define STUB_CONNS	16
#define STUB_BUF	(256 * 1024)

struct stub_conn {
	int	 fd;
	int	 id;		/* the how-manieth accepted, from 1 */
	int	 reqs;		/* answered on it */
	int	 cont;		/* "100 Continue" sent */
	size_t	 have;
	char	 buf[STUB_BUF];
};

static struct stub_conn	 stub[STUB_CONNS];

static void
stub_close(struct stub_conn *sc)
{
	close(sc->fd);
	sc->fd = -1;
}

/* A chunked body's length at "p", 0 while incomplete. */
static size_t
stub_chunked(const struct stub_conn *sc, const char *p, size_t *body)
{
	const char	*end = sc->buf + sc->have;
	char		*q;
	size_t		 n;

	for (*body = 0; p < end; p = q + 2 + n + 2) {
		n = strtoul(p, &q, 16);
		if (q + 2 > end || strncmp(q, "\r\n", 2) != 0)
			return (0);
		if (n == 0)
			return (q + 4 <= end ? (size_t)(q + 4 - sc->buf) : 0);
		*body += n;
	}
	return (0);
}

/* The length of the complete request in sc->buf, 0 while incomplete. */
static size_t
stub_request(struct stub_conn *sc, size_t *body)
{
	char	*end, *cl;
	size_t	 head;

	sc->buf[sc->have] = '\0';
	if ((end = strstr(sc->buf, "\r\n\r\n")) == NULL)
		return (0);
	head = (size_t)(end + 4 - sc->buf);
	if (strcasestr(sc->buf, "\r\nTransfer-Encoding: chunked") != NULL)
		return (stub_chunked(sc, end + 4, body));
	cl = strcasestr(sc->buf, "\r\nContent-Length:");
	*body = cl != NULL && cl < end ? strtoul(cl + 17, NULL, 10) : 0;
	return (sc->have >= head + *body ? head + *body : 0);
}

/*
 * One request in: answer "<connection> <request on it> <body bytes>",
 * or, for a path starting "/drop" that is not the first request on its
 * connection, close the connection without a word.
 */
static void
stub_serve(struct stub_conn *sc)
{
	char	 out[256], ans[64];
	size_t	 len, body = 0;
	int	 n;

	if ((len = stub_request(sc, &body)) == 0) {
		if (!sc->cont && strstr(sc->buf, "\r\n\r\n") != NULL &&
		    strncmp(sc->buf, "PUT /drop", 9) != 0 &&
		    strcasestr(sc->buf, "\r\nExpect: 100-continue") != NULL) {
			sc->cont = 1;
			if (write(sc->fd, "HTTP/1.1 100 Continue\r\n\r\n",
			    25) == -1)
				stub_close(sc);
		}
		return;
	}
	if (strncmp(sc->buf + strcspn(sc->buf, " ") + 1, "/drop", 5) == 0 &&
	    sc->reqs > 0) {
		stub_close(sc);
		return;
	}
	sc->reqs++;
	n = snprintf(ans, sizeof(ans), "%d %d %zu", sc->id, sc->reqs, body);
	n = snprintf(out, sizeof(out), "HTTP/1.1 200 OK\r\n"
	    "Content-Length: %d\r\n\r\n%s", n, ans);
	if (write(sc->fd, out, (size_t)n) != n)
		stub_close(sc);
	memmove(sc->buf, sc->buf + len, sc->have - len);
	sc->have -= len;
	sc->cont = 0;
}

static void
stub_accept(int ls, int *accepted)
{
	int	fd, i;

	if ((fd = accept(ls, NULL, NULL)) == -1)
		return;
	for (i = 0; i < STUB_CONNS && stub[i].fd != -1; i++)
		;
	if (i == STUB_CONNS) {
		close(fd);
		return;
	}
	stub[i].fd = fd;
	stub[i].id = ++*accepted;
	stub[i].reqs = stub[i].cont = 0;
	stub[i].have = 0;
}

static void
stub_run(int ls)
{
	struct pollfd	 pfd[STUB_CONNS + 1];
	ssize_t		 n;
	int		 i, accepted = 0;

	for (i = 0; i < STUB_CONNS; i++)
		stub[i].fd = -1;
	for (;;) {
		pfd[0].fd = ls;
		pfd[0].events = POLLIN;
		for (i = 0; i < STUB_CONNS; i++) {
			pfd[i + 1].fd = stub[i].fd;
			pfd[i + 1].events = POLLIN;
		}
		if (poll(pfd, STUB_CONNS + 1, -1) == -1)
			_exit(1);
		if (pfd[0].revents & POLLIN)
			stub_accept(ls, &accepted);
		for (i = 0; i < STUB_CONNS; i++) {
			if (stub[i].fd == -1 || pfd[i + 1].revents == 0)
				continue;
			n = read(stub[i].fd, stub[i].buf + stub[i].have,
			    STUB_BUF - 1 - stub[i].have);
			if (n <= 0) {
				stub_close(&stub[i]);
				continue;
			}
			stub[i].have += (size_t)n;
			stub_serve(&stub[i]);
		}
	}
}

/* The stub, a child; its port in *port. */
static pid_t
stub_start(int *port)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	pid_t			 pid;
	int			 ls;

	ls = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ne(ls, -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(ls, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(ls, 8), 0);
	ck_assert_int_eq(getsockname(ls, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		/* A test that fails never stops it: it ends on its own. */
		alarm(120);
		stub_run(ls);
	}
	close(ls);
	return (pid);
}

static void
stub_stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static struct httpc *
req(int port, const char *method, const char *path)
{
	struct httpc_opts	 o;
	char			 url[64];

	memset(&o, 0, sizeof(o));
	o.connect_timeout = 5;
	o.timeout = 10;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	return (httpc_new(method, url, &o));
}

/* The stub's answer to a run of "c", which is freed. */
static char *
answer(struct httpc *c)
{
	char	*s;

	httpc_recv(c, 64, 0);
	ck_assert_msg(httpc_run(c) == 0, "%s", httpc_error(c));
	ck_assert_int_eq(httpc_status(c), 200);
	s = xstrdup(httpc_body(c)->buf);
	httpc_free(c);
	return (s);
}

static void
get_is(int port, const char *want)
{
	char	*s = answer(req(port, "GET", "/a"));

	ck_assert_str_eq(s, want);
	free(s);
}

START_TEST(test_reuse)
{
	pid_t	pid;
	int	port;

	pid = stub_start(&port);
	get_is(port, "1 1 0");
	get_is(port, "1 2 0");
	get_is(port, "1 3 0");
	stub_stop(pid);
}
END_TEST

/*
 * A forked child leaves its parent's connection to the parent.  The
 * child says what it got through a pipe and ends by SIGKILL: under
 * valgrind, which follows it, an exit would count the parent's memory
 * it inherited as its own leaks.
 */
START_TEST(test_fork)
{
	pid_t	pid, child;
	int	port, status, fds[2];
	char	*s, ok = 0;

	pid = stub_start(&port);
	get_is(port, "1 1 0");
	ck_assert_int_eq(pipe(fds), 0);
	child = fork();
	ck_assert_int_ne(child, -1);
	if (child == 0) {
		s = answer(req(port, "GET", "/a"));
		ok = strcmp(s, "2 1 0") == 0;
		(void)write(fds[1], &ok, 1);
		raise(SIGKILL);
	}
	close(fds[1]);
	ck_assert_int_eq(read(fds[0], &ok, 1), 1);
	close(fds[0]);
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ck_assert_msg(ok, "the child did not get its own connection");
	get_is(port, "1 2 0");
	stub_stop(pid);
}
END_TEST

/* A request alone (another thread's) keeps out of the cache. */
START_TEST(test_alone)
{
	struct httpc_opts	 o;
	struct httpc		*c;
	pid_t			 pid;
	int			 port;
	char			 url[64], *s;

	pid = stub_start(&port);
	get_is(port, "1 1 0");
	memset(&o, 0, sizeof(o));
	o.alone = 1;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/a", port);
	c = httpc_new("GET", url, &o);
	s = answer(c);
	ck_assert_str_eq(s, "2 1 0");
	free(s);
	get_is(port, "1 2 0");
	stub_stop(pid);
}
END_TEST

/* Sockets open in this process. */
static int
sockets_open(void)
{
	DIR		*d;
	struct dirent	*e;
	char		 path[300], to[64];
	ssize_t		 n;
	int		 count = 0;

	d = opendir("/proc/self/fd");
	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL) {
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		if ((n = readlink(path, to, sizeof(to) - 1)) <= 0)
			continue;
		to[n] = '\0';
		if (strncmp(to, "socket:", 7) == 0)
			count++;
	}
	closedir(d);
	return (count);
}

/* Ten servers, one request each: the last 8 connections stay. */
START_TEST(test_bounded)
{
	pid_t	pid[10];
	int	port[10];
	size_t	i;

	for (i = 0; i < nitems(pid); i++) {
		pid[i] = stub_start(&port[i]);
		get_is(port[i], "1 1 0");
	}
	ck_assert_int_eq(sockets_open(), 8);
	get_is(port[9], "1 2 0");
	get_is(port[0], "2 1 0");
	for (i = 0; i < nitems(pid); i++)
		stub_stop(pid[i]);
}
END_TEST

/* Dropped on the kept connection, sent again on a new one. */
START_TEST(test_dropped_mem)
{
	struct httpc	*c;
	pid_t		 pid;
	int		 port;
	char		*s;

	pid = stub_start(&port);
	get_is(port, "1 1 0");
	c = req(port, "PUT", "/drop");
	httpc_body_mem(c, "hello", 5);
	s = answer(c);
	ck_assert_str_eq(s, "2 1 5");
	free(s);
	stub_stop(pid);
}
END_TEST

/* The same with a body pushed in two pieces, chunked. */
START_TEST(test_dropped_push)
{
	struct httpc	*c;
	pid_t		 pid;
	int		 port;
	char		*s;

	pid = stub_start(&port);
	get_is(port, "1 1 0");
	c = req(port, "PUT", "/drop");
	httpc_body_push(c, -1);
	ck_assert_int_eq(httpc_write(c, "hello", 5), 0);
	ck_assert_int_eq(httpc_write(c, " world", 6), 0);
	s = answer(c);
	ck_assert_str_eq(s, "2 1 11");
	free(s);
	stub_stop(pid);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("httpc");
	TCase	*tc = tcase_create("httpc");

	httpc_init();
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_reuse);
	tcase_add_test(tc, test_fork);
	tcase_add_test(tc, test_alone);
	tcase_add_test(tc, test_bounded);
	tcase_add_test(tc, test_dropped_mem);
	tcase_add_test(tc, test_dropped_push);
	suite_add_tcase(s, tc);
	return (check_run(s));
}
