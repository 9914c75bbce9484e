/* The PyTorch (safetensors) and ONNX readers (io/): goldens of the `files`
 * family written by tools/oracle/torch_files.py (real PyTorch,
 * torch.onnx.export, the onnx package + onnxruntime), and rejections.
 * Metric: max |got - want| / max(|want|, 1); float32 2e-6, float64 1e-12. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io_common.h"
#include "runner.h"
#include "safetensors.h"

typedef struct iofile {
    unsigned char *buf;
    size_t len;
    gru_st_file f;
} iofile;

static int io_open(const char *path, iofile *io) {
    memset(io, 0, sizeof *io);
    if (gru__io_read_file("test", path, (size_t)1 << 30, &io->buf, &io->len) != GRU_OK) return 0;
    if (gru_st_parse("test", io->buf, io->len, &io->f) != GRU_OK) {
        free(io->buf);
        return 0;
    }
    return 1;
}
static void io_close(iofile *io) {
    gru_st_free(&io->f);
    free(io->buf);
}
/* A tensor as a malloc'd array of dtype (I32 tensors are copied as int32). */
static void *io_get(iofile *io, const char *name, gru_dtype dt, size_t *count) {
    gru_st_tensor *t = gru_st_find(&io->f, name);
    if (!t) return NULL;
    *count = t->count;
    if (!strcmp(t->dtype, "I32")) {
        int32_t *p = malloc(t->count * 4 + 4);
        for (size_t i = 0; i < t->count; i++) p[i] = (int32_t)gru__io_le32(t->data + 4 * i);
        return p;
    }
    void *p = malloc(t->count * gru_dtype_size(dt) + 8);
    for (size_t i = 0; i < t->count; i++) gru__st(dt, p, i, gru__io_le_float(t->data, t->elsize, i));
    return p;
}

static double rel_err(gru_dtype dt, const void *got, const void *want, size_t n) {
    double e = 0;
    for (size_t i = 0; i < n; i++) {
        const double w = gru__ld(dt, want, i), g = gru__ld(dt, got, i);
        const double d = fabs(g - w) / (fabs(w) > 1 ? fabs(w) : 1);
        if (!(d <= e)) e = d; /* NaN propagates */
    }
    return e;
}

static const char *files_dir(char *buf, size_t len) { /* buf: 512 bytes */
    snprintf(buf, len, "%.400s/files", tr_golden_dir());
    return buf;
}

static int cfg_int(const char *cfg, const char *key) {
    const char *p = strstr(cfg, key);
    return p && p[strlen(key)] == '=' ? atoi(p + strlen(key) + 1) : 0;
}
static void cfg_str(const char *cfg, const char *key, char *out, size_t len) {
    out[0] = 0;
    const char *p = strstr(cfg, key);
    if (!p || p[strlen(key)] != '=') return;
    p += strlen(key) + 1;
    size_t n = strcspn(p, ",");
    if (n >= len) n = len - 1;
    memcpy(out, p, n);
    out[n] = 0;
}

static int have_json(void) {
    gru_model *m;
    return gru_torch_load_safetensors_buffer("", 0, NULL, GRU_F32, &m, NULL) != GRU_E_UNSUPPORTED;
}
static int have_onnx(void) {
    gru_onnx *o;
    return gru_onnx_load_buffer("", 0, GRU_F32, &o) != GRU_E_UNSUPPORTED;
}

