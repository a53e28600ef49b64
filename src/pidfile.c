/* pidfile: the daemon's pid file and its lock (see pidfile.h) */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pidfile.h"
#include "xmalloc.h"

struct pidfile {
	int fd;
	char *path;
};

void pidfile_path(const char *db, char *buf, size_t len)
{
	snprintf(buf, len, "%s.pid", db);
}

/* read_pid: the pid written in fd, 0 if none */
static pid_t read_pid(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
	long v;

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	v = strtol(buf, NULL, 10);
	return v > 0 ? (pid_t)v : 0;
}

struct pidfile *pidfile_acquire(const char *db, pid_t *other, struct diag *d)
{
	struct pidfile *pf;
	char path[4096], buf[32];
	int fd, n, err;

	*other = 0;
	pidfile_path(db, path, sizeof path);
	/* O_NOFOLLOW: the directory may be writable by others than root */
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		diag_add(d, path, 0, 0, "cannot open the pid file: %s",
		    strerror(errno));
		return NULL;
	}
	/* `status` takes a shared lock for an instant to look: an empty file
	 * locked is that, or a daemon that has not written its pid yet */
	for (n = 0;; n++) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			err = 0;
			break;
		}
		err = errno;
		if (err != EWOULDBLOCK || read_pid(fd) != 0 || n == 20)
			break;
		usleep(10000);
	}
	if (err) {
		if (err == EWOULDBLOCK) {
			*other = read_pid(fd);
			diag_add(d, path, 0, 0, "another eximwatch daemon (pid %ld) "
			    "uses this database: one daemon per database",
			    (long)*other);
		} else {
			diag_add(d, path, 0, 0, "cannot lock the pid file: %s",
			    strerror(err));
		}
		close(fd);
		return NULL;
	}
	/* readable by all who may enter the directory: `status` needs it */
	n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
	if (fchmod(fd, 0644) != 0 || ftruncate(fd, 0) != 0 ||
	    pwrite(fd, buf, (size_t)n, 0) != n) {
		diag_add(d, path, 0, 0, "cannot write the pid file: %s",
		    strerror(errno));
		close(fd);
		return NULL;
	}
	pf = xcalloc(1, sizeof *pf);
	pf->fd = fd;
	pf->path = xstrdup(path);
	return pf;
}

void pidfile_release(struct pidfile *pf)
{
	if (pf == NULL)
		return;
	/* emptied, not removed: removing it would let a daemon starting now
	 * lock the old file while a third one creates a new one */
	if (ftruncate(pf->fd, 0) != 0) {
		/* the lock goes with close() all the same */
	}
	close(pf->fd);
	free(pf->path);
	free(pf);
}

int pidfile_check(const char *db, pid_t *pid)
{
	char path[4096];
	int fd, state;

	*pid = 0;
	pidfile_path(db, path, sizeof path);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return errno == ENOENT ? PIDFILE_STOPPED : -1;
	*pid = read_pid(fd);
	if (flock(fd, LOCK_SH | LOCK_NB) != 0) {
		state = errno == EWOULDBLOCK ? PIDFILE_RUNNING : -1;
	} else {
		/* nobody holds it: an empty file is a clean stop */
		state = *pid ? PIDFILE_DEAD : PIDFILE_STOPPED;
		flock(fd, LOCK_UN);
	}
	close(fd);
	return state;
}
