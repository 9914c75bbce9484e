/* The native model format, writer side (docs/FORMAT-native.md): into a caller
 * buffer, a FILE*, or a path through a temporary file that is flushed to the
 * disk and renamed over the target. fsync/mkstemp are POSIX; elsewhere the
 * file is written with C11's exclusive "wbx" mode and only fflush'd. */
#if defined(__unix__) || defined(__APPLE__)
#define _POSIX_C_SOURCE 200809L
#define GRU__POSIX 1
#include <sys/stat.h>
#include <unistd.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "model_io.h"

typedef struct wr {
    uint8_t *buf;   /* NULL: only count */
    size_t cap, pos;
    int over;       /* pos went past cap (or SIZE_MAX) */
} wr;

static void put(wr *w, const void *p, size_t n) {
    if (n > SIZE_MAX - w->pos) {
        w->over = 1;
        return;
    }
    if (w->buf && w->pos + n <= w->cap) memcpy(w->buf + w->pos, p, n);
    else if (w->buf) w->over = 1;
    w->pos += n;
}

static void put_le(wr *w, uint64_t v, int n) {
    uint8_t b[8];
    for (int i = 0; i < n; i++) b[i] = (uint8_t)(v >> (8 * i));
    put(w, b, (size_t)n);
}

static void put_u8(wr *w, bool v) { put_le(w, v ? 1u : 0u, 1); }
static void put_u32(wr *w, uint32_t v) { put_le(w, v, 4); }
static void put_i64(wr *w, int64_t v) {
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    put_le(w, u, 8);
}
static void put_f64(wr *w, double v) {
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    put_le(w, u, 8);
}
static void put_str(wr *w, const char *s) {
    size_t n = strlen(s);
    if (n > GRU__FMT_MAX_NAME) n = GRU__FMT_MAX_NAME;
    put_le(w, n, 2);
    put(w, s, n);
}

/* Section: tag, then an 8-byte length patched by sec_end. */
static size_t sec_begin(wr *w, const char *tag) {
    put(w, tag, 4);
    const size_t at = w->pos;
    put_le(w, 0, 8);
    return at;
}
static void sec_end(wr *w, size_t at) {
    const uint64_t len = (uint64_t)(w->pos - at - 8);
    if (w->buf && !w->over)
        for (int i = 0; i < 8; i++) w->buf[at + (size_t)i] = (uint8_t)(len >> (8 * i));
}

static void put_act(wr *w, const gru_activation *a) {
    put_u32(w, (uint32_t)a->kind);
    put_f64(w, a->alpha);
    put_f64(w, a->max_value);
    put_f64(w, a->threshold);
}

static void put_layer(wr *w, const gru_layer_config *l) {
    const gru_cell_config *c = &l->cell;
    put_i64(w, c->units);
    put_act(w, &c->activation);
    put_act(w, &c->recurrent_activation);
    put_u8(w, c->use_bias);
    put_u8(w, c->reset_after);
    put_u32(w, c->implementation == 1 ? 1u : 2u);
    put_f64(w, c->dropout);
    put_f64(w, c->recurrent_dropout);
    const gru_regularizer *regs[3] = {&c->kernel_regularizer, &c->recurrent_regularizer,
                                      &c->bias_regularizer};
    for (int k = 0; k < 3; k++) {
        put_u32(w, (uint32_t)regs[k]->kind);
        put_u32(w, (uint32_t)regs[k]->mode);
        put_f64(w, regs[k]->l1);
        put_f64(w, regs[k]->l2);
        put_f64(w, regs[k]->factor);
    }
    const gru_constraint *cons[3] = {&c->kernel_constraint, &c->recurrent_constraint,
                                     &c->bias_constraint};
    for (int k = 0; k < 3; k++) {
        put_u32(w, (uint32_t)cons[k]->kind);
        int32_t ax = (int32_t)cons[k]->axis;
        uint32_t u;
        memcpy(&u, &ax, sizeof u);
        put_u32(w, u);
        put_f64(w, cons[k]->max_value);
        put_f64(w, cons[k]->min_value);
        put_f64(w, cons[k]->rate);
    }
    put_le(w, c->seed, 8);
    put_i64(w, c->max_batch);
    put_u8(w, l->return_sequences);
    put_u8(w, l->return_state);
    put_u8(w, l->go_backwards);
    put_u8(w, l->stateful);
    put_u8(w, l->time_major);
    put_u8(w, l->zero_output_for_mask);
    put_u8(w, l->unroll);
    put_i64(w, l->stateful ? l->batch_size : 0);
}

