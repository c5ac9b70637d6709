/* smiley-pipeline.h: the objects of one command, chosen and configured by name
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#pragma once

#include "smiley.h"

G_BEGIN_DECLS

/**
 * SmileyPipelineRole:
 * @SMILEY_PIPELINE_SOURCE: where events come from
 * @SMILEY_PIPELINE_SINK: where they go
 * @SMILEY_PIPELINE_STORE: the store the command reads or writes
 * @SMILEY_PIPELINE_VIEW: what renders a run
 */
typedef enum
{
  SMILEY_PIPELINE_SOURCE,
  SMILEY_PIPELINE_SINK,
  SMILEY_PIPELINE_STORE,
  SMILEY_PIPELINE_VIEW,
  SMILEY_PIPELINE_N_ROLES,
} SmileyPipelineRole;

/**
 * SmileySettingLayer:
 * @SMILEY_SETTING_DEFAULT: the command's built-in default
 * @SMILEY_SETTING_SHARED: the [smiley] group of the configuration file
 * @SMILEY_SETTING_COMMAND: the command's own group of the configuration file
 * @SMILEY_SETTING_FLAG: a command-line option
 *
 * Where a setting came from; a later layer overrides an earlier one.
 */
typedef enum
{
  SMILEY_SETTING_DEFAULT,
  SMILEY_SETTING_SHARED,
  SMILEY_SETTING_COMMAND,
  SMILEY_SETTING_FLAG,
} SmileySettingLayer;

/* The name of the pseudo-sink that means "the command's store". */
#define SMILEY_PIPELINE_STORE_SINK "store"

#define SMILEY_TYPE_PIPELINE (smiley_pipeline_get_type ())
G_DECLARE_FINAL_TYPE (SmileyPipeline, smiley_pipeline, SMILEY, PIPELINE, GObject)

SmileyPipeline *smiley_pipeline_new (SmileyPluginRegistry *registry);
void            smiley_pipeline_set_role (SmileyPipeline *self, SmileyPipelineRole role,
                                          const char *default_name);
void smiley_pipeline_add_setting (SmileyPipeline *self, SmileySettingLayer layer, const char *key,
                                  const char *value, const char *origin);
void smiley_pipeline_add_strv (SmileyPipeline *self, SmileySettingLayer layer, const char *key,
                               const char *const *values, const char *origin);
void smiley_pipeline_add_lenient (SmileyPipeline *self, SmileySettingLayer layer, const char *key,
                                  const char *value, const char *origin);
void smiley_pipeline_add_optional (SmileyPipeline *self, SmileySettingLayer layer, const char *key,
                                   const char *value, const char *origin);
gboolean    smiley_pipeline_build (SmileyPipeline *self, GError **error);
gboolean    smiley_pipeline_initialize (SmileyPipeline *self, GCancellable *cancellable,
                                        GError **error);
gpointer    smiley_pipeline_get_object (SmileyPipeline *self, SmileyPipelineRole role);
const char *smiley_pipeline_get_name (SmileyPipeline *self, SmileyPipelineRole role);
const char *smiley_pipeline_get_value (SmileyPipeline *self, const char *key);
gboolean    smiley_pipeline_run (SmileyPipeline *self, GCancellable *cancellable, GError **error);
void smiley_pipeline_attribute_error (SmileyPipeline *self, SmileyPipelineRole role, GError *error);

gboolean smiley_value_from_string (GParamSpec *pspec, const char *text, GValue *value,
                                   GError **error);
gboolean smiley_store_uri_parse (const char *uri, char **scheme, char **location, GError **error);

G_END_DECLS
