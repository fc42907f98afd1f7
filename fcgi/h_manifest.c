/* fcgi/h_manifest.c: not written yet. */
#include "config.h"
