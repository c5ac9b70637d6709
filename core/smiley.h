/* smiley.h: the public API of libsmiley, for smiley and its plugins
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#pragma once

#define SMILEY_INSIDE

#include "smiley-version.h"
#include "smiley-event.h"
#include "smiley-batch.h"
#include "smiley-stats.h"
#include "smiley-run.h"
#include "smiley-sink.h"
#include "smiley-source.h"
#include "smiley-store.h"
#include "smiley-view.h"
#include "smiley-frame-reader.h"
#include "smiley-frame-writer.h"
#include "smiley-plugin-registry.h"

#undef SMILEY_INSIDE
