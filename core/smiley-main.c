/* placeholder: being written (CLI) */
#include "smiley-build-config.h"
#include "smiley.h"
int
main (int argc, char **argv)
{
  return 0;
}
