/* fuzz_yaml.c: libFuzzer target for the scope.yml reader (rep_yaml_parse,
 * and rep_config_check behind it). Built only with -DSCOPE_FUZZ=ON and
 * clang; tests/fuzz/run builds and runs it.
 *
 * Besides "no crash, no leak, no undefined behaviour, no hang", it checks
 * the promise the CLI makes: a file rep_yaml accepts is read by the
 * library (rep_config_read) without a single complaint.
 */
#include "rep_config.h"
#include "rep_yaml.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct rep_config c;
    struct rep_yaml y;
    char err[4096] = "";

    if (rep_yaml_parse(&y, "fuzz", (const char *)data, size) == 0) {
        rep_config_defaults(&c);
        if (rep_config_read(&c, y.lines, err, sizeof err) != 0) {
            fprintf(stderr, "accepted by rep_yaml, refused by rep_config: %s\n%s", err, y.lines);
            abort();
        }
    }
    rep_yaml_free(&y);
    return 0;
}
