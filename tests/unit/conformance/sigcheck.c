/* sigcheck.c: each row of ip_hooks.def declares the real function again,
 * after libc's own headers: a parameter list that disagrees with libc's
 * declaration of the name is a compile error ("conflicting types"), so a
 * wrong signature breaks the build. Compiled with _FORTIFY_SOURCE, under
 * which glibc also declares its __*_chk entry points. The name is in
 * parentheses so that a function-like macro of libc's is not expanded.
 * Names no header of this libc declares (the __xstat family, _IO_getc)
 * are checked against the behaviour tests only. */
#include <aio.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <threads.h>
#include <unistd.h>

#define IP_HOOK(ret, name, params) ret(name) params;
#include "ip_hooks.def"
#undef IP_HOOK
