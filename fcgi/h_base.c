/* fcgi/h_base.c: not written yet. */
#include "config.h"
