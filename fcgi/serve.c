/*
 * fcgi/serve.c: listen, pre-fork, accept, and stop gracefully.
 *
 * Two modes.  Spawned by a web server (mod_fcgid, lighttpd bin-path,
 * spawn-fcgi), fd 0 is the listening socket and the web server sizes
 * the pool.  With "listen" set, the supervisor binds once, forks the
 * workers, which all accept on the shared socket, replaces any that
 * dies (backing off when they die young) and on SIGTERM or SIGINT
 * passes the signal on and waits.  On SIGHUP it loads the configuration
 * again and, if it is valid, starts new workers and retires the old
 * ones (super_reconfigure()).
 *
 * With [storage] prune-interval set, the supervisor also forks a
 * "specreg prune" run (store_prune.c, safe while workers serve) every
 * that many seconds, skipping a turn while the last one still runs
 * (and never with [registry] read-only).
 *
 * The metrics (metrics.h) are mapped before any fork: by the supervisor
 * for its pool, by each spawned worker from the shared file.
 *
 * A worker that gets SIGTERM while it waits for a connection exits at
 * once; a busy one finishes its request first (worker_signals() says
 * how).  libfcgi's FCGX_Init() installs a SIGTERM handler that only
 * sets a flag, so ours replaces it.
 */
#include "config.h"

#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "fcgi/auth.h"
#include "fcgi/metrics.h"
#include "fcgi/record.h"
#include "fcgi/exchange.h"
#include "fcgi/request.h"
#include "fcgi/serve.h"
#include "storage/prune.h"
#include "storage/store.h"
#include "net/upstream.h"

#define SERVE_BACKLOG	1024
#define SERVE_MAX_KIDS	512
/* Writes this big skip libfcgi's 8 KiB buffer (serve_write()). */
#define FCGI_DIRECT_MIN	8192
/* The buffer of libfcgi's streams (FCGX_Accept_r()). */
#define FCGI_STREAM_BUF	8192

static volatile sig_atomic_t	serve_quit;

/* A worker's request: libfcgi's, and stdin as records (record.h). */
struct serve_conn {
	FCGX_Request		fr;
	struct record_reader	in;
	int			direct;	/* stdin is record_read()'s */
};

/* HTTP_* parameters joined for the request in progress (one at a time). */
static char	*serve_joined[8];
static size_t	 serve_njoined;

/*
 * nginx before 1.23 passes a header sent on several lines (Go clients
 * send one Accept line per media type) as as many parameters of one
 * name, and FCGX_GetParam() finds only the first.  Join them with ", "
 * as HTTP does (RFC 9110, 5.3); Apache and lighttpd join them already.
 */
static const char *
serve_param(void *arg, const char *name)
{
	FCGX_Request	 *fr = &((struct serve_conn *)arg)->fr;
	struct buf	  v = BUF_INIT;
	size_t		  i, len = strlen(name), n = 0;
	char		**e;

	if (strncmp(name, "HTTP_", 5) != 0)
		return (FCGX_GetParam(name, fr->envp));
	for (i = 0; i < serve_njoined; i++)
		if (strncmp(serve_joined[i], name, len) == 0 &&
		    serve_joined[i][len] == '=')
			return (serve_joined[i] + len + 1);
	for (e = fr->envp; e != NULL && *e != NULL; e++) {
		if (strncmp(*e, name, len) != 0 || (*e)[len] != '=')
			continue;
		if (n++ == 0)
			buf_addf(&v, "%s=", name);
		else
			buf_addstr(&v, ", ");
		buf_addstr(&v, *e + len + 1);
	}
	if (n < 2 || serve_njoined == nitems(serve_joined)) {
		buf_release(&v);
		return (FCGX_GetParam(name, fr->envp));
	}
	serve_joined[serve_njoined++] = buf_detach(&v, NULL);
	return (serve_joined[serve_njoined - 1] + len + 1);
}

static void
serve_joined_clear(void)
{
	while (serve_njoined > 0)
		free(serve_joined[--serve_njoined]);
}

/*
 * libfcgi's reader state (FCGX_Stream_Data in fcgiapp.c, private; its
 * layout in 2.4.x): only its head is looked at, to find the bytes it
 * read past the parameters, [in->rdNext, buffstop).
 */
