/* Keras files (io/): real files written by tools/oracle/keras_files.py
 * (tf-keras 2.21 and Keras 3) are loaded and the whole model's outputs, and
 * each GRU layer's, compared with Keras' (families `keras` and `keras_bad`
 * under the golden directory; data files in keras/data/). Error metric as
 * tests/test_golden.c: max |got - want| / max(|want|, 1) <= 2e-6 (float32
 * models, recurrent bound). Also the JSON config API (both serializer
 * shapes, unknown keys, wrong types, round trips, Keras 3 hard_sigmoid).
 * Built without HDF5 / libzip / cJSON the loaders must answer
 * GRU_E_UNSUPPORTED; these tests then check that instead. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "golden.h"
#include "runner.h"

static int have_json(void) {
    gru_cell_config c;
    return gru_keras_cell_config_from_json("{\"units\":1}", 11, 1, 0, &c) != GRU_E_UNSUPPORTED;
}

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    if (b) b[n] = 0;
    *len = b ? (size_t)n : 0;
    return b;
}

/* Load as the case says. */
static gru_status load_case(const golden *g, const char *data_dir, const gru_keras_options *opt,
                            gru_model **m, gru_keras_file_info *info) {
    const char *loader = golden_meta(g, "loader"), *file = golden_meta(g, "file");
    const char *wfile = golden_meta(g, "weights");
    char path[800];
    snprintf(path, sizeof path, "%s/%s", data_dir, file ? file : "?");
    if (loader && !strcmp(loader, "json_weights")) {
        size_t len = 0;
        char *js = slurp(path, &len);
        if (!js) return GRU_E_IO;
        gru_status st = gru_keras_config_to_model(js, len, GRU_F32, opt, m, info);
        free(js);
        if (st) return st;
        snprintf(path, sizeof path, "%s/%s", data_dir, wfile ? wfile : "?");
        st = gru_keras_load_weights_h5(*m, path);
        if (st) {
            gru_model_free(*m);
            *m = NULL;
        }
        return st;
    }
    return gru_keras_load(path, GRU_F32, opt, m, info);
}

static int files_case(const golden *g, const char *data_dir, char *msg, size_t len, double *err) {
    const char *extra = golden_meta(g, "extra");
    char names_buf[256] = "";
    const char *names[16];
    size_t n_extra = 0;
    if (extra && strcmp(extra, "none")) {
        snprintf(names_buf, sizeof names_buf, "%s", extra);
        for (char *p = strtok(names_buf, ","); p && n_extra < 16; p = strtok(NULL, ","))
            names[n_extra++] = p;
    }
    gru_keras_options opt = {0, names, n_extra};
    gru_keras_file_info info;
    gru_model *m = NULL;
    gru_status st = load_case(g, data_dir, &opt, &m, &info);
    if (st == GRU_E_UNSUPPORTED && strstr(gru_last_error(), "built without")) return 1;
    if (st) {
        snprintf(msg, len, "load: %s: %s", gru_status_name(st), gru_last_error());
        return 0;
    }
    const int want_major = (int)golden_meta_num(g, "keras", 0);
    if (info.keras_major != want_major) {
        snprintf(msg, len, "keras_major %d, want %d (version '%s')", info.keras_major, want_major,
                 info.keras_version);
        gru_model_free(m);
        return 0;
    }
    const size_t n_in = (size_t)golden_meta_num(g, "n_inputs", 0);
    const size_t n_out = (size_t)golden_meta_num(g, "n_outputs", 0);
    golden_bufs bufs = {{0}, 0};
    const void *ins[8];
    void *outs[24];
    int ok = 1;
    int64_t B = 0, steps = 0;
    if (gru_model_input_count(m) != n_in || gru_model_output_count(m) != n_out + n_extra) {
        snprintf(msg, len, "model has %zu inputs / %zu outputs, want %zu / %zu",
                 gru_model_input_count(m), gru_model_output_count(m), n_in, n_out + n_extra);
        ok = 0;
    }
    for (size_t k = 0; ok && k < n_in; k++) {
        char nm[32];
        snprintf(nm, sizeof nm, "x%zu", k);
        const golden_array *a = golden_get(g, nm);
        int64_t dims[GRU_MODEL_MAX_RANK + 1];
        size_t nd;
        bool is_int = false;
        if (!a) {
            snprintf(msg, len, "no array %s", nm);
            ok = 0;
            break;
        }
        B = (int64_t)a->dims[0];
        steps = a->ndim > 1 ? (int64_t)a->dims[1] : 0;
        gru_model_input_shape(m, k, B, steps, dims, &nd, &is_int);
        if (is_int) {
            int64_t *ids = golden_keep(&bufs, malloc(a->n * sizeof *ids));
            for (size_t i = 0; ids && i < a->n; i++) ids[i] = (int64_t)a->data[i];
            ins[k] = ids;
        } else {
            ins[k] = golden_keep(&bufs, golden_to_dtype(a, GRU_F32));
        }
    }
    size_t counts[24];
    for (size_t k = 0; ok && k < n_out + n_extra; k++) {
        int64_t dims[GRU_MODEL_MAX_RANK + 1];
        size_t nd;
        gru_model_output_shape(m, k, B, steps, dims, &nd);
        size_t c = 1;
        for (size_t d = 0; d < nd; d++) c *= (size_t)dims[d];
        counts[k] = c;
        outs[k] = golden_keep(&bufs, calloc(c, sizeof(float)));
    }
    size_t ws = 0;
    if (ok && (st = gru_model_workspace_size(m, B, steps, &ws)) == GRU_OK) {
        void *w = golden_keep(&bufs, aligned_alloc(64, (ws + 63) / 64 * 64 + 64));
        st = gru_model_forward(m, GRU_F32, B, steps, ins, outs, w, ws);
    }
    if (ok && st) {
        snprintf(msg, len, "forward: %s: %s", gru_status_name(st), gru_model_last_error(m));
        ok = 0;
    }
    golden_err e = {0, 0};
    double worst = 0;
    char worst_name[32] = "";
    for (size_t k = 0; ok && k < n_out + n_extra; k++) {
        char nm[32];
        if (k < n_out) snprintf(nm, sizeof nm, "y%zu", k);
        else snprintf(nm, sizeof nm, "g%zu", k - n_out);
        if (!golden_compare_named(g, nm, GRU_F32, outs[k], counts[k], &e, &worst, worst_name,
                                  msg, len))
            ok = 0;
    }
    *err = worst;
    if (ok && worst > GOLDEN_TOL_F32_CELL) {
        snprintf(msg, len, "%s: max error %.3g > %g", worst_name, worst, GOLDEN_TOL_F32_CELL);
        ok = 0;
    }
    golden_free_all(&bufs);
    gru_model_free(m);
    return ok;
}

