/* smiley-main.c: the `smiley` program
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include "smiley-cli.h"

/* Everything lives in libsmiley (smiley-cli.c and the smiley-command-*.c
 * files), where the tests can reach it too. */
int
main (int argc, char **argv)
{
  return smiley_cli_main (argc, argv);
}
