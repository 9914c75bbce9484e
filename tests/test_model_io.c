/* The native model format: round trips of every node kind (outputs bitwise
 * equal after save/load), and files that must be refused with a message:
 * a missing or extra weight, a wrong shape, truncation at every offset, bit
 * flips, a wrong magic or version, wrong variant fields. */
#include <stdint.h>
#include <stdlib.h>

#include "model_io.h"
#include "model_nodes.h"
#include "runner.h"


/* Every weight of m <- N(0, 0.5) draws from seed. */
static gru_status randomize(gru_model *m, uint64_t seed) {
    gru_rng rng;
    gru_rng_seed(&rng, seed);
    for (size_t i = 0; i < gru_model_node_count(m); i++) {
        gru_model_node_info info;
        gru_status s = gru_model_node_info_get(m, i, &info);
        if (s) return s;
        if (!info.n_weights) continue;
        double *arr[GRU_MODEL_MAX_WEIGHTS] = {0};
        for (size_t k = 0; k < info.n_weights; k++) {
            arr[k] = malloc(info.weight_count[k] * sizeof(double) + 8);
            for (size_t q = 0; q < info.weight_count[k]; q++)
                arr[k][q] = 0.5 * gru_rng_normal(&rng);
        }
        s = gru_model_set_node_weights(m, i, GRU_F64, info.n_weights,
                                       (const void *const *)arr, info.weight_count);
        for (size_t k = 0; k < info.n_weights; k++) free(arr[k]);
        if (s) return s;
    }
    return GRU_OK;
}

static gru_layer_config gru_cfg(int64_t units) {
    gru_layer_config l;
    gru_layer_config_init(&l, units, 1);
    return l;
}

/* Model A: every float node kind, open time axis. Outputs GAP, Reshape and
 * the GRU's state. */
static gru_status model_a(gru_dtype dt, gru_model **out) {
    gru_model_node n[17];
    n[0] = N(GRU_NODE_INPUT, "x");
    n[0].input.rank = 2;
    n[0].input.shape[0] = -1;
    n[0].input.shape[1] = 4;
    n[1] = N(GRU_NODE_MASKING, "masking");
    n[1].mask_value = 0.25;
    in1(&n[1], 0, 0);
    n[2] = N(GRU_NODE_GRU, "gru");
    n[2].gru = gru_cfg(3);
    n[2].gru.return_sequences = n[2].gru.return_state = true;
    n[2].gru.cell.reset_after = true;
    n[2].gru.cell.implementation = 2;
    gru_activation_from_name("hard_sigmoid_k3", &n[2].gru.cell.recurrent_activation);
    gru_regularizer_from_name("l1_l2", &n[2].gru.cell.kernel_regularizer);
    gru_constraint_from_name("max_norm", &n[2].gru.cell.recurrent_constraint);
    n[2].gru.cell.dropout = 0.25;
    in1(&n[2], 1, 0);
    n[3] = N(GRU_NODE_BIDIRECTIONAL, "bidi");
    n[3].bidirectional.layer = gru_cfg(2);
    n[3].bidirectional.layer.return_sequences = true;
    n[3].bidirectional.has_backward_layer = true;
    n[3].bidirectional.backward_layer = gru_cfg(2);
    n[3].bidirectional.backward_layer.return_sequences = true;
    n[3].bidirectional.backward_layer.go_backwards = true;
    n[3].bidirectional.backward_layer.cell.use_bias = false;
    gru_activation_from_name("softsign", &n[3].bidirectional.backward_layer.cell.activation);
    in1(&n[3], 2, 0);
    n[4] = N(GRU_NODE_TIME_DISTRIBUTED_DENSE, "td");
    n[4].dense.units = 5;
    gru_activation_from_name("relu", &n[4].dense.activation);
    n[4].dense.activation.alpha = 0.1;
    n[4].dense.activation.max_value = 3.0;
    in1(&n[4], 3, 0);
    n[5] = N(GRU_NODE_DROPOUT, "drop");
    in1(&n[5], 4, 0);
    n[6] = N(GRU_NODE_SPATIAL_DROPOUT1D, "sdrop");
    in1(&n[6], 5, 0);
    n[7] = N(GRU_NODE_ACTIVATION, "elu");
    gru_activation_from_name("elu", &n[7].activation);
    in1(&n[7], 6, 0);
    n[8] = N(GRU_NODE_DENSE, "dense");
    n[8].dense.units = 5;
    n[8].dense.use_bias = false;
    in1(&n[8], 7, 0);
    n[9] = N(GRU_NODE_ADD, "add");
    in1(&n[9], 7, 0);
    in1(&n[9], 8, 0);
    n[10] = N(GRU_NODE_MULTIPLY, "mul");
    in1(&n[10], 7, 0);
    in1(&n[10], 9, 0);
    n[11] = N(GRU_NODE_CONCATENATE, "concat");
    in1(&n[11], 10, 0);
    in1(&n[11], 4, 0);
    n[12] = N(GRU_NODE_GLOBAL_AVERAGE_POOLING1D, "gap");
    in1(&n[12], 11, 0);
    n[13] = N(GRU_NODE_GLOBAL_MAX_POOLING1D, "gmp");
    n[13].keepdims = true;
    in1(&n[13], 11, 0);
    n[14] = N(GRU_NODE_FLATTEN, "flatten");
    in1(&n[14], 13, 0);
    n[15] = N(GRU_NODE_REPEAT_VECTOR, "repeat");
    n[15].repeat_n = 3;
    in1(&n[15], 14, 0);
    n[16] = N(GRU_NODE_RESHAPE, "reshape");
    n[16].reshape.rank = 2;
    n[16].reshape.shape[0] = 5;
    n[16].reshape.shape[1] = -1;
    in1(&n[16], 15, 0);
    gru_model_ref outs[3] = {{12, 0}, {16, 0}, {2, 1}};
    gru_status s = gru_model_create(n, 17, outs, 3, dt, out);
    return s ? s : randomize(*out, 11);
}

