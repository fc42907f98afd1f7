/*
 * tests/unit/check_record.c: FastCGI records of a response body
 * (fcgi/record.h): headers, padding, the 65,535-byte limit, bodies that
 * are an exact multiple of it, nothing for an empty body, and what
 * record_write() puts on a socket.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
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
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
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
	return (check_run(s));
}
