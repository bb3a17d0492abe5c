/* ip_tls_model.h: how libscope's thread-local variables are reached.
 *
 * glibc: initial-exec, a fixed offset from %fs with no call. It works
 * under dlopen too, because glibc keeps a surplus of static TLS for
 * libraries loaded later.
 *
 * musl keeps no surplus: dlopen refuses a library with initial-exec TLS
 * ("initial-exec TLS resolves to dynamic definition"), so `scope attach`
 * could never load us. There the variables are global-dynamic: each
 * access calls __tls_get_addr, which in musl is a lookup in the thread's
 * vector, allocating nothing and taking no lock (dlopen allocates every
 * thread's block beforehand), so it is safe in a signal handler.
 */
#ifndef IP_TLS_MODEL_H
#define IP_TLS_MODEL_H

#ifdef __GLIBC__
#define IP_TLS __thread __attribute__((tls_model("initial-exec")))
#else
#define IP_TLS __thread __attribute__((tls_model("global-dynamic")))
#endif

#endif
