/*
 * bench/fcgi-ceiling.c: the FastCGI stream ceiling of a front end.
 *
 * A responder that does nothing but answer GET .../N with N bytes from
 * memory, in records of 65,535 bytes of content plus 1 byte of padding,
 * 16 records to a writev(2): what a front end lets a FastCGI
 * application send at best.  bench/ runs it where specreg runs
 * ("... --listen ADDR --workers N", or on fd 0 under mod_fcgid) and
 * reports specreg's pull_nosendfile as a fraction of it.  Not part of
 * specreg; libfcgi does the rest of the protocol.
 *
 *	cc -O2 -o fcgi-ceiling bench/fcgi-ceiling.c -lfcgi
 */
#include <sys/prctl.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <fcgiapp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef REC
#define REC	65535
#endif
#define BATCH	16

static char	mem[BATCH * REC];

/* N bytes of the body as FCGI_STDOUT records straight to the socket. */
static int
body(FCGX_Request *r, unsigned long long n)
{
	static unsigned char	pad[8];
	unsigned char		hdr[BATCH][8];
	struct iovec		iov[BATCH * 3];
	size_t			len;
	int			i, k;

	while (n > 0) {
		for (i = k = 0; i < BATCH && n > 0; i++) {
			len = n > REC ? REC : n;
			n -= len;
			memset(hdr[i], 0, 8);
			hdr[i][0] = 1;
			hdr[i][1] = 6;
			hdr[i][2] = (unsigned char)(r->requestId >> 8);
			hdr[i][3] = (unsigned char)r->requestId;
			hdr[i][4] = (unsigned char)(len >> 8);
			hdr[i][5] = (unsigned char)len;
			hdr[i][6] = (unsigned char)((8 - len % 8) % 8);
			iov[k].iov_base = hdr[i];
			iov[k++].iov_len = 8;
			iov[k].iov_base = mem + (size_t)i * REC;
			iov[k++].iov_len = len;
			iov[k].iov_base = pad;
			iov[k++].iov_len = hdr[i][6];
		}
		/* Short writes are not resumed: a probe, not a server. */
		if (writev(r->ipcFd, iov, k) <= 0)
			return (-1);
	}
	return (0);
}

static void
serve(int fd)
{
	FCGX_Request		 r;
	const char		*uri, *last;
	unsigned long long	 n;

	FCGX_InitRequest(&r, fd, 0);
	while (FCGX_Accept_r(&r) == 0) {
		uri = FCGX_GetParam("REQUEST_URI", r.envp);
		last = uri != NULL && strrchr(uri, '/') != NULL ?
		    strrchr(uri, '/') + 1 : "0";
		n = strtoull(last, NULL, 10);
		FCGX_FPrintF(r.out, "Status: 200 OK\r\nContent-Type: "
		    "application/octet-stream\r\nContent-Length: %llu\r\n\r\n",
		    n);
		if (FCGX_FFlush(r.out) == 0 && body(&r, n) == -1)
			FCGX_SetExitStatus(1, r.out);
		FCGX_Finish_r(&r);
	}
}

int
main(int argc, char *argv[])
{
	const char	*listen = NULL;
	int		 i, fd = 0, workers = 1;

	signal(SIGPIPE, SIG_IGN);
	for (i = 1; i + 1 < argc; i++) {
		if (strcmp(argv[i], "--listen") == 0)
			listen = argv[i + 1];
		if (strcmp(argv[i], "--workers") == 0)
			workers = atoi(argv[i + 1]);
	}
	FCGX_Init();
	if (listen == NULL) {
		serve(0);
		return (0);
	}
	if ((fd = FCGX_OpenSocket(listen, 1024)) < 0)
		return (1);
	for (i = 0; i < workers; i++)
		if (fork() == 0) {
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			serve(fd);
			_exit(0);
		}
	while (wait(NULL) > 0)
		;
	return (0);
}