struct serve_fcgx_in {
	unsigned char	*buff;
	int		 bufflen;
	unsigned char	*mbuff;
	unsigned char	*buffstop;
	int		 type;
	int		 eorstop;
	int		 skip;
	int		 contentlen;
	int		 paddinglen;
};

/*
 * Right after FCGX_Accept_r(), libfcgi's stdin stream sits at a record
 * boundary with nothing of it delivered: hand it to record_read() with
 * the bytes read ahead.  If the state is not what fcgiapp.c leaves
 * there, libfcgi keeps stdin (serve_read() through FCGX_GetStr()).
 */
static void
serve_take_stdin(struct serve_conn *c)
{
	static int		 warned;
	FCGX_Stream		*in = c->fr.in;
	struct serve_fcgx_in	*d = in->data;
	uintptr_t		 next = (uintptr_t)in->rdNext;

	c->direct = d != NULL && d->type == RECORD_STDIN &&
	    d->contentlen == 0 && d->paddinglen == 0 && d->skip == 0 &&
	    d->bufflen > 0 && d->bufflen <= FCGI_STREAM_BUF &&
	    in->rdNext == in->stop && (uintptr_t)d->buff <= next &&
	    next <= (uintptr_t)d->buffstop &&
	    (uintptr_t)d->buffstop <= (uintptr_t)d->buff + (size_t)d->bufflen;
	if (!c->direct) {
		if (!warned)
			log_warnx("libfcgi's stdin state is not 2.4's: request "
			    "bodies go through its buffer");
		warned = 1;
		return;
	}
	record_reader_init(&c->in, c->fr.ipcFd, c->fr.requestId, in->rdNext,
	    (size_t)((uintptr_t)d->buffstop - next));
	in->isClosed = 1;
}

static ssize_t
serve_read(void *arg, void *data, size_t len)
{
	struct serve_conn	*c = arg;
	ssize_t			 n;

	if (len > INT32_MAX)
		len = INT32_MAX;
	if (!c->direct) {
		n = FCGX_GetStr(data, (int)len, c->fr.in);
		if (n < 0 || (n == 0 && FCGX_GetError(c->fr.in) != 0))
			return (-1);
		return (n);
	}
	if ((n = record_read(&c->in, data, len)) == -1)
		/* Not kept for another request: FCGX_Finish_r() closes it. */
		c->fr.in->FCGI_errno = c->in.state == RECORD_IN_ABORTED ?
		    ECONNABORTED : c->in.error;
	return (n);
}

/* Bytes through libfcgi's stream buffer: headers, small bodies. */
static int
serve_put(FCGX_Request *fr, const void *data, size_t len)
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
serve_write(void *arg, const void *data, size_t len)
{
	FCGX_Request	*fr = &((struct serve_conn *)arg)->fr;

	if (len < FCGI_DIRECT_MIN)
		return (serve_put(fr, data, len));
	if (FCGX_FFlush(fr->out) != 0 || FCGX_GetError(fr->out) != 0)
		return (-1);
	if (record_write(fr->ipcFd, fr->requestId, data, len) == 0)
		return (0);
	fr->out->FCGI_errno = errno;
	fr->out->isClosed = 1;
	return (-1);
}

static int
serve_body_error(void *arg)
{
	struct serve_conn	*c = arg;

	if (!c->direct)
		return (FCGX_GetError(c->fr.in));
	return (c->in.state == RECORD_IN_ABORTED ||
	    c->in.state == RECORD_IN_BROKEN);
}

static void
worker_sigterm(int sig)
{
	(void)sig;
	serve_quit = 1;
}

/*
 * SIGTERM and SIGINT stay blocked except while epoll_pwait() waits for
 * a connection, so a worker never takes one it will not serve, and a
 * busy worker's reads are never cut short.  "open" is the mask
 * epoll_pwait() waits with.
 */
static void
worker_signals(sigset_t *open)
{
	struct sigaction	sa;
	sigset_t		term;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = worker_sigterm;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigaddset(&term, SIGINT);
	sigprocmask(SIG_BLOCK, &term, open);
	sigdelset(open, SIGTERM);
	sigdelset(open, SIGINT);
}

/*
 * An epoll set on the shared socket that wakes one idle worker per
 * connection (EPOLLEXCLUSIVE), not the whole pool.
 */
static int
worker_epoll(int fd)
{
	struct epoll_event	ev;
	int			ep;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == -1)
		fatal("epoll");
	return (ep);
}

