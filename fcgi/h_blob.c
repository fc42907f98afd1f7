/* fcgi/h_blob.c: not written yet. */
#include "config.h"
