/*
 * tests/integration/swift-client.c: storage/swift.c driven from the
 * shell, for t0960-swift-client.sh.  Not installed.
 *
 *   swift-client CMD ARGS [-- CMD ARGS]...
 *
 * The commands run in order on one client (one token), and the first
 * failure ends the run with status 1 (2 for REG_E_NOENT, 3 for
 * REG_E_EXISTS).  The configuration comes from the environment:
 * SWIFT_AUTH_URL, SWIFT_USERNAME, SWIFT_PASSWORD, SWIFT_CONTAINER and,
 * for Keystone v3, SWIFT_PROJECT, SWIFT_REGION, SWIFT_APP_ID,
 * SWIFT_APP_SECRET; SWIFT_PAGE is the listing page size.
 *
 *   connect                     authenticate, create the container
 *   head NAME                   "size etag slo"
 *   get NAME [OFF LEN]          the bytes to stdout
 *   put NAME FILE [excl]        a PUT from memory
 *   stream NAME [excl]          stdin as a chunked PUT, 64 KiB at a time
 *   slo NAME SEGMENT...         an SLO of the segments (objects)
 *   delete NAME | copy FROM TO
 *   list PREFIX [DELIMITER]     "name bytes mtime" or "subdir name"
 *   tempurl METHOD NAME SECS    a TempURL valid for SECS
 *   pause                       wait for a line on stdin
 *   maxrss                      the peak RSS in KiB
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "net/httpc.h"
#include "storage/swift.h"

#define PIECE	(64 * 1024)

static enum reg_err
out_sink(const void *p, size_t n, void *arg)
{
	(void)arg;
	return (fwrite(p, 1, n, stdout) == n ? REG_OK : REG_E_IO);
}

static enum reg_err
list_print(const struct swift_entry *e, void *arg)
{
	(void)arg;
	if (e->subdir)
		printf("subdir %s\n", e->name);
	else
		printf("%s %llu %lld\n", e->name, (unsigned long long)e->bytes,
		    (long long)e->mtime);
	return (REG_OK);
}

static enum reg_err
cmd_put(struct swift *s, char **av, int ac)
{
	struct buf	 b = BUF_INIT;
	char		 chunk[PIECE];
	size_t		 n;
	FILE		*f;
	enum reg_err	 err;

	if (ac < 3 || (f = fopen(av[2], "rb")) == NULL)
		return (REG_E_IO);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	err = swift_put(s, av[1], b.buf, b.len,
	    ac > 3 && strcmp(av[3], "excl") == 0 ? SWIFT_EXCL : 0, NULL);
	buf_release(&b);
	return (err);
}

static enum reg_err
cmd_stream(struct swift *s, char **av, int ac)
{
	struct swift_put	*p;
	struct swift_stat	 st;
	char			*chunk;
	size_t			 n;
	enum reg_err		 err;

	err = swift_put_open(s, av[1],
	    ac > 2 && strcmp(av[2], "excl") == 0 ? SWIFT_EXCL : 0, &p);
	if (err != REG_OK)
		return (err);
	chunk = xmalloc(PIECE);
	while ((n = fread(chunk, 1, PIECE, stdin)) > 0)
		if ((err = swift_put_write(p, chunk, n)) != REG_OK)
			break;
	free(chunk);
	if (err != REG_OK) {
		swift_put_abort(p);
		return (err);
	}
	if ((err = swift_put_close(p, &st)) == REG_OK)
		printf("%llu %s\n", (unsigned long long)st.size, st.etag);
	return (err);
}

static enum reg_err
cmd_slo(struct swift *s, char **av, int ac)
{
	struct swift_segment	*seg;
	struct swift_stat	*st;
	struct swift_stat	 res;
	enum reg_err		 err = REG_OK;
	int			 i, n = ac - 2;

	seg = xcalloc((size_t)n + 1, sizeof(*seg));
	st = xcalloc((size_t)n + 1, sizeof(*st));
	for (i = 0; i < n && err == REG_OK; i++) {
		err = swift_head(s, av[i + 2], &st[i]);
		seg[i].name = av[i + 2];
		seg[i].size = st[i].size;
		seg[i].etag = st[i].etag;
	}
	if (err == REG_OK &&
	    (err = swift_slo_put(s, av[1], seg, (size_t)n, NULL, 0, &res)) ==
	    REG_OK)
		printf("%llu %d\n", (unsigned long long)res.size, res.slo);
	free(st);
	free(seg);
	return (err);
}

static enum reg_err
cmd_one(struct swift *s, char **av, int ac)
{
	struct swift_stat	 st;
	struct buf		 url = BUF_INIT;
	struct rusage		 ru;
	char			 line[64];
	enum reg_err		 err;

	if (strcmp(av[0], "connect") == 0)
		return (swift_connect(s));
	if (strcmp(av[0], "pause") == 0)
		return (fgets(line, sizeof(line), stdin) != NULL ? REG_OK :
		    REG_E_IO);
	if (strcmp(av[0], "maxrss") == 0) {
		getrusage(RUSAGE_SELF, &ru);
		printf("%ld\n", ru.ru_maxrss);
		return (REG_OK);
	}
	if (ac < 2)
		return (REG_E_IO);
	if (strcmp(av[0], "head") == 0) {
		if ((err = swift_head(s, av[1], &st)) == REG_OK)
			printf("%llu %s %d\n", (unsigned long long)st.size,
			    st.etag, st.slo);
		return (err);
	}
	if (strcmp(av[0], "get") == 0)
		return (swift_get(s, av[1], ac > 3 ? strtoull(av[2], NULL, 10) :
		    0, ac > 3 ? strtoull(av[3], NULL, 10) : UINT64_MAX,
		    out_sink, NULL));
	if (strcmp(av[0], "put") == 0)
		return (cmd_put(s, av, ac));
	if (strcmp(av[0], "stream") == 0)
		return (cmd_stream(s, av, ac));
	if (strcmp(av[0], "slo") == 0 && ac > 2)
		return (cmd_slo(s, av, ac));
	if (strcmp(av[0], "delete") == 0)
		return (swift_delete(s, av[1]));
	if (strcmp(av[0], "copy") == 0 && ac > 2)
		return (swift_copy(s, av[1], av[2]));
	if (strcmp(av[0], "list") == 0)
		return (swift_list(s, av[1], ac > 2 ? av[2] : NULL, list_print,
		    NULL));
	if (strcmp(av[0], "tempurl") == 0 && ac > 3) {
		err = swift_tempurl(s, av[1], av[2],
		    time(NULL) + strtoll(av[3], NULL, 10), &url);
		if (err == REG_OK)
			printf("%s\n", url.buf);
		buf_release(&url);
		return (err);
	}
	fprintf(stderr, "swift-client: bad command %s\n", av[0]);
	return (REG_E_IO);
}

int
main(int argc, char **argv)
{
	struct swift_conf	 conf;
	struct swift		*s;
	enum reg_err		 err = REG_OK;
	int			 i, start;

	log_init(getenv("SWIFT_DEBUG") != NULL);
	httpc_init();
	memset(&conf, 0, sizeof(conf));
	conf.auth_url = getenv("SWIFT_AUTH_URL");
	conf.username = getenv("SWIFT_USERNAME");
	conf.password = getenv("SWIFT_PASSWORD");
	conf.container = getenv("SWIFT_CONTAINER");
	conf.project = getenv("SWIFT_PROJECT");
	conf.region = getenv("SWIFT_REGION");
	conf.app_cred_id = getenv("SWIFT_APP_ID");
	conf.app_cred_secret = getenv("SWIFT_APP_SECRET");
	if (getenv("SWIFT_PAGE") != NULL)
		conf.page = (unsigned int)strtoul(getenv("SWIFT_PAGE"), NULL,
		    10);
	if (conf.auth_url == NULL || conf.container == NULL) {
		fprintf(stderr, "swift-client: set SWIFT_AUTH_URL and "
		    "SWIFT_CONTAINER\n");
		return (1);
	}
	s = swift_new(&conf);
	for (start = i = 1; i <= argc && err == REG_OK; i++) {
		if (i < argc && strcmp(argv[i], "--") != 0)
			continue;
		if (i > start)
			err = cmd_one(s, argv + start, i - start);
		fflush(stdout);
		start = i + 1;
	}
	swift_free(s);
	if (err == REG_E_NOENT)
		return (2);
	if (err == REG_E_EXISTS)
		return (3);
	return (err == REG_OK ? 0 : 1);
}
