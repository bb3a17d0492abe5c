/* inj_help.h: the help texts of `scope` and of each command. */
#ifndef INJ_HELP_H
#define INJ_HELP_H

#include <stdio.h>

/* Print the help of `cmd` ("run", "metrics", ...; NULL: the top level).
 * Returns -1 if there is no such command. */
int inj_help_print(const char *cmd, FILE *out);

#endif