/* Model B: int ids -> Embedding(mask_zero) -> Bidirectional(merge none,
 * return_state, stateful) -> Dense on the forward output. */
static gru_status model_b(gru_dtype dt, gru_model **out) {
    gru_model_node n[4];
    n[0] = N(GRU_NODE_INPUT, "ids");
    n[0].input.rank = 1;
    n[0].input.shape[0] = 6;
    n[0].input.int_ids = true;
    n[1] = N(GRU_NODE_EMBEDDING, "emb");
    n[1].embedding.input_dim = 10;
    n[1].embedding.output_dim = 3;
    n[1].embedding.mask_zero = true;
    in1(&n[1], 0, 0);
    n[2] = N(GRU_NODE_BIDIRECTIONAL, "bi");
    n[2].bidirectional.layer = gru_cfg(4);
    n[2].bidirectional.layer.return_state = true;
    n[2].bidirectional.layer.stateful = true;
    n[2].bidirectional.layer.batch_size = 2;
    n[2].bidirectional.layer.cell.reset_after = true;
    n[2].bidirectional.merge_mode = GRU_MERGE_NONE;
    gru_activation_from_name("hard_sigmoid", &n[2].bidirectional.layer.cell.recurrent_activation);
    in1(&n[2], 1, 0);
    n[3] = N(GRU_NODE_DENSE, "head");
    n[3].dense.units = 2;
    gru_activation_from_name("softmax", &n[3].dense.activation);
    in1(&n[3], 2, 0);
    gru_model_ref outs[4] = {{3, 0}, {2, 1}, {2, 2}, {2, 3}};
    gru_status s = gru_model_create(n, 4, outs, 4, dt, out);
    return s ? s : randomize(*out, 12);
}

