/* test_rep_hist.c: Check tests for reporter/rep_hist.c (log-linear
 * buckets) and for how rep_agg feeds an entry's distribution: durations
 * seen at a drain are not added again when their counts arrive. */
#include "rep_agg.h"
#include "rep_hist.h"

#include "check_suite.h"
#include <stdlib.h>
#include <string.h>

static struct rep_hist *hist_new(void)
{
    struct rep_hist *h = calloc(1, sizeof *h);
    ck_assert_ptr_nonnull(h);
    return h;
}

static void assert_within_error(uint64_t got, uint64_t want)
{
    double err = (double)got > (double)want ? (double)got - (double)want
                                            : (double)want - (double)got;
    ck_assert_msg(err <= REP_HIST_ERROR * (double)want, "%llu is not within %.2f%% of %llu",
                  (unsigned long long)got, REP_HIST_ERROR * 100, (unsigned long long)want);
}

START_TEST(small_values_exact)
{
    for (uint64_t v = 0; v < REP_HIST_SUB; v++)
        ck_assert_uint_eq(rep_hist_bucket_mid(rep_hist_bucket(v)), v);
}
END_TEST

/* Every bucket's middle is within the documented error of every value in
 * it, and buckets follow the values' order. */
START_TEST(bucket_middle_within_error)
{
    unsigned last = 0;

    for (uint64_t v = 1; v < ((uint64_t)1 << 40); v += 1 + v / 97) {
        unsigned b = rep_hist_bucket(v);
        ck_assert_uint_ge(b, last);
        ck_assert_uint_lt(b, REP_HIST_BUCKETS);
        assert_within_error(rep_hist_bucket_mid(b), v);
        last = b;
    }
}
END_TEST

START_TEST(huge_values_share_last_bucket_max_exact)
{
    struct rep_hist *h = hist_new();

    rep_hist_add(h, UINT64_MAX, 1);
    ck_assert_uint_eq(rep_hist_bucket(UINT64_MAX), REP_HIST_BUCKETS - 1);
    ck_assert_uint_eq(h->max, UINT64_MAX);
    ck_assert_uint_eq(rep_hist_quantile(h, 1), UINT64_MAX);
    free(h);
}
END_TEST

START_TEST(empty_is_zero)
{
    struct rep_hist *h = hist_new();

    ck_assert_uint_eq(rep_hist_quantile(h, 0.5), 0);
    rep_hist_add(h, 5, 0);          /* a weight of 0 is nothing */
    ck_assert_uint_eq(h->samples, 0);
    ck_assert_uint_eq(rep_hist_quantile(h, 0.99), 0);
    free(h);
}
END_TEST

/* One value: every quantile is that value exactly (clamped to min, max). */
START_TEST(one_value_exact)
{
    struct rep_hist *h = hist_new();

    rep_hist_add(h, 1234567, 3);
    ck_assert_uint_eq(rep_hist_quantile(h, 0.01), 1234567);
    ck_assert_uint_eq(rep_hist_quantile(h, 0.5), 1234567);
    ck_assert_uint_eq(rep_hist_quantile(h, 1), 1234567);
    free(h);
}
END_TEST

START_TEST(uniform_quantiles)
{
    struct rep_hist *h = hist_new();

    for (uint64_t v = 1; v <= 10000; v++)
        rep_hist_add(h, v * 1000, 1);
    assert_within_error(rep_hist_quantile(h, 0.5), 5000 * 1000);
    assert_within_error(rep_hist_quantile(h, 0.9), 9000 * 1000);
    assert_within_error(rep_hist_quantile(h, 0.99), 9900 * 1000);
    ck_assert_uint_eq(h->max, 10000 * 1000);
    ck_assert_uint_eq(h->total, 10000);
    free(h);
}
END_TEST

/* A value's weight counts as that many calls. */
START_TEST(weights_count)
{
    struct rep_hist *h = hist_new();

    rep_hist_add(h, 100000, 98);
    rep_hist_add(h, 50000000, 2);
    assert_within_error(rep_hist_quantile(h, 0.5), 100000);
    assert_within_error(rep_hist_quantile(h, 0.98), 100000);
    assert_within_error(rep_hist_quantile(h, 0.99), 50000000);
    ck_assert_uint_eq(h->samples, 2);
    ck_assert_uint_eq(h->total, 100);
    /* the mean is exact, weights counted: (98 x 100 us + 2 x 50 ms) / 100 */
    ck_assert_double_eq_tol(rep_hist_mean(h), (98 * 100000.0 + 2 * 50000000.0) / 100, 1e-6);
    free(h);
}
END_TEST

struct seen {
    size_t entries;
    uint64_t samples[REP_OP_N], total[REP_OP_N], max[REP_OP_N];
};