static void put_shape(wr *w, size_t rank, const int64_t *shape) {
    put_u32(w, (uint32_t)rank);
    for (size_t j = 0; j < rank; j++) put_i64(w, shape[j]);
}

static void put_node(wr *w, size_t i, const gru_model_node *nd) {
    put_u32(w, (uint32_t)i);
    put_u32(w, (uint32_t)nd->kind);
    put_str(w, nd->name ? nd->name : "");
    put_u32(w, (uint32_t)nd->n_inputs);
    for (size_t k = 0; k < nd->n_inputs; k++) {
        put_u32(w, (uint32_t)nd->inputs[k].node);
        put_u32(w, (uint32_t)nd->inputs[k].port);
    }
    switch (nd->kind) {
    case GRU_NODE_INPUT:
        put_shape(w, nd->input.rank, nd->input.shape);
        put_u8(w, nd->input.int_ids);
        break;
    case GRU_NODE_MASKING: put_f64(w, nd->mask_value); break;
    case GRU_NODE_EMBEDDING:
        put_i64(w, nd->embedding.input_dim);
        put_i64(w, nd->embedding.output_dim);
        put_u8(w, nd->embedding.mask_zero);
        break;
    case GRU_NODE_GRU: put_layer(w, &nd->gru); break;
    case GRU_NODE_BIDIRECTIONAL:
        put_u32(w, (uint32_t)nd->bidirectional.merge_mode);
        put_u8(w, nd->bidirectional.has_backward_layer);
        put_layer(w, &nd->bidirectional.layer);
        if (nd->bidirectional.has_backward_layer) put_layer(w, &nd->bidirectional.backward_layer);
        break;
    case GRU_NODE_DENSE:
    case GRU_NODE_TIME_DISTRIBUTED_DENSE:
        put_i64(w, nd->dense.units);
        put_act(w, &nd->dense.activation);
        put_u8(w, nd->dense.use_bias);
        break;
    case GRU_NODE_ACTIVATION: put_act(w, &nd->activation); break;
    case GRU_NODE_CONCATENATE: put_i64(w, nd->axis); break;
    case GRU_NODE_GLOBAL_AVERAGE_POOLING1D:
    case GRU_NODE_GLOBAL_MAX_POOLING1D: put_u8(w, nd->keepdims); break;
    case GRU_NODE_RESHAPE: put_shape(w, nd->reshape.rank, nd->reshape.shape); break;
    case GRU_NODE_REPEAT_VECTOR: put_i64(w, nd->repeat_n); break;
    case GRU_NODE_DROPOUT:
    case GRU_NODE_SPATIAL_DROPOUT1D:
    case GRU_NODE_ADD:
    case GRU_NODE_MULTIPLY:
    case GRU_NODE_FLATTEN:
    case GRU_NODE_KIND_COUNT_: break;
    }
}

