/*
 * fcgi/serve.c: listen, pre-fork, accept, and stop gracefully.
 *
 * Two modes.  Spawned by a web server (mod_fcgid, lighttpd bin-path,
 * spawn-fcgi), fd 0 is the listening socket and the web server sizes
 * the pool.  With "listen" set, the supervisor binds once, forks the
 * workers, which all accept on the shared socket, replaces any that
 * dies (backing off when they die young) and on SIGTERM or SIGINT
 * passes the signal on and waits.
 *
 * With [storage] prune-interval set, the supervisor also forks a
 * "specreg prune" run (store_prune.c, safe while workers serve) every
 * that many seconds, skipping a turn while the last one still runs
 * (and never with [registry] read-only).
 *
 * The metrics (metrics.h) are mapped before any fork: by the supervisor
 * for its pool, by each spawned worker from the shared file.
 *
 * A worker that gets SIGTERM while idle in accept() exits at once; a
 * busy one finishes its request first.  libfcgi's FCGX_Init() installs
 * a SIGTERM handler that only sets a flag, so ours replaces it.
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "fcgi/metrics.h"
#include "fcgi/record.h"
#include "fcgi/request.h"
#include "fcgi/serve.h"
#include "storage/prune.h"
#include "storage/store.h"
#include "storage/upstream.h"

#define SERVE_BACKLOG	1024
#define SERVE_MAX_KIDS	512
/* Writes this big skip libfcgi's 8 KiB buffer (fcgi_write()). */
#define FCGI_DIRECT_MIN	8192

static volatile sig_atomic_t	serve_busy;
static volatile sig_atomic_t	serve_quit;

/* HTTP_* parameters joined for the request in progress (one at a time). */
static char	*fcgi_joined[8];
static size_t	 fcgi_njoined;

/*
 * nginx before 1.23 passes a header sent on several lines (Go clients
 * send one Accept line per media type) as as many parameters of one
 * name, and FCGX_GetParam() finds only the first.  Join them with ", "
 * as HTTP does (RFC 9110, 5.3); Apache and lighttpd join them already.
 */
static const char *
fcgi_param(void *arg, const char *name)
{
	FCGX_Request	 *fr = arg;
	struct buf	  v = BUF_INIT;
	size_t		  i, len = strlen(name), n = 0;
	char		**e;

	if (strncmp(name, "HTTP_", 5) != 0)
		return (FCGX_GetParam(name, fr->envp));
	for (i = 0; i < fcgi_njoined; i++)
		if (strncmp(fcgi_joined[i], name, len) == 0 &&
		    fcgi_joined[i][len] == '=')
			return (fcgi_joined[i] + len + 1);
	for (e = fr->envp; e != NULL && *e != NULL; e++) {
		if (strncmp(*e, name, len) != 0 || (*e)[len] != '=')
			continue;
		if (n++ == 0)
			buf_addf(&v, "%s=", name);
		else
			buf_addstr(&v, ", ");
		buf_addstr(&v, *e + len + 1);
	}
	if (n < 2 || fcgi_njoined == nitems(fcgi_joined)) {
		buf_release(&v);
		return (FCGX_GetParam(name, fr->envp));
	}
	fcgi_joined[fcgi_njoined++] = buf_detach(&v, NULL);
	return (fcgi_joined[fcgi_njoined - 1] + len + 1);
}

static void
fcgi_joined_clear(void)
{
	while (fcgi_njoined > 0)
		free(fcgi_joined[--fcgi_njoined]);
}

static ssize_t
fcgi_read(void *arg, void *data, size_t len)
{
	FCGX_Request	*fr = arg;
	int		 n;

	if (len > INT32_MAX)
		len = INT32_MAX;
	n = FCGX_GetStr(data, (int)len, fr->in);
	if (n < 0 || (n == 0 && FCGX_GetError(fr->in) != 0))
		return (-1);
	return (n);
}

/* Bytes through libfcgi's stream buffer: headers, small bodies. */
static int
fcgi_put(FCGX_Request *fr, const void *data, size_t len)
{
	int	n;

	while (len > 0) {
		n = FCGX_PutStr(data, len > INT32_MAX ? INT32_MAX : (int)len,
		    fr->out);
		if (n <= 0)
			return (-1);
		data = (const char *)data + n;
		len -= (size_t)n;
	}
	return (0);
}

/*
 * A body goes to the web server's socket in full-size records
 * (fcgi/record.h), after what libfcgi holds (the headers).  A failed
 * write marks libfcgi's stream as one of its own would, so that
 * FCGX_Finish_r() closes the connection instead of keeping it.
 */
