/* gru_keras_load: a whole Keras model from an .h5 (model.save) or a .keras
 * zip (config.json + metadata.json + model.weights.h5). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keras_internal.h"

#if !defined(GRU_HAVE_HDF5) || !defined(GRU_HAVE_JSON)

gru_status gru_keras_load(const char *path, gru_dtype dtype, const gru_keras_options *opt,
                          gru_model **out, gru_keras_file_info *info) {
    (void)path, (void)dtype, (void)opt, (void)info;
    if (out) *out = NULL;
#ifndef GRU_HAVE_HDF5
    return GK_FAIL(GRU_E_UNSUPPORTED, "gru_keras_load: libgru was built without HDF5");
#else
    return GK_FAIL(GRU_E_UNSUPPORTED, "gru_keras_load: libgru was built without cJSON");
#endif
}

#else

#include "keras_h5.h"
#ifdef GRU_HAVE_ZIP
#include <zip.h>
#endif

/* Model from an open HDF5 file with model_config + weights. */
static gru_status from_h5(hid_t f, gru_dtype dtype, const gru_keras_options *opt,
                          gru_model **out, gru_keras_file_info *info, const char *what,
                          const char *config, size_t config_len, int major) {
    gk_layer_map map = {0, NULL};
    char *cfg = NULL;
    gru_status st;
    if (!config) {
        cfg = gru__keras_attr_string(f, "model_config");
        if (!cfg) {
            return GK_FAIL(H5Aexists(f, "model_config") > 0 ? GRU_E_FORMAT : GRU_E_UNSUPPORTED,
                           "gru_keras_load: %s has %s 'model_config' attribute (weights only? "
                           "use gru_keras_config_to_model + gru_keras_load_weights_h5)", what,
                           H5Aexists(f, "model_config") > 0 ? "an unreadable" : "no");
        }
        config = cfg;
        config_len = strlen(cfg);
        char *kv = gru__keras_attr_string(f, "keras_version");
        if (!kv && H5Lexists(f, "model_weights", H5P_DEFAULT) > 0) {
            hid_t g = H5Gopen2(f, "model_weights", H5P_DEFAULT);
            if (g >= 0) {
                kv = gru__keras_attr_string(g, "keras_version");
                H5Gclose(g);
            }
        }
        if (kv) {
            snprintf(info->keras_version, sizeof info->keras_version, "%s", kv);
            major = gru__keras_version_major(kv);
            free(kv);
        } else {
            major = 1; /* Keras 1 files have no keras_version */
        }
    }
    st = gru__keras_config_to_model(config, config_len, dtype, opt, major, out, info, &map);
    if (!st) {
        st = gru__keras_h5_load_weights(*out, f, &map);
        if (st) {
            gru_model_free(*out);
            *out = NULL;
        }
    }
    gru__keras_map_free(&map);
    free(cfg);
    return st;
}

#ifdef GRU_HAVE_ZIP
static gru_status zip_read(zip_t *z, const char *name, char **buf, size_t *len, int required,
                           const char *path) {
    *buf = NULL;
    *len = 0;
    zip_stat_t zs;
    zip_stat_init(&zs);
    if (zip_stat(z, name, 0, &zs) != 0 || !(zs.valid & ZIP_STAT_SIZE)) {
        if (!required) return GRU_OK;
        return GK_FAIL(GRU_E_FORMAT, "gru_keras_load: '%s' has no %s", path, name);
    }
    if (zs.size > ((zip_uint64_t)1 << 34))
        return GK_FAIL(GRU_E_FORMAT, "gru_keras_load: %s in '%s' is too large", name, path);
    *buf = malloc((size_t)zs.size + 1);
    if (!*buf) return GK_FAIL(GRU_E_NOMEM, "gru_keras_load: out of memory");
    zip_file_t *zf = zip_fopen(z, name, 0);
    zip_int64_t got = zf ? zip_fread(zf, *buf, zs.size) : -1;
    if (zf) zip_fclose(zf);
    if (got < 0 || (zip_uint64_t)got != zs.size) {
        free(*buf);
        *buf = NULL;
        return GK_FAIL(GRU_E_FORMAT, "gru_keras_load: %s in '%s' cannot be read (truncated or "
                       "corrupt)", name, path);
    }
    (*buf)[zs.size] = 0;
    *len = (size_t)zs.size;
    return GRU_OK;
}

