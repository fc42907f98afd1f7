/*
 * tests/unit/check_record.c: FastCGI records of a response body
 * (fcgi/record.h): headers, padding, the 65,535-byte limit, bodies that
 * are an exact multiple of it, nothing for an empty body, and what
 * record_write() puts on a socket.  And a request body read from
 * crafted FCGI_STDIN streams: padding, empty records, records of other
 * requests, FCGI_ABORT_REQUEST, streams cut short or malformed, split
 * at every byte between libfcgi's read-ahead and the socket or
 * trickled in pieces, and nothing read past the end of the stream.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "fcgi/record.h"
#include "tests/unit/check_run.h"

#define BIG	(RECORD_BATCH * RECORD_MAX + 5)

static char	body[BIG];

static const struct {
	size_t	len;		/* bytes to frame */
	size_t	framed;		/* content bytes record_frame() takes */
	int	nrec;
	size_t	last;		/* content of the last record */
	int	lastpad;
} frames[] = {
	{ 0, 0, 0, 0, 0 },
	{ 1, 1, 1, 1, 7 },
	{ 8, 8, 1, 8, 0 },
	{ 8191, 8191, 1, 8191, 1 },
	{ RECORD_MAX, RECORD_MAX, 1, RECORD_MAX, 1 },
	{ RECORD_MAX + 1, RECORD_MAX + 1, 2, 1, 7 },
	{ 2 * RECORD_MAX, 2 * RECORD_MAX, 2, RECORD_MAX, 1 },
	{ 262144, 262144, 5, 4, 4 },
	{ RECORD_BATCH * RECORD_MAX, RECORD_BATCH * RECORD_MAX,
	  RECORD_BATCH, RECORD_MAX, 1 },
	{ BIG, RECORD_BATCH * RECORD_MAX, RECORD_BATCH, RECORD_MAX, 1 },
};

/* Check one record's header: version, type, id, length, padding. */
static void
check_header(const unsigned char *h, int id, size_t len, size_t pad)
{
	ck_assert_uint_eq(h[0], 1);
	ck_assert_uint_eq(h[1], RECORD_STDOUT);
	ck_assert_int_eq((h[2] << 8) | h[3], id);
	ck_assert_uint_eq(((size_t)h[4] << 8) | h[5], len);
	ck_assert_uint_eq(h[6], pad);
	ck_assert_uint_eq(h[7], 0);
}

START_TEST(test_record_frame)
{
	struct record_batch	 b;
	size_t			 n, len, off = 0, wire = 0;
	int			 i, k = 0;

	n = record_frame(&b, 0x1234, body, frames[_i].len);
	ck_assert_uint_eq(n, frames[_i].framed);
	ck_assert_int_eq(b.nrec, frames[_i].nrec);
	for (i = 0; i < b.nrec; i++) {
		len = i == b.nrec - 1 ? frames[_i].last : RECORD_MAX;
		check_header(b.iov[k].iov_base, 0x1234, len,
		    i == b.nrec - 1 ? (size_t)frames[_i].lastpad : 1);
		ck_assert_uint_eq(b.iov[k].iov_len, RECORD_HEADER);
		ck_assert_ptr_eq(b.iov[k + 1].iov_base, body + off);
		ck_assert_uint_eq(b.iov[k + 1].iov_len, len);
		wire += RECORD_HEADER + len;
		off += len;
		k += 2;
		if (len % 8 != 0) {
			ck_assert_uint_eq(b.iov[k].iov_len, 8 - len % 8);
			ck_assert(memcmp(b.iov[k].iov_base, "\0\0\0\0\0\0\0",
			    b.iov[k].iov_len) == 0);
			wire += b.iov[k].iov_len;
			k++;
		}
	}
	ck_assert_int_eq(b.niov, k);
	ck_assert_uint_eq(b.wire, wire);
	ck_assert_uint_eq(wire % 8, 0);
}
END_TEST

/* Read "n" bytes from "fd", all of them. */
static void
read_all(int fd, void *p, size_t n)
{
	ssize_t	r;

	while (n > 0) {
		r = read(fd, p, n);
		ck_assert_int_gt(r, 0);
		p = (char *)p + r;
		n -= (size_t)r;
	}
}

/*
 * Parse records from "fd" until EOF: every one an FCGI_STDOUT of
 * request 7, not empty, at most RECORD_MAX, padded with zeros to a
 * multiple of 8; the content must be "want".
 */
static void
check_stream(int fd, const char *want, size_t len)
{
	static char	 got[3 * BIG];
	unsigned char	 h[RECORD_HEADER], pad[8];
	size_t		 n, p, off = 0;

	while (read(fd, h, 1) == 1) {
		read_all(fd, h + 1, RECORD_HEADER - 1);
		n = ((size_t)h[4] << 8) | h[5];
		p = h[6];
		check_header(h, 7, n, (8 - n % 8) % 8);
		ck_assert_uint_gt(n, 0);
		ck_assert_uint_le(off + n, sizeof(got));
		read_all(fd, got + off, n);
		read_all(fd, pad, p);
		ck_assert(memcmp(pad, "\0\0\0\0\0\0\0", p) == 0);
		off += n;
	}
	ck_assert_uint_eq(off, len);
	ck_assert(memcmp(got, want, len) == 0);
}

