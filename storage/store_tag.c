/* storage/store_tag.c: not written yet. */
#include "config.h"
