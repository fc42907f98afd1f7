/* storage/layout.c: not written yet. */
#include "config.h"
