/*
 * maxrss - run a command, report its wall time and peak RSS.
 *
 *	maxrss REPORT_FILE COMMAND [ARG...]
 *
 * Runs COMMAND (stdin/stdout/stderr inherited), waits for it with wait4()
 * and writes one line "<exit status> <wall seconds> <ru_maxrss KiB>" to
 * REPORT_FILE.  Exits 0 when the report was written, 70 otherwise.
 *
 * Why not Python's resource/wait4 directly: Linux keeps the high-water RSS
 * of the address space a process had before execve() (fs/exec.c,
 * setmax_mm_hiwater_rss), so a command forked from a Python interpreter
 * reports at least the interpreter's own RSS (~14-20 MB), which swamps a
 * 32 MB target.  Forked from this small program the floor is ~1 MB.
 * Used by bench/bench.py; built on demand into bench/data/.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct timespec t0, t1;
	struct rusage ru;
	FILE *out;
	pid_t pid;
	int status, code;
	double wall;

	if (argc < 3) {
		fprintf(stderr, "usage: maxrss REPORT_FILE COMMAND [ARG...]\n");
		return 64;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	if (pid < 0) {
		perror("maxrss: fork");
		return 70;
	}
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		fprintf(stderr, "maxrss: %s: %s\n", argv[2], strerror(errno));
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			perror("maxrss: wait4");
			return 70;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	wall = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (WIFEXITED(status))
		code = WEXITSTATUS(status);
	else
		code = 128 + WTERMSIG(status);
	out = fopen(argv[1], "w");
	if (out == NULL) {
		perror(argv[1]);
		return 70;
	}
	fprintf(out, "%d %.6f %ld\n", code, wall, ru.ru_maxrss);
	if (fclose(out) != 0) {
		perror(argv[1]);
		return 70;
	}
	return 0;
}
