/* test_sample.c: which calls are timed (ip_sample.h): about one in
 * IP_SAMPLE_EVERY at gaps that vary, weights that add up to the calls,
 * and forced samples that stand for themselves alone. */
#include "check_suite.h"

#include "ip_sample.h"

#define CALLS 200000     /* under ASan too, well inside Check's 4 s per test */

START_TEST(gaps_stay_in_range_and_vary)
{
    uint32_t rng = 0, seen[2 * IP_SAMPLE_EVERY] = { 0 };
    uint64_t sum = 0;

    for (int i = 0; i < CALLS; i++) {
        uint32_t gap = ip_sample_gap(&rng);
        ck_assert_uint_ge(gap, IP_SAMPLE_EVERY / 2);
        ck_assert_uint_lt(gap, IP_SAMPLE_EVERY * 3 / 2);
        seen[gap]++;
        sum += gap;
    }
    for (uint32_t g = IP_SAMPLE_EVERY / 2; g < IP_SAMPLE_EVERY * 3 / 2; g++)
        ck_assert_uint_gt(seen[g], CALLS / IP_SAMPLE_EVERY / 2);
    /* uniform over [8, 24): a mean of 15.5 */
    ck_assert_uint_ge(sum * 10 / CALLS, (IP_SAMPLE_EVERY - 1) * 10 + 3);
    ck_assert_uint_le(sum * 10 / CALLS, (IP_SAMPLE_EVERY - 1) * 10 + 7);
}
END_TEST

START_TEST(about_one_call_in_16_is_timed_and_weights_add_up)
{
    struct ip_sampler s = { 0 };
    uint32_t rng = 0;
    uint64_t timed = 0, weights = 0;

    ck_assert_uint_eq(ip_sample_step(&s, false, &rng), 1);  /* first call */
    timed = weights = 1;
    for (int i = 1; i < CALLS; i++) {
        uint32_t w = ip_sample_step(&s, false, &rng);
        timed += w != 0;
        weights += w;
    }
    ck_assert_uint_eq(weights + s.skipped, CALLS);
    ck_assert_uint_gt(timed, CALLS / (IP_SAMPLE_EVERY + 2));
    ck_assert_uint_lt(timed, CALLS / (IP_SAMPLE_EVERY - 2));
}
END_TEST

START_TEST(a_forced_call_stands_for_itself_alone)
{
    struct ip_sampler s = { 0 };
    uint32_t rng = 0;

    ck_assert_uint_eq(ip_sample_step(&s, false, &rng), 1);
    for (int i = 0; i < 3; i++)
        ck_assert_uint_eq(ip_sample_step(&s, false, &rng), 0); /* gap >= 8 */
    ck_assert_uint_eq(ip_sample_step(&s, true, &rng), 1);
    ck_assert_uint_eq(s.skipped, 3);            /* the random stream goes on */
}
END_TEST

/* A rhythm of forced calls (a header write forced after each drain, then a
 * body write) must not make the header stand for the bodies, nor move
 * which bodies are timed: each forced call weighs 1 and leaves the sampler
 * and the random stream as they were, so the bodies are timed exactly as
 * they would be without the headers, with weights that add up to them. */
START_TEST(forced_calls_do_not_tilt_the_mean)
{
    struct ip_sampler s = { 0 }, alone = { 0 };
    uint32_t rng = 0, rng_alone = 0;
    uint64_t header_weight = 0, body_weight = 0, disturbed = 0, moved = 0;

    for (int i = 0; i < CALLS; i++) {   /* asserted after: Check's asserts are slow */
        struct ip_sampler before = s;
        uint32_t rng_before = rng;

        header_weight += ip_sample_step(&s, true, &rng);
        disturbed += s.skipped != before.skipped || s.gap != before.gap || rng != rng_before;

        uint32_t w = ip_sample_step(&s, false, &rng);
        moved += w != ip_sample_step(&alone, false, &rng_alone);
        body_weight += w;
    }
    ck_assert_uint_eq(header_weight, CALLS);
    ck_assert_uint_eq(disturbed, 0);
    ck_assert_uint_eq(moved, 0);
    ck_assert_uint_eq(body_weight + s.skipped, CALLS);
}
END_TEST

/* A program that alternates two kinds of calls on one file must see both
 * kinds timed about equally often. */
START_TEST(a_period_of_two_does_not_line_up)
{
    struct ip_sampler s = { 0 };
    uint32_t rng = 0;
    uint64_t timed[2] = { 0, 0 };

    for (int i = 0; i < CALLS; i++)
        timed[i % 2] += ip_sample_step(&s, false, &rng) != 0;
    ck_assert_uint_gt(timed[0], timed[1] * 9 / 10);
    ck_assert_uint_gt(timed[1], timed[0] * 9 / 10);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sample");
    TCase *tc = tcase_create("sample");

    tcase_add_test(tc, gaps_stay_in_range_and_vary);
    tcase_add_test(tc, about_one_call_in_16_is_timed_and_weights_add_up);
    tcase_add_test(tc, a_forced_call_stands_for_itself_alone);
    tcase_add_test(tc, forced_calls_do_not_tilt_the_mean);
    tcase_add_test(tc, a_period_of_two_does_not_line_up);
    suite_add_tcase(s, tc);
    return check_suite_run(s);
}
