/* Keras HDF5 weights -> gru_model (gru.h, "Keras files").
 *
 * Layouts (spec §10):
 * - legacy (save_weights('x.h5'), and /model_weights of save('x.h5')): root
 *   attribute layer_names (maybe in numbered chunks), one group per layer
 *   with attribute weight_names, datasets at group/<weight name>. Written by
 *   Keras 1/2, tf.keras, tf-keras and Keras 3's legacy_h5_format (names
 *   without ':0'). Layers are matched by name, else in order.
 * - Keras v3 (.weights.h5 and model.weights.h5 of a .keras zip):
 *   layers/<snake_case class name, de-duplicated>/[cell|forward_layer/cell|
 *   backward_layer/cell|layer]/vars/<i>; tf-keras 2.13 wrote
 *   _layer_checkpoint_dependencies/ instead of layers/.
 * Strings are read whether h5py stored them as fixed- or variable-length. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keras_internal.h"

#ifndef GRU_HAVE_HDF5

gru_status gru_keras_load_weights_h5(gru_model *model, const char *path) {
    (void)model, (void)path;
    return GK_FAIL(GRU_E_UNSUPPORTED,
                   "gru_keras_load_weights_h5: libgru was built without HDF5");
}

#else

#include <hdf5.h>

#include "keras_h5.h"

/* ---- strings ---------------------------------------------------------------- */

void gru__keras_strs_free(char **s, size_t n) {
    if (!s) return;
    for (size_t i = 0; i < n; i++) free(s[i]);
    free(s);
}

/* All strings of an open attribute (scalar or 1-D). -1 on a non-string
 * attribute that is not empty, -2 on failure. */
static int attr_strings_open(hid_t a, char ***out, size_t *n) {
    *out = NULL;
    *n = 0;
    int rc = -2;
    hid_t t = H5Aget_type(a), sp = H5Aget_space(a);
    if (t < 0 || sp < 0) goto done;
    const hssize_t np = H5Sget_simple_extent_npoints(sp);
    if (np < 0 || np > 1000000) goto done;
    if (H5Tget_class(t) != H5T_STRING) {
        rc = np == 0 ? 0 : -1; /* an empty weight_names is a float64 (0,) array */
        goto done;
    }
    const size_t cnt = (size_t)np;
    char **s = calloc(cnt + 1, sizeof *s);
    if (!s) goto done;
    if (H5Tis_variable_str(t) > 0) {
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, H5T_VARIABLE);
        H5Tset_cset(mt, H5Tget_cset(t));
        char **v = calloc(cnt + 1, sizeof *v);
        if (v && H5Aread(a, mt, v) >= 0) {
            rc = 0;
            for (size_t i = 0; i < cnt; i++) {
                const char *src = v[i] ? v[i] : "";
                s[i] = malloc(strlen(src) + 1);
                if (!s[i]) rc = -2;
                else strcpy(s[i], src);
            }
            H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, v);
        }
        free(v);
        H5Tclose(mt);
    } else {
        const size_t w = H5Tget_size(t);
        char *buf = w && cnt <= SIZE_MAX / w ? malloc(w * cnt + 1) : NULL;
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, w ? w : 1);
        H5Tset_strpad(mt, H5T_STR_NULLPAD);
        if (buf && H5Aread(a, mt, buf) >= 0) {
            rc = 0;
            for (size_t i = 0; i < cnt; i++) {
                s[i] = malloc(w + 1);
                if (!s[i]) {
                    rc = -2;
                    continue;
                }
                memcpy(s[i], buf + i * w, w);
                s[i][w] = 0;
            }
        }
        free(buf);
        H5Tclose(mt);
    }
    if (rc == 0) {
        *out = s;
        *n = cnt;
    } else {
        gru__keras_strs_free(s, cnt);
    }
done:
    if (t >= 0) H5Tclose(t);
    if (sp >= 0) H5Sclose(sp);
    return rc;
}

