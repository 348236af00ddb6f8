/* view: placeholder until the TUI lands in this same change. */
#include <stdio.h>

#include "tprof/cmd.h"

int cmd_view(const struct view_opts *o)
{
    (void)o;
    fprintf(stderr, "tprof: view: not built yet\n");
    return 2;
}
