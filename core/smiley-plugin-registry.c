/* placeholder: being written (plugin registry) */
#include "smiley-build-config.h"
#include "smiley.h"
