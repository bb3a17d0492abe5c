/* rep_yaml.c: scope.yml into SCOPE_* lines (see rep_yaml.h): the file read,
 * and the lines looked up and found.
 *
 * libyaml's event parser drives a walk of the schema (rep_yaml_schema.c,
 * over rep_yaml_walk.c). No document tree is built and aliases are refused
 * where they appear, so memory and time follow the size of the file, which
 * is bounded. Every value is
 * checked by rep_config_check(), the same code that reads it later.
 */
#include "rep_yaml.h"
#include "rep_yaml_walk.h"

#include "rep_config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

static int init(struct rep_yaml *y)
{
    memset(y, 0, sizeof *y);
    y->lines = calloc(1, 1);
    y->cap = 1;
    if (!y->lines) {
        y->cap = 0;
        rep_yaml_error_add(y, "out of memory");
        return -1;
    }
    return 0;
}

static int parse(struct rep_yaml *y, const char *name, const char *text, size_t len)
{
    struct rep_yaml_parser p = {.name = name, .y = y};

    if (!yaml_parser_initialize(&p.yp)) {
        rep_yaml_error_add(y, "out of memory");
        return (int)y->nerrors;
    }
    yaml_parser_set_input_string(&p.yp, (const unsigned char *)text, len);
    rep_yaml_walk_stream(&p);
    if (p.have_ev)
        yaml_event_delete(&p.ev);
    yaml_parser_delete(&p.yp);
    return (int)y->nerrors;
}

int rep_yaml_parse(struct rep_yaml *y, const char *name, const char *text, size_t len)
{
    if (init(y) < 0)
        return (int)y->nerrors;
    return parse(y, name, text, len);
}

static int file_error(struct rep_yaml *y, const char *path, const char *what)
{
    char msg[1200];

    snprintf(msg, sizeof msg, "%s: %s", path, what);
    rep_yaml_error_add(y, msg);
    return (int)y->nerrors;
}

int rep_yaml_read(struct rep_yaml *y, const char *path)
{
    struct stat st;
    char *text, what[96];
    size_t got = 0;
    int fd, rc;

    if (init(y) < 0)
        return (int)y->nerrors;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0)
        return file_error(y, path, strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > REP_YAML_MAX_BYTES) {
        if (S_ISREG(st.st_mode))
            snprintf(what, sizeof what, "larger than %d bytes (%lld): not read",
                     REP_YAML_MAX_BYTES, (long long)st.st_size);
        else
            snprintf(what, sizeof what, "not a regular file");
        close(fd);
        return file_error(y, path, what);
    }
    if (!(text = malloc((size_t)st.st_size + 1))) {
        close(fd);
        return file_error(y, path, "out of memory");
    }
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, text + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    rc = parse(y, path, text, got);
    free(text);
    return rc;
}

void rep_yaml_free(struct rep_yaml *y)
{
    free(y->lines);
    free(y->src);
    y->lines = NULL;
    y->src = NULL;
}

const char *rep_yaml_value(const struct rep_yaml *y, const char *key, char *buf,
                           size_t cap, unsigned *line)
{
    size_t i;
    const char *v = rep_config_lookup(y->lines ? y->lines : "", key, buf, cap, &i);

    if (v && line)
        *line = y->src[i];
    return v;
}

int rep_yaml_find(char *path, size_t cap, char *err, size_t errlen)
{
    const char *conf = getenv("SCOPE_CONF_PATH");
    const char *scope_home = getenv("SCOPE_HOME"), *home = getenv("HOME");
    char places[2][4096];
    size_t n = 0;

    if (conf && conf[0]) {
        if (access(conf, R_OK) != 0) {
            snprintf(err, errlen, "SCOPE_CONF_PATH=%s: %s", conf, strerror(errno));
            return -1;
        }
        snprintf(path, cap, "%s", conf);
        return 1;
    }
    if (scope_home && scope_home[0])
        snprintf(places[n++], sizeof places[0], "%s/scope.yml", scope_home);
    else if (home && home[0])
        snprintf(places[n++], sizeof places[0], "%s/.scope/scope.yml", home);
    snprintf(places[n++], sizeof places[0], "/etc/scope/scope.yml");
    for (size_t i = 0; i < n; i++) {
        if (access(places[i], F_OK) == 0) {
            snprintf(path, cap, "%s", places[i]);
            return 1;
        }
    }
    return 0;
}
