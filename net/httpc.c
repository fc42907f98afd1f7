/*
 * net/httpc.c: one HTTP request over libcurl.
 *
 * Every request runs on its own multi handle, so that either side can
 * be paused: the write callback keeps at most "max" body bytes and, for
 * a pulled body, pauses beyond HTTPC_CHUNK until httpc_read() took them;
 * the read callback hands out the caller's pushed piece and pauses when
 * it is used up, until the next httpc_write().  Memory does not grow
 * with the size of either body.
 *
 * Connections outlive their request: every request of a process takes
 * them from one libcurl share handle's connection cache, which keeps at
 * most HTTPC_CONNS idle ones.  The share is made by the first request
 * of a process; a forked child that finds its parent's makes its own
 * and leaves the parent's alone (closing those would end the parent's
 * connections: TLS says goodbye on a close).  A kept connection that
 * the server closed just as a request went out on it is libcurl's to
 * retry on a new one, and it does so when nothing came back yet; the
 * body is then sent again from the start, which a pushed body allows
 * while its first HTTPC_REPLAY bytes are all that went: they are kept.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "common/log.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "net/httpc.h"

#define HTTPC_MAXREDIRS		5
#define HTTPC_HEADERS_MAX	(64 * 1024)
#define HTTPC_BACKOFF_MS	100
#define HTTPC_BACKOFF_MAX_MS	3200
/* Idle connections a process keeps. */
#define HTTPC_CONNS		8
/* Bytes of a pushed body kept to send again on a new connection. */
#define HTTPC_REPLAY		(64 * 1024)

enum httpc_send {
	SEND_NONE = 0,
	SEND_MEM,
	SEND_PUSH
};

struct httpc {
	CURL			*h;
	CURLM			*m;
	struct curl_slist	*hdrs;
	char			*method;
	int			 retries;
	int			 added;		/* to the multi handle */
	/* The request body: memory, or the piece being pushed. */
	enum httpc_send		 send;
	const char		*src;
	size_t			 src_len, src_off;
	int			 src_eof;	/* nothing more to push */
	int			 rpaused;
	/* The pushed pieces before this one, while they fit. */
	struct buf		 replay;
	size_t			 replay_off;	/* sent again so far */
	int			 replay_gone;	/* too many to keep */
	/* The response. */
	size_t			 max;
	int			 pull;
	long			 status;
	int			 headers_done;
	struct buf		 rhdrs;		/* "Name: value\0" ... */
	int			 hdrs_full;
	struct buf		 body;		/* from "off" */
	struct buf		 ebody;		/* of an error answer */
	size_t			 off;
	int			 too_big;
	int			 wpaused;
	int			 done;
	CURLcode		 result;
};

/* This process's connection cache, made by its first request. */
static CURLSH	*httpc_sh;
static pid_t	 httpc_sh_pid;
/* A parent's, inherited by this process: never used, never closed. */
static CURLSH	*httpc_sh_parent;

void
httpc_init(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		log_warnx("curl_global_init failed");
}

static CURLSH *
httpc_share(void)
{
	if (httpc_sh != NULL && httpc_sh_pid == getpid())
		return (httpc_sh);
	if (httpc_sh != NULL)
		httpc_sh_parent = httpc_sh;
	if ((httpc_sh = curl_share_init()) == NULL ||
	    curl_share_setopt(httpc_sh, CURLSHOPT_SHARE,
	    CURL_LOCK_DATA_CONNECT) != CURLSHE_OK)
		fatalx("out of memory for libcurl");
	httpc_sh_pid = getpid();
	return (httpc_sh);
}

static int
httpc_final(long code)
{
	/* A redirect libcurl follows is not the answer. */
	return (code >= 200 && !(code >= 301 && code <= 308 &&
	    code != 304 && code != 305 && code != 306));
}

static size_t
httpc_header_cb(char *line, size_t size, size_t n, void *arg)
{
	struct httpc	*c = arg;
	long		 code = 0;
	size_t		 len = n;

	(void)size;
	if (n >= 5 && strncmp(line, "HTTP/", 5) == 0) {
		c->headers_done = 0;
		c->hdrs_full = 0;
		buf_reset(&c->rhdrs);
		return (n);
	}
	if (n <= 2 && (line[0] == '\r' || line[0] == '\n')) {
		curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &code);
		if (httpc_final(code)) {
			c->status = code;
			c->headers_done = 1;
		}
		return (n);
	}
	while (len > 0 && isspace((unsigned char)line[len - 1]))
		len--;
	if (c->rhdrs.len + len + 1 > HTTPC_HEADERS_MAX)
		c->hdrs_full = 1;	/* the rest is not ours to keep */
	else if (memchr(line, ':', len) != NULL) {
		buf_add(&c->rhdrs, line, len);
		buf_addch(&c->rhdrs, '\0');
	}
	return (n);
}

