/* fingerprint: identity of a log file by the hash of its first bytes.
 *
 * Inode numbers are reused at once after a delete, and rotation renames
 * files, so a file is known by (hash of its first FP_MAX bytes, how many
 * bytes that covers) — plus dev/ino as a quick hint.  A file shorter than
 * FP_MAX is fingerprinted over what it has; when it grows the stored
 * fingerprint is a prefix match and gets extended. */
#ifndef EW_FINGERPRINT_H
#define EW_FINGERPRINT_H
#include <stddef.h>
#include <stdint.h>

#define FP_MAX 1024

/* fingerprint: 64-bit FNV-1a of p[0..n); never 0 for n > 0 */
uint64_t fingerprint(const unsigned char *p, size_t n);

#endif
