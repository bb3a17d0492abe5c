/* inj_top_collect.h: what `scope top` reads for a frame.
 *
 * The processes are those `scope ps` finds (libscope.so loaded; none is
 * stopped). CPU, memory, threads and fds come from /proc/PID/stat and
 * /proc/PID/fd. The I/O figures come from the process's session: its
 * metric destination (read from its memory, so hostile) is only compared
 * with the metrics.json paths of the sessions in $SCOPE_HOME/history;
 * a path is never built from it. A session's metrics.json is read with
 * the session readers (a regular file only, no symlink, no FIFO), from
 * where the last frame stopped, complete lines only, each at most
 * INJ_TOP_LINE_MAX bytes (longer ones are skipped and counted), starting
 * INJ_TOP_TAIL bytes before its end when first followed.
 */
#ifndef INJ_TOP_COLLECT_H
#define INJ_TOP_COLLECT_H

#include "inj_top_model.h"

#define INJ_TOP_TAIL (1024 * 1024)

struct inj_top_collector;

/* NULL when out of memory or $SCOPE_HOME is unusable (said on stderr). */
struct inj_top_collector *inj_top_collector_new(void);
void inj_top_collector_free(struct inj_top_collector *c);

/* Fill f with every scoped process now; f's rows and their periods live
 * in c until the next call. 0, or -1 when out of memory. A process or
 * file that cannot be read is a row without those figures, not an error;
 * /proc unreadable is said in f->note. */
int inj_top_collect(struct inj_top_collector *c, struct inj_top_frame *f);

#endif