int gru__keras_attr_strings(hid_t obj, const char *name, char ***out, size_t *n) {
    *out = NULL;
    *n = 0;
    if (H5Aexists(obj, name) > 0) {
        hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
        if (a < 0) return -2;
        int rc = attr_strings_open(a, out, n);
        H5Aclose(a);
        return rc;
    }
    /* numbered chunks name0, name1, ... (attributes over 64512 bytes) */
    char nm[128];
    int found = 0;
    for (int k = 0;; k++) {
        snprintf(nm, sizeof nm, "%s%d", name, k);
        if (H5Aexists(obj, nm) <= 0) break;
        found = 1;
        hid_t a = H5Aopen(obj, nm, H5P_DEFAULT);
        char **part = NULL;
        size_t pn = 0;
        int rc = a < 0 ? -2 : attr_strings_open(a, &part, &pn);
        if (a >= 0) H5Aclose(a);
        if (rc < 0) {
            gru__keras_strs_free(*out, *n);
            *out = NULL;
            *n = 0;
            return rc;
        }
        char **all = realloc(*out, (*n + pn + 1) * sizeof *all);
        if (!all) {
            gru__keras_strs_free(part, pn);
            return -2;
        }
        memcpy(all + *n, part, pn * sizeof *part);
        *out = all;
        *n += pn;
        free(part);
    }
    return found ? 0 : -3; /* -3: absent */
}

char *gru__keras_attr_string(hid_t obj, const char *name) {
    char **s;
    size_t n;
    if (gru__keras_attr_strings(obj, name, &s, &n) != 0 || n != 1) {
        if (s) gru__keras_strs_free(s, n);
        return NULL;
    }
    char *r = s[0];
    free(s);
    return r;
}

/* ---- reading one weight --------------------------------------------------- */

typedef struct wctx {
    gru_model *m;
    size_t node;
    gru_model_node_info info;
    double *arr[GRU_MODEL_MAX_WEIGHTS];
    size_t got;
    char where[160];
} wctx;

static void shape_txt(size_t nd, const hsize_t *d, char *buf, size_t len) {
    size_t o = 0;
    o += (size_t)snprintf(buf + o, len - o, "(");
    for (size_t k = 0; k < nd && o < len; k++)
        o += (size_t)snprintf(buf + o, len - o, k ? ", %llu" : "%llu", (unsigned long long)d[k]);
    if (nd == 1 && o < len) o += (size_t)snprintf(buf + o, len - o, ",");
    if (o < len) snprintf(buf + o, len - o, ")");
}

static void want_txt(const gru_model_node_info *in, size_t k, char *buf, size_t len) {
    hsize_t d[2] = {in->weight_shape[k][0], in->weight_shape[k][1]};
    shape_txt(in->weight_ndim[k], d, buf, len);
}

/* Read dataset `path` (relative to g) as doubles; dims out. */
static gru_status read_ds(hid_t g, const char *path, double **data, size_t *nd, hsize_t dims[4],
                          const char *where) {
    *data = NULL;
    if (H5Lexists(g, path, H5P_DEFAULT) <= 0)
        return GK_FAIL(GRU_E_FORMAT, "%s: weight '%s' is missing from the file", where, path);
    hid_t ds = H5Dopen2(g, path, H5P_DEFAULT);
    if (ds < 0) return GK_FAIL(GRU_E_FORMAT, "%s: '%s' is not a dataset", where, path);
    gru_status st = GRU_OK;
    hid_t sp = H5Dget_space(ds), t = H5Dget_type(ds);
    const int r = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    if (r < 0 || r > 4 || t < 0) {
        st = GK_FAIL(GRU_E_FORMAT, "%s: weight '%s' has an unreadable shape", where, path);
    } else if (H5Tget_class(t) != H5T_FLOAT) {
        st = GK_FAIL(GRU_E_FORMAT, "%s: weight '%s' is not a float array", where, path);
    } else {
        H5Sget_simple_extent_dims(sp, dims, NULL);
        *nd = (size_t)r;
        size_t cnt = 1;
        for (int k = 0; k < r; k++) {
            if (dims[k] > (hsize_t)(SIZE_MAX / sizeof(double)) / cnt) {
                st = GK_FAIL(GRU_E_FORMAT, "%s: weight '%s' is too large", where, path);
                break;
            }
            cnt *= (size_t)dims[k];
        }
        if (!st) {
            *data = malloc((cnt ? cnt : 1) * sizeof(double));
            if (!*data) st = GK_FAIL(GRU_E_NOMEM, "%s: out of memory", where);
            else if (H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, *data) < 0)
                st = GK_FAIL(GRU_E_FORMAT, "%s: weight '%s' cannot be read (truncated or "
                             "corrupt file)", where, path);
        }
    }
    if (t >= 0) H5Tclose(t);
    if (sp >= 0) H5Sclose(sp);
    H5Dclose(ds);
    if (st) {
        free(*data);
        *data = NULL;
    }
    return st;
}

