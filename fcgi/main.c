/*
 * specreg: a speculative container image registry served over FastCGI.
 *
 * Usage: specreg [-d] [-c file] [serve [--listen addr] [--workers n] |
 *                 prune [--dry-run] [--untagged] | fsck [--repair] |
 *                 prefetch NAME:TAG... | check-config]
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/conf.h"
#include "common/log.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "fcgi/auth.h"
#include "fcgi/metrics.h"
#include "fcgi/prefetch.h"
#include "fcgi/serve.h"
#include "storage/prune.h"
#include "storage/store.h"

static void __attribute__((__noreturn__))
main_usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: specreg [-d] [-c file] command [options]\n"
	    "commands:\n"
	    "  serve [--listen addr:port|path] [--workers n]\n"
	    "                 serve FastCGI (on fd 0 when spawned by a web server)\n"
	    "  prune [--dry-run] [--untagged]\n"
	    "                 remove stale uploads, expired tags, old blobs\n"
	    "                 no tag reaches (--untagged: manifests too)\n"
	    "  fsck [--repair] check blobs, manifests and tags (exit 1)\n"
	    "  prefetch NAME:TAG...\n"
	    "                 pull images through [upstream] into the cache\n"
	    "  check-config   parse and validate the configuration, then exit\n"
	    "options:\n"
	    "  -c file        configuration (default: $SPECREG_CONFIG, specreg.ini\n"
	    "                 next to the binary, or " CONF_DEFAULT_PATH ")\n"
	    "  -d             debug logging (also DEBUG=1)\n"
	    "  -h, --help     this help\n"
	    "  -V, --version  print the version\n");
	exit(status);
}

static const struct option main_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "listen", required_argument, NULL, 'l' },
	{ "workers", required_argument, NULL, 'w' },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "untagged", no_argument, NULL, 'u' },
	{ "repair", no_argument, NULL, 'r' },
	{ NULL, 0, NULL, 0 }
};

static int
main_prune(const struct conf *conf, int dry_run, int untagged)
{
	struct prune_opts	 opts;
	struct prune_stats	 stats;
	struct store		*st;
	struct buf		 path = BUF_INIT;
	enum reg_err		 rc;

	if (conf->read_only) {
		fprintf(stderr, "specreg: prune: the registry is read-only "
		    "([registry] read-only = yes)\n");
		return (EXIT_FAILURE);
	}
	if ((st = store_open(conf)) == NULL)
		return (EXIT_FAILURE);
	/* Count it in a spawned pool's metrics, if there is one. */
	if (conf->metrics_enabled) {
		if (metrics_file_path(conf, &path) == 0)
			(void)metrics_open_file(path.buf, 0);
		buf_release(&path);
	}
	prune_opts_init(&opts);
	opts.upload_expiration = conf->upload_expiration;
	opts.expiration = conf->expiration;
	opts.grace = conf->prune_grace;
	opts.cache_expiration = conf->upstream_cache_expiration;
	opts.untagged = untagged;
	opts.dry_run = dry_run;
	rc = store_prune(st, &opts, &stats);
	store_close(st);
	if (rc == REG_OK && !dry_run) {
		metrics_add(MET_PRUNE_RUNS, 1);
		metrics_add(MET_PRUNE_FREED_BYTES, stats.bytes);
	}
	return (rc == REG_OK ? EXIT_SUCCESS : EXIT_FAILURE);
}

static void
main_fsck_print(const char *line, void *arg)
{
	(void)arg;
	printf("%s\n", line);
	fflush(stdout);
}

/* 0: no problem is left; 1: problems (not all repaired), or an error. */
static int
main_fsck(const struct conf *conf, int repair)
{
	struct fsck_stats	 stats;
	struct store		*st;
	enum reg_err		 rc;

	if ((st = store_open(conf)) == NULL)
		return (EXIT_FAILURE);
	rc = store_fsck(st, repair, main_fsck_print, NULL, &stats);
	store_close(st);
	if (rc != REG_OK || stats.problems > stats.repaired)
		return (EXIT_FAILURE);
	return (EXIT_SUCCESS);
}

/* The [storage] keys, against the driver's (storage/driver.c). */
static int
main_storage_check(const struct conf *conf)
{
	struct buf	errs = BUF_INIT;
	int		rv;

	if ((rv = stor_conf_check(conf, &errs)) == -1)
		fputs(errs.buf, stderr);
	buf_release(&errs);
	return (rv);
}

int
main(int argc, char *argv[])
{
	struct conf		 conf;
	struct serve_args	 args;
	const char		*path = NULL, *cmd, *dbg;
	int			 ch, dry_run = 0, untagged = 0, rc;
	int			 repair = 0;

	memset(&args, 0, sizeof(args));
	while ((ch = getopt_long(argc, argv, "+c:dhV", main_opts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'd':
			args.debug = 1;
			break;
		case 'h':
			main_usage(EXIT_SUCCESS);
		case 'V':
			printf("specreg %s\n", PACKAGE_VERSION);
			return (EXIT_SUCCESS);
		default:
			main_usage(EXIT_FAILURE);
		}
	}
	argc -= optind;
	argv += optind;
	cmd = argc > 0 ? argv[0] : "serve";
	if (argc > 0) {
		optind = 1;
		while ((ch = getopt_long(argc, argv, "+h", main_opts,
		    NULL)) != -1) {
			if (ch == 'l')
				args.listen = optarg;
			else if (ch == 'w' &&
			    parse_u64(optarg, 1, 512, &args.workers) == 0)
				continue;
			else if (ch == 'n')
				dry_run = 1;
			else if (ch == 'u')
				untagged = 1;
			else if (ch == 'r')
				repair = 1;
			else if (ch == 'h')
				main_usage(EXIT_SUCCESS);
			else
				main_usage(EXIT_FAILURE);
		}
	}
	if (((dry_run || untagged) && strcmp(cmd, "prune") != 0) ||
	    (repair && strcmp(cmd, "fsck") != 0) ||
	    ((strcmp(cmd, "prefetch") == 0) != (argc > 0 && optind < argc)))
		main_usage(EXIT_FAILURE);
	if ((dbg = getenv("DEBUG")) != NULL && strcmp(dbg, "1") == 0)
		args.debug = 1;

	conf_init(&conf);
	if (path == NULL)
		path = conf_default_path(NULL);
	if (conf_load(&conf, path) != 0 || main_storage_check(&conf) != 0) {
		conf_release(&conf);
		return (EXIT_FAILURE);
	}
	serve_args_apply(&args, &conf);
	log_init(conf.debug);

	if (strcmp(cmd, "check-config") == 0) {
		printf("%s: ok\n", path);
		rc = EXIT_SUCCESS;
	} else if (strcmp(cmd, "serve") == 0) {
		auth_init(&conf);
		rc = serve_main(&conf, &args);
	} else if (strcmp(cmd, "prune") == 0)
		rc = main_prune(&conf, dry_run, untagged);
	else if (strcmp(cmd, "fsck") == 0)
		rc = main_fsck(&conf, repair);
	else if (strcmp(cmd, "prefetch") == 0)
		rc = prefetch_main(&conf, argv + optind, argc - optind);
	else {
		fprintf(stderr, "specreg: unknown command \"%s\"\n", cmd);
		conf_release(&conf);
		main_usage(EXIT_FAILURE);
	}
	conf_release(&conf);
	return (rc);
}