static const size_t	writes[] = { 0, 1, 4096, RECORD_MAX, 2 * RECORD_MAX,
			    BIG, 3 * BIG };

START_TEST(test_record_write)
{
	static char	 src[3 * BIG];
	size_t		 i;
	pid_t		 pid;
	int		 sv[2], status;

	for (i = 0; i < sizeof(src); i++)
		src[i] = (char)(i * 131 + i / 65535);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	if ((pid = fork()) == 0) {
		close(sv[0]);
		_exit(record_write(sv[1], 7, src, writes[_i]) == 0 ? 0 : 1);
	}
	ck_assert_int_gt(pid, 0);
	close(sv[1]);
	check_stream(sv[0], src, writes[_i]);
	close(sv[0]);
	if (pid != 0) {
		ck_assert_int_gt(pid, 0);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
}
END_TEST

/* A peer that went away: -1 and EPIPE, and no SIGPIPE kills us. */
START_TEST(test_record_write_gone)
{
	int	sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	close(sv[0]);
	errno = 0;
	ck_assert_int_eq(record_write(sv[1], 1, body, BIG), -1);
	ck_assert_int_eq(errno, EPIPE);
	close(sv[1]);
}
END_TEST

/* One record of a crafted stdin stream. */
struct rec {
	int		 type;
	int		 id;
	size_t		 len;		/* content: pattern bytes */
	size_t		 pad;
};

#define ID	0x0102
#define END	{ RECORD_STDIN, ID, 0, 0 }

static const struct {
	const char	*what;
	struct rec	 recs[8];
	size_t		 cut;		/* bytes dropped from the end */
	enum record_in	 state;		/* after reading to the end */
	int		 error;
} streams[] = {
	{ "one record", { { RECORD_STDIN, ID, 5, 3 }, END }, 0,
	  RECORD_IN_END, 0 },
	{ "no body", { END }, 0, RECORD_IN_END, 0 },
	{ "odd and long padding", { { RECORD_STDIN, ID, 1, 0 },
	  { RECORD_STDIN, ID, 300, 255 }, { RECORD_STDIN, ID, 8, 7 },
	  END }, 0, RECORD_IN_END, 0 },
	{ "the last record padded", { { RECORD_STDIN, ID, 9, 7 },
	  { RECORD_STDIN, ID, 0, 200 } }, 0, RECORD_IN_END, 0 },
	{ "full records", { { RECORD_STDIN, ID, RECORD_MAX, 1 },
	  { RECORD_STDIN, ID, RECORD_MAX, 0 }, { RECORD_STDIN, ID, 2, 6 },
	  END }, 0, RECORD_IN_END, 0 },
	{ "other requests and management records",
	  { { RECORD_STDIN, 7, 100, 4 }, { RECORD_STDIN, ID, 3, 5 },
	  { 9, 0, 16, 0 }, { RECORD_ABORT, 7, 0, 0 },
	  { RECORD_STDIN, 7, 0, 0 }, { RECORD_STDIN, ID, 4, 0 }, END }, 0,
	  RECORD_IN_END, 0 },
	{ "aborted", { { RECORD_STDIN, ID, 20, 4 }, { RECORD_ABORT, ID, 0,
	  0 }, { RECORD_STDIN, ID, 20, 4 }, END }, 0, RECORD_IN_ABORTED, 0 },
	{ "cut in the content", { { RECORD_STDIN, ID, 1000, 0 }, END },
	  RECORD_HEADER + 500, RECORD_IN_BROKEN, ECONNRESET },
	{ "cut in the padding", { { RECORD_STDIN, ID, 1001, 7 }, END },
	  RECORD_HEADER + 3, RECORD_IN_BROKEN, ECONNRESET },
	{ "cut in a header", { { RECORD_STDIN, ID, 64, 0 }, END }, 5,
	  RECORD_IN_BROKEN, ECONNRESET },
	{ "no end", { { RECORD_STDIN, ID, 64, 0 }, END }, RECORD_HEADER,
	  RECORD_IN_BROKEN, ECONNRESET },
	{ "params in stdin", { { RECORD_STDIN, ID, 10, 6 }, { 4, ID, 10,
	  6 }, END }, 0, RECORD_IN_BROKEN, EPROTO },
};

/* Behind the end of every stream: never read by record_read(). */
static const char	after[] = "\1\5\1\2NEXT";

/*
 * The bytes of stream "i" into "out", and the content they carry for
 * request ID up to its end or abort.
 */
static size_t
stream_make(size_t i, unsigned char *out, unsigned char *want,
    size_t *nwant)
{
	const struct rec	*r;
	size_t			 n = 0, k;
	int			 ours = 1;

	*nwant = 0;
	for (r = streams[i].recs; r->type != 0; r++) {
		out[n++] = 1;
		out[n++] = (unsigned char)r->type;
		out[n++] = (unsigned char)(r->id >> 8);
		out[n++] = (unsigned char)r->id;
		out[n++] = (unsigned char)(r->len >> 8);
		out[n++] = (unsigned char)r->len;
		out[n++] = (unsigned char)r->pad;
		out[n++] = 0;
		if (r->id == ID && r->type == RECORD_ABORT)
			ours = 0;
		for (k = 0; k < r->len; k++) {
			out[n] = (unsigned char)((n * 7 + r->type) & 0xff);
			if (ours && r->type == RECORD_STDIN && r->id == ID)
				want[(*nwant)++] = out[n];
			n++;
		}
		for (k = 0; k < r->pad; k++)
			out[n++] = 0xee;	/* padding: any value */
	}
	return (n);
}

/*
 * Write "n" bytes to "fd" "piece" bytes at a time, pausing between the
 * first few; quietly stop when the reader is gone.
 */
static void
feed(int fd, const unsigned char *p, size_t n, size_t piece)
{
	size_t	k, i;

	for (i = 0; n > 0; i++) {
		k = n < piece ? n : piece;
		if (write(fd, p, k) != (ssize_t)k)
			return;
		p += k;
		n -= k;
		if (i < 100)
			usleep(100);
	}
}

/*
 * Read stream "i", its first "ahead" bytes as libfcgi's read-ahead, the
 * rest from a socket written "piece" bytes at a time, into "chunk"-byte
 * reads; check the content, the end, and what is left on the socket.
 */
static void
stdin_case(size_t i, size_t ahead, size_t piece, size_t chunk)
{
	static unsigned char	 s[3 * RECORD_MAX], want[3 * RECORD_MAX],
				 got[3 * RECORD_MAX];
	struct record_reader	 r;
	char			 rest[sizeof(after)];
	size_t			 n, nwant, ngot = 0;
	ssize_t			 k;
	pid_t			 pid;
	int			 sv[2], status, sndbuf = 4 * RECORD_MAX;

	n = stream_make(i, s, want, &nwant) - streams[i].cut;
	if (ahead > n)
		return;
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sndbuf,
	    sizeof(sndbuf)), 0);
	/* In one piece, the socket's buffer holds it all: no writer. */
	if ((pid = piece >= n ? 0 : fork()) == 0) {
		if (piece < n)
			close(sv[0]);
		signal(SIGPIPE, SIG_IGN);
		feed(sv[1], s + ahead, n - ahead, piece);
		if (streams[i].cut == 0)
			feed(sv[1], (const unsigned char *)after,
			    sizeof(after), sizeof(after));
		if (piece < n)
			_exit(0);
	}
	close(sv[1]);
	record_reader_init(&r, sv[0], ID, s, ahead);
	while ((k = record_read(&r, got + ngot, chunk)) > 0) {
		ck_assert_uint_le((size_t)k, chunk);
		ngot += (size_t)k;
	}
	ck_assert_msg(r.state == streams[i].state, "%s: state %d",
	    streams[i].what, r.state);
	ck_assert_int_eq(k, r.state == RECORD_IN_END ? 0 : -1);
	ck_assert_int_eq(r.error, streams[i].error);
	if (r.state == RECORD_IN_BROKEN)
		ck_assert_uint_le(ngot, nwant);
	else
		ck_assert_uint_eq(ngot, nwant);
	if (r.state == RECORD_IN_END) {
		ck_assert_int_eq(read(sv[0], rest, sizeof(rest)),
		    (ssize_t)sizeof(after));
		ck_assert(memcmp(rest, after, sizeof(after)) == 0);
	}
	ck_assert(memcmp(got, want, ngot) == 0);
	/* Once failed or ended, it stays so. */
	ck_assert_int_eq(record_read(&r, got, 1), k);
	close(sv[0]);
	if (pid != 0) {
		ck_assert_int_gt(pid, 0);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
}

