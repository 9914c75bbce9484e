/* Reader for the golden files written by tools/oracle (format:
 * tools/oracle/FORMAT.md). Test-only code. */
#ifndef GRU_TEST_GOLDEN_H
#define GRU_TEST_GOLDEN_H

#include <stddef.h>

#include "gru.h"

#define GOLDEN_MAX_META 48
#define GOLDEN_MAX_ARRAYS 48
#define GOLDEN_MAX_DIMS 6

typedef struct golden_array {
    char name[32];
    int is_f32;
    int ndim;
    size_t dims[GOLDEN_MAX_DIMS];
    size_t n;
    double *data; /* n values (f32 values are exact in double) */
} golden_array;

typedef struct golden {
    char path[512];
    int nmeta, narrays;
    char meta_key[GOLDEN_MAX_META][32];
    char meta_val[GOLDEN_MAX_META][64];
    golden_array arrays[GOLDEN_MAX_ARRAYS];
} golden;

/* Parse a file; 0 on success, else -1 with err filled. */
int golden_load(const char *path, golden *g, char *err, size_t errlen);
void golden_free(golden *g);
/* Meta value or NULL. */
const char *golden_meta(const golden *g, const char *key);
/* Meta value as a number (def if absent or "none"). */
double golden_meta_num(const golden *g, const char *key, double def);
/* Array or NULL. */
const golden_array *golden_get(const golden *g, const char *name);

/* Sorted list of the *.golden files in dir; returns count (0 if none or
 * the directory is missing). Free with golden_list_free. */
size_t golden_list(const char *dir, char ***paths);
void golden_list_free(char **paths, size_t n);

/* Error metrics of got against want (n values), accumulated into *worst. */
typedef struct golden_err {
    double max_abs;   /* max |got - want|                         */
    double max_rel;   /* max |got - want| / max(|want|, 1)        */
} golden_err;
void golden_compare(const double *got, const double *want, size_t n, golden_err *e);

/* A golden array converted to dtype (n elements, malloc'd; NULL on failure). */
void *golden_to_dtype(const golden_array *a, gru_dtype dt);
/* Element i of a dtype buffer, as double. */
double golden_get_val(gru_dtype dt, const void *p, size_t i);
/* The file name part of a path. */
const char *golden_base_name(const char *path);

/* ---- used by the golden test topics (tests/test_golden*.c) ---------------
 * Error metric, per element: |got - want| / max(|want|, 1) (golden_compare's
 * max_rel). Bounds (reasons in tests/test_golden.c): */
#define GOLDEN_TOL_F64 1e-12
#define GOLDEN_TOL_F32 1e-6
#define GOLDEN_TOL_F32_CELL 2e-6 /* the cell and the layers (recurrences)   */
#define GOLDEN_TOL_F32_ACT_GRAD 5e-6

/* Worst errors seen, printed at the end of a topic. */
typedef struct golden_worst {
    double f32, f64;
    char f32_case[320], f64_case[320];
} golden_worst;
void golden_note_worst(golden_worst *w, int is_f32, double err, const char *name);

/* One case: 1 = pass; on failure msg says why; *err = the case's error. */
typedef int (*golden_case_fn)(const golden *g, char *msg, size_t msglen, double *err);
/* Run every <golden dir>/<family>/ *.golden through fn, one reported test
 * "golden/<family>/<file>" each (a failing "golden/<family>" test when there
 * are none and required). Defined in tests/test_golden.c (needs the runner). */
void golden_run_family(const char *family, golden_case_fn fn, golden_worst *w, int required);

#endif