/* A custom activation anywhere in node i's config: its field name, or NULL. */
static const char *custom_field(const gru_model_node *nd) {
    const gru_layer_config *ls[2] = {NULL, NULL};
    if (nd->kind == GRU_NODE_GRU) ls[0] = &nd->gru;
    if (nd->kind == GRU_NODE_BIDIRECTIONAL) {
        ls[0] = &nd->bidirectional.layer;
        if (nd->bidirectional.has_backward_layer) ls[1] = &nd->bidirectional.backward_layer;
    }
    for (int k = 0; k < 2; k++) {
        if (!ls[k]) continue;
        if (ls[k]->cell.activation.kind == GRU_ACT_CUSTOM) return "activation";
        if (ls[k]->cell.recurrent_activation.kind == GRU_ACT_CUSTOM) return "recurrent_activation";
    }
    if ((nd->kind == GRU_NODE_DENSE || nd->kind == GRU_NODE_TIME_DISTRIBUTED_DENSE) &&
        nd->dense.activation.kind == GRU_ACT_CUSTOM)
        return "dense.activation";
    if (nd->kind == GRU_NODE_ACTIVATION && nd->activation.kind == GRU_ACT_CUSTOM)
        return "activation";
    return NULL;
}

/* Write the whole model into w (w->buf NULL: count only). */
static gru_status write_model(const gru_model *m, wr *w, const char *fn) {
    const size_t N = gru_model_node_count(m), NO = gru_model_output_count(m);
    if (N == 0) return gru__fail(GRU_E_ARG, NULL, "%s: argument 'model' is not a model", fn);
    const gru_dtype dt = gru_model_dtype(m);
    const size_t es = gru_dtype_size(dt);
    /* header, filled in at the end */
    uint8_t zero[GRU__FMT_HEADER] = {0};
    put(w, zero, sizeof zero);
    size_t at = sec_begin(w, "HEAD");
    put_u32(w, (uint32_t)dt);
    put_u32(w, (uint32_t)N);
    put_u32(w, (uint32_t)NO);
    put_u32(w, 0);
    sec_end(w, at);
    at = sec_begin(w, "info");
    char info[64];
    snprintf(info, sizeof info, "libgru %s", gru_version());
    put(w, info, strlen(info));
    sec_end(w, at);
    for (size_t i = 0; i < N; i++) {
        gru_model_node nd;
        gru_status s = gru_model_node_config(m, i, &nd);
        if (s) return s;
        const char *bad = custom_field(&nd);
        if (bad)
            return gru__fail(GRU_E_UNSUPPORTED, NULL,
                             "%s: node %zu ('%s', %s): option '%s' is a custom callback, which a "
                             "file cannot hold", fn, i, nd.name, gru_node_kind_name(nd.kind), bad);
        at = sec_begin(w, "NODE");
        put_node(w, i, &nd);
        sec_end(w, at);
    }
    at = sec_begin(w, "OUTS");
    for (size_t k = 0; k < NO; k++) {
        gru_model_ref r;
        gru_model_output_ref(m, k, &r);
        put_u32(w, (uint32_t)r.node);
        put_u32(w, (uint32_t)r.port);
    }
    sec_end(w, at);
    for (size_t i = 0; i < N; i++) {
        gru_model_node_info info_i;
        gru_model_node_info_get(m, i, &info_i);
        if (info_i.n_weights == 0) continue;
        at = sec_begin(w, "WGTS");
        put_u32(w, (uint32_t)i);
        put_u32(w, (uint32_t)info_i.n_weights);
        void *arrays[GRU_MODEL_MAX_WEIGHTS] = {0};
        gru_status s = GRU_OK;
        if (w->buf) {
            for (size_t k = 0; k < info_i.n_weights && !s; k++) {
                arrays[k] = malloc(info_i.weight_count[k] ? info_i.weight_count[k] * es : 1);
                if (!arrays[k])
                    s = gru__fail(GRU_E_NOMEM, NULL, "%s: allocating %zu elements failed", fn,
                                  info_i.weight_count[k]);
            }
            if (!s)
                s = gru_model_get_node_weights(m, i, dt, info_i.n_weights, arrays,
                                               info_i.weight_count);
        }
        for (size_t k = 0; k < info_i.n_weights && !s; k++) {
            put_str(w, info_i.weight_names[k]);
            put_u32(w, (uint32_t)dt);
            put_u32(w, (uint32_t)info_i.weight_ndim[k]);
            for (size_t j = 0; j < info_i.weight_ndim[k]; j++)
                put_le(w, info_i.weight_shape[k][j], 8);
            const size_t cnt = info_i.weight_count[k];
            if (!w->buf) { /* counting */
                size_t bytes;
                if (!gru__mul_size(cnt, es, &bytes) || bytes > SIZE_MAX - w->pos) w->over = 1;
                else w->pos += bytes;
                continue;
            }
            for (size_t q = 0; q < cnt; q++) {
                if (dt == GRU_F32) {
                    uint32_t u;
                    memcpy(&u, (const float *)arrays[k] + q, 4);
                    put_le(w, u, 4);
                } else {
                    uint64_t u;
                    memcpy(&u, (const double *)arrays[k] + q, 8);
                    put_le(w, u, 8);
                }
            }
        }
        for (size_t k = 0; k < GRU_MODEL_MAX_WEIGHTS; k++) free(arrays[k]);
        if (s) return s;
        sec_end(w, at);
    }
    if (w->over) return GRU_E_SHAPE; /* the caller words it */
    if (w->buf) {
        const uint64_t P = (uint64_t)(w->pos - GRU__FMT_HEADER);
        uint8_t *h = w->buf;
        memcpy(h, GRU__FMT_MAGIC, 4);
        h[4] = (uint8_t)GRU__FMT_MAJOR;
        h[5] = 0;
        h[6] = (uint8_t)GRU__FMT_MINOR;
        h[7] = 0;
        for (int i = 0; i < 8; i++) h[8 + i] = (uint8_t)(P >> (8 * i));
        const uint32_t crc = gru__crc32(0, h + GRU__FMT_HEADER, (size_t)P);
        for (int i = 0; i < 4; i++) h[16 + i] = (uint8_t)(crc >> (8 * i));
        memset(h + 20, 0, 4);
    }
    return GRU_OK;
}

