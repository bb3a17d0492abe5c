/* rep_start_msg.c: the process-start message (AppScope's event_start_msg):
 * who the process is, and the configuration in effect, as nested JSON
 * objects built inside out with rep_fmt_object_json. */
#include "rep_start_msg.h"
#include "rep_proc.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#ifndef SCOPE_VERSION
#define SCOPE_VERSION "0"
#endif

#define REP_FIELD_BOOL(k, b)   REP_FIELD_STR(k, (b) ? "true" : "false")

/* The first line of a small file, without its newline; "" if unreadable. */
static void first_line_read(const char *path, char *out, size_t cap)
{
    FILE *f = fopen(path, "re");

    out[0] = '\0';
    if (f && fgets(out, (int)cap, f))
        out[strcspn(out, "\n")] = '\0';
    if (f)
        fclose(f);
}

/* A random (version 4) UUID for this process run. */
static void uuid_make(char *out, size_t cap)
{
    unsigned char b[16] = { 0 };

    if (getrandom(b, sizeof b, GRND_NONBLOCK) != sizeof b)
        for (size_t i = 0; i < sizeof b; i++)
            b[i] = (unsigned char)(getpid() * 31 + i * 7);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    snprintf(out, cap, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5], b[6],
             b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

/* In a container, the process object (n bytes of buf) gets the host's pid
 * for it and the container's id before its closing brace. */
static size_t container_json(char *buf, size_t cap, size_t n, const struct rep_ident *id)
{
    char more[160] = "";
    size_t used = 0;

    if (id->host_pid && id->host_pid != id->pid)
        used += (size_t)snprintf(more, sizeof more, ",\"host_pid\":%d", id->host_pid);
    if (id->container_id[0])
        snprintf(more + used, sizeof more - used, ",\"container_id\":\"%s\"", id->container_id);
    size_t add = strlen(more);
    if (!add || buf[n - 1] != '}' || n + add >= cap)
        return n;
    memcpy(buf + n - 1, more, add);
    memcpy(buf + n - 1 + add, "}", 2);
    return n + add;
}

static size_t process_json(char *buf, size_t cap, const struct rep_ident *id)
{
    char user[256], group[256], cgroup[512], machine[64], uuid[40], ident[1400];

    rep_proc_user_group(user, sizeof user, group, sizeof group);
    first_line_read("/proc/self/cgroup", cgroup, sizeof cgroup);
    first_line_read("/etc/machine-id", machine, sizeof machine);
    uuid_make(uuid, sizeof uuid);
    snprintf(ident, sizeof ident, "%s-%s-%s", id->host, id->proc, id->cmd);
    struct rep_field f[] = {
        REP_FIELD_STR("libscopever", "v" SCOPE_VERSION),
        REP_FIELD_INT("pid", id->pid),
        REP_FIELD_INT("ppid", getppid()),
        REP_FIELD_INT("gid", getgid()),
        REP_FIELD_STR("groupname", group),
        REP_FIELD_INT("uid", getuid()),
        REP_FIELD_STR("username", user),
        REP_FIELD_STR("hostname", id->host),
        REP_FIELD_STR("procname", id->proc),
        REP_FIELD_STR("cmd", id->cmd),
        REP_FIELD_STR("id", ident),
        REP_FIELD_STR("cgroup", cgroup),
        REP_FIELD_STR("machine_id", machine),
        REP_FIELD_STR("uuid", uuid),
    };
    size_t n = rep_fmt_object_json(buf, cap, f, sizeof f / sizeof f[0], false);
    return n ? container_json(buf, cap, n, id) : 0;
}

/* A destination as scope.yml describes it: type, and host and port or a
 * path. */
static size_t transport_json(char *buf, size_t cap, const struct rep_transport *t)
{
    static const char *const types[] = {
        [REP_TRANSPORT_FILE] = "file", [REP_TRANSPORT_UDP] = "udp",
        [REP_TRANSPORT_TCP] = "tcp", [REP_TRANSPORT_UNIX] = "unix",
    };
    struct rep_field f[3];
    size_t n = 0;

    if (t->kind == REP_TRANSPORT_OFF)
        return rep_fmt_object_json(buf, cap, NULL, 0, false);
    f[n++] = (struct rep_field)REP_FIELD_STR("type", types[t->kind]);
    if (t->kind == REP_TRANSPORT_FILE) {
        f[n++] = (struct rep_field)REP_FIELD_STR("path", t->url + strlen("file://"));
    } else if (t->kind == REP_TRANSPORT_UNIX) {
        f[n++] = (struct rep_field)REP_FIELD_STR("path", t->host);
    } else {
        f[n++] = (struct rep_field)REP_FIELD_STR("host", t->host);
        f[n++] = (struct rep_field)REP_FIELD_STR("port", t->port);
    }
    return rep_fmt_object_json(buf, cap, f, n, false);
}

/* {enable, transport, format} of one output, its format's fields given. */
static size_t output_json(char *buf, size_t cap, const struct rep_transport *t,
                          const struct rep_field *ff, size_t nff)
{
    char transport[5000], format[512];
    size_t tn = transport_json(transport, sizeof transport, t);
    size_t fn = rep_fmt_object_json(format, sizeof format, ff, nff, false);
    struct rep_field f[] = {
        REP_FIELD_BOOL("enable", rep_transport_is_on(t)),
        REP_FIELD_RAW("transport", transport, tn),
        REP_FIELD_RAW("format", format, fn),
    };
    return rep_fmt_object_json(buf, cap, f, 3, false);
}

static size_t metric_json(char *buf, size_t cap, const struct rep_config *c,
                          const struct rep_transport *t)
{
    struct rep_field ff[] = {
        REP_FIELD_STR("type", c->metric_format == REP_FORMAT_NDJSON ? "ndjson" : "statsd"),
        REP_FIELD_STR("statsdprefix", c->statsd_prefix),
        REP_FIELD_INT("statsdmaxlen", c->statsd_maxlen),
        REP_FIELD_INT("verbosity", c->verbosity),
    };
    return output_json(buf, cap, t, ff, sizeof ff / sizeof ff[0]);
}

/* The event settings AppScope's schema can express. Its `watch` list is
 * positional (file, console, http, net, fs, dns) and we have no http, so
 * the event kinds and their name filters are not listed there. */
static size_t event_json(char *buf, size_t cap, const struct rep_config *c,
                         const struct rep_transport *t)
{
    struct rep_field ff[] = {
        REP_FIELD_STR("type", "ndjson"),
        REP_FIELD_INT("maxeventpersec", c->maxeps),
    };
    return output_json(buf, cap, t, ff, sizeof ff / sizeof ff[0]);
}

static size_t libscope_json(char *buf, size_t cap, const struct rep_config *c)
{
    char log[64], snapshot[64];
    struct rep_field lf[] = { REP_FIELD_STR("level", rep_log_level_names[c->log_level]) };
    size_t ln = rep_fmt_object_json(log, sizeof log, lf, 1, false);
    struct rep_field sf[] = { REP_FIELD_BOOL("backtrace", c->backtrace) };
    size_t sn = rep_fmt_object_json(snapshot, sizeof snapshot, sf, 1, false);
    struct rep_field f[] = {
        REP_FIELD_RAW("log", log, ln),
        REP_FIELD_INT("summaryperiod", c->period_s),
        REP_FIELD_RAW("snapshot", snapshot, sn),
    };
    return rep_fmt_object_json(buf, cap, f, 3, false);
}

static size_t tags_json(char *buf, size_t cap, const struct rep_config *c)
{
    struct rep_field f[8];

    for (size_t i = 0; i < c->ntags; i++)
        f[i] = (struct rep_field)REP_FIELD_STR(c->tags[i].name, c->tags[i].value);
    return rep_fmt_object_json(buf, cap, f, c->ntags, false);
}

size_t rep_start_msg_json(char *buf, size_t cap, const struct rep_ident *id,
                          const struct rep_config *cfg,
                          const struct rep_transport *metrics,
                          const struct rep_transport *events)
{
    char process[4096], metric[6000], event[6000], libscope[256], tags[2400];
    char current[16384], configuration[16500], info[21000];
    struct rep_field cur[] = {
        REP_FIELD_RAW("metric", metric, metric_json(metric, sizeof metric, cfg, metrics)),
        REP_FIELD_RAW("libscope", libscope, libscope_json(libscope, sizeof libscope, cfg)),
        REP_FIELD_RAW("event", event, event_json(event, sizeof event, cfg, events)),
        REP_FIELD_RAW("tags", tags, tags_json(tags, sizeof tags, cfg)),
    };
    struct rep_field conf[] = {
        REP_FIELD_RAW("current", current, rep_fmt_object_json(current, sizeof current, cur, 4, false)),
    };
    struct rep_field inf[] = {
        REP_FIELD_RAW("process", process, process_json(process, sizeof process, id)),
        REP_FIELD_RAW("configuration", configuration,
                      rep_fmt_object_json(configuration, sizeof configuration, conf, 1, false)),
        REP_FIELD_RAW("environment", "{}", 2),
    };
    struct rep_field top[] = {
        REP_FIELD_STR("format", "ndjson"),
        REP_FIELD_RAW("info", info, rep_fmt_object_json(info, sizeof info, inf, 3, false)),
    };
    for (size_t i = 0; i < 4; i++)
        if (cur[i].len == 0)
            return 0;           /* a part did not fit: no half message */
    if (conf[0].len == 0 || inf[0].len == 0 || inf[1].len == 0 || top[1].len == 0)
        return 0;
    return rep_fmt_object_json(buf, cap, top, 2, true);
}