static int bad_case(const golden *g, const char *data_dir, char *msg, size_t len) {
    gru_model *m = NULL;
    gru_keras_file_info info;
    const gru_status st = load_case(g, data_dir, NULL, &m, &info);
    const char *want = golden_meta(g, "status"), *needle = golden_meta(g, "needle");
    if (st == GRU_E_UNSUPPORTED && strstr(gru_last_error(), "built without")) return 1;
    if (st == GRU_OK) {
        gru_model_free(m);
        snprintf(msg, len, "loaded, want %s", want);
        return 0;
    }
    if (!want || strcmp(gru_status_name(st), want) || !needle ||
        !strstr(gru_last_error(), needle)) {
        snprintf(msg, len, "got %s \"%s\", want %s with \"%s\"", gru_status_name(st),
                 gru_last_error(), want ? want : "?", needle ? needle : "?");
        return 0;
    }
    return 1;
}

static void run_files(const char *family, int bad) {
    char dir[600], data[700], name[400];
    snprintf(dir, sizeof dir, "%s/%s", tr_golden_dir(), family);
    snprintf(data, sizeof data, "%s/keras/data", tr_golden_dir());
    char **paths;
    const size_t n = golden_list(dir, &paths);
    golden_worst w;
    memset(&w, 0, sizeof w);
    for (size_t i = 0; i < n; i++) {
        snprintf(name, sizeof name, "keras_files/%s/%s", family, golden_base_name(paths[i]));
        if (!tr_selected(name)) continue;
        golden g;
        char msg[400] = "";
        int ok = 0;
        double err = 0;
        if (golden_load(paths[i], &g, msg, sizeof msg) == 0) {
            ok = bad ? bad_case(&g, data, msg, sizeof msg)
                     : files_case(&g, data, msg, sizeof msg, &err);
            if (ok && !bad) golden_note_worst(&w, 1, err, name);
            golden_free(&g);
        }
        tr_report(name, ok, msg);
    }
    if (n && !bad) printf("keras_files: worst float32 error %.3g (%s)\n", w.f32, w.f32_case);
    golden_list_free(paths, n);
}

/* ---- the JSON config API ---------------------------------------------------------- */

TEST(keras_json_unsupported_build) {
    if (have_json()) return;
    gru_model *m = (gru_model *)1;
    CHECK_REJECT(gru_keras_config_to_model("{}", 2, GRU_F32, NULL, &m, NULL), GRU_E_UNSUPPORTED,
                 "without");
    CHECK(m == NULL);
}

