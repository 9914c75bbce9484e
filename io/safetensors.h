/* A safetensors reader (internal to io/; used by the PyTorch loader, the
 * tests and the fuzz target).
 *
 * Format (huggingface/safetensors README): 8 bytes, little-endian u64 N;
 * N bytes of UTF-8 JSON, an object mapping each tensor name to
 * {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]} plus an
 * optional "__metadata__" object of string values; then the byte buffer.
 * Offsets are relative to the buffer's start. The reader checks: N fits in
 * the file and is at most 100,000,000; the JSON is one object (trailing
 * spaces allowed) without duplicate names; dtype is a known code; shape is a
 * list of non-negative integers (rank <= 8) whose element count times the
 * dtype size equals end - begin; 0 <= begin <= end <= buffer size; the
 * ranges, sorted, neither overlap nor leave holes and cover the buffer. */
#ifndef GRU_IO_SAFETENSORS_H
#define GRU_IO_SAFETENSORS_H

#include <stddef.h>

#include "gru.h"

#define GRU_ST_MAX_RANK 8

typedef struct gru_st_tensor {
    char *name;                  /* owned                                  */
    char dtype[8];               /* "F32", "BF16", ...                     */
    size_t elsize;               /* bytes per element                      */
    size_t ndim;
    size_t shape[GRU_ST_MAX_RANK];
    size_t count;                /* elements                               */
    size_t begin, end;           /* offsets in the data buffer             */
    const unsigned char *data;   /* into the parsed buffer                 */
    int used;                    /* for the caller's bookkeeping           */
} gru_st_tensor;

typedef struct gru_st_file {
    size_t n;
    gru_st_tensor *t;            /* sorted by begin offset                 */
} gru_st_file;

/* Parse buf (len bytes; must stay alive while f is used). fn prefixes
 * messages. On failure nothing needs freeing. */
gru_status gru_st_parse(const char *fn, const unsigned char *buf, size_t len, gru_st_file *f);
void gru_st_free(gru_st_file *f);
gru_st_tensor *gru_st_find(const gru_st_file *f, const char *name);

#endif
