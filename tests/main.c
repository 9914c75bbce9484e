/* Test runner entry: runs every registered topic, prints
 * "N passed, N failed" and exits non-zero on any failure.
 * Usage: gru_tests [substring-filter ...] */
#include <stdarg.h>
#include <stdlib.h>

#include "runner.h"

/* -DGRU_TEST_ONLY=topic builds a runner for one topic (for working on one
 * module while others are incomplete). */
#ifdef GRU_TEST_ONLY
#define GRU__CAT(a, b) a##b
#define GRU__TESTS(t) GRU__CAT(tests_, t)
void GRU__TESTS(GRU_TEST_ONLY)(void);
#else
#define X(topic) void tests_##topic(void);
#include "test_list.h"
#undef X
#endif

static int g_passed, g_failed, g_nfilters;
static char **g_filters;
static int g_verbose;

int tr_selected(const char *name) {
    if (g_nfilters == 0) return 1;
    for (int i = 0; i < g_nfilters; i++)
        if (strstr(name, g_filters[i])) return 1;
    return 0;
}

void tr_report(const char *name, int ok, const char *msg) {
    if (ok) {
        g_passed++;
        if (g_verbose) printf("ok    %s\n", name);
    } else {
        g_failed++;
        printf("FAIL  %s: %s\n", name, msg ? msg : "");
    }
    fflush(stdout);
}

void tr_run(const char *name, tr_fn fn) {
    if (!tr_selected(name)) return;
    tr_ctx t;
    memset(&t, 0, sizeof t);
    fn(&t);
    tr_report(name, !t.failed, t.msg);
}

void tr_failf(tr_ctx *t, const char *file, int line, const char *fmt, ...) {
    if (t->failed) return;
    t->failed = 1;
    int n = snprintf(t->msg, sizeof t->msg, "%s:%d: ", file, line);
    if (n < 0 || (size_t)n >= sizeof t->msg) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->msg + n, sizeof t->msg - (size_t)n, fmt, ap);
    va_end(ap);
}

const char *tr_golden_dir(void) {
    const char *d = getenv("GRU_GOLDEN_DIR");
    if (d && *d) return d;
#ifdef GRU_SOURCE_GOLDEN_DIR
    return GRU_SOURCE_GOLDEN_DIR;
#else
    return "tests/golden";
#endif
}

int main(int argc, char **argv) {
    g_filters = argv + 1;
    g_nfilters = argc - 1;
    if (g_nfilters > 0 && strcmp(argv[1], "-v") == 0) {
        g_verbose = 1;
        g_filters++;
        g_nfilters--;
    }
#ifdef GRU_TEST_ONLY
    GRU__TESTS(GRU_TEST_ONLY)();
#else
#define X(topic) tests_##topic();
#include "test_list.h"
#undef X
#endif
    printf("%d passed, %d failed\n", g_passed, g_failed);
    return g_failed == 0 && g_passed > 0 ? 0 : 1;
}
