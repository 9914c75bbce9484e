/* Internal declarations of the native model format (src/model_io*.c) and the
 * hook it needs in model.c. Not installed. */
#ifndef GRU_MODEL_IO_H
#define GRU_MODEL_IO_H

#include "gru.h"
#include <stddef.h>
#include <stdint.h>

/* gru_model_create that refuses, before allocating, a model whose layers
 * would hold more than `budget` elements (weights, dropout-mask caches,
 * stateful states): a loader passes what the file can describe, so a small
 * file never makes a huge allocation. GRU_E_FORMAT naming the node if so. */
gru_status gru__model_create_budget(const gru_model_node *nodes, size_t n,
                                    const gru_model_ref *outputs, size_t n_out, gru_dtype dtype,
                                    size_t budget, gru_model **out);

/* CRC-32 (IEEE 802.3 polynomial, reflected, as zlib's crc32): continue crc
 * (start with 0) over len bytes of p. */
uint32_t gru__crc32(uint32_t crc, const void *p, size_t len);

/* Format constants (docs/FORMAT-native.md). */
#define GRU__FMT_MAGIC "GRUM"
#define GRU__FMT_MAJOR 1u
#define GRU__FMT_MINOR 0u
#define GRU__FMT_HEADER 24u      /* bytes before the payload               */
#define GRU__FMT_SECTION 12u     /* tag (4) + length (8)                   */
#define GRU__FMT_MAX_NODES 65536u
#define GRU__FMT_MAX_OUTPUTS 65536u
#define GRU__FMT_MAX_NAME 63u    /* bytes of a node or weight name         */
#define GRU__FMT_MAX_BATCH 65536 /* max_batch, batch_size                  */
#define GRU__FMT_MAX_DIM ((int64_t)1 << 40) /* units, shapes, ids          */
#define GRU__FMT_SLACK ((size_t)1 << 22) /* elements for caches and states */

#endif
