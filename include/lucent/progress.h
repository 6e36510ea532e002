/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lucent/progress.h: the progress callback that long-running library calls
 * accept. The library never prints; a caller that wants progress on a terminal
 * passes a function that does.
 */
#ifndef LUCENT_PROGRESS_H
#define LUCENT_PROGRESS_H

/* Called with frac in 0..1, from the calling thread, at most a few hundred
 * times per call. user is passed through unchanged. */
typedef void (*lc_progress_fn)(void *user, double frac);

#endif
