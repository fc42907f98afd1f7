/* fcgi/request.c: not written yet. */
#include "config.h"