/* One torch case: returns NULL or a failure message in msg. */
static int run_torch(const char *dir, const char *name, gru_dtype dt, int64_t B, int64_t T,
                     const char *cfg, char *msg, size_t ml) {
    char path[2048], prefix[64];
    gru_torch_options opt;
    gru_torch_options_init(&opt);
    opt.batch_first = cfg_int(cfg, "batch_first");
    opt.initial_state = cfg_int(cfg, "init");
    opt.cell = cfg_int(cfg, "cell");
    cfg_str(cfg, "prefix", prefix, sizeof prefix);
    opt.prefix = prefix;
    snprintf(path, sizeof path, "%s/%s.safetensors", dir, name);
    gru_model *m = NULL;
    gru_torch_info info;
    gru_status s = gru_torch_load_safetensors(path, &opt, dt, &m, &info);
    if (s != GRU_OK) {
        snprintf(msg, ml, "load: %s: %s", gru_status_name(s), gru_last_error());
        return 0;
    }
    snprintf(path, sizeof path, "%s/%s.io.safetensors", dir, name);
    iofile io;
    int ok = 0;
    if (!io_open(path, &io)) {
        snprintf(msg, ml, "cannot read %.200s: %.150s", path, gru_last_error());
        gru_model_free(m);
        return 0;
    }
    const size_t es = gru_dtype_size(dt), F = (size_t)info.input_size, H = (size_t)info.hidden_size;
    const size_t LD = info.num_layers * info.num_directions, W = info.num_directions * H;
    const size_t uB = (size_t)B, uT = (size_t)T;
    size_t n;
    void *x = io_get(&io, "x", dt, &n), *y = io_get(&io, "output", dt, &n);
    void *hn = io_get(&io, "h_n", dt, &n), *h0 = io_get(&io, "h0", dt, &n);
    void *xb = malloc(uB * uT * F * es), *yb = malloc(uB * uT * W * es), *yt = malloc(uB * uT * W * es);
    void *hout = malloc(LD * uB * H * es);
    const void *inputs[1 + 64];
    void *outputs[1 + 64];
    size_t ws_bytes = 0;
    void *ws = NULL;
    if (!x || !y || !hn || (opt.initial_state && !h0)) {
        snprintf(msg, ml, "io file lacks a tensor");
        goto done;
    }
    if (opt.batch_first) memcpy(xb, x, uB * uT * F * es);
    else gru_torch_transpose01(dt, uT, uB, F, x, xb);
    inputs[0] = xb;
    for (size_t j = 0; opt.initial_state && j < LD; j++)
        inputs[1 + j] = (char *)h0 + j * uB * H * es;
    outputs[0] = yb;
    for (size_t j = 0; j < LD; j++) outputs[1 + j] = (char *)hout + j * uB * H * es;
    if ((s = gru_model_workspace_size(m, B, T, &ws_bytes)) != GRU_OK ||
        !(ws = aligned_alloc(64, (ws_bytes + 64) / 64 * 64))) {
        snprintf(msg, ml, "workspace: %s", gru_last_error());
        goto done;
    }
    if ((s = gru_model_forward(m, dt, B, T, inputs, outputs, ws, ws_bytes)) != GRU_OK) {
        snprintf(msg, ml, "forward: %s: %s", gru_status_name(s), gru_last_error());
        goto done;
    }
    if (!opt.batch_first) gru_torch_transpose01(dt, uB, uT, W, yb, yt);
    const double tol = dt == GRU_F32 ? 2e-6 : 1e-12;
    const double e1 = rel_err(dt, opt.batch_first ? yb : yt, y, uB * uT * W);
    const double e2 = rel_err(dt, hout, hn, LD * uB * H);
    if (!(e1 <= tol && e2 <= tol)) {
        snprintf(msg, ml, "output err %.3g, h_n err %.3g (tol %.0e)", e1, e2, tol);
        goto done;
    }
    ok = 1;
done:
    free(x), free(y), free(hn), free(h0), free(xb), free(yb), free(yt), free(hout), free(ws);
    io_close(&io);
    gru_model_free(m);
    return ok;
}

static int run_onnx(const char *dir, const char *name, gru_dtype dt, int64_t B, int64_t T,
                    const char *cfg, char *msg, size_t ml) {
    char path[2048], want_st[64], want_msg[64];
    snprintf(path, sizeof path, "%s/%s.onnx", dir, name);
    cfg_str(cfg, "want", want_st, sizeof want_st);
    cfg_str(cfg, "msg", want_msg, sizeof want_msg);
    gru_onnx *o = NULL;
    gru_status s = gru_onnx_load(path, dt, &o);
    if (want_st[0]) {
        gru_onnx_free(o);
        if (strcmp(gru_status_name(s), want_st) != 0 || !strstr(gru_last_error(), want_msg)) {
            snprintf(msg, ml, "got %s '%s', want %s mentioning '%s'", gru_status_name(s),
                     gru_last_error(), want_st, want_msg);
            return 0;
        }
        return 1;
    }
    if (s != GRU_OK) {
        snprintf(msg, ml, "load: %s: %s", gru_status_name(s), gru_last_error());
        return 0;
    }
    snprintf(path, sizeof path, "%s/%s.io.safetensors", dir, name);
    iofile io;
    if (!io_open(path, &io)) {
        snprintf(msg, ml, "cannot read %.200s", path);
        gru_onnx_free(o);
        return 0;
    }
    const void *in[16] = {0};
    void *out[16] = {0}, *want[16] = {0};
    size_t wn[16] = {0};
    int ok = 1;
    const size_t ni = gru_onnx_input_count(o), no = gru_onnx_output_count(o);
    for (size_t k = 0; k < ni && ok; k++) {
        char nm[32];
        size_t n;
        snprintf(nm, sizeof nm, "in.%zu", k);
        in[k] = io_get(&io, nm, dt, &n);
        if (!in[k]) snprintf(msg, ml, "io lacks %s", nm), ok = 0;
    }
    for (size_t k = 0; k < no && ok; k++) {
        char nm[32];
        snprintf(nm, sizeof nm, "out.%zu", k);
        want[k] = io_get(&io, nm, dt, &wn[k]);
        int64_t d[4];
        size_t nd, n = 1;
        gru_onnx_output_shape(o, k, B, T, d, &nd);
        for (size_t i = 0; i < nd; i++) n *= (size_t)d[i];
        if (!want[k] || n != wn[k]) {
            snprintf(msg, ml, "output %zu: %zu elements expected, shape gives %zu", k, wn[k], n);
            ok = 0;
            break;
        }
        out[k] = calloc(n, gru_dtype_size(dt));
    }
    if (ok && (s = gru_onnx_forward(o, dt, B, T, in, out)) != GRU_OK) {
        snprintf(msg, ml, "forward: %s: %s", gru_status_name(s), gru_last_error());
        ok = 0;
    }
    const double tol = dt == GRU_F32 ? 2e-6 : 1e-12;
    for (size_t k = 0; k < no && ok; k++) {
        const double e = rel_err(dt, out[k], want[k], wn[k]);
        if (!(e <= tol)) {
            snprintf(msg, ml, "output %zu ('%s'): err %.3g (tol %.0e)", k,
                     gru_onnx_output_name(o, k), e, tol);
            ok = 0;
        }
    }
    for (size_t k = 0; k < 16; k++) free((void *)in[k]), free(out[k]), free(want[k]);
    io_close(&io);
    gru_onnx_free(o);
    return ok;
}

