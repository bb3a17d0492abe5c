/* ip_paths.h: the names files are reported by: absolute and normalized
 * (against the working directory or an openat's directory), and room for
 * those a file's record cannot hold inline.
 *
 * A record keeps IP_PATH_MAX - 1 bytes of its path; most paths fit. A
 * longer one, up to PATH_MAX, goes to one of IP_LONG_PATHS buffers, held
 * until the record is freed: lock-free, no allocation, so an open wrapper
 * may claim one. With all of them taken (that many long paths open at
 * once), the path is cut: the record says so, the cut is counted for a
 * notice, and its name ends in IP_PATH_CUT_MARK wherever it is sent.
 */
#ifndef IP_PATHS_H
#define IP_PATHS_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#define IP_LONG_PATHS 512
#define IP_PATH_CUT_MARK "...[cut]"

/* The working directory relative names are resolved against, noted at
 * attach and after each chdir and fchdir (getcwd: never on an open's
 * path). Keeps errno. */
void ip_cwd_note(void);

enum ip_resolved { IP_RESOLVED, IP_RESOLVED_TOO_LONG, IP_RESOLVED_BASE_CUT };

/* path as the absolute, normalized name of what it names (".", ".." and
 * repeated slashes taken out, lexically: no symlink is read), into out
 * (cap bytes): relative to dirfd's directory (AT_FDCWD: the working
 * directory) when relative; as given when that is not known. TOO_LONG:
 * out holds as much as fit; BASE_CUT: the directory's own name was cut. */
enum ip_resolved ip_path_resolve(char *out, size_t cap, int dirfd, const char *path);

/* A free buffer's number (1..IP_LONG_PATHS), or 0: all in use. */
uint32_t ip_long_path_claim(void);
/* Buffer n's PATH_MAX bytes. */
char *ip_long_path(uint32_t n);
/* Buffer n is free again (its record is freed). */
void ip_long_path_free(uint32_t n);
/* At attach, records forgotten: every buffer is free. */
void ip_long_paths_forget(void);
/* One more path stored cut; how many since the last take (reporter). */
void ip_path_cut_count(void);
uint64_t ip_paths_take_cut(void);

#endif