/* CuDNNGRU kernel block (F,U) -> GRU: reinterpret row-major as (U,F), transpose. */
static void cudnn_kernel(double *k, size_t F, size_t U, double *tmp) {
    for (size_t g = 0; g < 3; g++) {
        for (size_t r = 0; r < F; r++)
            for (size_t c = 0; c < U; c++) tmp[r * U + c] = k[r * 3 * U + g * U + c];
        /* tmp as (U,F) row-major: M[u][f] = tmp[u*F + f]; want M^T (F,U) */
        for (size_t f = 0; f < F; f++)
            for (size_t u = 0; u < U; u++) k[f * 3 * U + g * U + u] = tmp[u * F + f];
    }
}

static void cudnn_recurrent(double *k, size_t U, double *tmp) {
    for (size_t g = 0; g < 3; g++) {
        for (size_t r = 0; r < U; r++)
            for (size_t c = 0; c < U; c++) tmp[c * U + r] = k[r * 3 * U + g * U + c];
        for (size_t r = 0; r < U; r++)
            for (size_t c = 0; c < U; c++) k[r * 3 * U + g * U + c] = tmp[r * U + c];
    }
}

static const char *base_of(const char *s, char *buf, size_t len) {
    const char *b = strrchr(s, '/');
    b = b ? b + 1 : s;
    snprintf(buf, len, "%s", b);
    char *colon = strchr(buf, ':');
    if (colon) *colon = 0;
    return buf;
}

/* Weight k of the node, read from `path` under g; name = the file's weight
 * name (for the suffix check), NULL to skip it. */
static gru_status take(wctx *w, hid_t g, const char *path, const char *name) {
    const size_t k = w->got;
    const gru_model_node_info *in = &w->info;
    if (k >= in->n_weights)
        return GK_FAIL(GRU_E_FORMAT, "%s: the file has an extra weight '%s' (the model expects "
                       "%zu)", w->where, path, in->n_weights);
    if (name) {
        char a[96], b[96];
        base_of(name, a, sizeof a);
        base_of(in->weight_names[k], b, sizeof b);
        if (strcmp(a, b))
            return GK_FAIL(GRU_E_FORMAT, "%s: weight %zu is '%s' in the file, the model expects "
                           "'%s'", w->where, k, name, in->weight_names[k]);
    }
    size_t nd = 0;
    hsize_t dims[4] = {0, 0, 0, 0};
    double *d = NULL;
    gru_status st = read_ds(g, path, &d, &nd, dims, w->where);
    if (st) return st;
    int ok = nd == in->weight_ndim[k] && dims[0] == in->weight_shape[k][0] &&
             (nd < 2 || dims[1] == in->weight_shape[k][1]);
    /* CuDNNGRU: bias (6U,) where GRU(reset_after) has (2, 3U) */
    const int is_bias = !strcmp(base_of(in->weight_names[k], (char[96]){0}, 96), "bias");
    if (!ok && is_bias && nd == 1 && in->weight_ndim[k] == 2 && in->weight_shape[k][0] == 2 &&
        dims[0] == 2 * in->weight_shape[k][1] && k >= 2) {
        const size_t U = in->weight_shape[k][1] / 3, F = in->weight_shape[k - 2][0];
        double *tmp = malloc((F > U ? F : U) * U * sizeof *tmp + 1);
        if (!tmp) {
            free(d);
            return GK_FAIL(GRU_E_NOMEM, "%s: out of memory", w->where);
        }
        cudnn_kernel(w->arr[k - 2], F, U, tmp);
        cudnn_recurrent(w->arr[k - 1], U, tmp);
        free(tmp);
        ok = 1; /* (6U,) read row-major is (2, 3U) */
    }
    if (!ok) {
        char got[64], want[64];
        shape_txt(nd, dims, got, sizeof got);
        want_txt(in, k, want, sizeof want);
        const char *hint = "";
        if (is_bias && in->weight_ndim[k] == 2 && nd == 1)
            hint = " (the file's GRU has reset_after=False, the model's reset_after=True)";
        else if (is_bias && in->weight_ndim[k] == 1 && nd == 2)
            hint = " (the file's GRU has reset_after=True, the model's reset_after=False)";
        free(d);
        return GK_FAIL(GRU_E_SHAPE, "%s: weight '%s' has shape %s in the file, the model expects "
                       "%s%s", w->where, path, got, want, hint);
    }
    w->arr[k] = d;
    w->got++;
    return GRU_OK;
}

