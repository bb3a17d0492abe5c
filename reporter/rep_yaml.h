/* rep_yaml.h: scope.yml, the configuration file, read into the
 * "SCOPE_KEY=VALUE\n" lines that rep_config_read() takes.
 *
 * The layout is AppScope's, for the parts scope supports:
 *
 *   metric:   enable, transport,
 *             format: {type, statsdprefix, statsdmaxlen, verbosity}
 *   event:    enable, transport, watch,
 *             format: {type (ndjson only), maxeventpersec}
 *   libscope: summaryperiod, log: {level, transport}, snapshot: {backtrace}
 *   tags:     NAME: value, ... (SCOPE_TAG_NAME)
 *
 * A transport is {type: udp|tcp, host, port} or {type: unix|file, path}
 * (a file path may be stdout or stderr) and becomes a destination URL that
 * rep_transport_url_check() accepts. event.watch lists the kinds of events
 * wanted, each {type: file|console|net|fs|dns, name: REGEX, enabled: BOOL}
 * (console also allowbinary; field and value may only be .*, as scope does
 * not filter on them); a kind not listed is off, as in AppScope. A null
 * value (`key:` or `key: ~`) is the same as leaving the key out.
 *
 * Everything else is an error, reported as one line
 * "FILE:LINE: key a.b.c: what is wrong": unknown keys, keys given twice,
 * a mapping or list where a value is expected, values rep_config_check()
 * refuses or with control characters, YAML syntax errors, more than one
 * document, aliases (no alias bombs), nesting deeper than
 * REP_YAML_MAX_DEPTH, files larger than REP_YAML_MAX_BYTES.
 *
 * Where the file is (rep_yaml_find): $SCOPE_CONF_PATH, else
 * $SCOPE_HOME/scope.yml (SCOPE_HOME defaults to $HOME/.scope), else
 * /etc/scope/scope.yml. The CLI and the library look alike.
 */
#ifndef REP_YAML_H
#define REP_YAML_H

#include <stddef.h>

#define REP_YAML_MAX_BYTES (1024 * 1024)
#define REP_YAML_MAX_DEPTH 16

struct rep_yaml {
    char *lines;            /* "SCOPE_KEY=VALUE\n" lines, in file order */
    size_t len, cap;
    unsigned *src;          /* the file's line number for each of them */
    size_t nlines, src_cap;
    char errors[4096];      /* "FILE:LINE: ...\n" lines; cut when full */
    unsigned nerrors;
};

/* Parse text (len bytes; any bytes) named `name` in messages. Returns the
 * number of errors; y is to be freed in any case. */
int rep_yaml_parse(struct rep_yaml *y, const char *name, const char *text, size_t len);

/* The same for the file at path (unreadable, not a regular file and too
 * large are errors too). */
int rep_yaml_read(struct rep_yaml *y, const char *path);

void rep_yaml_free(struct rep_yaml *y);

/* The value of key in y (the last one), copied into buf, and its line; NULL
 * when y has no such key or it does not fit. */
const char *rep_yaml_value(const struct rep_yaml *y, const char *key, char *buf,
                           size_t cap, unsigned *line);

/* The configuration file to read: 1 with its path in path, 0 when there is
 * none, -1 when $SCOPE_CONF_PATH names a file that cannot be read (why in
 * err). */
int rep_yaml_find(char *path, size_t cap, char *err, size_t errlen);

#endif
