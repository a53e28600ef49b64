/* input: plain, gzip or stdin log input (see input.h) */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "input.h"
#include "xmalloc.h"

struct input {
	char *path;
	int fd;
	gzFile gz;          /* NULL for plain files */
	uint64_t disk_size;
	uint64_t disk_pos;  /* plain: bytes read; gzip: gzoffset() */
};

struct input *input_open(const char *path, struct diag *d, int *err_errno)
{
	struct input *in;
	struct stat st;
	unsigned char magic[2];
	int fd, gzip = 0;

	if (strcmp(path, "-") == 0)
		fd = dup(STDIN_FILENO);
	else
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		if (err_errno)
			*err_errno = e;
		if (e == ENOENT)
			diag_add(d, NULL, 0, 0, "%s: no such file (check the path)", path);
		else if (e == EACCES)
			diag_add(d, NULL, 0, 0, "%s: permission denied (run as a user "
			    "in the log's group, or as root)", path);
		else
			diag_add(d, NULL, 0, 0, "%s: cannot open: %s", path, strerror(e));
		return NULL;
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		if (err_errno)
			*err_errno = EISDIR;
		diag_add(d, NULL, 0, 0, "%s: is a directory (give the log file)", path);
		close(fd);
		return NULL;
	}
	in = xcalloc(1, sizeof *in);
	in->path = xstrdup(path);
	in->fd = fd;
	if (S_ISREG(st.st_mode)) {
		in->disk_size = (uint64_t)st.st_size;
		gzip = pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
	} else {
		gzip = -1;   /* a pipe: let zlib decide (it passes plain data through) */
	}
	if (gzip) {
		int gfd = dup(fd);

		in->gz = gfd >= 0 ? gzdopen(gfd, "rb") : NULL;
		if (in->gz == NULL) {
			if (gfd >= 0)
				close(gfd);
			diag_add(d, NULL, 0, 0, "%s: cannot start decompression", path);
			input_close(in);
			if (err_errno)
				*err_errno = EIO;
			return NULL;
		}
		gzbuffer(in->gz, 256 << 10);
	}
	return in;
}

ssize_t input_read(struct input *in, void *buf, size_t n, struct diag *d)
{
	ssize_t r;

	if (n > (1u << 30))
		n = 1u << 30;
	if (in->gz) {
		int e;
		const char *msg;

		r = gzread(in->gz, buf, (unsigned)n);
		if (r < 0) {
			msg = gzerror(in->gz, &e);
			diag_add(d, NULL, 0, 0, "%s: %s", in->path,
			    e == Z_ERRNO ? strerror(errno) : msg);
			return -1;
		}
		if (r == 0) {
			msg = gzerror(in->gz, &e);
			/* a truncated .gz ends early: say so, keep what was read */
			if (e != Z_OK && e != Z_STREAM_END) {
				diag_add(d, NULL, 0, 0, "%s: %s", in->path, msg);
				return -1;
			}
		}
		in->disk_pos = (uint64_t)gzoffset(in->gz);
		return r;
	}
	do
		r = read(in->fd, buf, n);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		diag_add(d, NULL, 0, 0, "%s: read error: %s", in->path,
		    strerror(errno));
		return -1;
	}
	in->disk_pos += (uint64_t)r;
	return r;
}

void input_close(struct input *in)
{
	if (in == NULL)
		return;
	if (in->gz)
		gzclose(in->gz);
	close(in->fd);
	free(in->path);
	free(in);
}

int input_is_gzip(const struct input *in)
{
	return in->gz != NULL && in->disk_size > 0;
}

int input_fd(const struct input *in)
{
	return in->fd;
}

uint64_t input_disk_size(const struct input *in)
{
	return in->disk_size;
}

uint64_t input_disk_pos(const struct input *in)
{
	return in->disk_pos;
}

const char *input_path(const struct input *in)
{
	return in->path;
}