static void run_manifest(const char *part) {
    char dir[512], path[1100];
    files_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/cases-%s.txt", dir, part);
    FILE *f = fopen(path, "r");
    char tname[128];
    snprintf(tname, sizeof tname, "torch_onnx_files_%s", part);
    if (!f) {
        if (tr_selected(tname))
            tr_report(tname, 0, "no goldens: run tools/oracle/torch_files.py (tools/test.sh)");
        return;
    }
    char ln[512];
    int n = 0;
    while (fgets(ln, sizeof ln, f)) {
        char name[200], fmt[16], dts[8], cfg[256] = "";
        long long B, T;
        if (sscanf(ln, "%199s %15s %7s %lld %lld %255s", name, fmt, dts, &B, &T, cfg) < 5) continue;
        char full[260];
        snprintf(full, sizeof full, "torch_onnx_files/%s", name);
        if (!tr_selected(full) && !tr_selected(tname)) continue;
        const gru_dtype dt = strcmp(dts, "f64") == 0 ? GRU_F64 : GRU_F32;
        char msg[400] = "";
        int ok = strcmp(fmt, "torch") == 0
                     ? run_torch(dir, name, dt, (int64_t)B, (int64_t)T, cfg, msg, sizeof msg)
                     : run_onnx(dir, name, dt, (int64_t)B, (int64_t)T, cfg, msg, sizeof msg);
        tr_report(full, ok, msg);
        n++;
    }
    fclose(f);
    if (n == 0 && tr_selected(tname)) tr_report(tname, 0, "the manifest lists no case");
}

/* ---- safetensors rejections, on files written here ----------------------------------- */

typedef struct stt { const char *name, *dtype; size_t ndim, s0, s1; } stt;

/* Write a safetensors buffer holding tensors (zero data, F32 unless dtype). */
static unsigned char *st_make(const stt *t, size_t n, size_t *len) {
    char hdr[4096];
    size_t o = (size_t)snprintf(hdr, sizeof hdr, "{\"__metadata__\":{\"format\":\"pt\"}");
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        size_t es = !strcmp(t[i].dtype, "F64") ? 8 : !strcmp(t[i].dtype, "F16") ? 2 : 4;
        size_t cnt = t[i].s0 * (t[i].ndim == 2 ? t[i].s1 : 1);
        if (t[i].ndim == 2)
            o += (size_t)snprintf(hdr + o, sizeof hdr - o, ",\"%s\":{\"dtype\":\"%s\",\"shape\":"
                                  "[%zu,%zu],\"data_offsets\":[%zu,%zu]}", t[i].name, t[i].dtype,
                                  t[i].s0, t[i].s1, off, off + cnt * es);
        else
            o += (size_t)snprintf(hdr + o, sizeof hdr - o, ",\"%s\":{\"dtype\":\"%s\",\"shape\":"
                                  "[%zu],\"data_offsets\":[%zu,%zu]}", t[i].name, t[i].dtype,
                                  t[i].s0, off, off + cnt * es);
        off += cnt * es;
    }
    o += (size_t)snprintf(hdr + o, sizeof hdr - o, "}");
    *len = 8 + o + off;
    unsigned char *b = calloc(*len, 1);
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)((uint64_t)o >> (8 * i));
    memcpy(b + 8, hdr, o);
    /* small non-zero weights so a forward would be meaningful */
    for (size_t i = 8 + o; i + 4 <= *len; i += 4) b[i + 3] = 0x3c;
    return b;
}

