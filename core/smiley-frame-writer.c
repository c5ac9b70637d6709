/* placeholder: being written (frame codec) */
#include "smiley-build-config.h"
#include "smiley.h"
