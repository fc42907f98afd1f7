/* storage/fs.c: not written yet. */
#include "config.h"
