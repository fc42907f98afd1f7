/*
 * fcgi/record.c: response bodies as FastCGI records (see record.h).
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <errno.h>
#include <string.h>

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
