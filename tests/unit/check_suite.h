/* check_suite.h: how each unit test program runs its Check suite. */
#ifndef CHECK_SUITE_H
#define CHECK_SUITE_H

#include <check.h>
#include <stdlib.h>

/* Run s with each test in a child process of its own, whatever CK_FORK
 * says: a crash fails one test, and every test starts from the process as
 * it was loaded (the elfpatch tests patch and bind the GOT). Returns the
 * exit status for ctest. */
static inline int check_suite_run(Suite *s)
{
    SRunner *sr = srunner_create(s);

    srunner_set_fork_status(sr, CK_FORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
