/* storage/manifest.c: not written yet. */
#include "config.h"