static void wctx_free(wctx *w) {
    for (size_t k = 0; k < GRU_MODEL_MAX_WEIGHTS; k++) free(w->arr[k]);
    memset(w->arr, 0, sizeof w->arr);
}

static gru_status commit(wctx *w) {
    if (w->got != w->info.n_weights) {
        return GK_FAIL(GRU_E_FORMAT, "%s: the file has %zu weights, the model expects %zu "
                       "(weight '%s' is missing)", w->where, w->got, w->info.n_weights,
                       w->info.weight_names[w->got]);
    }
    const void *arrays[GRU_MODEL_MAX_WEIGHTS];
    for (size_t k = 0; k < w->got; k++) arrays[k] = w->arr[k];
    gru_status st = gru_model_set_node_weights(w->m, w->node, GRU_F64, w->got, arrays,
                                               w->info.weight_count);
    if (st) return GK_FAIL(st, "%s: %s", w->where, gru_model_last_error(w->m));
    return GRU_OK;
}

static gru_status wctx_init(wctx *w, gru_model *m, size_t i, const char *cls) {
    memset(w, 0, sizeof *w);
    w->m = m;
    w->node = i;
    gru_status st = gru_model_node_info_get(m, i, &w->info);
    if (st) return st;
    snprintf(w->where, sizeof w->where, "layer '%s' (%s)", w->info.name,
             cls ? cls : gru_node_kind_name(w->info.kind));
    return GRU_OK;
}

/* ---- legacy layout ------------------------------------------------------------ */

static gru_status legacy_layer(wctx *w, hid_t root, const char *gname) {
    hid_t g = H5Gopen2(root, gname, H5P_DEFAULT);
    if (g < 0) return GK_FAIL(GRU_E_FORMAT, "%s: group '%s' is missing from the file", w->where, gname);
    char **names = NULL;
    size_t n = 0;
    gru_status st = GRU_OK;
    const int rc = gru__keras_attr_strings(g, "weight_names", &names, &n);
    if (rc < 0 && rc != -3) st = GK_FAIL(GRU_E_FORMAT, "%s: attribute 'weight_names' is unreadable", w->where);
    for (size_t k = 0; k < n && !st; k++) st = take(w, g, names[k], names[k]);
    if (!st) st = commit(w);
    gru__keras_strs_free(names, n);
    H5Gclose(g);
    return st;
}

static int layer_has_weights(hid_t root, const char *gname) {
    hid_t g = H5Gopen2(root, gname, H5P_DEFAULT);
    if (g < 0) return 0;
    char **names = NULL;
    size_t n = 0;
    gru__keras_attr_strings(g, "weight_names", &names, &n);
    gru__keras_strs_free(names, n);
    H5Gclose(g);
    return n > 0;
}

