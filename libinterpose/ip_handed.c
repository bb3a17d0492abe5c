/* ip_handed.c: the handed descriptors closed once taken (ip_handed.h). */
#include "ip_handed.h"
#include "rep_url.h"

#include <unistd.h>

void ip_handed_close(const struct rep_config *cfg)
{
    const char *urls[] = {cfg->metric_dest, cfg->event_dest};
    struct rep_url u;
    char err[256];

    if (!cfg->handed_close)
        return;
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++)
        if (rep_url_parse(urls[i], &u, err, sizeof err) == 0 && u.handed_fd >= 0)
            close(u.handed_fd);
    if (cfg->host_pidns_given)
        close(cfg->host_pidns_fd);
}
