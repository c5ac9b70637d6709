/* views-test-input.h: runs described in JSON, loaded into a store, for
 * the views' tests
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#pragma once

#include <json-glib/json-glib.h>
#include <smiley.h>

G_BEGIN_DECLS

SmileyStats *views_test_stats_from_json (JsonNode *node, GError **error);
SmileyRun   *views_test_load_run (JsonNode *root, SmileySink *store, GError **error);
SmileyRun   *views_test_load_run_file (const char *path, SmileySink *store, GError **error);

G_END_DECLS

G_BEGIN_DECLS

#define VIEWS_TEST_RUN_ID "1234abcd5678ef90"
#define VIEWS_TEST_LONG_FILE                                                                       \
  "/home/someone/projects/a/very/deeply/nested/package/directory/module_with_long_name.py"

SmileyStats *views_test_sample_stats (void);
SmileyStore *views_test_store_new (SmileyStats *stats, SmileyRun **run);
char *views_test_render (SmileyView *view, SmileyStore *store, SmileyRun *run, GError **error);

G_END_DECLS