TEST(keras_cell_config_shapes) {
    if (!have_json()) return;
    /* new serializer shape */
    const char *a =
        "{\"module\":\"keras.layers\",\"class_name\":\"GRUCell\",\"config\":{\"units\":4,"
        "\"activation\":\"relu\",\"recurrent_activation\":\"sigmoid\",\"use_bias\":false,"
        "\"kernel_initializer\":{\"module\":\"keras.initializers\",\"class_name\":"
        "\"RandomNormal\",\"config\":{\"mean\":0.5,\"stddev\":2.0,\"seed\":7},"
        "\"registered_name\":null},\"kernel_regularizer\":{\"module\":\"keras.regularizers\","
        "\"class_name\":\"L2\",\"config\":{\"l2\":0.25},\"registered_name\":null},"
        "\"bias_constraint\":{\"class_name\":\"MaxNorm\",\"config\":{\"max_value\":3,"
        "\"axis\":0}},\"dropout\":0.25,\"implementation\":2,\"reset_after\":true,"
        "\"some_future_key\":[1,2,{\"x\":null}],\"__passive_serialization__\":true}}";
    gru_cell_config c;
    CHECK_OK(gru_keras_cell_config_from_json(a, strlen(a), 5, 0, &c));
    CHECK(c.units == 4 && c.input_dim == 5 && !c.use_bias && c.reset_after);
    CHECK(c.activation.kind == GRU_ACT_RELU && c.recurrent_activation.kind == GRU_ACT_SIGMOID);
    CHECK(c.kernel_initializer.kind == GRU_INIT_RANDOM_NORMAL);
    CHECK(c.kernel_initializer.mean == 0.5 && c.kernel_initializer.stddev == 2.0);
    CHECK(c.kernel_initializer.has_seed && c.kernel_initializer.seed == 7);
    CHECK(c.kernel_regularizer.kind == GRU_REG_L1L2 && c.kernel_regularizer.l2 == 0.25);
    CHECK(c.bias_constraint.kind == GRU_CONSTRAINT_MAX_NORM && c.bias_constraint.max_value == 3);
    CHECK(c.dropout == 0.25 && c.implementation == 2);
    /* legacy shape and bare strings */
    const char *b = "{\"units\":3,\"kernel_initializer\":\"orthogonal\","
                    "\"recurrent_initializer\":{\"class_name\":\"GlorotUniform\",\"config\":"
                    "{\"seed\":null}},\"kernel_constraint\":\"non_neg\","
                    "\"recurrent_activation\":\"hard_sigmoid\"}";
    CHECK_OK(gru_keras_cell_config_from_json(b, strlen(b), 2, 0, &c));
    CHECK(c.kernel_initializer.kind == GRU_INIT_ORTHOGONAL);
    CHECK(c.recurrent_initializer.kind == GRU_INIT_VARIANCE_SCALING);
    CHECK(c.kernel_constraint.kind == GRU_CONSTRAINT_NON_NEG);
    CHECK(c.recurrent_activation.kind == GRU_ACT_HARD_SIGMOID);
    CHECK_OK(gru_keras_cell_config_from_json(b, strlen(b), 2, 3, &c));
    CHECK(c.recurrent_activation.kind == GRU_ACT_HARD_SIGMOID_K3);
}

TEST(keras_config_wrong_types) {
    if (!have_json()) return;
    gru_layer_config l;
    const char *a = "{\"units\":\"four\"}";
    CHECK_REJECT(gru_keras_layer_config_from_json(a, strlen(a), 2, 0, &l), GRU_E_FORMAT, "units");
    const char *b = "{\"units\":4,\"return_sequences\":1}";
    CHECK_REJECT(gru_keras_layer_config_from_json(b, strlen(b), 2, 0, &l), GRU_E_FORMAT,
                 "return_sequences");
    const char *c = "{\"units\":4,\"activation\":\"no_such_fn\"}";
    CHECK_REJECT(gru_keras_layer_config_from_json(c, strlen(c), 2, 0, &l), GRU_E_UNSUPPORTED,
                 "no_such_fn");
    const char *d = "{\"units\":4,";
    CHECK_REJECT(gru_keras_layer_config_from_json(d, strlen(d), 2, 0, &l), GRU_E_FORMAT, "JSON");
    CHECK_REJECT(gru_keras_layer_config_from_json("{}", 2, 2, 0, &l), GRU_E_FORMAT, "units");
    const char *e = "{\"units\":4,\"kernel_initializer\":{\"class_name\":5}}";
    CHECK_REJECT(gru_keras_layer_config_from_json(e, strlen(e), 2, 0, &l), GRU_E_FORMAT,
                 "kernel_initializer");
}

