/*
 * fcgi/record.h: response bodies as FastCGI records at the protocol's
 * limit.
 *
 * libfcgi keeps the protocol: the request id, the parameters, stdin,
 * the headers (through its 8 KiB stream buffer) and the records that
 * end a request.  Body bytes go out through record_write() instead:
 * FCGI_STDOUT records of up to RECORD_MAX bytes of content, padded to
 * a multiple of 8 as the specification recommends, several records to
 * one sendmsg(2), the caller's bytes never copied in user space.  An
 * empty FCGI_STDOUT record ends the stream: none is ever framed.
 */
#ifndef SPECREG_FCGI_RECORD_H
#define SPECREG_FCGI_RECORD_H

#include <sys/types.h>
#include <sys/uio.h>

#include <stddef.h>

#define RECORD_HEADER	8
#define RECORD_MAX	65535		/* content bytes in one record */
#define RECORD_BATCH	16		/* records to a sendmsg(2) */
#define RECORD_STDOUT	6		/* FCGI_STDOUT */

/* Records framed over the caller's bytes: header, content, padding. */
struct record_batch {
	unsigned char	hdr[RECORD_BATCH][RECORD_HEADER];
	struct iovec	iov[RECORD_BATCH * 3];
	int		niov;
	int		nrec;
	size_t		wire;		/* bytes the iovecs hold */
};

/*
 * Frame the first bytes of "data" for request "id" into "b", at most
 * RECORD_BATCH records: the number of content bytes framed (0 for
 * "len" 0).
 */
size_t	record_frame(struct record_batch *, int, const void *, size_t);
/*
 * Write "len" bytes to the socket "fd" as FCGI_STDOUT records of
 * request "id": 0, or -1 with errno set (EPIPE: the peer is gone; no
 * SIGPIPE).
 */
int	record_write(int, int, const void *, size_t);

#endif
