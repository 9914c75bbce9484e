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

/* ---- layer cases (the `layer` and `grad` families; meta in FORMAT.md) ---- */
#define GOLDEN_LAYER_MAX_CHUNKS 8
typedef struct golden_layer_case {
    gru_dtype dt;
    int64_t U, F, B, T, W;
    int bidir, rs, rst, st, tm;
    gru_merge_mode merge;
    gru_training tr;
    int nchunks;
    int64_t chunk[GOLDEN_LAYER_MAX_CHUNKS];
} golden_layer_case;
/* Parse the meta of a layer-like case; 1 on success, else 0 with msg. */
int golden_layer_parse(const golden *g, golden_layer_case *c, char *msg, size_t msglen);
/* Create libgru's layer (*layer) or Bidirectional (*bi) as the meta
 * describes, with the weights kernel/recurrent_kernel/bias (and the _b ones)
 * set and the effective implementation and output width checked. 1 on
 * success; else 0 with msg and nothing left allocated. */
int golden_layer_build(const golden *g, const golden_layer_case *c, gru_layer **layer,
                       gru_bidirectional **bi, char *msg, size_t msglen);
/* ---- optimizer config (the `optimizer` and `train` families) ------------
 * gru_optimizer_config_init for meta optimizer, then the hyperparameters
 * both families record (learning_rate, momentum, nesterov, beta_1, beta_2,
 * epsilon, amsgrad, rho, centered, initial_accumulator_value; absent ones
 * keep the defaults) and lr_dtype from meta floatx. 1 on success; else 0
 * with msg ("<what>: <error>" when config_init fails). */
int golden_optimizer_parse(const golden *g, gru_optimizer_config *c, const char *what, char *msg,
                           size_t msglen);
/* Golden array `name` or NULL when absent; one present with another element
 * count than n sets *bad and msg. */
const golden_array *golden_get_n(const golden *g, const char *name, size_t n, char *msg,
                                 size_t msglen, int *bad);
/* Compare n values of buf (dtype dt) with the golden array `name` (0 with
 * msg when it is missing or of another size); accumulate into *e, and keep
 * the largest max_rel seen in *worst with the array's name in worst_name
 * (32 chars). */
int golden_compare_named(const golden *g, const char *name, gru_dtype dt, const void *buf,
                         size_t n, golden_err *e, double *worst, char *worst_name, char *msg,
                         size_t msglen);

/* Allocations of one case, freed together (golden_keep returns p, or frees
 * it and returns NULL when full). */
typedef struct golden_bufs {
    void *p[64];
    int n;
} golden_bufs;
void *golden_keep(golden_bufs *b, void *p);
void golden_free_all(golden_bufs *b);

#endif
