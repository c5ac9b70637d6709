/* smiley-callgraph-view.c
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include "smiley-callgraph.h"
#include "smiley-callgraph-view.h"
#include "smiley-profile.h"

struct _SmileyCallgraphView
{
  GObject parent_instance;

  char  *format;
  double node_threshold;
  double edge_threshold;
};

enum
{
  PROP_0,
  PROP_FORMAT,
  PROP_NODE_THRESHOLD,
  PROP_EDGE_THRESHOLD,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void smiley_callgraph_view_iface_init (SmileyViewInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SmileyCallgraphView, smiley_callgraph_view, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SMILEY_TYPE_VIEW,
                                                      smiley_callgraph_view_iface_init))

static gboolean
smiley_callgraph_view_render (SmileyView *view, SmileyStore *store, SmileyRun *run,
                              GOutputStream *output, GCancellable *cancellable, GError **error)
{
  SmileyCallgraphView *self = SMILEY_CALLGRAPH_VIEW (view);
  g_autoptr (SmileyStats) stats = NULL;
  g_autoptr (GBytes) drawing = NULL;
  gsize         length;
  const guint8 *data;

  stats = smiley_profile_load (store, run, error);
  if (stats == NULL)
    return FALSE;

  drawing = smiley_callgraph_render (stats, self->format, self->node_threshold,
                                     self->edge_threshold, error);
  if (drawing == NULL)
    return FALSE;

  data = g_bytes_get_data (drawing, &length);
  return g_output_stream_write_all (output, data, length, NULL, cancellable, error);
}

static void
smiley_callgraph_view_iface_init (SmileyViewInterface *iface)
{
  iface->render = smiley_callgraph_view_render;
}

static void
smiley_callgraph_view_finalize (GObject *object)
{
  SmileyCallgraphView *self = SMILEY_CALLGRAPH_VIEW (object);

  g_free (self->format);

  G_OBJECT_CLASS (smiley_callgraph_view_parent_class)->finalize (object);
}

static void
smiley_callgraph_view_get_property (GObject *object, guint prop_id, GValue *value,
                                    GParamSpec *pspec)
{
  SmileyCallgraphView *self = SMILEY_CALLGRAPH_VIEW (object);

  switch (prop_id)
    {
    case PROP_FORMAT:
      g_value_set_string (value, self->format);
      break;
    case PROP_NODE_THRESHOLD:
      g_value_set_double (value, self->node_threshold);
      break;
    case PROP_EDGE_THRESHOLD:
      g_value_set_double (value, self->edge_threshold);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
smiley_callgraph_view_set_property (GObject *object, guint prop_id, const GValue *value,
                                    GParamSpec *pspec)
{
  SmileyCallgraphView *self = SMILEY_CALLGRAPH_VIEW (object);

  switch (prop_id)
    {
    case PROP_FORMAT:
      g_free (self->format);
      self->format = g_value_dup_string (value);
      break;
    case PROP_NODE_THRESHOLD:
      self->node_threshold = g_value_get_double (value);
      break;
    case PROP_EDGE_THRESHOLD:
      self->edge_threshold = g_value_get_double (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
smiley_callgraph_view_class_init (SmileyCallgraphViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = smiley_callgraph_view_finalize;
  object_class->get_property = smiley_callgraph_view_get_property;
  object_class->set_property = smiley_callgraph_view_set_property;

  /**
   * SmileyCallgraphView:format:
   *
   * "svg" (default), "png" or "dot". An unknown format fails at render
   * time with a message naming the ones that work.
   */
  properties[PROP_FORMAT] = g_param_spec_string (
      "format", NULL, NULL, "svg", G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);

  /**
   * SmileyCallgraphView:node-threshold:
   *
   * Functions whose cumulative time is below this percentage of the total
   * are left out.
   */
  properties[PROP_NODE_THRESHOLD] = g_param_spec_double (
      "node-threshold", NULL, NULL, 0.0, 100.0, SMILEY_CALLGRAPH_DEFAULT_NODE_THRESHOLD,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);

  /**
   * SmileyCallgraphView:edge-threshold:
   *
   * Calls whose time is below this percentage of the total are left out.
   */
  properties[PROP_EDGE_THRESHOLD] = g_param_spec_double (
      "edge-threshold", NULL, NULL, 0.0, 100.0, SMILEY_CALLGRAPH_DEFAULT_EDGE_THRESHOLD,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
smiley_callgraph_view_init (SmileyCallgraphView *self)
{
}

/**
 * smiley_callgraph_view_new:
 *
 * Returns: (transfer full): a call graph view with gprof2dot's thresholds
 */
SmileyCallgraphView *
smiley_callgraph_view_new (void)
{
  return g_object_new (SMILEY_TYPE_CALLGRAPH_VIEW, NULL);
}
