/*
 * demangle: libiberty's cplus_demangle, the demangler perf and binutils use.
 * Parameter lists are left out (DMGL_PARAMS off): in a narrow icicle cell
 * "std::vector<int>::push_back" says more than its full signature, and it is
 * the name stackcollapse-perf.pl keeps after it cuts at the first '('.
 */
#include <stdlib.h>

#include <libiberty/demangle.h>

#include "tprof/demangle.h"

char *demangle(const char *name)
{
    if (name[0] != '_' || (name[1] != 'Z' && name[1] != 'R'))
        return NULL;
    return cplus_demangle(name, DMGL_AUTO | DMGL_ANSI);
}
