/*
 * fcgi/record.c: request and response bodies as FastCGI records (see
 * record.h).
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "fcgi/record.h"

static unsigned char	record_pad[8];	/* zeros, never written */

size_t
record_frame(struct record_batch *b, int id, const void *data, size_t len)
{
	const char	*p = data;
	unsigned char	*h;
	size_t		 n, pad, done = 0;

	memset(b, 0, sizeof(*b));
	while (done < len && b->nrec < RECORD_BATCH) {
		n = len - done > RECORD_MAX ? RECORD_MAX : len - done;
		pad = (8 - n % 8) % 8;
		h = b->hdr[b->nrec++];
		h[0] = 1;			/* FCGI_VERSION_1 */
		h[1] = RECORD_STDOUT;
		h[2] = (unsigned char)((id >> 8) & 0xff);
		h[3] = (unsigned char)(id & 0xff);
		h[4] = (unsigned char)(n >> 8);
		h[5] = (unsigned char)(n & 0xff);
		h[6] = (unsigned char)pad;
		b->iov[b->niov].iov_base = h;
		b->iov[b->niov++].iov_len = RECORD_HEADER;
		b->iov[b->niov].iov_base = (void *)(p + done);
		b->iov[b->niov++].iov_len = n;
		if (pad > 0) {
			b->iov[b->niov].iov_base = record_pad;
			b->iov[b->niov++].iov_len = pad;
		}
		b->wire += RECORD_HEADER + n + pad;
		done += n;
	}
	return (done);
}

/* Send every iovec of "b", resuming after short writes. */
static int
record_send(int fd, struct record_batch *b)
{
	struct msghdr	 msg;
	struct iovec	*iov = b->iov;
	int		 niov = b->niov;
	ssize_t		 n;

	while (niov > 0) {
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = iov;
		msg.msg_iovlen = (size_t)niov;
		if ((n = sendmsg(fd, &msg, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		while (niov > 0 && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			niov--;
		}
		if (niov > 0) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
	return (0);
}

int
record_write(int fd, int id, const void *data, size_t len)
{
	struct record_batch	 b;
	const char		*p = data;
	size_t			 n;

	while (len > 0) {
		n = record_frame(&b, id, p, len);
		if (record_send(fd, &b) == -1)
			return (-1);
		p += n;
		len -= n;
	}
	return (0);
}

void
record_reader_init(struct record_reader *r, int fd, int id,
    const void *ahead, size_t nahead)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->id = id;
	r->ahead = ahead;
	r->nahead = nahead;
	r->wanttail = RECORD_HEADER;	/* no padding before the first */
	r->state = RECORD_IN_BODY;
}

/* Copy what libfcgi read ahead into "iov": the bytes copied. */
static size_t
record_ahead(struct record_reader *r, const struct iovec *iov, int niov)
{
	size_t	n, done = 0;
	int	i;

	for (i = 0; i < niov && r->nahead > 0; i++) {
		n = iov[i].iov_len < r->nahead ? iov[i].iov_len : r->nahead;
		memcpy(iov[i].iov_base, r->ahead, n);
		r->ahead += n;
		r->nahead -= n;
		done += n;
	}
	return (done);
}

/* Some bytes into "iov": their number, or 0 after marking the failure. */
static size_t
record_in(struct record_reader *r, const struct iovec *iov, int niov)
{
	ssize_t	n;

	if (r->nahead > 0)
		return (record_ahead(r, iov, niov));
	while ((n = readv(r->fd, iov, niov)) == -1 && errno == EINTR)
		;
	if (n > 0)
		return ((size_t)n);
	r->state = RECORD_IN_BROKEN;
	r->error = n == 0 ? ECONNRESET : errno;
	return (0);
}

/* The header at the end of the tail: what comes next. */
static void
record_next(struct record_reader *r)
{
	const unsigned char	*h = r->tail + r->wanttail - RECORD_HEADER;
	int			 id = (h[2] << 8) | h[3];
	size_t			 pad = h[6];

	r->content = ((size_t)h[4] << 8) | h[5];
	r->skip = id != r->id;
	r->ntail = 0;
	r->wanttail = pad + RECORD_HEADER;
	if (h[0] != 1 || (!r->skip && h[1] != RECORD_STDIN &&
	    h[1] != RECORD_ABORT)) {
		r->state = RECORD_IN_BROKEN;
		r->error = EPROTO;
	} else if (!r->skip && h[1] == RECORD_ABORT)
		r->state = RECORD_IN_ABORTED;
	else if (!r->skip && r->content == 0) {
		/* The end: its padding, and nothing past it. */
		r->last = 1;
		r->wanttail = pad;
		if (pad == 0)
			r->state = RECORD_IN_END;
	}
}

/*
 * One step: content into "data" (or, for a record skipped, over it),
 * with the padding and next header behind it when the record ends
 * there; or the rest of a tail.  The content bytes delivered.
 */
static size_t
record_step(struct record_reader *r, char *data, size_t len)
{
	struct iovec	iov[2];
	size_t		n, got;
	int		niov = 0, skip = r->skip;

	n = r->content < len ? r->content : len;
	if (n > 0) {
		iov[niov].iov_base = data;
		iov[niov++].iov_len = n;
	}
	if (n == r->content) {
		iov[niov].iov_base = r->tail + r->ntail;
		iov[niov++].iov_len = r->wanttail - r->ntail;
	}
	if ((got = record_in(r, iov, niov)) == 0)
		return (0);
	if (got <= n) {
		r->content -= got;
		return (skip ? 0 : got);
	}
	r->content = 0;
	r->ntail += got - n;
	if (r->ntail == r->wanttail) {
		if (r->last)
			r->state = RECORD_IN_END;
		else
			record_next(r);
	}
	return (skip ? 0 : n);
}

ssize_t
record_read(struct record_reader *r, void *data, size_t len)
{
	char	*p = data;
	size_t	 got = 0;

	if (len == 0)
		return (0);
	while (got < len && r->state == RECORD_IN_BODY)
		got += record_step(r, p + got, len - got);
	if (got > 0 || r->state == RECORD_IN_END)
		return ((ssize_t)got);
	return (-1);
}