/* A plain GRU(units) + Dense(1) on (5, F) inputs. */
static gru_status model_small(int64_t F, int64_t units, bool use_bias, bool reset_after,
                              gru_model **out) {
    gru_model_node n[3];
    n[0] = N(GRU_NODE_INPUT, "x");
    n[0].input.rank = 2;
    n[0].input.shape[0] = 5;
    n[0].input.shape[1] = F;
    n[1] = N(GRU_NODE_GRU, "gru");
    n[1].gru = gru_cfg(units);
    n[1].gru.cell.use_bias = use_bias;
    n[1].gru.cell.reset_after = reset_after;
    in1(&n[1], 0, 0);
    n[2] = N(GRU_NODE_DENSE, "dense");
    n[2].dense.units = 1;
    in1(&n[2], 1, 0);
    gru_model_ref o = {2, 0};
    gru_status s = gru_model_create(n, 3, &o, 1, GRU_F32, out);
    return s ? s : randomize(*out, 13);
}

static uint8_t *save(const gru_model *m, size_t *n) {
    if (gru_model_save_buffer_size(m, n)) return NULL;
    uint8_t *b = malloc(*n);
    if (b && gru_model_save_buffer(m, b, *n, n)) {
        free(b);
        return NULL;
    }
    return b;
}

/* Run m on deterministic inputs; all outputs concatenated into a fresh
 * buffer (*bytes long). Two calls (stateful layers carry state). */
static uint8_t *run_all(gru_model *m, int64_t B, int64_t T, size_t *bytes) {
    const gru_dtype dt = gru_model_dtype(m);
    const size_t es = gru_dtype_size(dt);
    void *ins[8] = {0}, *outs[8] = {0};
    size_t osz[8] = {0}, total = 0;
    for (size_t k = 0; k < gru_model_input_count(m); k++) {
        int64_t d[GRU_MODEL_MAX_RANK + 1];
        size_t nd;
        bool is_int;
        gru_model_input_shape(m, k, B, T, d, &nd, &is_int);
        size_t cnt = 1;
        for (size_t j = 0; j < nd; j++) cnt *= (size_t)d[j];
        ins[k] = malloc(cnt * 8);
        for (size_t q = 0; q < cnt; q++) {
            if (is_int) ((int64_t *)ins[k])[q] = (int64_t)((q * 7) % 10) * (q % 5 != 4);
            else {
                const double v = (q % 9 == 3) ? 0.25 : 0.1 * (double)(q % 13) - 0.6;
                if (dt == GRU_F32) ((float *)ins[k])[q] = (float)v;
                else ((double *)ins[k])[q] = v;
            }
        }
    }
    for (size_t k = 0; k < gru_model_output_count(m); k++) {
        int64_t d[GRU_MODEL_MAX_RANK + 1];
        size_t nd;
        gru_model_output_shape(m, k, B, T, d, &nd);
        size_t cnt = 1;
        for (size_t j = 0; j < nd; j++) cnt *= (size_t)d[j];
        osz[k] = cnt * es;
        total += 2 * osz[k];
    }
    uint8_t *res = malloc(total);
    size_t ws = 0, off = 0;
    gru_model_workspace_size(m, B, T, &ws);
    void *w = aligned_alloc(64, (ws + 63) / 64 * 64 + 64);
    for (int call = 0; call < 2; call++) {
        for (size_t k = 0; k < gru_model_output_count(m); k++) outs[k] = malloc(osz[k]);
        if (gru_model_forward(m, dt, B, T, (const void *const *)ins, outs, w, ws)) {
            free(res);
            res = NULL;
        }
        for (size_t k = 0; k < gru_model_output_count(m); k++) {
            if (res) memcpy(res + off, outs[k], osz[k]);
            off += osz[k];
            free(outs[k]);
        }
    }
    free(w);
    for (size_t k = 0; k < 8; k++) free(ins[k]);
    *bytes = total;
    return res;
}

/* Save m, load it back, compare configs' key fields, outputs bitwise and
 * the re-saved bytes. */
