/* placeholder: being written (frame codec) */
#include "smiley-build-config.h"
#include "smiley.h"
G_DEFINE_QUARK (smiley-frame-error-quark, smiley_frame_error)
