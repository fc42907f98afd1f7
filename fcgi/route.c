/* fcgi/route.c: not written yet. */
#include "config.h"