static void round_trip(tr_ctx *t_, gru_model *m, int64_t B, int64_t T) {
    size_t n = 0, n2 = 0, r1 = 0, r2 = 0;
    uint8_t *b = save(m, &n);
    CHECK_MSG(b != NULL, "save failed: %s", gru_last_error());
    gru_model *m2 = NULL;
    gru_status s = gru_model_load_buffer(b, n, &m2);
    CHECK_MSG(s == GRU_OK, "load failed: %s", gru_last_error());
    CHECK(gru_model_node_count(m2) == gru_model_node_count(m));
    CHECK(gru_model_dtype(m2) == gru_model_dtype(m));
    for (size_t i = 0; i < gru_model_node_count(m); i++) {
        gru_model_node a, c;
        gru_model_node_config(m, i, &a);
        gru_model_node_config(m2, i, &c);
        CHECK(a.kind == c.kind && strcmp(a.name, c.name) == 0 && a.n_inputs == c.n_inputs);
        if (a.kind == GRU_NODE_GRU) {
            CHECK(a.gru.cell.recurrent_activation.kind == c.gru.cell.recurrent_activation.kind);
            CHECK(a.gru.cell.reset_after == c.gru.cell.reset_after);
            CHECK(a.gru.cell.implementation == c.gru.cell.implementation);
            CHECK(a.gru.cell.kernel_regularizer.kind == c.gru.cell.kernel_regularizer.kind);
            CHECK(a.gru.cell.recurrent_constraint.kind == c.gru.cell.recurrent_constraint.kind);
            CHECK(a.gru.cell.dropout == c.gru.cell.dropout);
        }
    }
    uint8_t *o1 = run_all(m, B, T, &r1), *o2 = run_all(m2, B, T, &r2);
    CHECK(o1 && o2 && r1 == r2);
    CHECK_MSG(memcmp(o1, o2, r1) == 0, "outputs differ after the round trip");
    uint8_t *b2 = save(m2, &n2);
    CHECK(b2 && n2 == n && memcmp(b, b2, n) == 0);
    free(o1);
    free(o2);
    free(b);
    free(b2);
    gru_model_free(m2);
}

TEST(model_io_round_trip_every_kind) {
    for (int d = 0; d < 2; d++) {
        const gru_dtype dt = d ? GRU_F64 : GRU_F32;
        gru_model *a = NULL, *b = NULL;
        CHECK_OK(model_a(dt, &a));
        CHECK_OK(model_b(dt, &b));
        round_trip(t_, a, 2, 7);
        if (!t_->failed) round_trip(t_, b, 2, 1);
        if (t_->failed) {
            gru_model_free(a);
            gru_model_free(b);
            return;
        }
        gru_model_free(a);
        gru_model_free(b);
    }
}

TEST(model_io_file_and_path) {
    gru_model *m = NULL, *m2 = NULL;
    CHECK_OK(model_small(2, 3, true, false, &m));
    char path[] = "/tmp/gru_model_io_test.grum";
    remove(path);
    CHECK_OK(gru_model_save_path(m, path));
    CHECK_OK(gru_model_load_path(path, &m2));
    gru_model_free(m2);
    /* FILE*: two models back to back in one stream */
    FILE *f = tmpfile();
    CHECK(f != NULL);
    CHECK_OK(gru_model_save_file(m, f));
    CHECK_OK(gru_model_save_file(m, f));
    rewind(f);
    CHECK_OK(gru_model_load_file(f, &m2));
    gru_model_free(m2);
    CHECK_OK(gru_model_load_file(f, &m2));
    gru_model_free(m2);
    CHECK_REJECT(gru_model_load_file(f, &m2), GRU_E_FORMAT, "truncated");
    fclose(f);
    /* a failing save leaves the old file */
    gru_model_node cfg;
    CHECK_OK(gru_model_node_config(m, 1, &cfg));
    CHECK_REJECT(gru_model_save_path(m, "/nonexistent-dir/x.grum"), GRU_E_IO, "temporary");
    CHECK_OK(gru_model_load_path(path, &m2));
    gru_model_free(m2);
    CHECK_REJECT(gru_model_load_path("/nonexistent-dir/x.grum", &m2), GRU_E_IO, "cannot open");
    /* trailing bytes after a model in a path */
    f = fopen(path, "ab");
    CHECK(f != NULL);
    fputc('x', f);
    fclose(f);
    CHECK_REJECT(gru_model_load_path(path, &m2), GRU_E_FORMAT, "trailing");
    remove(path);
    gru_model_free(m);
}

