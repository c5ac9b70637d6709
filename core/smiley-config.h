/* smiley-config.h: the user's configuration file
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#pragma once

#include "smiley.h"
#include "smiley-pipeline.h"

G_BEGIN_DECLS

#define SMILEY_CONFIG_ERROR (smiley_config_error_quark ())

/**
 * SmileyConfigError:
 * @SMILEY_CONFIG_ERROR_NOT_FOUND: the file given with --config is missing
 * @SMILEY_CONFIG_ERROR_SYNTAX: the file is not a valid key file
 * @SMILEY_CONFIG_ERROR_GROUP: a group no command reads
 */
typedef enum
{
  SMILEY_CONFIG_ERROR_NOT_FOUND,
  SMILEY_CONFIG_ERROR_SYNTAX,
  SMILEY_CONFIG_ERROR_GROUP,
} SmileyConfigError;

GQuark smiley_config_error_quark (void);

#define SMILEY_TYPE_CONFIG (smiley_config_get_type ())
G_DECLARE_FINAL_TYPE (SmileyConfig, smiley_config, SMILEY, CONFIG, GObject)

SmileyConfig *smiley_config_new (void);
gboolean      smiley_config_load_file (SmileyConfig *self, const char *path, GError **error);
gboolean      smiley_config_load_default (SmileyConfig *self, GError **error);
const char   *smiley_config_get_path (SmileyConfig *self);
void smiley_config_apply (SmileyConfig *self, SmileyPipeline *pipeline, const char *command);

G_END_DECLS
