/* storage/store_upload.c: not written yet. */
#include "config.h"
