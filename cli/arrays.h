/* Arrays for `gru run`: .npy (NumPy's format, version 1-3, little-endian
 * float32/float64/int32/int64 in C order) and CSV (one row per timestep,
 * one column per feature), read and written without any library. */
#ifndef GRU_CLI_ARRAYS_H
#define GRU_CLI_ARRAYS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CLI_MAX_DIMS 9
#define CLI_MAX_ELEMS ((size_t)1 << 31) /* elements of one array           */

typedef struct cli_array {
    size_t ndim;
    size_t dims[CLI_MAX_DIMS];
    size_t count;  /* product of dims                                       */
    double *data;  /* count values (ids are exact up to 2^53); malloc'ed    */
} cli_array;

void cli_array_free(cli_array *a);

/* Parse a whole .npy held in buf. 0 ok; -1 with a message in err. Every
 * size is checked against len before anything is allocated. */
int cli_npy_parse(const unsigned char *buf, size_t len, cli_array *a, char *err, size_t errlen);
/* Read and parse a .npy file. */
int cli_npy_read(const char *path, cli_array *a, char *err, size_t errlen);
/* Write count values (float32 when f32, else float64) with this shape. */
int cli_npy_write(FILE *f, size_t ndim, const size_t *dims, const void *data, int f32);

/* Read a CSV: rows of comma-separated numbers (blank lines and lines that
 * start with '#' are skipped, as is a first row that is not numeric, a
 * header). Result: ndim 2, (rows, columns). */
int cli_csv_read(const char *path, cli_array *a, char *err, size_t errlen);
/* Write values as CSV: the last axis as columns, all others as rows. */
int cli_csv_write(FILE *f, size_t ndim, const size_t *dims, const void *data, int f32);

#endif