static gru_status st_load(const stt *t, size_t n, gru_torch_info *info) {
    size_t len;
    unsigned char *b = st_make(t, n, &len);
    gru_model *m = NULL;
    gru_status s = gru_torch_load_safetensors_buffer(b, len, NULL, GRU_F32, &m, info);
    gru_model_free(m);
    free(b);
    return s;
}

#define GOOD_GRU                                                                      \
    {"weight_ih_l0", "F32", 2, 12, 3}, {"weight_hh_l0", "F32", 2, 12, 4},             \
        {"bias_ih_l0", "F32", 1, 12, 0}, {"bias_hh_l0", "F32", 1, 12, 0}

TEST(torch_safetensors_load_and_rejections) {
    if (!have_json()) {
        gru_model *m;
        CHECK_STATUS(gru_torch_load_safetensors_buffer("x", 1, NULL, GRU_F32, &m, NULL),
                     GRU_E_UNSUPPORTED);
        CHECK(strstr(gru_last_error(), "built without") != NULL);
        return;
    }
    gru_torch_info info;
    const stt good[] = {GOOD_GRU};
    CHECK_STATUS(st_load(good, 4, &info), GRU_OK);
    CHECK(info.num_layers == 1 && info.num_directions == 1 && info.hidden_size == 4 &&
          info.input_size == 3 && info.bias);
    /* missing tensor */
    CHECK_STATUS(st_load(good, 3, NULL), GRU_E_NAME);
    CHECK(strstr(gru_last_error(), "bias_hh_l0") && strstr(gru_last_error(), "missing"));
    /* extra tensor */
    const stt extra[] = {GOOD_GRU, {"foo", "F32", 1, 2, 0}};
    CHECK_STATUS(st_load(extra, 5, NULL), GRU_E_NAME);
    CHECK(strstr(gru_last_error(), "'foo'"));
    const stt extra2[] = {GOOD_GRU, {"weight_ih_l1_reverse", "F32", 2, 12, 8}};
    CHECK_STATUS(st_load(extra2, 5, NULL), GRU_E_NAME);
    CHECK(strstr(gru_last_error(), "missing tensor 'weight_ih_l0_reverse'"));
    /* wrong shape */
    const stt shape[] = {{"weight_ih_l0", "F32", 2, 12, 3}, {"weight_hh_l0", "F32", 2, 12, 4},
                         {"bias_ih_l0", "F32", 1, 11, 0}, {"bias_hh_l0", "F32", 1, 12, 0}};
    CHECK_STATUS(st_load(shape, 4, NULL), GRU_E_SHAPE);
    CHECK(strstr(gru_last_error(), "'bias_ih_l0'") && strstr(gru_last_error(), "(12)"));
    const stt shape2[] = {{"weight_ih_l0", "F32", 2, 12, 3}, {"weight_hh_l0", "F32", 2, 9, 3}};
    CHECK_STATUS(st_load(shape2, 2, NULL), GRU_E_SHAPE);
    /* wrong dtype */
    const stt f16[] = {{"weight_ih_l0", "F32", 2, 12, 3}, {"weight_hh_l0", "F16", 2, 12, 4}};
    CHECK_STATUS(st_load(f16, 2, NULL), GRU_E_DTYPE);
    CHECK(strstr(gru_last_error(), "'weight_hh_l0'") && strstr(gru_last_error(), "F16"));
    /* mixed cell / layer names */
    const stt mixed[] = {{"weight_ih", "F32", 2, 12, 3}, {"weight_hh_l0", "F32", 2, 12, 4}};
    CHECK_STATUS(st_load(mixed, 2, NULL), GRU_E_NAME);
    /* cell without bias, and a bias on layer 1 only */
    const stt cell[] = {{"weight_ih", "F32", 2, 12, 3}, {"weight_hh", "F32", 2, 12, 4}};
    CHECK_STATUS(st_load(cell, 2, &info), GRU_OK);
    CHECK(info.is_cell && !info.bias);
    const stt b1[] = {{"weight_ih_l0", "F32", 2, 12, 3}, {"weight_hh_l0", "F32", 2, 12, 4},
                      {"weight_ih_l1", "F32", 2, 12, 4}, {"weight_hh_l1", "F32", 2, 12, 4},
                      {"bias_ih_l1", "F32", 1, 12, 0}};
    CHECK_STATUS(st_load(b1, 5, NULL), GRU_E_NAME);
    CHECK(strstr(gru_last_error(), "bias_ih_l1"));
    /* truncations of a good file at several offsets */
    size_t len;
    unsigned char *b = st_make(good, 4, &len);
    const size_t cuts[] = {0, 3, 8, 9, 20, len / 2, len - 4, len - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        gru_model *m = NULL;
        gru_status s = gru_torch_load_safetensors_buffer(b, cuts[i], NULL, GRU_F32, &m, NULL);
        gru_model_free(m);
        CHECK_MSG(s == GRU_E_FORMAT, "cut at %zu: %s", cuts[i], gru_status_name(s));
    }
    /* header length past the end; overlapping and holey offsets */
    b[0] = 0xff, b[1] = 0xff;
    gru_model *m = NULL;
    CHECK_STATUS(gru_torch_load_safetensors_buffer(b, len, NULL, GRU_F32, &m, NULL), GRU_E_FORMAT);
    free(b);
    const char *hdrs[] = {
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",   /* overlap */
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", /* hole */
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}",  /* count */
        "{\"a\":{\"dtype\":\"Q7\",\"shape\":[2],\"data_offsets\":[0,8]}}",   /* dtype */
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}",   /* duplicate */
        "[1,2]", "{\"a\":", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}"};
    for (size_t i = 0; i < sizeof hdrs / sizeof hdrs[0]; i++) {
        const size_t hl = strlen(hdrs[i]);
        unsigned char *bb = calloc(8 + hl + 12, 1);
        bb[0] = (unsigned char)hl;
        memcpy(bb + 8, hdrs[i], hl);
        gru_status s = gru_torch_load_safetensors_buffer(bb, 8 + hl + 12, NULL, GRU_F32, &m, NULL);
        free(bb);
        CHECK_MSG(s == GRU_E_FORMAT, "header %zu: %s (%s)", i, gru_status_name(s), gru_last_error());
    }
    /* an ONNX file is not safetensors (wrong variant) */
    CHECK_STATUS(gru_torch_load_safetensors_buffer("\x08\x07\x12\x04test", 8, NULL, GRU_F32, &m,
                                                   NULL), GRU_E_FORMAT);
    CHECK_STATUS(gru_torch_load_safetensors("/nonexistent.safetensors", NULL, GRU_F32, &m, NULL),
                 GRU_E_IO);
}

