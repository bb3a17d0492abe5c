/* ip_wrap_temp.c: the mkstemp family, which opens its file inside libc
 * (no open of the program's reaches a wrapper): the fd gets a record named
 * by the template, which the call has filled in. */
#include "ip_call.h"
#include "ip_hooks.h"

#define WRAP_MKSTEMP(name, params, args)                                 \
    int ip_wrap_##name params                                            \
    {                                                                    \
        struct ip_call c;                                                \
        ip_call_begin_open(&c);                                          \
        int fd = ip_real_##name args;                                    \
        ip_call_open_end(&c, #name, fd, template);                       \
        return fd;                                                       \
    }

WRAP_MKSTEMP(mkstemp, (char *template), (template))
WRAP_MKSTEMP(mkstemp64, (char *template), (template))
WRAP_MKSTEMP(mkostemp, (char *template, int flags), (template, flags))
WRAP_MKSTEMP(mkostemp64, (char *template, int flags), (template, flags))
WRAP_MKSTEMP(mkstemps, (char *template, int suffixlen), (template, suffixlen))
WRAP_MKSTEMP(mkstemps64, (char *template, int suffixlen), (template, suffixlen))
WRAP_MKSTEMP(mkostemps, (char *template, int suffixlen, int flags),
             (template, suffixlen, flags))
WRAP_MKSTEMP(mkostemps64, (char *template, int suffixlen, int flags),
             (template, suffixlen, flags))