static int
fcgi_write(void *arg, const void *data, size_t len)
{
	FCGX_Request	*fr = arg;

	if (len < FCGI_DIRECT_MIN)
		return (fcgi_put(fr, data, len));
	if (FCGX_FFlush(fr->out) != 0 || FCGX_GetError(fr->out) != 0)
		return (-1);
	if (record_write(fr->ipcFd, fr->requestId, data, len) == 0)
		return (0);
	fr->out->FCGI_errno = errno;
	fr->out->isClosed = 1;
	return (-1);
}

static int
fcgi_body_error(void *arg)
{
	FCGX_Request	*fr = arg;

	return (FCGX_GetError(fr->in));
}

static void
worker_sigterm(int sig)
{
	(void)sig;
	if (!serve_busy)
		_exit(0);
	serve_quit = 1;
}

static void
worker_signals(void)
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = worker_sigterm;
	/* A busy worker's read() of the body must not fail with EINTR. */
	sa.sa_flags = SA_RESTART;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* One worker: accept and serve until told to stop. */
static int
worker_loop(const struct conf *conf, struct store *store, int fd)
{
	FCGX_Request		fr;
	struct request		req;
	struct request_io	io;
	sigset_t		term, old;

	worker_signals();
	metrics_add(MET_WORKER_STARTS, 1);
	if (FCGX_InitRequest(&fr, fd, 0) != 0)
		fatalx("FCGX_InitRequest failed");
	io.param = fcgi_param;
	io.read = fcgi_read;
	io.write = fcgi_write;
	io.body_error = fcgi_body_error;
	io.arg = &fr;
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigaddset(&term, SIGINT);
	while (!serve_quit) {
		if (FCGX_Accept_r(&fr) != 0)
			break;
		/* No signal between accept() returning and busy being set. */
		sigprocmask(SIG_BLOCK, &term, &old);
		serve_busy = 1;
		sigprocmask(SIG_SETMASK, &old, NULL);
		request_init(&req, conf, store, &io);
		request_run(&req);
		request_release(&req);
		fcgi_joined_clear();
		FCGX_Finish_r(&fr);
		serve_busy = 0;
	}
	return (EXIT_SUCCESS);
}

static volatile sig_atomic_t	super_stop;
static volatile sig_atomic_t	super_prune_due;
static unsigned			super_prune_every;

static void
super_sigterm(int sig)
{
	super_stop = sig;
}

/* Re-armed here, so a tick that lands outside waitpid() is late, not lost. */
static void
super_sigalrm(int sig)
{
	(void)sig;
	super_prune_due = 1;
	alarm(super_prune_every);
}

/* Fork a prune run; 0 if none started. */
static pid_t
super_prune(const struct conf *conf, struct store *store)
{
	struct prune_opts	opts;
	struct prune_stats	stats;
	pid_t			pid;

	if ((pid = fork()) == -1) {
		log_warn("fork");
		return (0);
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		prune_opts_init(&opts);
		opts.upload_expiration = conf->upload_expiration;
		opts.expiration = conf->expiration;
		opts.grace = conf->prune_grace;
		if (store_prune(store, &opts, &stats) != REG_OK)
			_exit(EXIT_FAILURE);
		metrics_add(MET_PRUNE_RUNS, 1);
		metrics_add(MET_PRUNE_FREED_BYTES, stats.bytes);
		_exit(EXIT_SUCCESS);
	}
	log_info("prune %ld started", (long)pid);
	return (pid);
}

static void
super_prune_start(void)
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: the alarm must interrupt waitpid(). */
	sa.sa_handler = super_sigalrm;
	sigaction(SIGALRM, &sa, NULL);
	alarm(super_prune_every);
}

