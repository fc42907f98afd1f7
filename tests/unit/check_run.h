/*
 * tests/unit/check_run.h: what every unit test program's main() ends
 * with.
 */
#ifndef SPECREG_TESTS_CHECK_RUN_H
#define SPECREG_TESTS_CHECK_RUN_H

#include <check.h>

/*
 * Run "s" (CK_VERBOSITY and CK_FORK apply) and free it: EXIT_SUCCESS
 * if every test passed.
 */
int	check_run(Suite *);

#endif
