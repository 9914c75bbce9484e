/* Shared between the Keras readers in io/ (not installed). */
#ifndef GRU_IO_KERAS_INTERNAL_H
#define GRU_IO_KERAS_INTERNAL_H

#include <stddef.h>

#include "gru.h"
#include "internal.h" /* gru__fail: sets gru_last_error() */

#define GK_FAIL(st, ...) gru__fail((st), NULL, __VA_ARGS__)

/* What a config build leaves for the weight loader: the Keras class name of
 * each node ("GRU", "RNN", "CuDNNGRU", "TimeDistributed", ...; NULL for
 * nodes that are no Keras layer). Freed with gru__keras_map_free. */
typedef struct gk_layer_map {
    size_t n;
    char **cls;
} gk_layer_map;
void gru__keras_map_free(gk_layer_map *m);

/* Build a model from a Keras model config (JSON text). keras_major: 2 or 3
 * (0 = from the text). map may be NULL. */
gru_status gru__keras_config_to_model(const char *json, size_t len, gru_dtype dtype,
                              const gru_keras_options *opt, int keras_major, gru_model **out,
                              gru_keras_file_info *info, gk_layer_map *map);

/* Keras major version of a version string ("2.21.0" -> 2); 0 if unknown. */
int gru__keras_version_major(const char *v);

#endif