/* Sections of a saved file: offsets of each section header. */
typedef struct secs {
    size_t n, at[64];
} secs;

static void list_secs(const uint8_t *b, size_t len, secs *s) {
    size_t p = GRU__FMT_HEADER;
    s->n = 0;
    while (p + 12 <= len && s->n < 64) {
        uint64_t l = 0;
        for (int i = 7; i >= 0; i--) l = (l << 8) | b[p + 4 + (size_t)i];
        s->at[s->n++] = p;
        p += 12 + (size_t)l;
    }
}

static size_t sec_len(const uint8_t *b, size_t at) {
    uint64_t l = 0;
    for (int i = 7; i >= 0; i--) l = (l << 8) | b[at + 4 + (size_t)i];
    return 12 + (size_t)l;
}

/* Fix the header's payload length and CRC for a buffer of len bytes. */
static void fix_header(uint8_t *b, size_t len) {
    const uint64_t P = len - GRU__FMT_HEADER;
    for (int i = 0; i < 8; i++) b[8 + i] = (uint8_t)(P >> (8 * i));
    const uint32_t c = gru__crc32(0, b + GRU__FMT_HEADER, (size_t)P);
    for (int i = 0; i < 4; i++) b[16 + i] = (uint8_t)(c >> (8 * i));
}

/* a's sections with every `tag` section replaced by b's. */
static uint8_t *splice(const uint8_t *a, size_t na, const uint8_t *b, size_t nb, const char *tag,
                       size_t *out_len) {
    secs sa, sb;
    list_secs(a, na, &sa);
    list_secs(b, nb, &sb);
    uint8_t *o = malloc(na + nb);
    size_t p = GRU__FMT_HEADER;
    memcpy(o, a, GRU__FMT_HEADER);
    int done = 0;
    for (size_t i = 0; i < sa.n; i++) {
        if (memcmp(a + sa.at[i], tag, 4) == 0) {
            if (!done)
                for (size_t j = 0; j < sb.n; j++)
                    if (memcmp(b + sb.at[j], tag, 4) == 0) {
                        memcpy(o + p, b + sb.at[j], sec_len(b, sb.at[j]));
                        p += sec_len(b, sb.at[j]);
                    }
            done = 1;
            continue;
        }
        memcpy(o + p, a + sa.at[i], sec_len(a, sa.at[i]));
        p += sec_len(a, sa.at[i]);
    }
    fix_header(o, p);
    *out_len = p;
    return o;
}

static gru_status load(const uint8_t *b, size_t n) {
    gru_model *m = NULL;
    gru_status s = gru_model_load_buffer(b, n, &m);
    gru_model_free(m);
    return s;
}

