/* Model file formats the gru command can read and write: one table of
 * function pointers. A loader (io/: Keras .h5/.keras, PyTorch, ONNX) joins
 * by adding one entry to the table in formats.c (under its build option);
 * `gru info`, `gru run` and `gru convert` then read it too. */
#ifndef GRU_CLI_FORMATS_H
#define GRU_CLI_FORMATS_H

#include <stddef.h>

#include "gru.h"

typedef struct gru_cli_format {
    const char *name;        /* "native"                                        */
    const char *description; /* one line for `gru formats`                      */
    const char *extensions;  /* space-separated, with the dot: ".grum"          */
    /* 1 if the first n bytes of a file (n may be small) are this format's;
     * NULL: recognised by extension only. */
    int (*probe)(const unsigned char *head, size_t n);
    /* Read a whole model; NULL if the format cannot be read. On failure the
     * message is in gru_last_error(). */
    gru_status (*load)(const char *path, gru_model **out);
    /* Write a model; NULL if the format cannot be written. */
    gru_status (*save)(const gru_model *model, const char *path);
} gru_cli_format;

/* The table (count entries, the native format first). */
const gru_cli_format *gru_cli_formats(size_t *count);
/* The format to read path with: the first whose probe accepts the file's
 * first bytes, else the first whose extension matches. NULL if none (*why
 * then says why: cannot open, unknown format). */
const gru_cli_format *gru_cli_format_for_read(const char *path, const char **why);
/* The format to write path with: by extension; the native format when no
 * writer claims it. */
const gru_cli_format *gru_cli_format_for_write(const char *path);
/* A format by name, NULL if unknown. */
const gru_cli_format *gru_cli_format_named(const char *name);

#endif
