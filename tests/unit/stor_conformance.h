/*
 * tests/unit/stor_conformance.h: one conformance suite for every
 * storage driver.
 *
 * A driver's test program fills a struct stor_factory and adds the
 * TCase that stor_conformance_tcase() builds.  open() must return a
 * fresh, empty store each time (every test runs with its own), opened
 * with the driver's smallest listing page (a knob of the driver for
 * tests); close() closes it and throws its contents away.
 * "list_entries" is more than such a page holds.  One factory per
 * program.
 */
#ifndef SPECREG_TESTS_STOR_CONFORMANCE_H
#define SPECREG_TESTS_STOR_CONFORMANCE_H

#include <check.h>

#include "common/conf.h"
#include "storage/driver.h"
#include "storage/store.h"

struct stor_factory {
	const char		*name;
	struct stor_driver	*(*open)(void);
	void			 (*close)(struct stor_driver *);
	size_t			 list_entries;
};

TCase	*stor_conformance_tcase(const struct stor_factory *);

/* A new directory under $TMPDIR (free it), and rm -rf for it. */
char	*stor_test_mkdtemp(void);
void	 stor_test_rmtree(const char *);

/* [storage] of the fs driver at "root" (conf_release() it). */
void	 stor_test_conf(struct conf *, const char *root);
/* The fs driver, and a store on it, at "root"; NULL after logging. */
struct stor_driver	*stor_test_fs(const char *root);
struct store		*stor_test_store(const char *root);

#endif
