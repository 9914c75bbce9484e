/* The error check of the benchmark programs that call libgru (bench/). */
#ifndef GRU_BENCH_TRY_H
#define GRU_BENCH_TRY_H

#include <stdio.h>
#include <stdlib.h>

#include "gru.h"

/* Run a libgru call; on failure print it with its status and message and
 * exit(1). */
#define TRY(expr)                                                                           \
    do {                                                                                    \
        gru_status s_ = (expr);                                                             \
        if (s_) {                                                                           \
            fprintf(stderr, "%s: %s (%s)\n", #expr, gru_status_name(s_), gru_last_error()); \
            exit(1);                                                                        \
        }                                                                                   \
    } while (0)

#endif