TEST(torch_onnx_rejections) {
    gru_onnx *o = NULL;
    if (!have_onnx()) {
        CHECK_STATUS(gru_onnx_load_buffer("x", 1, GRU_F32, &o), GRU_E_UNSUPPORTED);
        return;
    }
    CHECK_STATUS(gru_onnx_load_buffer("\xff\xff\xff", 3, GRU_F32, &o), GRU_E_FORMAT);
    CHECK_STATUS(gru_onnx_load("/nonexistent.onnx", GRU_F32, &o), GRU_E_IO);
    /* a safetensors file is not ONNX (wrong variant) */
    const stt good[] = {GOOD_GRU};
    size_t len;
    unsigned char *b = st_make(good, 4, &len);
    gru_status s = gru_onnx_load_buffer(b, len, GRU_F32, &o);
    free(b);
    CHECK_MSG(s == GRU_E_FORMAT || s == GRU_E_UNSUPPORTED, "%s", gru_status_name(s));
    /* truncations of a real file */
    char dir[512], path[1200];
    files_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/o_f32_4_bidirectional_lbr0_lens_h0.onnx", dir);
    unsigned char *data;
    if (gru__io_read_file("test", path, 1 << 24, &data, &len) != GRU_OK) return; /* no goldens */
    CHECK_STATUS(gru_onnx_load_buffer(data, len, GRU_F32, &o), GRU_OK);
    gru_onnx_free(o);
    const size_t cuts[] = {1, 2, 10, len / 3, len / 2, len - 30, len - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        o = NULL;
        s = gru_onnx_load_buffer(data, cuts[i], GRU_F32, &o);
        gru_onnx_free(o);
        CHECK_MSG(s != GRU_OK, "cut at %zu loaded", cuts[i]);
    }
    free(data);
}

void tests_torch_onnx(void);
void tests_torch_onnx(void) {
    TR_RUN(torch_safetensors_load_and_rejections);
    TR_RUN(torch_onnx_rejections);
    if (have_json()) run_manifest("torch");
    if (have_onnx()) run_manifest("onnx");
}
