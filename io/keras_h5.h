/* HDF5 helpers shared by io/keras_h5.c and io/keras_load.c (needs hdf5.h). */
#ifndef GRU_IO_KERAS_H5_H
#define GRU_IO_KERAS_H5_H

#include <hdf5.h>

#include "keras_internal.h"

/* Strings of attribute `name` (or its numbered chunks name0, name1, ...):
 * 0 ok, -1 not strings (and not empty), -2 unreadable, -3 absent. */
int gru__keras_attr_strings(hid_t obj, const char *name, char ***out, size_t *n);
/* One string attribute (malloc'd) or NULL. */
char *gru__keras_attr_string(hid_t obj, const char *name);
void gru__keras_strs_free(char **s, size_t n);
/* Load the weights of any layout found in file into m; map may be NULL. */
gru_status gru__keras_h5_load_weights(gru_model *m, hid_t file, const gk_layer_map *map);

#endif
