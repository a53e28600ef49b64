/* pidfile: the daemon's pid file, next to its database ("<db>.pid"), and
 * the lock that makes it true.
 *
 * The daemon holds an exclusive flock(2) on the file for as long as it runs
 * and writes its pid into it; the kernel drops the lock when the process
 * ends, however it ends, so a file left by a SIGKILLed daemon never looks
 * alive.  On a clean exit the daemon empties the file.  The file lives next
 * to the database (not in /run) because the database's directory is the
 * one the daemon can always write (systemd's StateDirectory) and because a
 * daemon with another --db gets its own.
 *
 * pidfile_check() tells, without writing anything, and for any user who can
 * read the directory: running (its pid), stopped (cleanly, or never ran),
 * or dead (it ended without cleaning up: crash, SIGKILL, power loss). */
#ifndef EW_PIDFILE_H
#define EW_PIDFILE_H
#include <sys/types.h>
#include "diag.h"

struct pidfile;

enum pidfile_state {
	PIDFILE_STOPPED,       /* no file, or an empty one: not running */
	PIDFILE_RUNNING,       /* locked: *pid runs */
	PIDFILE_DEAD,          /* a pid in it but nobody holds the lock */
};

/* pidfile_path: "<db>.pid" into buf */
void pidfile_path(const char *db, char *buf, size_t len);
/* pidfile_acquire: lock and write the pid file of db; NULL with the reason
 * in d when another process holds it (*other = its pid, else 0) or the file
 * cannot be written */
struct pidfile *pidfile_acquire(const char *db, pid_t *other, struct diag *d);
/* pidfile_release: empty the file (a clean stop) and drop the lock */
void pidfile_release(struct pidfile *pf);
/* pidfile_check: the state of db's daemon; -1 (errno) if the file exists
 * but cannot be read (EACCES: a permission problem) */
int pidfile_check(const char *db, pid_t *pid);

#endif
