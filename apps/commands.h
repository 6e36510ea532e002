/* SPDX-License-Identifier: Apache-2.0 */
/*
 * commands.h: the subcommands of `lucent`, one file each (apps/cmd_<name>.c),
 * each defining one cli_command. The table in lucent.c lists them in the order
 * `lucent help` shows.
 */
#ifndef LUCENT_COMMANDS_H
#define LUCENT_COMMANDS_H

#include "cli.h"

extern const cli_command cmd_import;
extern const cli_command cmd_spectrum;
extern const cli_command cmd_detector;
extern const cli_command cmd_info;
extern const cli_command cmd_simulate;
extern const cli_command cmd_corpus;
extern const cli_command cmd_analyze;
extern const cli_command cmd_eval;
extern const cli_command cmd_calibrate;
extern const cli_command cmd_process;
extern const cli_command cmd_keys;
extern const cli_command cmd_audit;
extern const cli_command cmd_station;
extern const cli_command cmd_user;
extern const cli_command cmd_export;

#endif
