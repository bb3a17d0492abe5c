/* ip_pushback.h: bytes pushed back with ungetc, so that they are counted once.
 *
 * Bytes pushed back with ungetc are handed to the program a second time by
 * the next read, but were read from the file once (or never: ungetc may
 * push a byte the stream did not hold). The read wrappers count what the
 * caller gets, so they take away the bytes of each stream's pushback that
 * a read hands back again.
 *
 * glibc's FILE cannot say how many bytes are pending: an ungetc of the
 * byte just read only steps _IO_read_ptr back in the main buffer (the
 * backup area and _IO_IN_BACKUP are used only for another byte), and
 * that step looks like no pushback at all. So each ungetc is remembered
 * in a small fixed table keyed by FILE *: no allocation, no lock, and
 * nothing to scan while no stream has a pushback pending (nearly always:
 * the next read takes it). A seek, freopen or fclose drops it, as glibc
 * does. With every slot taken, a pushback goes unremembered and its byte
 * is counted twice: that is counted, and said in a notice. */
#ifndef IP_PUSHBACK_H
#define IP_PUSHBACK_H

#include <stdio.h>
#include <sys/types.h>

/* An ungetc on f pushed one byte back. */
void ip_pushback_note(FILE *f);

/* f's pending pushback is gone (seek, close, a new file). */
void ip_pushback_forget(FILE *f);

/* n bytes a read on f handed over, less those that were pushed back. */
ssize_t ip_pushback_less(FILE *f, ssize_t n);

#endif