TEST(model_io_rejects_weight_mismatches) {
    gru_model *bias = NULL, *nobias = NULL, *ra = NULL, *wide = NULL;
    CHECK_OK(model_small(2, 3, true, false, &bias));
    CHECK_OK(model_small(2, 3, false, false, &nobias));
    CHECK_OK(model_small(2, 3, true, true, &ra));
    CHECK_OK(model_small(4, 3, true, false, &wide));
    size_t n1, n2, n3, n4, n;
    uint8_t *b1 = save(bias, &n1), *b2 = save(nobias, &n2), *b3 = save(ra, &n3),
            *b4 = save(wide, &n4);
    CHECK(b1 && b2 && b3 && b4);
    uint8_t *x = splice(b1, n1, b2, n2, "WGTS", &n); /* bias=true config, 2 arrays */
    CHECK_REJECT(load(x, n), GRU_E_FORMAT, "missing weight 'bias'");
    free(x);
    x = splice(b2, n2, b1, n1, "WGTS", &n); /* bias=false config, 3 arrays */
    CHECK_REJECT(load(x, n), GRU_E_FORMAT, "extra weight");
    free(x);
    x = splice(b1, n1, b3, n3, "WGTS", &n); /* reset_after=false config, (2,9) bias */
    CHECK_REJECT(load(x, n), GRU_E_SHAPE, "weight 'bias' has shape (2, 9), expected (9,)");
    CHECK(strstr(gru_last_error(), "reset_after=false") != NULL);
    free(x);
    x = splice(b1, n1, b4, n4, "WGTS", &n); /* kernel (4,9) for F=2 */
    CHECK_REJECT(load(x, n), GRU_E_SHAPE, "weight 'kernel' has shape (4, 9), expected (2, 9)");
    CHECK(strstr(gru_last_error(), "node 1 ('gru', GRU)") != NULL);
    free(x);
    /* no weights at all */
    secs s;
    list_secs(b1, n1, &s);
    size_t cut = 0;
    for (size_t i = 0; i < s.n; i++)
        if (memcmp(b1 + s.at[i], "WGTS", 4) == 0) {
            cut = s.at[i];
            break;
        }
    x = malloc(n1);
    memcpy(x, b1, cut);
    fix_header(x, cut);
    CHECK_REJECT(load(x, cut), GRU_E_FORMAT, "has no WGTS section (missing weight 'kernel'");
    free(x);
    free(b1);
    free(b2);
    free(b3);
    free(b4);
    gru_model_free(bias);
    gru_model_free(nobias);
    gru_model_free(ra);
    gru_model_free(wide);
}

TEST(model_io_rejects_truncation_everywhere) {
    gru_model *m = NULL;
    CHECK_OK(model_a(GRU_F32, &m));
    size_t n;
    uint8_t *b = save(m, &n);
    gru_model_free(m);
    CHECK(b != NULL);
    uint8_t *x = malloc(n);
    for (size_t cut = 0; cut < n; cut++) {
        /* as cut off: the header's length disagrees */
        gru_status s = load(b, cut);
        CHECK_MSG(s == GRU_E_FORMAT && strstr(gru_last_error(), "truncated"),
                  "cut at %zu: %s %s", cut, gru_status_name(s), gru_last_error());
        /* with a header that agrees (length and CRC fixed): the sections
         * themselves end early */
        if (cut >= GRU__FMT_HEADER) {
            memcpy(x, b, cut);
            fix_header(x, cut);
            s = load(x, cut);
            CHECK_MSG(s != GRU_OK && gru_last_error()[0] != '\0', "fixed cut at %zu: %s", cut,
                      gru_status_name(s));
        }
    }
    free(x);
    free(b);
}

TEST(model_io_rejects_bit_flips) {
    gru_model *m = NULL;
    CHECK_OK(model_small(2, 3, true, false, &m));
    size_t n;
    uint8_t *b = save(m, &n);
    gru_model_free(m);
    CHECK(b != NULL);
    for (size_t i = 0; i < n; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            b[i] ^= (uint8_t)(1u << bit);
            gru_status s = load(b, n);
            b[i] ^= (uint8_t)(1u << bit);
            if (i == 6 || i == 7) { /* the minor version: newer minors stay readable */
                CHECK_OK(s);
                continue;
            }
            CHECK_MSG(s != GRU_OK, "flip at byte %zu bit %d was accepted", i, bit);
            const char *e = gru_last_error();
            if (i >= GRU__FMT_HEADER || (i >= 16 && i < 20))
                CHECK_MSG(strstr(e, "checksum mismatch"), "byte %zu: %s", i, e);
            else if (i < 4)
                CHECK_MSG(strstr(e, "magic"), "byte %zu: %s", i, e);
            else if (i < 6)
                CHECK_MSG(strstr(e, "format version"), "byte %zu: %s", i, e);
            else if (i >= 20)
                CHECK_MSG(strstr(e, "flags"), "byte %zu: %s", i, e);
        }
    }
    free(b);
}

