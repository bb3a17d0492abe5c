/* ip_paths.h: room for the paths a file's record cannot hold inline.
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
#include <stdint.h>

#define IP_LONG_PATHS 128
#define IP_PATH_CUT_MARK "...[cut]"

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