/*
 * Wait until the shared socket has a connection, or a signal came: 0,
 * or -1 to stop.  The socket is non-blocking (one open file for the
 * whole pool), so a worker that loses the race for the connection gets
 * EAGAIN from accept() and comes back here instead of blocking.
 */
static int
worker_wait(int ep, const sigset_t *open)
{
	struct epoll_event	ev;

	if (epoll_pwait(ep, &ev, 1, -1, open) == -1 && errno != EINTR) {
		log_warn("epoll_pwait");
		return (-1);
	}
	return (serve_quit ? -1 : 0);
}

/* One worker: accept and serve until told to stop. */
static int
worker_loop(const struct conf *conf, struct store *store, int fd)
{
	struct serve_conn	c;
	struct request		req;
	struct request_io	io;
	sigset_t		open;
	int			rc, flags, ep;

	worker_signals(&open);
	metrics_add(MET_WORKER_STARTS, 1);
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1)
		fatal("fcntl");
	ep = worker_epoll(fd);
	memset(&c, 0, sizeof(c));
	if (FCGX_InitRequest(&c.fr, fd, 0) != 0)
		fatalx("FCGX_InitRequest failed");
	io.param = serve_param;
	io.read = serve_read;
	io.write = serve_write;
	io.body_error = serve_body_error;
	io.arg = &c;
	while (worker_wait(ep, &open) == 0) {
		if ((rc = FCGX_Accept_r(&c.fr)) == -EAGAIN ||
		    rc == -EWOULDBLOCK)
			continue;
		if (rc != 0)
			break;
		serve_take_stdin(&c);
		request_init(&req, conf, store, &io);
		exchange_run(&req);
		request_release(&req);
		serve_joined_clear();
		FCGX_Finish_r(&c.fr);
	}
	close(ep);
	return (EXIT_SUCCESS);
}

/* The supervisor of a "serve --listen" pool. */
struct super {
	const struct conf	*conf;		/* the one serving */
	struct conf		*owned;		/* a reloaded one, or NULL */
	const struct serve_args	*args;
	struct store		*store;
	int			 fd;
	pid_t			*kids;		/* conf->workers slots */
	time_t			*born;
	unsigned		 backoff;
	pid_t			 pruner;
	sigset_t		 waitmask;	/* the mask outside the loop */
};

static volatile sig_atomic_t	super_stop;
static volatile sig_atomic_t	super_reload;
static volatile sig_atomic_t	super_child;
static volatile sig_atomic_t	super_prune_due;
static unsigned			super_prune_every;

static void
super_sigterm(int sig)
{
	super_stop = sig;
}

static void
super_sighup(int sig)
{
	(void)sig;
	super_reload = 1;
}

static void
super_sigchld(int sig)
{
	(void)sig;
	super_child = 1;
}

/* Re-armed here: a tick that lands outside sigsuspend() is late, not lost. */
static void
super_sigalrm(int sig)
{
	(void)sig;
	super_prune_due = 1;
	alarm(super_prune_every);
}

/*
 * Handlers only set flags, and the signals stay blocked except inside
 * sigsuspend() (and a back-off's sleep), so none is lost between a
 * check of the flags and the wait.
 */
static void
super_signals(struct super *s)
{
	struct sigaction	sa;
	sigset_t		block;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = super_sigterm;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = super_sighup;
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = super_sigchld;
	sigaction(SIGCHLD, &sa, NULL);
	sa.sa_handler = super_sigalrm;
	sigaction(SIGALRM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGALRM);
	sigprocmask(SIG_BLOCK, &block, &s->waitmask);
}

/* In a child just forked: the handlers and mask a process starts with. */
static void
super_child_signals(const struct super *s)
{
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGALRM, SIG_DFL);
	sigprocmask(SIG_SETMASK, &s->waitmask, NULL);
}

/* The prune timer of the configuration serving; never when read-only. */
static void
super_prune_timer(const struct conf *conf)
{
	super_prune_every = (unsigned)conf->prune_interval;
	if (super_prune_every != 0 && conf->read_only) {
		log_info("read-only: no background prune");
		super_prune_every = 0;
	}
	alarm(super_prune_every);
}