static gru_status check_model(const gru_model *m, const char *fn) {
    if (!m) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'model' is NULL", fn);
    if (gru_model_node_count(m) == 0)
        return gru__fail(GRU_E_STATE, NULL, "%s: argument 'model' is not a model (freed?)", fn);
    return GRU_OK;
}

gru_status gru_model_save_buffer_size(const gru_model *m, size_t *bytes) {
    static const char fn[] = "gru_model_save_buffer_size";
    gru_status s = check_model(m, fn);
    if (s) return s;
    if (!bytes) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'bytes' is NULL", fn);
    wr w = {NULL, 0, 0, 0};
    s = write_model(m, &w, fn);
    if (s == GRU_E_SHAPE) return gru__fail(GRU_E_OVERFLOW, NULL, "%s: the size overflows", fn);
    if (s) return s;
    *bytes = w.pos;
    return GRU_OK;
}

gru_status gru_model_save_buffer(const gru_model *m, void *buf, size_t cap, size_t *written) {
    static const char fn[] = "gru_model_save_buffer";
    gru_status s = check_model(m, fn);
    if (s) return s;
    if (!buf) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'buf' is NULL", fn);
    size_t need;
    if ((s = gru_model_save_buffer_size(m, &need))) return s;
    if (cap < need)
        return gru__fail(GRU_E_SHAPE, NULL, "%s: argument 'cap' is %zu bytes, the model needs %zu "
                         "(gru_model_save_buffer_size)", fn, cap, need);
    wr w = {buf, cap, 0, 0};
    s = write_model(m, &w, fn);
    if (s == GRU_E_SHAPE)
        return gru__fail(GRU_E_SHAPE, NULL, "%s: the buffer of %zu bytes is too small", fn, cap);
    if (s) return s;
    if (written) *written = w.pos;
    return GRU_OK;
}

