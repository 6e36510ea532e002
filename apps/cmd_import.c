/* placeholder replaced below */
#include "commands.h"
static int run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return 2;
}
const cli_command cmd_import = {"import", "bring a vendor raw dump in", "", run};
