/* cmds: the subcommands, one cmd_*.c each.  Each gets argv with argv[0] the
 * subcommand's name and returns the process exit status (sysexits.h). */
#ifndef EW_CMDS_H
#define EW_CMDS_H

int cmd_scan(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_test(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_check_config(int argc, char **argv);
int cmd_alerts(int argc, char **argv);
int cmd_diagnose(int argc, char **argv);

/* the program's version string */
extern const char eximwatch_version[];

#endif
