/*
 * fcgi/record.h: request and response bodies as FastCGI records at the
 * protocol's limit.
 *
 * libfcgi keeps the protocol: the request id, the parameters, stdin,
 * the headers (through its 8 KiB stream buffer) and the records that
 * end a request.  Body bytes go out through record_write() instead:
 * FCGI_STDOUT records of up to RECORD_MAX bytes of content, padded to
 * a multiple of 8 as the specification recommends, several records to
 * one sendmsg(2), the caller's bytes never copied in user space.  An
 * empty FCGI_STDOUT record ends the stream: none is ever framed.
 *
 * Request bodies come in through record_read(): the FCGI_STDIN records
 * of one request parsed on the connection's socket, each record's
 * content read straight into the caller's buffer, its padding and the
 * next header in the same readv(2).  Whatever libfcgi read ahead while
 * it took the parameters is handed over first ("ahead").  Records of
 * other requests and management records are skipped (no front end
 * multiplexes; libfcgi answers FCGI_MPXS_CONNS 0), an FCGI_ABORT_REQUEST
 * of the request ends the body as a failure, and nothing is read past
 * the empty record that ends the stream.
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
#define RECORD_ABORT	2		/* FCGI_ABORT_REQUEST */
#define RECORD_STDIN	5		/* FCGI_STDIN */
#define RECORD_PAD_MAX	255

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

/* Where a request's stdin stands. */
enum record_in {
	RECORD_IN_BODY,			/* more may come */
	RECORD_IN_END,			/* the empty record came: complete */
	RECORD_IN_ABORTED,		/* FCGI_ABORT_REQUEST */
	RECORD_IN_BROKEN		/* EOF, a read error or bad records */
};

/* The FCGI_STDIN stream of one request. */
struct record_reader {
	int			 fd;
	int			 id;
	const unsigned char	*ahead;		/* read by libfcgi, not ours */
	size_t			 nahead;
	size_t			 content;	/* left in the record */
	int			 skip;		/* not our stdin */
	int			 last;		/* the empty record's padding */
	unsigned char		 tail[RECORD_PAD_MAX + RECORD_HEADER];
	size_t			 ntail;		/* padding, then a header */
	size_t			 wanttail;
	enum record_in		 state;
	int			 error;		/* errno, RECORD_IN_BROKEN */
};

/*
 * Start reading the stdin of request "id" on "fd", at a record
 * boundary; the first "nahead" bytes of the stream are at "ahead"
 * (borrowed until record_read() has used them).
 */
void	record_reader_init(struct record_reader *, int, int, const void *,
	    size_t);
/*
 * Fill "data" with up to "len" bytes of content: fewer only at the end
 * of the stream.  0 at its end (state RECORD_IN_END), -1 once it
 * failed (state says how, error the errno if any).
 */
ssize_t	record_read(struct record_reader *, void *, size_t);

#endif
