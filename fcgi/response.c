/* fcgi/response.c: not written yet. */
#include "config.h"
