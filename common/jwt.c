/* common/jwt.c: not written yet. */
#include "config.h"
