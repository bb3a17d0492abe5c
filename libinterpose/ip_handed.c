/* ip_handed.c: the handed descriptors closed once taken (ip_handed.h). */
#include "ip_handed.h"

#include <unistd.h>

void ip_handed_close(const struct rep_config *cfg)
{
    for (size_t i = 0; i < cfg->handed_close_n; i++)
        close(cfg->handed_close[i]);
}