static size_t
httpc_write_cb(char *data, size_t size, size_t n, void *arg)
{
	struct httpc	*c = arg;

	(void)size;
	if (!c->headers_done)
		return (n);
	if (c->status < 200 || c->status > 299) {
		if (c->ebody.len < HTTPC_ERROR_MAX)
			buf_add(&c->ebody, data, n < HTTPC_ERROR_MAX -
			    c->ebody.len ? n : HTTPC_ERROR_MAX - c->ebody.len);
		return (n);
	}
	if (c->pull && c->body.len - c->off >= HTTPC_CHUNK) {
		c->wpaused = 1;
		return (CURL_WRITEFUNC_PAUSE);
	}
	if (c->off > 0 && c->off == c->body.len) {
		buf_reset(&c->body);
		c->off = 0;
	}
	if (c->body.len + n > c->max) {
		c->too_big = 1;
		return (0);
	}
	buf_add(&c->body, data, n);
	return (n);
}

static size_t
httpc_read_cb(char *dst, size_t size, size_t n, void *arg)
{
	struct httpc	*c = arg;
	size_t		 left = c->replay.len - c->replay_off;

	n *= size;
	if (left > 0) {
		if (n > left)
			n = left;
		memcpy(dst, c->replay.buf + c->replay_off, n);
		c->replay_off += n;
		return (n);
	}
	left = c->src_len - c->src_off;
	if (left == 0) {
		if (c->src_eof)
			return (0);
		c->rpaused = 1;
		return (CURL_READFUNC_PAUSE);
	}
	if (n > left)
		n = left;
	memcpy(dst, c->src + c->src_off, n);
	c->src_off += n;
	return (n);
}

/*
 * A memory body is sent again after a redirect or a retry; a pushed one
 * from its start while all that went of it is kept.
 */
static int
httpc_seek_cb(void *arg, curl_off_t off, int origin)
{
	struct httpc	*c = arg;

	if (c->send == SEND_PUSH && origin == SEEK_SET && off == 0 &&
	    !c->replay_gone) {
		c->replay_off = 0;
		c->src_off = 0;
		return (CURL_SEEKFUNC_OK);
	}
	if (c->send != SEND_MEM || origin != SEEK_SET || off < 0 ||
	    (size_t)off > c->src_len)
		return (CURL_SEEKFUNC_CANTSEEK);
	c->src_off = (size_t)off;
	return (CURL_SEEKFUNC_OK);
}