static gru_status load_legacy(gru_model *m, hid_t root, const gk_layer_map *map) {
    char **ln = NULL;
    size_t nl = 0;
    const int rc = gru__keras_attr_strings(root, "layer_names", &ln, &nl);
    if (rc < 0) return GK_FAIL(GRU_E_FORMAT, "the file's 'layer_names' attribute is %s",
                               rc == -3 ? "missing" : "unreadable");
    const size_t nn = gru_model_node_count(m);
    gru_status st = GRU_OK;
    /* by name when every node with weights has a layer of its name */
    int by_name = 1;
    size_t weighted = 0;
    for (size_t i = 0; i < nn; i++) {
        gru_model_node_info in;
        gru_model_node_info_get(m, i, &in);
        if (!in.n_weights) continue;
        weighted++;
        size_t j = 0;
        while (j < nl && strcmp(ln[j], in.name)) j++;
        if (j == nl) by_name = 0;
    }
    char *used = calloc(nl + 1, 1);
    if (!used) {
        gru__keras_strs_free(ln, nl);
        return GK_FAIL(GRU_E_NOMEM, "out of memory");
    }
    size_t fj = 0; /* positional cursor over the file's layers with weights */
    for (size_t i = 0; i < nn && !st; i++) {
        wctx w;
        const char *cls = map && i < map->n ? map->cls[i] : NULL;
        if ((st = wctx_init(&w, m, i, cls))) break;
        if (!w.info.n_weights) continue;
        size_t j = 0;
        if (by_name) {
            while (strcmp(ln[j], w.info.name)) j++;
        } else {
            while (fj < nl && !layer_has_weights(root, ln[fj])) fj++;
            if (fj == nl) {
                st = GK_FAIL(GRU_E_FORMAT, "%s: the file has weights for fewer layers than the "
                             "model (%zu layers with weights)", w.where, weighted);
                break;
            }
            j = fj++;
        }
        used[j] = 1;
        st = legacy_layer(&w, root, ln[j]);
        wctx_free(&w);
    }
    for (size_t j = 0; j < nl && !st; j++)
        if (!used[j] && layer_has_weights(root, ln[j]))
            st = GK_FAIL(GRU_E_FORMAT, "the file has weights for layer '%s', which the model "
                         "does not have", ln[j]);
    free(used);
    gru__keras_strs_free(ln, nl);
    return st;
}

/* ---- Keras v3 layout ------------------------------------------------------------- */