/* Every split between read-ahead and socket, in large reads. */
START_TEST(test_record_read_ahead)
{
	size_t	ahead;

	for (ahead = 0; ahead <= 340; ahead++)
		stdin_case((size_t)_i, ahead, 3 * RECORD_MAX, 256 * 1024);
}
END_TEST

/* Trickled a few bytes at a time, read in small and odd sizes. */
START_TEST(test_record_read_pieces)
{
	static const size_t	pieces[] = { 1, 3, 8, 13 };
	static const size_t	chunks[] = { 1, 7, 4096, 65536 };
	size_t			k;

	for (k = 0; k < nitems(pieces); k++)
		stdin_case((size_t)_i, k * 5, pieces[k], chunks[k]);
}
END_TEST

int
main(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("record");
	tc = tcase_create("frame");
	tcase_add_loop_test(tc, test_record_frame, 0, nitems(frames));
	tcase_add_loop_test(tc, test_record_write, 0, nitems(writes));
	tcase_add_test(tc, test_record_write_gone);
	suite_add_tcase(s, tc);
	tc = tcase_create("stdin");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_record_read_ahead, 0, nitems(streams));
	tcase_add_loop_test(tc, test_record_read_pieces, 0, nitems(streams));
	suite_add_tcase(s, tc);
	return (check_run(s));
}