TEST(keras_config_roundtrip) {
    if (!have_json()) return;
    gru_layer_config l, r;
    gru_layer_config_init(&l, 6, 3);
    l.return_sequences = true;
    l.go_backwards = true;
    l.cell.reset_after = true;
    l.cell.implementation = 2;
    gru_activation_from_name("selu", &l.cell.activation);
    gru_initializer_from_name("he_normal", &l.cell.kernel_initializer);
    l.cell.kernel_initializer.has_seed = true;
    l.cell.kernel_initializer.seed = 42;
    gru_regularizer_from_name("l1_l2", &l.cell.bias_regularizer);
    gru_constraint_from_name("min_max_norm", &l.cell.recurrent_constraint);
    char *js = NULL;
    CHECK_OK(gru_keras_layer_config_to_json(&l, &js));
    CHECK(strstr(js, "\"reset_after\":true") != NULL);
    gru_status st = gru_keras_layer_config_from_json(js, strlen(js), 3, 0, &r);
    gru_keras_free(js);
    CHECK_OK(st);
    CHECK(r.cell.units == 6 && r.return_sequences && r.go_backwards && r.cell.reset_after);
    CHECK(r.cell.implementation == 2 && r.cell.activation.kind == GRU_ACT_SELU);
    CHECK(r.cell.kernel_initializer.kind == l.cell.kernel_initializer.kind);
    CHECK(r.cell.kernel_initializer.scale == l.cell.kernel_initializer.scale);
    CHECK(r.cell.kernel_initializer.mode == l.cell.kernel_initializer.mode);
    CHECK(r.cell.kernel_initializer.distribution == l.cell.kernel_initializer.distribution);
    CHECK(r.cell.kernel_initializer.seed == 42 && r.cell.kernel_initializer.has_seed);
    CHECK(r.cell.bias_regularizer.l1 == l.cell.bias_regularizer.l1);
    CHECK(r.cell.bias_regularizer.l2 == l.cell.bias_regularizer.l2);
    CHECK(r.cell.recurrent_constraint.kind == GRU_CONSTRAINT_MIN_MAX_NORM);
    CHECK(r.cell.recurrent_constraint.rate == l.cell.recurrent_constraint.rate);
    char *cj = NULL;
    CHECK_OK(gru_keras_cell_config_to_json(&l.cell, &cj));
    gru_cell_config cc;
    st = gru_keras_cell_config_from_json(cj, strlen(cj), 3, 0, &cc);
    gru_keras_free(cj);
    CHECK_OK(st);
    CHECK(cc.units == 6 && cc.reset_after);
}

TEST(keras_model_config_errors) {
    if (!have_json()) return;
    gru_model *m = NULL;
    const char *a =
        "{\"class_name\":\"Sequential\",\"config\":{\"layers\":[{\"class_name\":\"InputLayer\","
        "\"config\":{\"batch_input_shape\":[null,5,3],\"name\":\"in\"}},{\"class_name\":"
        "\"Conv1D\",\"config\":{\"name\":\"conv\",\"filters\":2}}]}}";
    CHECK_REJECT(gru_keras_config_to_model(a, strlen(a), GRU_F32, NULL, &m, NULL),
                 GRU_E_UNSUPPORTED, "'conv' (Conv1D)");
    const char *b =
        "{\"class_name\":\"Sequential\",\"config\":{\"layers\":[{\"class_name\":\"InputLayer\","
        "\"config\":{\"batch_input_shape\":[null,5,3],\"name\":\"in\"}},{\"class_name\":\"GRU\","
        "\"config\":{\"name\":\"g\",\"units\":2,\"time_major\":true}}]}}";
    CHECK_REJECT(gru_keras_config_to_model(b, strlen(b), GRU_F32, NULL, &m, NULL),
                 GRU_E_UNSUPPORTED, "time_major");
    const char *c =
        "{\"class_name\":\"Sequential\",\"config\":{\"layers\":[{\"class_name\":\"InputLayer\","
        "\"config\":{\"batch_shape\":[null,5,3],\"name\":\"in\"}},{\"class_name\":\"GRU\","
        "\"config\":{\"name\":\"g\",\"units\":2,\"recurrent_activation\":\"hard_sigmoid\","
        "\"unknown\":{\"deep\":[1]}}}]}}";
    gru_keras_file_info info;
    CHECK_OK(gru_keras_config_to_model(c, strlen(c), GRU_F64, NULL, &m, &info));
    CHECK(info.keras_major == 3); /* batch_shape: a Keras 3 config */
    gru_layer_config lc;
    CHECK_OK(gru_layer_get_config(gru_model_node_layer(m, 1), &lc));
    CHECK(lc.cell.recurrent_activation.kind == GRU_ACT_HARD_SIGMOID_K3);
    gru_model_free(m);
}

void tests_keras_files(void);
void tests_keras_files(void) {
    TR_RUN(keras_json_unsupported_build);
    TR_RUN(keras_cell_config_shapes);
    TR_RUN(keras_config_wrong_types);
    TR_RUN(keras_config_roundtrip);
    TR_RUN(keras_model_config_errors);
    run_files("keras", 0);
    run_files("keras_bad", 1);
}