static pid_t
super_spawn(const struct conf *conf, struct store *store, int fd)
{
	pid_t	pid;

	if ((pid = fork()) == -1) {
		log_warn("fork");
		return (-1);
	}
	if (pid == 0) {
		/* Die with the supervisor rather than serve unsupervised. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() == 1)
			_exit(0);
		_exit(worker_loop(conf, store, fd));
	}
	log_debug("worker %ld started", (long)pid);
	return (pid);
}

/* Refill the pool; back off while workers die within a second. */
static void
super_refill(const struct conf *conf, struct store *store, int fd,
    pid_t *kids, time_t *born, unsigned *backoff)
{
	uint64_t	i;
	time_t		now = time(NULL);

	for (i = 0; i < conf->workers && !super_stop; i++) {
		if (kids[i] != 0)
			continue;
		if (born[i] != 0 && now - born[i] < 1) {
			*backoff = *backoff ? (*backoff * 2 > 30 ? 30 :
			    *backoff * 2) : 1;
			log_warnx("workers are dying young; waiting %us",
			    *backoff);
			sleep(*backoff);
		} else if (born[i] != 0)
			*backoff = 0;
		kids[i] = super_spawn(conf, store, fd);
		born[i] = time(NULL);
		if (kids[i] == -1)
			kids[i] = 0;
	}
}

static void
super_wait_all(pid_t *kids, uint64_t n)
{
	uint64_t	i;
	int		status;

	for (i = 0; i < n; i++)
		if (kids[i] > 0)
			kill(kids[i], SIGTERM);
	for (i = 0; i < n; i++)
		if (kids[i] > 0)
			waitpid(kids[i], &status, 0);
}

static int
super_loop(const struct conf *conf, struct store *store, int fd)
{
	struct sigaction	 sa;
	pid_t			*kids, pid, pruner = 0;
	time_t			*born;
	unsigned		 backoff = 0;
	uint64_t		 i;
	int			 status;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = super_sigterm;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	kids = xcalloc(conf->workers, sizeof(*kids));
	born = xcalloc(conf->workers, sizeof(*born));
	log_info("serving on %s with %llu workers", conf->listen,
	    (unsigned long long)conf->workers);
	if ((super_prune_every = (unsigned)conf->prune_interval) != 0 &&
	    conf->read_only)
		log_info("read-only: no background prune");
	else if (super_prune_every != 0)
		super_prune_start();
	while (!super_stop) {
		super_refill(conf, store, fd, kids, born, &backoff);
		if (super_prune_due && !super_stop) {
			super_prune_due = 0;
			if (pruner == 0)
				pruner = super_prune(conf, store);
			else
				log_warnx("prune %ld still runs; skipping "
				    "a turn", (long)pruner);
		}
		if ((pid = waitpid(-1, &status, 0)) == -1)
			continue;
		if (pid == pruner) {
			pruner = 0;
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
				log_warnx("prune %ld failed (status %d)",
				    (long)pid, status);
			continue;
		}
		for (i = 0; i < conf->workers; i++)
			if (kids[i] == pid)
				kids[i] = 0;
		if (super_stop)
			continue;
		metrics_add(MET_WORKER_RESTARTS, 1);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			log_warnx("worker %ld died (status %d); replacing it",
			    (long)pid, status);
	}
	log_info("signal %d: stopping the workers", (int)super_stop);
	alarm(0);
	if (pruner > 0) {
		kill(pruner, SIGTERM);
		waitpid(pruner, &status, 0);
	}
	super_wait_all(kids, conf->workers);
	free(kids);
	free(born);
	return (EXIT_SUCCESS);
}

static int
serve_listen(const struct conf *conf)
{
	int	fd;

	if (conf->listen[0] == '/')
		unlink(conf->listen);
	if ((fd = FCGX_OpenSocket(conf->listen, SERVE_BACKLOG)) < 0)
		fatalx("cannot listen on %s", conf->listen);
	if (conf->listen[0] == '/')
		chmod(conf->listen, 0660);
	return (fd);
}

/*
 * The pool's own counters, or the file every spawned worker shares;
 * without either, /metrics shows only what this process counted.
 */
static void
serve_metrics(const struct conf *conf)
{
	struct buf	path = BUF_INIT;
	int		pool;

	pool = conf->listen != NULL && *conf->listen != '\0';
	if (pool && conf->metrics_file == NULL) {
		if (metrics_open_shared() == -1)
			fatalx("cannot map the metrics");
		return;
	}
	metrics_file_path(conf, &path);
	if (metrics_open_file(path.buf, 1) == -1 && metrics_open_shared() == -1)
		fatalx("cannot map the metrics");
	buf_release(&path);
}

int
serve_main(const struct conf *conf)
{
	struct store	*store;
	struct stat	 st;
	int		 fd, rc;

	if (FCGX_Init() != 0)
		fatalx("FCGX_Init failed");
	upstream_init();
	if ((store = store_open(conf->driver, conf->root)) == NULL)
		fatalx("cannot open %s storage at %s", conf->driver,
		    conf->root);
	serve_metrics(conf);
	if (conf->listen != NULL && *conf->listen != '\0') {
		fd = serve_listen(conf);
		rc = super_loop(conf, store, fd);
	} else {
		if (fstat(0, &st) == -1 || !S_ISSOCK(st.st_mode))
			fatalx("fd 0 is not a socket: run me from a web "
			    "server, spawn-fcgi, or with --listen");
		rc = worker_loop(conf, store, 0);
	}
	store_close(store);
	return (rc);
}
