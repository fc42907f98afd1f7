/* storage/driver.c: not written yet. */
#include "config.h"
