/* input: a log file to read from start to end — plain, gzip (by its magic
 * bytes, through zlib) or standard input ("-"). */
#ifndef EW_INPUT_H
#define EW_INPUT_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "diag.h"

struct input;

/* input_open: NULL with the reason in d (ENOENT -> missing input etc.);
 * *err_errno gets errno of the failure when not NULL */
struct input *input_open(const char *path, struct diag *d, int *err_errno);
/* input_read: bytes read, 0 at end, -1 on error (message in d) */
ssize_t input_read(struct input *in, void *buf, size_t n, struct diag *d);
void input_close(struct input *in);
int input_is_gzip(const struct input *in);
int input_fd(const struct input *in);
/* size of the file on disk (compressed size for gzip), 0 if unknown (pipe) */
uint64_t input_disk_size(const struct input *in);
/* bytes of the file on disk consumed so far (for progress) */
uint64_t input_disk_pos(const struct input *in);
const char *input_path(const struct input *in);

#endif
