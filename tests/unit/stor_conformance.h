/*
 * tests/unit/stor_conformance.h: one conformance suite for every
 * storage driver.
 *
 * A driver's test program fills a struct stor_factory and adds the
 * TCase that stor_conformance_tcase() builds.  open() must return a
 * fresh, empty store each time (every test runs with its own); close()
 * closes it and throws its contents away.  One factory per program.
 */
#ifndef SPECREG_TESTS_STOR_CONFORMANCE_H
#define SPECREG_TESTS_STOR_CONFORMANCE_H

#include <check.h>

#include "storage/driver.h"

struct stor_factory {
	const char		*name;
	struct stor_driver	*(*open)(void);
	void			 (*close)(struct stor_driver *);
};

TCase	*stor_conformance_tcase(const struct stor_factory *);

/* A new directory under $TMPDIR (free it), and rm -rf for it. */
char	*stor_test_mkdtemp(void);
void	 stor_test_rmtree(const char *);

#endif
