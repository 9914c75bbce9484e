/* Reader for the golden files written by tools/oracle (format:
 * tools/oracle/FORMAT.md). Test-only code. */
#ifndef GRU_TEST_GOLDEN_H
#define GRU_TEST_GOLDEN_H

#include <stddef.h>

#define GOLDEN_MAX_META 48
#define GOLDEN_MAX_ARRAYS 24
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

#endif
