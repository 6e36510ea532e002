/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lucent/lucent.h: the whole public API of the lucent library. What is not in
 * include/lucent/ is not API.
 */
#ifndef LUCENT_LUCENT_H
#define LUCENT_LUCENT_H

#include "lucent/atr.h"
#include "lucent/chain.h"
#include "lucent/corpus.h"
#include "lucent/dicos.h"
#include "lucent/error.h"
#include "lucent/phys.h"
#include "lucent/progress.h"
#include "lucent/scan.h"
#include "lucent/sim.h"
#include "lucent/import.h"

/* Version of the library, "MAJOR.MINOR.PATCH". */
const char *lc_version(void);

#endif