static gru_status from_zip(const char *path, gru_dtype dtype, const gru_keras_options *opt,
                           gru_model **out, gru_keras_file_info *info) {
    int err = 0;
    zip_t *z = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &err);
    if (!z) {
        zip_error_t ze;
        zip_error_init_with_code(&ze, err);
        gru_status st = GK_FAIL(GRU_E_FORMAT, "gru_keras_load: '%s' is not a readable zip "
                                "(truncated or corrupt): %s", path, zip_error_strerror(&ze));
        zip_error_fini(&ze);
        return st;
    }
    char *cfg = NULL, *meta = NULL, *w = NULL;
    size_t cl = 0, ml = 0, wl = 0;
    gru_status st = zip_read(z, "config.json", &cfg, &cl, 1, path);
    if (!st) st = zip_read(z, "metadata.json", &meta, &ml, 0, path);
    if (!st) {
        zip_stat_t zs;
        if (zip_stat(z, "model.weights.h5", 0, &zs) != 0 &&
            zip_stat(z, "model.weights.npz", 0, &zs) == 0)
            st = GK_FAIL(GRU_E_UNSUPPORTED, "gru_keras_load: '%s' stores its weights as .npz, "
                         "which is not supported", path);
    }
    if (!st) st = zip_read(z, "model.weights.h5", &w, &wl, 1, path);
    zip_close(z);
    int major = 0;
    if (!st && meta) { /* {"keras_version": "3.x.y", ...} */
        const char *k = strstr(meta, "\"keras_version\"");
        if (k) {
            k = strchr(k + 15, '"');
            if (k) {
                const char *e = strchr(k + 1, '"');
                if (e && (size_t)(e - k - 1) < sizeof info->keras_version) {
                    memcpy(info->keras_version, k + 1, (size_t)(e - k - 1));
                    info->keras_version[e - k - 1] = 0;
                    major = gru__keras_version_major(info->keras_version);
                }
            }
        }
    }
    if (!st) {
        H5E_BEGIN_TRY {
            hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
            hid_t f = -1;
            if (fapl >= 0 && H5Pset_fapl_core(fapl, 1 << 16, 0) >= 0 &&
                H5Pset_file_image(fapl, w, wl) >= 0)
                f = H5Fopen("model.weights.h5", H5F_ACC_RDONLY, fapl);
            if (f < 0) {
                st = GK_FAIL(GRU_E_FORMAT, "gru_keras_load: model.weights.h5 in '%s' is not "
                             "readable HDF5", path);
            } else {
                st = from_h5(f, dtype, opt, out, info, path, cfg, cl, major);
                H5Fclose(f);
            }
            if (fapl >= 0) H5Pclose(fapl);
        } H5E_END_TRY;
    }
    free(cfg);
    free(meta);
    free(w);
    return st;
}
#endif

gru_status gru_keras_load(const char *path, gru_dtype dtype, const gru_keras_options *opt,
                          gru_model **out, gru_keras_file_info *info) {
    static const char fn[] = "gru_keras_load";
    gru_keras_file_info tmp;
    if (!info) info = &tmp;
    memset(info, 0, sizeof *info);
    if (!out) return GK_FAIL(GRU_E_NULL, "%s: argument 'out' is NULL", fn);
    *out = NULL;
    if (!path) return GK_FAIL(GRU_E_NULL, "%s: argument 'path' is NULL", fn);
    FILE *fp = fopen(path, "rb");
    if (!fp) return GK_FAIL(GRU_E_IO, "%s: '%s' cannot be opened", fn, path);
    unsigned char magic[8] = {0};
    const size_t got = fread(magic, 1, sizeof magic, fp);
    fclose(fp);
    static const unsigned char h5[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    if (got >= 4 && magic[0] == 'P' && magic[1] == 'K') {
#ifdef GRU_HAVE_ZIP
        snprintf(info->format, sizeof info->format, "keras-zip");
        return from_zip(path, dtype, opt, out, info);
#else
        return GK_FAIL(GRU_E_UNSUPPORTED, "%s: '%s' is a .keras zip, but libgru was built "
                       "without libzip", fn, path);
#endif
    }
    if (got == 8 && !memcmp(magic, h5, 8)) {
        gru_status st = GRU_OK;
        snprintf(info->format, sizeof info->format, "h5-model");
        H5E_BEGIN_TRY {
            hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
            if (f < 0) {
                st = GK_FAIL(GRU_E_FORMAT, "%s: '%s' cannot be opened as HDF5 (truncated or "
                             "corrupt)", fn, path);
            } else {
                st = from_h5(f, dtype, opt, out, info, path, NULL, 0, 0);
                H5Fclose(f);
            }
        } H5E_END_TRY;
        return st;
    }
    return GK_FAIL(GRU_E_FORMAT, "%s: '%s' is neither HDF5 nor a zip (%zu bytes read)", fn,
                   path, got);
}

#endif
