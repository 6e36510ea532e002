/* SPDX-License-Identifier: Apache-2.0 */
/* version.c: the library version string, set by the build. */
#include "lucent/lucent.h"

#ifndef LC_VERSION
#define LC_VERSION "0.0.0"
#endif

const char *lc_version(void)
{
    return LC_VERSION;
}
