/* fcgi/accept.c: not written yet. */
#include "config.h"
