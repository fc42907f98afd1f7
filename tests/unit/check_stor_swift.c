/*
 * tests/unit/check_stor_swift.c: the swift driver against a real Swift.
 *
 * Runs the driver conformance suite, each test on a container of its
 * own, with listing pages of 5 entries.  The Swift is the one at
 * SPECREG_SWIFT_AUTH (an auth v1.0 URL; user test:tester, key testing):
 * t0961-swift-conformance.sh starts one.  Without it the program skips
 * (exit 77).
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/conf.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "net/httpc.h"
#include "storage/driver.h"
#include "storage/swift.h"
#include "tests/unit/check_run.h"
#include "tests/unit/stor_conformance.h"

#define SWIFT_TEST_PAGE	5

static void
conf_pair(struct conf *c, const char *key, const char *value)
{
	struct conf_pair	*p;

	c->storage = xreallocarray(c->storage, c->nstorage + 1,
	    sizeof(*c->storage));
	p = &c->storage[c->nstorage++];
	memset(p, 0, sizeof(*p));
	p->key = xstrdup(key);
	p->value = xstrdup(value);
	p->raw = xasprintf("%s = %s\n", key, value);
	p->line = (int)c->nstorage;
}

static struct stor_driver *
swift_factory_open(void)
{
	static unsigned int	 n;
	struct stor_driver	*sd;
	struct conf		 c;
	char			*container;

	conf_init(&c);
	free(c.driver);
	c.driver = xstrdup("swift");
	container = xasprintf("conformance-%ld-%u", (long)getpid(), n++);
	conf_pair(&c, "auth-url", getenv("SPECREG_SWIFT_AUTH"));
	conf_pair(&c, "username", "test:tester");
	conf_pair(&c, "password", "testing");
	conf_pair(&c, "container", container);
	sd = stor_open(&c);
	conf_release(&c);
	free(container);
	ck_assert_ptr_nonnull(sd);
	stor_swift_page(sd, SWIFT_TEST_PAGE);
	ck_assert_int_eq(stor_check(sd, NULL), REG_OK);
	return (sd);
}

static void
swift_factory_close(struct stor_driver *sd)
{
	stor_close(sd);
}

static const struct stor_factory swift_factory = {
	"swift", swift_factory_open, swift_factory_close,
	3 * SWIFT_TEST_PAGE + 2
};

int
main(void)
{
	Suite	*s;

	if (getenv("SPECREG_SWIFT_AUTH") == NULL) {
		fprintf(stderr, "check_stor_swift: SPECREG_SWIFT_AUTH is not "
		    "set: skipped\n");
		return (77);
	}
	httpc_init();
	s = suite_create("stor_swift");
	suite_add_tcase(s, stor_conformance_tcase(&swift_factory));
	return (check_run(s));
}