TEST(model_io_rejects_magic_version_and_variants) {
    gru_model *m = NULL;
    CHECK_OK(model_small(2, 3, true, false, &m));
    size_t n;
    uint8_t *b = save(m, &n);
    gru_model_free(m);
    CHECK(b != NULL);
    uint8_t *x = malloc(n);
    memcpy(x, b, n);
    memcpy(x, "GRUX", 4);
    CHECK_REJECT(load(x, n), GRU_E_FORMAT, "expected \"GRUM\"");
    memcpy(x, b, n);
    x[4] = 2;
    CHECK_REJECT(load(x, n), GRU_E_UNSUPPORTED, "format version 2.0, this reader knows 1.x");
    x[4] = 0;
    CHECK_REJECT(load(x, n), GRU_E_FORMAT, "format version 0.0");
    CHECK_REJECT(load(b, 10), GRU_E_FORMAT, "the header needs 24 bytes");
    /* the GRU's NODE section: index, kind, name "gru", 1 input, then the layer */
    secs s;
    list_secs(b, n, &s);
    size_t gru_at = 0;
    for (size_t i = 0; i < s.n; i++)
        if (memcmp(b + s.at[i], "NODE", 4) == 0 && b[s.at[i] + 16] == GRU_NODE_GRU) gru_at = s.at[i];
    CHECK(gru_at != 0);
    const size_t layer = gru_at + 12 + 4 + 4 + 2 + 3 + 4 + 8;
    const size_t act = layer + 8, ract = act + 28, flags = ract + 28;
    struct {
        size_t off;
        uint8_t val;
        gru_status st;
        const char *msg;
    } cases[] = {
        {flags + 1, 2, GRU_E_FORMAT, "field 'gru.reset_after' must be 0 or 1, got 2"},
        {flags, 7, GRU_E_FORMAT, "field 'gru.use_bias' must be 0 or 1, got 7"},
        {flags + 2, 3, GRU_E_FORMAT, "field 'gru.implementation' must be in [1, 2], got 3"},
        {ract, 99, GRU_E_FORMAT, "field 'gru.recurrent_activation.kind' must be in [0, 20], got 99"},
        {act, GRU_ACT_CUSTOM, GRU_E_FORMAT, "is 20 (custom)"},
        {gru_at + 16, 77, GRU_E_FORMAT, "field 'kind' must be in [0, 17], got 77"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        memcpy(x, b, n);
        x[cases[c].off] = cases[c].val;
        fix_header(x, n);
        CHECK_REJECT(load(x, n), cases[c].st, cases[c].msg);
        CHECK(strstr(gru_last_error(), "section NODE 1") != NULL);
    }
    /* hard_sigmoid flavours are kept apart: Keras 2's kind 3 becomes Keras 3's kind 4 */
    memcpy(x, b, n);
    CHECK(x[ract] == GRU_ACT_HARD_SIGMOID);
    x[ract] = GRU_ACT_HARD_SIGMOID_K3;
    fix_header(x, n);
    CHECK_OK(gru_model_load_buffer(x, n, &m));
    gru_model_node cfg;
    CHECK_OK(gru_model_node_config(m, 1, &cfg));
    CHECK(cfg.gru.cell.recurrent_activation.kind == GRU_ACT_HARD_SIGMOID_K3);
    gru_model_free(m);
    /* an unknown critical section is refused, an unknown optional one skipped */
    memcpy(x, b, n);
    CHECK(memcmp(x + s.at[1], "info", 4) == 0);
    memcpy(x + s.at[1], "Info", 4);
    fix_header(x, n);
    CHECK_REJECT(load(x, n), GRU_E_FORMAT, "expected section 'NODE' for node 0 of 3, got 'Info'");
    memcpy(x + s.at[1], "zzzz", 4);
    fix_header(x, n);
    CHECK_OK(load(x, n));
    free(x);
    free(b);
}

/* Random mutations with a valid header (what the fuzzer does, briefly). */
TEST(model_io_survives_mutations) {
    gru_model *m = NULL;
    CHECK_OK(model_b(GRU_F32, &m));
    size_t n;
    uint8_t *b = save(m, &n);
    gru_model_free(m);
    CHECK(b != NULL);
    uint8_t *x = malloc(n);
    gru_rng rng;
    gru_rng_seed(&rng, 5);
    int accepted = 0;
    for (int it = 0; it < 3000; it++) {
        memcpy(x, b, n);
        const int k = 1 + (int)(gru_rng_next(&rng) % 4);
        for (int j = 0; j < k; j++) {
            const size_t at = GRU__FMT_HEADER + gru_rng_next(&rng) % (n - GRU__FMT_HEADER);
            x[at] = (uint8_t)gru_rng_next(&rng);
        }
        fix_header(x, n);
        gru_model *mm = NULL;
        if (gru_model_load_buffer(x, n, &mm) == GRU_OK) accepted++;
        else CHECK(mm == NULL && gru_last_error()[0] != '\0');
        gru_model_free(mm);
    }
    CHECK(accepted < 3000);
    free(x);
    free(b);
}

static double my_act(double x, void *user) {
    (void)user;
    return 2.0 * x;
}

TEST(model_io_save_errors) {
    gru_model *m = NULL;
    CHECK_OK(model_small(2, 3, true, false, &m));
    size_t n = 0;
    CHECK_OK(gru_model_save_buffer_size(m, &n));
    uint8_t *b = malloc(n);
    size_t w = 0;
    CHECK_REJECT(gru_model_save_buffer(m, b, n - 1, &w), GRU_E_SHAPE, "needs");
    CHECK_OK(gru_model_save_buffer(m, b, n, &w));
    CHECK(w == n);
    CHECK_REJECT(gru_model_save_buffer(NULL, b, n, &w), GRU_E_NULL, "model");
    CHECK_REJECT(gru_model_load_buffer(b, n, NULL), GRU_E_NULL, "out");
    free(b);
    gru_model_free(m);
    /* a custom activation callback cannot be stored */
    gru_model_node nd[2];
    nd[0] = N(GRU_NODE_INPUT, "x");
    nd[0].input.rank = 1;
    nd[0].input.shape[0] = 3;
    nd[1] = N(GRU_NODE_ACTIVATION, "mine");
    nd[1].activation.kind = GRU_ACT_CUSTOM;
    nd[1].activation.fn = my_act;
    in1(&nd[1], 0, 0);
    gru_model_ref o = {1, 0};
    CHECK_OK(gru_model_create(nd, 2, &o, 1, GRU_F32, &m));
    CHECK_REJECT(gru_model_save_buffer_size(m, &n), GRU_E_UNSUPPORTED,
                 "node 1 ('mine', Activation): option 'activation' is a custom callback");
    CHECK_REJECT(gru_model_save_path(m, "/tmp/gru_model_io_custom.grum"), GRU_E_UNSUPPORTED,
                 "custom");
    gru_model_free(m);
}

void tests_model_io(void) {
    TR_RUN(model_io_round_trip_every_kind);
    TR_RUN(model_io_file_and_path);
    TR_RUN(model_io_rejects_weight_mismatches);
    TR_RUN(model_io_rejects_truncation_everywhere);
    TR_RUN(model_io_rejects_bit_flips);
    TR_RUN(model_io_rejects_magic_version_and_variants);
    TR_RUN(model_io_survives_mutations);
    TR_RUN(model_io_save_errors);
}
