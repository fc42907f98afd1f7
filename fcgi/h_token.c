/* fcgi/h_token.c: not written yet. */
#include "config.h"