/* Keras' naming.to_snake_case */
static void snake(const char *in, char *out, size_t len) {
    char a[128];
    size_t o = 0;
    const size_t n = strlen(in);
    /* (.)([A-Z][a-z]+) -> \1_\2 */
    for (size_t i = 0; i < n && o + 2 < sizeof a; i++) {
        if (i > 0 && in[i] >= 'A' && in[i] <= 'Z' && i + 1 < n && in[i + 1] >= 'a' &&
            in[i + 1] <= 'z' && a[o - 1] != '_')
            a[o++] = '_';
        a[o++] = in[i];
    }
    a[o] = 0;
    /* ([a-z0-9])([A-Z]) -> \1_\2, then lower */
    o = 0;
    for (size_t i = 0; a[i] && o + 2 < len; i++) {
        const char c = a[i];
        if (i > 0 && c >= 'A' && c <= 'Z' &&
            ((a[i - 1] >= 'a' && a[i - 1] <= 'z') || (a[i - 1] >= '0' && a[i - 1] <= '9')))
            out[o++] = '_';
        out[o++] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    out[o] = 0;
}

static gru_status v3_vars(wctx *w, hid_t g, const char *sub) {
    char p[256];
    snprintf(p, sizeof p, "%s%svars", sub, *sub ? "/" : "");
    if (H5Lexists(g, p, H5P_DEFAULT) <= 0 && w->got < w->info.n_weights)
        return GK_FAIL(GRU_E_FORMAT, "%s: group '%s' is missing from the file (weight '%s')",
                       w->where, p, w->info.weight_names[w->got]);
    hid_t vg = H5Gopen2(g, p, H5P_DEFAULT);
    if (vg < 0) return GK_FAIL(GRU_E_FORMAT, "%s: '%s' is not a group", w->where, p);
    H5G_info_t gi;
    gru_status st = GRU_OK;
    if (H5Gget_info(vg, &gi) < 0) {
        st = GK_FAIL(GRU_E_FORMAT, "%s: group '%s' is unreadable", w->where, p);
    } else {
        for (hsize_t k = 0; k < gi.nlinks && !st; k++) {
            char name[32];
            snprintf(name, sizeof name, "%llu", (unsigned long long)k);
            char full[300];
            snprintf(full, sizeof full, "%s/%s", p, name);
            if (H5Lexists(vg, name, H5P_DEFAULT) <= 0) {
                st = GK_FAIL(GRU_E_FORMAT, "%s: '%s' is missing (the group has %llu entries)",
                             w->where, full, (unsigned long long)gi.nlinks);
                break;
            }
            st = take(w, g, full, NULL);
        }
    }
    H5Gclose(vg);
    return st;
}

static gru_status v3_layer(wctx *w, hid_t layer_g) {
    gru_status st;
    switch (w->info.kind) {
    case GRU_NODE_GRU: st = v3_vars(w, layer_g, "cell"); break;
    case GRU_NODE_BIDIRECTIONAL:
        st = v3_vars(w, layer_g, "forward_layer/cell");
        if (!st) st = v3_vars(w, layer_g, "backward_layer/cell");
        break;
    case GRU_NODE_TIME_DISTRIBUTED_DENSE: st = v3_vars(w, layer_g, "layer"); break;
    default: st = v3_vars(w, layer_g, ""); break;
    }
    return st ? st : commit(w);
}

typedef struct dscount { int found; } dscount;
static herr_t any_ds(hid_t g, const char *name, const H5L_info_t *li, void *op) {
    (void)li;
    H5O_info_t oi;
    if (H5Oget_info_by_name(g, name, &oi, H5P_DEFAULT) >= 0 && oi.type == H5O_TYPE_DATASET) {
        ((dscount *)op)->found = 1;
        return 1;
    }
    return 0;
}

static gru_status load_v3(gru_model *m, hid_t file, const char *rootname, const gk_layer_map *map) {
    hid_t root = H5Gopen2(file, rootname, H5P_DEFAULT);
    if (root < 0) return GK_FAIL(GRU_E_FORMAT, "the file has no '%s' group", rootname);
    const size_t nn = gru_model_node_count(m);
    char (*names)[128] = calloc(nn + 1, sizeof *names);
    if (!names) {
        H5Gclose(root);
        return GK_FAIL(GRU_E_NOMEM, "out of memory");
    }
    gru_status st = GRU_OK;
    for (size_t i = 0; i < nn && !st; i++) {
        wctx w;
        const char *cls = map && i < map->n ? map->cls[i] : NULL;
        if ((st = wctx_init(&w, m, i, cls))) break;
        if (!cls) {
            if (w.info.kind == GRU_NODE_INPUT) continue; /* synthesized input */
            cls = gru_node_kind_name(w.info.kind);
        }
        char base[100];
        snake(cls, base, sizeof base);
        size_t dup = 0;
        for (size_t j = 0; j < i; j++) {
            char b2[100];
            const char *c2 = map && j < map->n ? map->cls[j] : NULL;
            if (!c2) continue;
            snake(c2, b2, sizeof b2);
            if (!strcmp(b2, base)) dup++;
        }
        if (!map) { /* count by kind */
            dup = 0;
            for (size_t j = 0; j < i; j++) {
                gru_model_node_info ij;
                gru_model_node_info_get(m, j, &ij);
                if (ij.kind == w.info.kind) dup++;
            }
        }
        if (dup) snprintf(names[i], sizeof names[i], "%s_%zu", base, dup);
        else snprintf(names[i], sizeof names[i], "%s", base);
        if (!w.info.n_weights) continue;
        if (H5Lexists(root, names[i], H5P_DEFAULT) <= 0) {
            st = GK_FAIL(GRU_E_FORMAT, "%s: group '%s/%s' is missing from the file", w.where,
                         rootname, names[i]);
            break;
        }
        hid_t lg = H5Gopen2(root, names[i], H5P_DEFAULT);
        if (lg < 0) {
            st = GK_FAIL(GRU_E_FORMAT, "%s: '%s/%s' is not a group", w.where, rootname, names[i]);
            break;
        }
        st = v3_layer(&w, lg);
        H5Gclose(lg);
        wctx_free(&w);
    }
    /* every group under root with a dataset must belong to a model layer */
    H5G_info_t gi;
    if (!st && H5Gget_info(root, &gi) >= 0) {
        for (hsize_t k = 0; k < gi.nlinks && !st; k++) {
            char nm[256];
            if (H5Lget_name_by_idx(root, ".", H5_INDEX_NAME, H5_ITER_INC, k, nm, sizeof nm,
                                   H5P_DEFAULT) < 0)
                continue;
            size_t i = 0;
            while (i < nn && strcmp(names[i], nm)) i++;
            gru_model_node_info in;
            if (i < nn && gru_model_node_info_get(m, i, &in) == GRU_OK && in.n_weights) continue;
            dscount dc = {0};
            hid_t g = H5Gopen2(root, nm, H5P_DEFAULT);
            if (g < 0) continue;
            H5Lvisit(g, H5_INDEX_NAME, H5_ITER_INC, any_ds, &dc);
            H5Gclose(g);
            if (dc.found)
                st = GK_FAIL(GRU_E_FORMAT, "the file has weights under '%s/%s', which no layer "
                             "of the model takes", rootname, nm);
        }
    }
    free(names);
    H5Gclose(root);
    return st;
}

gru_status gru__keras_h5_load_weights(gru_model *m, hid_t file, const gk_layer_map *map) {
    if (H5Aexists(file, "layer_names") > 0 || H5Aexists(file, "layer_names0") > 0)
        return load_legacy(m, file, map);
    if (H5Lexists(file, "model_weights", H5P_DEFAULT) > 0) {
        hid_t g = H5Gopen2(file, "model_weights", H5P_DEFAULT);
        if (g < 0) return GK_FAIL(GRU_E_FORMAT, "'model_weights' is not a group");
        gru_status st = load_legacy(m, g, map);
        H5Gclose(g);
        return st;
    }
    if (H5Lexists(file, "layers", H5P_DEFAULT) > 0) return load_v3(m, file, "layers", map);
    if (H5Lexists(file, "_layer_checkpoint_dependencies", H5P_DEFAULT) > 0)
        return load_v3(m, file, "_layer_checkpoint_dependencies", map);
    return GK_FAIL(GRU_E_FORMAT, "not a Keras weights file (no layer_names attribute, "
                   "model_weights or layers group)");
}

gru_status gru_keras_load_weights_h5(gru_model *model, const char *path) {
    static const char fn[] = "gru_keras_load_weights_h5";
    if (!model || !path)
        return GK_FAIL(GRU_E_NULL, "%s: argument '%s' is NULL", fn, model ? "path" : "model");
    gru_status st = GRU_OK;
    H5E_BEGIN_TRY {
        hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
        if (f < 0) {
            st = GK_FAIL(GRU_E_IO, "%s: '%s' cannot be opened as HDF5 (missing, truncated or "
                         "not HDF5)", fn, path);
        } else {
            st = gru__keras_h5_load_weights(model, f, NULL);
            H5Fclose(f);
        }
    } H5E_END_TRY;
    return st;
}

#endif /* GRU_HAVE_HDF5 */
