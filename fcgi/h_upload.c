/* fcgi/h_upload.c: not written yet. */
#include "config.h"
