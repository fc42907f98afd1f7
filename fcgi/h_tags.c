/* fcgi/h_tags.c: not written yet. */
#include "config.h"
