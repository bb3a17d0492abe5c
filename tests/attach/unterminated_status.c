/* unterminated_status.c: a stand-in for libscope.so (its file name starts
 * with libscope.so) whose scope_ctl_status says "attached" with strings
 * that fill their buffers to the last byte, no NUL anywhere: what any
 * process may hold in its memory. scope must never read past a buffer. */
#include "scope_ctl.h"

#include <string.h>

struct scope_ctl_status scope_ctl_status;

__attribute__((constructor)) static void fill(void)
{
    scope_ctl_status.magic = SCOPE_CTL_MAGIC;
    scope_ctl_status.version = SCOPE_CTL_VERSION;
    scope_ctl_status.state = SCOPE_CTL_ATTACHED;
    scope_ctl_status.how = SCOPE_CTL_HOW_ATTACH;
    memset(scope_ctl_status.metric_dest, 'M', sizeof scope_ctl_status.metric_dest);
    memset(scope_ctl_status.event_dest, 'E', sizeof scope_ctl_status.event_dest);
    memset(scope_ctl_status.error, 'X', sizeof scope_ctl_status.error);
}