/* The model's bytes in a fresh buffer. */
static gru_status to_bytes(const gru_model *m, uint8_t **out, size_t *n, const char *fn) {
    gru_status s = check_model(m, fn);
    if (s) return s;
    if ((s = gru_model_save_buffer_size(m, n))) return s;
    *out = malloc(*n);
    if (!*out) return gru__fail(GRU_E_NOMEM, NULL, "%s: allocating %zu bytes failed", fn, *n);
    s = gru_model_save_buffer(m, *out, *n, n);
    if (s) {
        free(*out);
        *out = NULL;
    }
    return s;
}

gru_status gru_model_save_file(const gru_model *m, FILE *f) {
    static const char fn[] = "gru_model_save_file";
    if (!f) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'f' is NULL", fn);
    uint8_t *b;
    size_t n;
    gru_status s = to_bytes(m, &b, &n, fn);
    if (s) return s;
    const size_t put_n = fwrite(b, 1, n, f);
    free(b);
    if (put_n != n || fflush(f) != 0)
        return gru__fail(GRU_E_IO, NULL, "%s: writing %zu bytes failed after %zu", fn, n, put_n);
    return GRU_OK;
}

gru_status gru_model_save_path(const gru_model *m, const char *path) {
    static const char fn[] = "gru_model_save_path";
    if (!path) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'path' is NULL", fn);
    const size_t pl = strlen(path);
    if (pl == 0 || pl > 4000)
        return gru__fail(GRU_E_ARG, NULL, "%s: argument 'path' must have 1..4000 bytes, got %zu",
                         fn, pl);
    uint8_t *b;
    size_t n;
    gru_status s = to_bytes(m, &b, &n, fn);
    if (s) return s;
    char *tmp = malloc(pl + 16);
    if (!tmp) {
        free(b);
        return gru__fail(GRU_E_NOMEM, NULL, "%s: allocating the temporary name failed", fn);
    }
    FILE *f = NULL;
#ifdef GRU__POSIX
    snprintf(tmp, pl + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd >= 0) { /* mkstemp makes 0600: take the old file's mode, or 0666 & ~umask */
        struct stat st;
        mode_t mode;
        if (stat(path, &st) == 0) {
            mode = st.st_mode & 07777;
        } else {
            mode = umask(022);
            umask(mode);
            mode = 0666 & ~mode;
        }
        (void)fchmod(fd, mode);
        f = fdopen(fd, "wb");
        if (!f) {
            close(fd);
            remove(tmp);
        }
    }
#else
    for (unsigned k = 0; k < 100 && !f; k++) {
        snprintf(tmp, pl + 16, "%s.tmp%u", path, k);
        f = fopen(tmp, "wbx");
    }
#endif
    if (!f) {
        s = gru__fail(GRU_E_IO, NULL, "%s: cannot create a temporary file beside '%s'", fn, path);
        free(tmp);
        free(b);
        return s;
    }
    int ok = fwrite(b, 1, n, f) == n && fflush(f) == 0;
#ifdef GRU__POSIX
    ok = ok && fsync(fileno(f)) == 0;
#endif
    ok = (fclose(f) == 0) && ok;
    free(b);
    if (!ok) {
        remove(tmp);
        free(tmp);
        return gru__fail(GRU_E_IO, NULL, "%s: writing the temporary file for '%s' failed (the "
                         "old file is untouched)", fn, path);
    }
    int rc = rename(tmp, path);
#ifndef GRU__POSIX
    if (rc != 0 && remove(path) == 0) rc = rename(tmp, path); /* not atomic here */
#endif
    if (rc != 0) {
        remove(tmp);
        free(tmp);
        return gru__fail(GRU_E_IO, NULL, "%s: renaming the temporary file onto '%s' failed (the "
                         "old file is untouched)", fn, path);
    }
    free(tmp);
    return GRU_OK;
}
