/*
 * tests/unit/check_run.c: the runner every unit test program shares.
 */
#include "config.h"

#include <stdlib.h>

#include <check.h>

#include "tests/unit/check_run.h"

int
check_run(Suite *s)
{
	SRunner	*sr;
	int	 nfailed;

	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	nfailed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (nfailed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