/* Fork a prune run; 0 if none started. */
static pid_t
super_prune(const struct super *s)
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
		super_child_signals(s);
		prune_opts_init(&opts);
		opts.upload_expiration = s->conf->upload_expiration;
		opts.expiration = s->conf->expiration;
		opts.grace = s->conf->prune_grace;
		opts.cache_expiration = s->conf->upstream_cache_expiration;
		if (store_prune(s->store, &opts, &stats) != REG_OK)
			_exit(EXIT_FAILURE);
		metrics_add(MET_PRUNE_RUNS, 1);
		metrics_add(MET_PRUNE_FREED_BYTES, stats.bytes);
		_exit(EXIT_SUCCESS);
	}
	log_info("prune %ld started", (long)pid);
	return (pid);
}

static pid_t
super_spawn(const struct super *s)
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
		super_child_signals(s);
		_exit(worker_loop(s->conf, s->store, s->fd));
	}
	log_debug("worker %ld started", (long)pid);
	return (pid);
}

/* Sleep with the signals open, so that SIGTERM cuts a back-off short. */
static void
super_sleep(const struct super *s, unsigned secs)
{
	sigset_t	blocked;

	sigprocmask(SIG_SETMASK, &s->waitmask, &blocked);
	sleep(secs);
	sigprocmask(SIG_SETMASK, &blocked, NULL);
}

/* Refill the pool; back off while workers die within a second. */
static void
super_refill(struct super *s)
{
	uint64_t	i;
	time_t		now = time(NULL);

	for (i = 0; i < s->conf->workers && !super_stop; i++) {
		if (s->kids[i] != 0)
			continue;
		if (s->born[i] != 0 && now - s->born[i] < 1) {
			s->backoff = s->backoff ? (s->backoff * 2 > 30 ? 30 :
			    s->backoff * 2) : 1;
			log_warnx("workers are dying young; waiting %us",
			    s->backoff);
			super_sleep(s, s->backoff);
		} else if (s->born[i] != 0)
			s->backoff = 0;
		s->kids[i] = super_spawn(s);
		s->born[i] = time(NULL);
		if (s->kids[i] == -1)
			s->kids[i] = 0;
	}
}

/*
 * A new configuration, loaded and checked: its workers start, then the
 * old ones get SIGTERM (an idle one leaves at once, a busy one after its
 * request) and are reaped as strangers.  Both accept on the same socket
 * meanwhile, so no connection waits for a gap.
 */
static void
super_switch(struct super *s, struct conf *c, struct store *st)
{
	pid_t		*old = s->kids;
	uint64_t	 i, n = s->conf->workers;

	if (s->owned != NULL) {
		conf_release(s->owned);
		free(s->owned);
	}
	store_close(s->store);
	s->conf = s->owned = c;
	s->store = st;
	s->kids = xcalloc(c->workers, sizeof(*s->kids));
	free(s->born);
	s->born = xcalloc(c->workers, sizeof(*s->born));
	s->backoff = 0;
	super_refill(s);
	for (i = 0; i < n; i++)
		if (old[i] > 0)
			kill(old[i], SIGTERM);
	free(old);
	super_prune_timer(c);
	log_info("reloaded %s: %llu workers%s", c->path,
	    (unsigned long long)c->workers, c->read_only ? ", read-only" : "");
}

/* SIGHUP: read the file again; keep serving the old one if it is bad. */
static void
super_reconfigure(struct super *s)
{
	struct conf	*c = xcalloc(1, sizeof(*c));
	struct store	*st;
	struct buf	 why = BUF_INIT;

	conf_init(c);
	if (conf_load_quiet(c, s->conf->path, &why) == -1 ||
	    stor_conf_check(c, &why) == -1)
		goto fail;
	serve_args_apply(s->args, c);
	if (c->listen == NULL || strcmp(c->listen, s->conf->listen) != 0) {
		buf_addf(&why, "%s: [serve] listen changes only on a restart",
		    c->path);
		goto fail;
	}
	if ((st = store_open(c)) == NULL) {
		buf_addf(&why, "%s: cannot open the %s storage", c->path,
		    c->driver);
		goto fail;
	}
	auth_init(c);
	super_switch(s, c, st);
	buf_release(&why);
	return;
fail:
	log_warnx("reload failed, the old configuration stays: %s", why.buf);
	conf_release(c);
	free(c);
	buf_release(&why);
}