static void count_entry(void *arg, const struct rep_agg_entry *e)
{
    struct seen *s = arg;

    s->entries++;
    for (int op = 0; op < REP_OP_N; op++) {
        if (!e->hist[op])
            continue;
        s->samples[op] += e->hist[op]->samples;
        s->total[op] += e->hist[op]->total;
        s->max[op] = e->hist[op]->max;
    }
}

/* The entries of a, drained into s; a is then freed. */
static void drained(struct rep_agg *a, struct seen *s)
{
    rep_agg_drain(a, count_entry, s);
    rep_agg_free(a);
}

/* What the distribution of kind op was made of. */
static void assert_op(const struct seen *s, enum rep_op op, uint64_t samples, uint64_t total,
                      uint64_t max)
{
    ck_assert_uint_eq(s->samples[op], samples);
    ck_assert_uint_eq(s->total[op], total);
    ck_assert_uint_eq(s->max[op], max);
}

/* Two drains' samples of reads (one each), then the period's counts,
 * which hold them and one more timed call (an open): two read values and
 * one other, none twice. */
START_TEST(agg_seen_not_added_twice)
{
    struct rep_agg a = { 0 };
    struct rep_agg_entry proto = { .kind = REP_AGG_FILE };
    struct rep_io_counts c = { .read_ops = 40, .duration_ops = 33,
                               .duration_ns = 16 * 1000 + 16 * 3000 + 1 * 900000,
                               .read_timed_ops = 32, .read_timed_ns = 16 * 1000 + 16 * 3000 };
    struct seen s = { 0 };

    ck_assert_int_eq(rep_agg_duration_seen(&a, "f:/x", &proto, REP_OP_READ, 16, 16 * 1000), 0);
    ck_assert_int_eq(rep_agg_duration_seen(&a, "f:/x", &proto, REP_OP_READ, 16, 16 * 3000), 0);
    ck_assert_int_eq(rep_agg_add(&a, "f:/x", &proto, &c), 0);
    drained(&a, &s);
    ck_assert_uint_eq(s.entries, 1);
    assert_op(&s, REP_OP_READ, 2, 32, 3000);
    assert_op(&s, REP_OP_OTHER, 1, 1, 900000);
    assert_op(&s, REP_OP_WRITE, 0, 0, 0);
}
END_TEST

/* Counts that arrive in two pieces (two records of one file) take the
 * seen durations off once. */
START_TEST(agg_seen_split_over_adds)
{
    struct rep_agg a = { 0 };
    struct rep_agg_entry proto = { .kind = REP_AGG_FILE };
    struct rep_io_counts half = { .duration_ops = 10, .duration_ns = 10 * 2000,
                                  .write_timed_ops = 10, .write_timed_ns = 10 * 2000 };
    struct seen s = { 0 };

    rep_agg_duration_seen(&a, "f:/y", &proto, REP_OP_WRITE, 20, 20 * 2000);
    rep_agg_add(&a, "f:/y", &proto, &half);
    rep_agg_add(&a, "f:/y", &proto, &half);
    drained(&a, &s);
    assert_op(&s, REP_OP_WRITE, 1, 20, 2000);
    for (int op = REP_OP_READ; op < REP_OP_N; op += 2)
        assert_op(&s, op, 0, 0, 0);
}
END_TEST

/* A socket's timed receives and sends are its recv and send; its
 * duration_* are lifetimes, the rest, not less its receives and sends. */
START_TEST(agg_socket_kinds)
{
    struct rep_io_counts c = { .read_timed_ops = 3, .read_timed_ns = 3 * 500,
                               .write_timed_ops = 2, .write_timed_ns = 2 * 70000,
                               .duration_ops = 1, .duration_ns = 5000000 };
    struct rep_agg a = { 0 };
    struct seen s = { 0 };

    rep_agg_add(&a, "s:x", &(struct rep_agg_entry){ .kind = REP_AGG_SOCKET }, &c);
    drained(&a, &s);
    assert_op(&s, REP_OP_READ, 1, 3, 500);
    assert_op(&s, REP_OP_WRITE, 1, 2, 70000);
    assert_op(&s, REP_OP_OTHER, 1, 1, 5000000);
}
END_TEST

static Suite *rep_hist_suite(void)
{
    Suite *s = suite_create("rep_hist");
    TCase *tc = tcase_create("hist");

    tcase_add_test(tc, small_values_exact);
    tcase_add_test(tc, bucket_middle_within_error);
    tcase_add_test(tc, huge_values_share_last_bucket_max_exact);
    tcase_add_test(tc, empty_is_zero);
    tcase_add_test(tc, one_value_exact);
    tcase_add_test(tc, uniform_quantiles);
    tcase_add_test(tc, weights_count);
    tcase_add_test(tc, agg_seen_not_added_twice);
    tcase_add_test(tc, agg_seen_split_over_adds);
    tcase_add_test(tc, agg_socket_kinds);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_suite_run(rep_hist_suite());
}
