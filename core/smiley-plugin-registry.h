/* smiley-plugin-registry.h: the implementations plugins provide, by kind and name
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#pragma once

#if !defined(SMILEY_INSIDE) && !defined(SMILEY_COMPILATION)
#error "Only <smiley.h> can be included directly."
#endif

#include <gio/gio.h>

#include "smiley-version.h"

G_BEGIN_DECLS

#define SMILEY_TYPE_PLUGIN_REGISTRY (smiley_plugin_registry_get_type ())
G_DECLARE_FINAL_TYPE (SmileyPluginRegistry, smiley_plugin_registry, SMILEY, PLUGIN_REGISTRY,
                      GObject)

/**
 * SmileyImplementation:
 * @interface_type: %SMILEY_TYPE_SOURCE, %SMILEY_TYPE_SINK,
 *   %SMILEY_TYPE_STORE or %SMILEY_TYPE_VIEW
 * @name: the name users choose it by (`--sink console`, `sqlite:` URIs)
 * @type: the GType that implements the interface
 * @description: one line for `smiley plugins`
 * @file: the module it came from
 */
typedef struct
{
  GType interface_type;
  char *name;
  GType type;
  char *description;
  char *file;
} SmileyImplementation;

/**
 * SmileyPluginFailure:
 * @file: the module that could not be loaded
 * @reason: why, in words a user can act on
 */
typedef struct
{
  char *file;
  char *reason;
} SmileyPluginFailure;

/**
 * SMILEY_PLUGIN_DEFINE:
 * @register_func: a `void (*) (SmileyPluginRegistry *)` that calls
 *   smiley_plugin_registry_register() for each implementation
 *
 * Defines the two symbols every plugin module exports: its ABI version and
 * its register function. Use it once per module.
 */
#define SMILEY_PLUGIN_DEFINE(register_func)                                                        \
  G_MODULE_EXPORT const guint32 smiley_plugin_abi_version = SMILEY_PLUGIN_ABI_VERSION;             \
  G_MODULE_EXPORT void          smiley_plugin_register (SmileyPluginRegistry *r);                  \
  G_MODULE_EXPORT void          smiley_plugin_register (SmileyPluginRegistry *r)                   \
  {                                                                                                \
    register_func (r);                                                                             \
  }

SmileyPluginRegistry *smiley_plugin_registry_new (void);
void                  smiley_plugin_registry_load_defaults (SmileyPluginRegistry *self);
void     smiley_plugin_registry_load_directory (SmileyPluginRegistry *self, const char *directory);
gboolean smiley_plugin_registry_load_module (SmileyPluginRegistry *self, const char *file,
                                             GError **error);
void     smiley_plugin_registry_register (SmileyPluginRegistry *self, GType interface_type,
                                          const char *name, GType type, const char *description);
const SmileyImplementation *smiley_plugin_registry_lookup (SmileyPluginRegistry *self,
                                                           GType interface_type, const char *name);
GPtrArray                  *smiley_plugin_registry_list (SmileyPluginRegistry *self);
GPtrArray                  *smiley_plugin_registry_list_failures (SmileyPluginRegistry *self);
gpointer smiley_plugin_registry_create (SmileyPluginRegistry *self, GType interface_type,
                                        const char *name, GError **error);

#define SMILEY_PLUGIN_ERROR (smiley_plugin_error_quark ())

typedef enum
{
  SMILEY_PLUGIN_ERROR_NOT_FOUND,
  SMILEY_PLUGIN_ERROR_NOT_BUILT,
  SMILEY_PLUGIN_ERROR_LOAD,
  SMILEY_PLUGIN_ERROR_ABI,
  SMILEY_PLUGIN_ERROR_PROPERTY,
} SmileyPluginError;

GQuark smiley_plugin_error_quark (void);

G_END_DECLS
