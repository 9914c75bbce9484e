/* The one test runner: registered tests, assertion macros, summary line.
 * Each tests/test_<topic>.c defines `void tests_<topic>(void)` that calls
 * TR_RUN(fn) for each of its tests; tests/test_list.h lists the topics. */
#ifndef GRU_TEST_RUNNER_H
#define GRU_TEST_RUNNER_H

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gru.h"

typedef struct tr_ctx {
    int failed;
    char msg[512];
} tr_ctx;

typedef void (*tr_fn)(tr_ctx *t);

/* Run fn as a test called name (skipped when it does not match the filter). */
void tr_run(const char *name, tr_fn fn);
/* Report a test computed outside a tr_fn (e.g. one golden case). */
void tr_report(const char *name, int ok, const char *msg);
/* 1 if a test of this name would run under the current filter. */
int tr_selected(const char *name);
/* Mark the current test as failed (first message kept). */
void tr_failf(tr_ctx *t, const char *file, int line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
/* Directory that holds the goldens (GRU_GOLDEN_DIR or the source tree's). */
const char *tr_golden_dir(void);

#define TR_RUN(fn) tr_run(#fn, fn)
#define TEST(name) static void name(tr_ctx *t_)

#define CHECK(cond)                                                   \
    do {                                                              \
        if (!(cond)) {                                                \
            tr_failf(t_, __FILE__, __LINE__, "CHECK(%s)", #cond);     \
            return;                                                   \
        }                                                             \
    } while (0)

#define CHECK_MSG(cond, ...)                                          \
    do {                                                              \
        if (!(cond)) {                                                \
            tr_failf(t_, __FILE__, __LINE__, __VA_ARGS__);            \
            return;                                                   \
        }                                                             \
    } while (0)

/* expr must return status `want`; on GRU_OK failures the message is shown. */
#define CHECK_STATUS(expr, want)                                                   \
    do {                                                                           \
        gru_status s_ = (expr);                                                    \
        if (s_ != (want)) {                                                        \
            tr_failf(t_, __FILE__, __LINE__, "%s returned %s, want %s (msg: %s)",  \
                     #expr, gru_status_name(s_), gru_status_name(want),            \
                     gru_last_error());                                            \
            return;                                                                \
        }                                                                          \
    } while (0)
#define CHECK_OK(expr) CHECK_STATUS(expr, GRU_OK)

/* A rejection: the status, and a non-empty message that contains `needle`. */
#define CHECK_REJECT(expr, want, needle)                                           \
    do {                                                                           \
        CHECK_STATUS(expr, want);                                                  \
        CHECK_MSG(strstr(gru_last_error(), (needle)) != NULL,                      \
                  "message \"%s\" lacks \"%s\"", gru_last_error(), (needle));      \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                      \
    do {                                                                           \
        double a_ = (double)(a), b_ = (double)(b);                                 \
        if (!(fabs(a_ - b_) <= (tol))) {                                           \
            tr_failf(t_, __FILE__, __LINE__, "%s = %.17g, %s = %.17g, |diff| > %g", \
                     #a, a_, #b, b_, (double)(tol));                               \
            return;                                                                \
        }                                                                          \
    } while (0)

#endif
