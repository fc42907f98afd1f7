/* fcgi/serve.c: not written yet. */
#include "config.h"