struct httpc *
httpc_new(const char *method, const char *url, const struct httpc_opts *o)
{
	struct httpc	*c;

	c = xcalloc(1, sizeof(*c));
	buf_init(&c->rhdrs);
	buf_init(&c->body);
	buf_init(&c->ebody);
	buf_init(&c->replay);
	c->method = xstrdup(method);
	c->retries = o->retries;
	c->max = HTTPC_CHUNK;
	c->src_eof = 1;
	if ((c->h = curl_easy_init()) == NULL ||
	    (c->m = curl_multi_init()) == NULL)
		fatalx("out of memory for libcurl");
	if (!o->alone)
		curl_easy_setopt(c->h, CURLOPT_SHARE, httpc_share());
	curl_multi_setopt(c->m, CURLMOPT_MAXCONNECTS, (long)HTTPC_CONNS);
	curl_easy_setopt(c->h, CURLOPT_URL, url);
	curl_easy_setopt(c->h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c->h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	if (o->follow) {
		curl_easy_setopt(c->h, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(c->h, CURLOPT_MAXREDIRS,
		    (long)HTTPC_MAXREDIRS);
	}
	curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
	if (o->connect_timeout > 0)
		curl_easy_setopt(c->h, CURLOPT_CONNECTTIMEOUT,
		    o->connect_timeout);
	if (o->timeout > 0)
		curl_easy_setopt(c->h, CURLOPT_TIMEOUT, o->timeout);
	if (o->stall > 0) {
		curl_easy_setopt(c->h, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(c->h, CURLOPT_LOW_SPEED_TIME, o->stall);
	}
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c->h, CURLOPT_NOBODY, 1L);
	else if (strcmp(method, "GET") != 0)
		curl_easy_setopt(c->h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c->h, CURLOPT_USERAGENT, "specreg/" PACKAGE_VERSION);
	curl_easy_setopt(c->h, CURLOPT_HEADERFUNCTION, httpc_header_cb);
	curl_easy_setopt(c->h, CURLOPT_HEADERDATA, c);
	curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, httpc_write_cb);
	curl_easy_setopt(c->h, CURLOPT_WRITEDATA, c);
	return (c);
}

void
httpc_free(struct httpc *c)
{
	if (c == NULL)
		return;
	if (c->added)
		curl_multi_remove_handle(c->m, c->h);
	curl_easy_cleanup(c->h);
	curl_multi_cleanup(c->m);
	curl_slist_free_all(c->hdrs);
	buf_release(&c->rhdrs);
	buf_release(&c->body);
	buf_release(&c->ebody);
	buf_release(&c->replay);
	free(c->method);
	free(c);
}

void
httpc_header(struct httpc *c, const char *line)
{
	struct curl_slist	*l;

	if ((l = curl_slist_append(c->hdrs, line)) == NULL)
		fatalx("out of memory for libcurl");
	c->hdrs = l;
}

void
httpc_basic(struct httpc *c, const char *user, const char *password)
{
	curl_easy_setopt(c->h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	curl_easy_setopt(c->h, CURLOPT_USERNAME, user);
	curl_easy_setopt(c->h, CURLOPT_PASSWORD, password);
}

static void
httpc_upload(struct httpc *c, curl_off_t len)
{
	curl_easy_setopt(c->h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c->h, CURLOPT_INFILESIZE_LARGE, len);
	curl_easy_setopt(c->h, CURLOPT_READFUNCTION, httpc_read_cb);
	curl_easy_setopt(c->h, CURLOPT_READDATA, c);
	curl_easy_setopt(c->h, CURLOPT_SEEKFUNCTION, httpc_seek_cb);
	curl_easy_setopt(c->h, CURLOPT_SEEKDATA, c);
	/* CURLOPT_UPLOAD makes it a PUT: say the method again. */
	curl_easy_setopt(c->h, CURLOPT_CUSTOMREQUEST, c->method);
}

void
httpc_body_mem(struct httpc *c, const void *p, size_t len)
{
	c->send = SEND_MEM;
	c->src = p;
	c->src_len = len;
	c->src_off = 0;
	c->src_eof = 1;
	httpc_upload(c, (curl_off_t)len);
}

void
httpc_body_push(struct httpc *c, int64_t len)
{
	c->send = SEND_PUSH;
	c->src = NULL;
	c->src_len = c->src_off = 0;
	c->src_eof = 0;
	httpc_upload(c, len < 0 ? -1 : (curl_off_t)len);
}

void
httpc_recv(struct httpc *c, size_t max, int pull)
{
	c->max = pull ? HTTPC_CHUNK + CURL_MAX_WRITE_SIZE : max;
	c->pull = pull;
}

/* Move the transfer on: one perform, then wait for its socket. */
static void
httpc_pump(struct httpc *c)
{
	struct CURLMsg	*msg;
	int		 running, left;

	if (curl_multi_perform(c->m, &running) != CURLM_OK) {
		c->done = 1;
		c->result = CURLE_FAILED_INIT;
		return;
	}
	if (running == 0) {
		c->done = 1;
		c->result = CURLE_FAILED_INIT;
		while ((msg = curl_multi_info_read(c->m, &left)) != NULL)
			if (msg->msg == CURLMSG_DONE)
				c->result = msg->data.result;
		return;
	}
	/* A paused side waits for the caller, not for the socket. */
	if (!c->wpaused && !c->rpaused)
		curl_multi_poll(c->m, NULL, 0, 1000, NULL);
}

static void
httpc_add(struct httpc *c)
{
	curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, c->hdrs);
	if (curl_multi_add_handle(c->m, c->h) != CURLM_OK)
		fatalx("curl_multi_add_handle failed");
	c->added = 1;
}

int
httpc_write(struct httpc *c, const void *p, size_t len)
{
	int	all;

	if (!c->added)
		httpc_add(c);
	c->src = p;
	c->src_len = len;
	c->src_off = 0;
	while (c->src_off < c->src_len && !c->done && !c->headers_done) {
		if (c->rpaused) {
			c->rpaused = 0;
			curl_easy_pause(c->h, CURLPAUSE_CONT);
		}
		httpc_pump(c);
	}
	all = c->src_off == len;
	if (all && !c->replay_gone && c->replay.len + len <= HTTPC_REPLAY) {
		buf_add(&c->replay, p, len);
		c->replay_off = c->replay.len;
	} else {
		c->replay_gone = 1;
		buf_release(&c->replay);
		c->replay_off = 0;
	}
	c->src = NULL;
	c->src_len = c->src_off = 0;
	return (all && !c->done && !c->headers_done ? 0 : -1);
}

static int
httpc_idempotent(const struct httpc *c)
{
	static const char	*const ok[] = {
		"GET", "HEAD", "PUT", "DELETE", "COPY"
	};
	size_t			 i;

	if (c->send == SEND_PUSH)
		return (0);
	for (i = 0; i < nitems(ok); i++)
		if (strcmp(c->method, ok[i]) == 0)
			return (1);
	return (0);
}

/* Forget a failed try, wait, and send the request again. */
static void
httpc_again(struct httpc *c, int try)
{
	struct timespec	ts;
	long		ms = HTTPC_BACKOFF_MS << (try < 5 ? try : 5);

	if (ms > HTTPC_BACKOFF_MAX_MS)
		ms = HTTPC_BACKOFF_MAX_MS;
	curl_multi_remove_handle(c->m, c->h);
	c->added = 0;
	c->status = 0;
	c->headers_done = c->done = c->too_big = 0;
	c->wpaused = c->rpaused = 0;
	c->result = CURLE_OK;
	buf_reset(&c->rhdrs);
	buf_reset(&c->body);
	buf_reset(&c->ebody);
	c->off = 0;
	c->src_off = 0;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
	httpc_add(c);
}

int
httpc_start(struct httpc *c)
{
	int	try;

	if (!c->added)
		httpc_add(c);
	if (c->send == SEND_PUSH) {
		c->src_eof = 1;
		if (c->rpaused) {
			c->rpaused = 0;
			curl_easy_pause(c->h, CURLPAUSE_CONT);
		}
	}
	for (try = 0;; try++) {
		while (!c->headers_done && !c->done)
			httpc_pump(c);
		if (c->headers_done && c->status < 500)
			return (0);
		if (try >= c->retries || !httpc_idempotent(c))
			break;
		log_debug("httpc: %s: %s, trying again", c->method,
		    httpc_error(c));
		httpc_again(c, try);
	}
	return (c->headers_done ? 0 : -1);
}

int
httpc_finish(struct httpc *c)
{
	while (!c->done) {
		if (c->wpaused) {
			/* Nobody pulls: a finish drops what is left. */
			c->wpaused = 0;
			c->pull = 0;
			c->max = SIZE_MAX;
			curl_easy_pause(c->h, CURLPAUSE_CONT);
		}
		httpc_pump(c);
	}
	return (c->result == CURLE_OK && !c->too_big ? 0 : -1);
}

int
httpc_run(struct httpc *c)
{
	if (httpc_start(c) == -1)
		return (-1);
	return (httpc_finish(c));
}

ssize_t
httpc_read(void *buf, size_t len, void *arg)
{
	struct httpc	*c = arg;
	size_t		 n;

	while (c->body.len == c->off && !c->done) {
		if (c->wpaused) {
			c->wpaused = 0;
			curl_easy_pause(c->h, CURLPAUSE_CONT);
		} else
			httpc_pump(c);
	}
	if ((n = c->body.len - c->off) == 0)
		return (c->result == CURLE_OK && !c->too_big ? 0 : -1);
	if (n > len)
		n = len;
	memcpy(buf, c->body.buf + c->off, n);
	c->off += n;
	return ((ssize_t)n);
}

long
httpc_status(const struct httpc *c)
{
	return (c->status);
}

const char *
httpc_get(const struct httpc *c, const char *name)
{
	const char	*p, *end = c->rhdrs.buf + c->rhdrs.len;
	size_t		 nlen = strlen(name);

	for (p = c->rhdrs.buf; p < end; p += strlen(p) + 1) {
		if (strncasecmp(p, name, nlen) != 0 || p[nlen] != ':')
			continue;
		for (p += nlen + 1; *p == ' ' || *p == '\t'; p++)
			;
		return (p);
	}
	return (NULL);
}

int64_t
httpc_length(const struct httpc *c)
{
	curl_off_t	len = -1;

	curl_easy_getinfo(c->h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
	return (len >= 0 ? (int64_t)len : -1);
}

const struct buf *
httpc_body(const struct httpc *c)
{
	return (&c->body);
}

const struct buf *
httpc_error_body(const struct httpc *c)
{
	return (&c->ebody);
}

const char *
httpc_error(const struct httpc *c)
{
	if (c->too_big)
		return ("response too large");
	if (c->headers_done && c->status >= 500)
		return ("server error");
	if (c->result == CURLE_OK && !c->done)
		return ("no answer");
	return (curl_easy_strerror(c->result));
}

void
httpc_escape(struct buf *out, const char *s, const char *keep)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p) != NULL ||
		    (keep != NULL && strchr(keep, *p) != NULL))
			buf_addch(out, *p);
		else {
			buf_addch(out, '%');
			buf_addch(out, hex[*p >> 4]);
			buf_addch(out, hex[*p & 15]);
		}
	}
}