static void
super_reaped(struct super *s, pid_t pid, int status)
{
	uint64_t	i;

	if (pid == s->pruner) {
		s->pruner = 0;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			log_warnx("prune %ld failed (status %d)", (long)pid,
			    status);
		return;
	}
	for (i = 0; i < s->conf->workers; i++)
		if (s->kids[i] == pid)
			break;
	if (i == s->conf->workers) {
		log_debug("retired worker %ld left (status %d)", (long)pid,
		    status);
		return;
	}
	s->kids[i] = 0;
	if (super_stop)
		return;
	metrics_add(MET_WORKER_RESTARTS, 1);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		log_warnx("worker %ld died (status %d); replacing it",
		    (long)pid, status);
}

static void
super_reap(struct super *s)
{
	pid_t	pid;
	int	status;

	super_child = 0;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		super_reaped(s, pid, status);
}

/* SIGTERM the pool and the pruner; wait for every child, retired too. */
static void
super_wait_all(struct super *s)
{
	uint64_t	i;
	int		status;

	alarm(0);
	if (s->pruner > 0)
		kill(s->pruner, SIGTERM);
	for (i = 0; i < s->conf->workers; i++)
		if (s->kids[i] > 0)
			kill(s->kids[i], SIGTERM);
	while (waitpid(-1, &status, 0) > 0 || errno == EINTR)
		continue;
}

static int
super_loop(struct super *s)
{
	super_signals(s);
	s->kids = xcalloc(s->conf->workers, sizeof(*s->kids));
	s->born = xcalloc(s->conf->workers, sizeof(*s->born));
	log_info("serving on %s with %llu workers", s->conf->listen,
	    (unsigned long long)s->conf->workers);
	super_prune_timer(s->conf);
	while (!super_stop) {
		super_reap(s);
		if (super_reload) {
			super_reload = 0;
			super_reconfigure(s);
		}
		super_refill(s);
		if (super_prune_due && !super_stop) {
			super_prune_due = 0;
			if (s->pruner == 0)
				s->pruner = super_prune(s);
			else
				log_warnx("prune %ld still runs; skipping "
				    "a turn", (long)s->pruner);
		}
		if (!super_stop && !super_reload && !super_child &&
		    !super_prune_due)
			sigsuspend(&s->waitmask);
	}
	log_info("signal %d: stopping the workers", (int)super_stop);
	super_wait_all(s);
	free(s->kids);
	free(s->born);
	if (s->owned != NULL) {
		conf_release(s->owned);
		free(s->owned);
	}
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
 * [metrics] enabled = no maps nothing: every update is a no-op.
 */
static void
serve_metrics(const struct conf *conf)
{
	struct buf	path = BUF_INIT;
	int		pool;

	if (!conf->metrics_enabled)
		return;
	pool = conf->listen != NULL && *conf->listen != '\0';
	if (pool && conf->metrics_file == NULL) {
		if (metrics_open_shared() == -1)
			fatalx("cannot map the metrics");
		return;
	}
	if (metrics_file_path(conf, &path) == -1)
		log_warnx("metrics: each worker counts alone: set [metrics] "
		    "file to share the counters");
	if ((path.len == 0 || metrics_open_file(path.buf, 1) == -1) &&
	    metrics_open_shared() == -1)
		fatalx("cannot map the metrics");
	buf_release(&path);
}

void
serve_args_apply(const struct serve_args *args, struct conf *conf)
{
	conf->debug = args->debug;
	if (args->listen != NULL) {
		free(conf->listen);
		conf->listen = xstrdup(args->listen);
	}
	if (args->workers != 0)
		conf->workers = args->workers;
}

int
serve_main(const struct conf *conf, const struct serve_args *args)
{
	struct super	 s;
	struct store	*store;
	struct stat	 st;
	int		 rc;

	if (FCGX_Init() != 0)
		fatalx("FCGX_Init failed");
	upstream_init();
	if ((store = store_open(conf)) == NULL)
		fatalx("cannot open the %s storage", conf->driver);
	serve_metrics(conf);
	if (conf->listen != NULL && *conf->listen != '\0') {
		memset(&s, 0, sizeof(s));
		s.conf = conf;
		s.args = args;
		s.store = store;
		s.fd = serve_listen(conf);
		rc = super_loop(&s);
		store = s.store;
	} else {
		if (fstat(0, &st) == -1 || !S_ISSOCK(st.st_mode))
			fatalx("fd 0 is not a socket: run me from a web "
			    "server, spawn-fcgi, or with --listen");
		rc = worker_loop(conf, store, 0);
	}
	store_close(store);
	return (rc);
}
