/* The gru command: inspect, run and convert model files.
 *
 *   gru info FILE                       nodes, shapes, GRU variants, parameters
 *   gru run FILE [-i IN ...] [-o OUT ...] [--batch-major] [--threads N]
 *                                       run the model on CSV or .npy inputs
 *   gru convert IN OUT                  read any supported format, write OUT
 *   gru formats                         the formats this build reads/writes
 *
 * Exit codes: 0 ok, 1 the work failed (a bad file, a model error), 2 usage.
 * Messages go to stderr and name the file and the problem. */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arrays.h"
#include "formats.h"
#include "gru.h"

#define MAX_IO 16

static int usage(const char *fmt, ...) {
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        fputs("gru: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
    }
    fputs("usage: gru info FILE\n"
          "       gru run FILE [-i INPUT.csv|.npy ...] [-o OUTPUT.csv|.npy ...] [--batch-major]\n"
          "               [--threads N]\n"
          "       gru convert IN OUT\n"
          "       gru formats\n"
          "       gru --version\n"
          "run: one -i per model input, in order (CSV: one timestep per row, one feature per\n"
          "column, one sequence); without -o the outputs go to stdout as CSV. --batch-major:\n"
          "the .npy inputs have a leading batch axis, and the outputs keep it. --threads N:\n"
          "split the batch (a batch of 1: the recurrent weights) over N threads, N in [1, 1024]\n"
          "(default 1); the outputs are bitwise those of one thread.\n",
          stderr);
    return 2;
}

static int fail(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("gru: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

static int ends_with(const char *s, const char *suf) {
    const size_t n = strlen(s), m = strlen(suf);
    return n >= m && strcmp(s + n - m, suf) == 0;
}

static gru_model *load_model(const char *path, const gru_cli_format **fmt_out) {
    const char *why = "";
    const gru_cli_format *fmt = gru_cli_format_for_read(path, &why);
    if (!fmt) {
        fail("%s: %s", path, why);
        return NULL;
    }
    gru_model *m = NULL;
    if (fmt->load(path, &m) != GRU_OK) {
        fail("%s: %s", path, gru_last_error());
        return NULL;
    }
    if (fmt_out) *fmt_out = fmt;
    return m;
}

/* ---- info ------------------------------------------------------------------------------- */

static void dims_txt(const int64_t *d, size_t rank, char *buf, size_t len) {
    size_t o = (size_t)snprintf(buf, len, "(batch");
    for (size_t j = 0; j < rank && o < len; j++) {
        if (d[j] >= 0) o += (size_t)snprintf(buf + o, len - o, ", %" PRId64, d[j]);
        else if (d[j] == -1) o += (size_t)snprintf(buf + o, len - o, ", steps");
        else o += (size_t)snprintf(buf + o, len - o, ", %" PRId64 "*steps", -d[j]);
    }
    if (o < len) snprintf(buf + o, len - o, ")");
}

static void act_txt(const gru_activation *a, char *buf, size_t len) {
    const char *name = gru_activation_name(a);
    switch (a->kind) {
    case GRU_ACT_HARD_SIGMOID:
        snprintf(buf, len, "hard_sigmoid (Keras 2: clip(0.2x+0.5, 0, 1))");
        break;
    case GRU_ACT_HARD_SIGMOID_K3:
        snprintf(buf, len, "hard_sigmoid_k3 (Keras 3: relu6(x+3)/6)");
        break;
    case GRU_ACT_RELU:
        if (a->alpha != 0.0 || a->threshold != 0.0 || (a->max_value >= 0))
            snprintf(buf, len, "relu(alpha=%g, max_value=%g, threshold=%g)", a->alpha,
                     a->max_value, a->threshold);
        else snprintf(buf, len, "relu");
        break;
    case GRU_ACT_LEAKY_RELU:
    case GRU_ACT_ELU: snprintf(buf, len, "%s(alpha=%g)", name, a->alpha); break;
    default: snprintf(buf, len, "%s", name); break;
    }
}

static void layer_txt(const char *who, const gru_layer_config *l, char *buf, size_t len) {
    char act[96], ract[96];
    act_txt(&l->cell.activation, act, sizeof act);
    act_txt(&l->cell.recurrent_activation, ract, sizeof ract);
    size_t o = (size_t)snprintf(
        buf, len,
        "%sunits=%" PRId64 " reset_after=%s activation=%s recurrent_activation=%s "
        "implementation=%d use_bias=%s",
        who, l->cell.units, l->cell.reset_after ? "true" : "false", act, ract,
        l->cell.recurrent_dropout != 0.0 ? 1 : (l->cell.implementation == 1 ? 1 : 2),
        l->cell.use_bias ? "true" : "false");
    const struct {
        bool on;
        const char *name;
    } flags[] = {{l->return_sequences, "return_sequences"}, {l->return_state, "return_state"},
                 {l->go_backwards, "go_backwards"},         {l->stateful, "stateful"},
                 {l->zero_output_for_mask, "zero_output_for_mask"}};
    for (size_t k = 0; k < sizeof flags / sizeof flags[0] && o < len; k++)
        if (flags[k].on) o += (size_t)snprintf(buf + o, len - o, " %s", flags[k].name);
    if (o < len && (l->cell.dropout != 0.0 || l->cell.recurrent_dropout != 0.0))
        snprintf(buf + o, len - o, " dropout=%g recurrent_dropout=%g (off at inference)",
                 l->cell.dropout, l->cell.recurrent_dropout);
}

static int cmd_info(int argc, char **argv) {
    if (argc != 1) return usage("info takes one FILE, got %d arguments", argc);
    const gru_cli_format *fmt = NULL;
    gru_model *m = load_model(argv[0], &fmt);
    if (!m) return 1;
    const size_t n = gru_model_node_count(m);
    printf("%s: %s format, %s, %zu nodes, %zu inputs, %zu outputs\n", argv[0], fmt->name,
           gru_model_dtype(m) == GRU_F32 ? "float32" : "float64", n, gru_model_input_count(m),
           gru_model_output_count(m));
    printf("  %-3s %-16s %-22s %-10s %-26s %9s  %s\n", "#", "name", "kind", "inputs",
           "output shape", "params", "config");
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        gru_model_node nd;
        gru_model_node_info info;
        if (gru_model_node_config(m, i, &nd) || gru_model_node_info_get(m, i, &info)) {
            fail("%s: %s", argv[0], gru_last_error());
            gru_model_free(m);
            return 1;
        }
        char ins[64] = "-", shape[160] = "", cfg[512] = "";
        size_t o = 0;
        for (size_t k = 0; k < nd.n_inputs && o < sizeof ins; k++)
            o += (size_t)snprintf(ins + o, sizeof ins - o, "%s%zu:%zu", k ? "," : "",
                                  nd.inputs[k].node, nd.inputs[k].port);
        o = 0;
        for (size_t p = 0; p < info.n_outputs && o < sizeof shape; p++) {
            int64_t d[GRU_MODEL_MAX_RANK];
            size_t rank = 0;
            char one[96];
            gru_model_node_output_dims(m, i, p, d, &rank);
            dims_txt(d, rank, one, sizeof one);
            o += (size_t)snprintf(shape + o, sizeof shape - o, "%s%s", p ? " " : "", one);
        }
        char act[96];
        switch (nd.kind) {
        case GRU_NODE_INPUT:
            snprintf(cfg, sizeof cfg, "%s", nd.input.int_ids ? "int64 ids" : "");
            break;
        case GRU_NODE_MASKING: snprintf(cfg, sizeof cfg, "mask_value=%g", nd.mask_value); break;
        case GRU_NODE_EMBEDDING:
            snprintf(cfg, sizeof cfg, "input_dim=%" PRId64 " output_dim=%" PRId64 "%s",
                     nd.embedding.input_dim, nd.embedding.output_dim,
                     nd.embedding.mask_zero ? " mask_zero" : "");
            break;
        case GRU_NODE_GRU: layer_txt("", &nd.gru, cfg, sizeof cfg); break;
        case GRU_NODE_BIDIRECTIONAL: {
            static const char *const merges[] = {"concat", "sum", "mul", "ave", "none"};
            char fw[240], bw[240] = "";
            layer_txt("forward: ", &nd.bidirectional.layer, fw, sizeof fw);
            if (nd.bidirectional.has_backward_layer)
                layer_txt("; backward: ", &nd.bidirectional.backward_layer, bw, sizeof bw);
            snprintf(cfg, sizeof cfg, "merge_mode=%s %s%s",
                     merges[nd.bidirectional.merge_mode % 5], fw, bw);
            break;
        }
        case GRU_NODE_DENSE:
        case GRU_NODE_TIME_DISTRIBUTED_DENSE:
            act_txt(&nd.dense.activation, act, sizeof act);
            snprintf(cfg, sizeof cfg, "units=%" PRId64 " activation=%s use_bias=%s",
                     nd.dense.units, act, nd.dense.use_bias ? "true" : "false");
            break;
        case GRU_NODE_ACTIVATION:
            act_txt(&nd.activation, act, sizeof act);
            snprintf(cfg, sizeof cfg, "%s", act);
            break;
        case GRU_NODE_CONCATENATE: snprintf(cfg, sizeof cfg, "axis=%" PRId64, nd.axis); break;
        case GRU_NODE_GLOBAL_AVERAGE_POOLING1D:
        case GRU_NODE_GLOBAL_MAX_POOLING1D:
            snprintf(cfg, sizeof cfg, "%s", nd.keepdims ? "keepdims" : "");
            break;
        case GRU_NODE_REPEAT_VECTOR: snprintf(cfg, sizeof cfg, "n=%" PRId64, nd.repeat_n); break;
        default: break;
        }
        const char *kind = nd.kind == GRU_NODE_TIME_DISTRIBUTED_DENSE ? "TimeDistributed(Dense)"
                                                                       : gru_node_kind_name(nd.kind);
        printf("  %-3zu %-16s %-22s %-10s %-26s %9zu  %s\n", i, nd.name[0] ? nd.name : "-", kind,
               ins, shape, info.param_count, cfg);
        total += info.param_count;
    }
    printf("outputs:");
    for (size_t k = 0; k < gru_model_output_count(m); k++) {
        gru_model_ref r;
        gru_model_output_ref(m, k, &r);
        printf(" %zu:%zu", r.node, r.port);
    }
    printf("\ntotal params: %zu\n", total);
    gru_model_free(m);
    return 0;
}

/* ---- run ---------------------------------------------------------------------------------- */

/* Whether model input k has an open time axis. */
static int input_open(const gru_model *m, size_t k) {
    int64_t a[GRU_MODEL_MAX_RANK + 1], b[GRU_MODEL_MAX_RANK + 1];
    size_t na = 0, nb = 0;
    if (gru_model_input_shape(m, k, 1, 1, a, &na, NULL) ||
        gru_model_input_shape(m, k, 1, 2, b, &nb, NULL))
        return 0;
    return na > 1 && a[1] != b[1];
}

static int read_input(const char *path, cli_array *a) {
    char err[256];
    int r;
    if (ends_with(path, ".npy")) r = cli_npy_read(path, a, err, sizeof err);
    else if (ends_with(path, ".csv") || ends_with(path, ".txt"))
        r = cli_csv_read(path, a, err, sizeof err);
    else return fail("%s: an input must be a .csv or .npy file", path);
    if (r) return fail("%s: %s", path, err);
    return 0;
}

static int cmd_run(int argc, char **argv) {
    const char *file = NULL, *inputs[MAX_IO], *outputs[MAX_IO];
    size_t ni = 0, no = 0;
    int batch_major = 0, threads = 1;
    for (int a = 0; a < argc; a++) {
        if (strcmp(argv[a], "-i") == 0 || strcmp(argv[a], "-o") == 0) {
            if (a + 1 >= argc) return usage("%s needs a file name", argv[a]);
            if (argv[a][1] == 'i') {
                if (ni == MAX_IO) return usage("at most %d -i", MAX_IO);
                inputs[ni++] = argv[++a];
            } else {
                if (no == MAX_IO) return usage("at most %d -o", MAX_IO);
                outputs[no++] = argv[++a];
            }
        } else if (strcmp(argv[a], "--batch-major") == 0) {
            batch_major = 1;
        } else if (strcmp(argv[a], "--threads") == 0) {
            if (a + 1 >= argc) return usage("--threads needs a thread count");
            char *end = NULL;
            const long v = strtol(argv[++a], &end, 10);
            if (!*argv[a] || *end || v < 1 || v > 1024)
                return usage("--threads must be an integer in [1, 1024], got '%s'", argv[a]);
            threads = (int)v;
        } else if (argv[a][0] == '-' && argv[a][1]) {
            return usage("unknown option '%s'", argv[a]);
        } else if (!file) {
            file = argv[a];
        } else {
            return usage("run takes one FILE, got '%s' too", argv[a]);
        }
    }
    if (!file) return usage("run needs a model FILE");
    for (size_t k = 0; k < no; k++)
        if (!ends_with(outputs[k], ".csv") && !ends_with(outputs[k], ".npy"))
            return usage("output '%s' must end in .csv or .npy", outputs[k]);
    gru_model *m = load_model(file, NULL);
    if (!m) return 1;
    const size_t NI = gru_model_input_count(m), NO = gru_model_output_count(m);
    if (ni != NI) {
        gru_model_free(m);
        return usage("the model has %zu input%s, got %zu -i", NI, NI == 1 ? "" : "s", ni);
    }
    if (no && no != NO) {
        gru_model_free(m);
        return usage("the model has %zu output%s, got %zu -o (give none or one per output)", NO,
                     NO == 1 ? "" : "s", no);
    }
    const gru_dtype dt = gru_model_dtype(m);
    const size_t es = gru_dtype_size(dt);
    cli_array arr[MAX_IO];
    void *ins[MAX_IO] = {0}, *outs[MAX_IO] = {0};
    memset(arr, 0, sizeof arr);
    int rc = 0;
    int64_t B = 1, T = -1;
    void *ws = NULL;
    gru_threadpool *pool = NULL;
    if (threads > 1) {
        const gru_status ps = gru_threadpool_create(threads, &pool);
        if (ps == GRU_E_UNSUPPORTED) /* no pthreads: the same output on one thread */
            fprintf(stderr, "gru: --threads %d: %s; running on one thread\n", threads,
                    gru_last_error());
        else if (ps || gru_model_set_threadpool(m, pool))
            rc = fail("--threads %d: %s", threads, gru_last_error());
    }
    for (size_t k = 0; k < ni && !rc; k++) {
        rc = read_input(inputs[k], &arr[k]);
        if (rc) break;
        if (batch_major && !ends_with(inputs[k], ".npy")) {
            rc = usage("--batch-major needs .npy inputs ('%s' is CSV: one sequence)", inputs[k]);
            break;
        }
    }
    /* shapes: batch and steps from the inputs */
    for (size_t k = 0; k < ni && !rc; k++) {
        int64_t d[GRU_MODEL_MAX_RANK + 1];
        size_t nd;
        gru_model_input_shape(m, k, 1, 1, d, &nd, NULL);
        cli_array *a = &arr[k];
        size_t rank = nd - 1; /* the model's, batch excluded */
        if (!batch_major && ends_with(inputs[k], ".csv") && rank == 1 && a->dims[0] == 1) {
            a->ndim = 1; /* one row of features */
            a->dims[0] = a->dims[1];
        }
        const size_t lead = batch_major ? 1 : 0;
        if (a->ndim != rank + lead) {
            rc = fail("%s: has %zu dims, model input %zu needs %zu (%s)", inputs[k], a->ndim, k,
                      rank + lead, batch_major ? "batch first" : "one sample, no batch axis");
            break;
        }
        const int64_t b = batch_major ? (int64_t)a->dims[0] : 1;
        if (b < 1) {
            rc = fail("%s: the batch is empty", inputs[k]);
            break;
        }
        if (k == 0) B = b;
        else if (b != B) {
            rc = fail("%s: batch %" PRId64 ", the first input has %" PRId64, inputs[k], b, B);
            break;
        }
        if (input_open(m, k)) {
            const int64_t t = (int64_t)a->dims[lead];
            if (t < 1) {
                rc = fail("%s: no timesteps", inputs[k]);
                break;
            }
            if (T < 0) T = t;
            else if (t != T) {
                rc = fail("%s: %" PRId64 " timesteps, an earlier input has %" PRId64, inputs[k], t,
                          T);
                break;
            }
        }
    }
    if (T < 0) T = 1;
    for (size_t k = 0; k < ni && !rc; k++) {
        int64_t d[GRU_MODEL_MAX_RANK + 1];
        size_t nd;
        bool is_int;
        gru_model_input_shape(m, k, B, T, d, &nd, &is_int);
        const size_t lead = batch_major ? 1 : 0;
        for (size_t j = 1; j < nd; j++)
            if ((int64_t)arr[k].dims[j - 1 + lead] != d[j]) {
                char want[160];
                int64_t dd[GRU_MODEL_MAX_RANK];
                for (size_t q = 1; q < nd; q++) dd[q - 1] = d[q];
                dims_txt(dd, nd - 1, want, sizeof want);
                rc = fail("%s: axis %zu has %zu, model input %zu has shape %s", inputs[k],
                          j - 1 + lead, arr[k].dims[j - 1 + lead], k, want);
                break;
            }
        if (rc) break;
        const size_t cnt = arr[k].count;
        ins[k] = malloc((cnt ? cnt : 1) * 8);
        if (!ins[k]) {
            rc = fail("out of memory");
            break;
        }
        for (size_t q = 0; q < cnt; q++) {
            const double v = arr[k].data[q];
            if (is_int) {
                if (!(v == floor(v)) || fabs(v) > 9007199254740992.0) {
                    rc = fail("%s: value %g at %zu is not an integer id", inputs[k], v, q);
                    break;
                }
                ((int64_t *)ins[k])[q] = (int64_t)v;
            } else if (dt == GRU_F32) {
                ((float *)ins[k])[q] = (float)v;
            } else {
                ((double *)ins[k])[q] = v;
            }
        }
    }
    size_t odims[MAX_IO][GRU_MODEL_MAX_RANK + 1], ondim[MAX_IO];
    for (size_t k = 0; k < NO && !rc; k++) {
        int64_t d[GRU_MODEL_MAX_RANK + 1];
        size_t nd, cnt = 1;
        if (gru_model_output_shape(m, k, B, T, d, &nd)) {
            rc = fail("%s: %s", file, gru_last_error());
            break;
        }
        ondim[k] = nd;
        for (size_t j = 0; j < nd; j++) {
            odims[k][j] = (size_t)d[j];
            cnt *= (size_t)d[j];
        }
        outs[k] = malloc(cnt * es + 1);
        if (!outs[k]) rc = fail("out of memory");
    }
    size_t wsb = 0;
    if (!rc && gru_model_workspace_size(m, B, T, &wsb)) rc = fail("%s: %s", file, gru_last_error());
    if (!rc) {
        ws = aligned_alloc(64, (wsb + 63) / 64 * 64 + 64);
        if (!ws) rc = fail("out of memory (workspace of %zu bytes)", wsb);
    }
    if (!rc && gru_model_forward(m, dt, B, T, (const void *const *)ins, outs, ws, wsb))
        rc = fail("%s: %s", file, gru_last_error());
    for (size_t k = 0; k < NO && !rc; k++) {
        const size_t *dims = odims[k] + (batch_major ? 0 : 1);
        const size_t ndim = ondim[k] - (batch_major ? 0 : 1);
        if (no) {
            FILE *f = fopen(outputs[k], "wb");
            if (!f) {
                rc = fail("%s: cannot create the file", outputs[k]);
                break;
            }
            int w = ends_with(outputs[k], ".npy") ? cli_npy_write(f, ndim, dims, outs[k], dt == GRU_F32)
                                                  : cli_csv_write(f, ndim, dims, outs[k], dt == GRU_F32);
            if (fclose(f) != 0) w = -1;
            if (w) rc = fail("%s: writing failed", outputs[k]);
        } else {
            if (NO > 1) {
                gru_model_ref r;
                gru_model_output_ref(m, k, &r);
                printf("# output %zu (node %zu port %zu)\n", k, r.node, r.port);
            }
            if (cli_csv_write(stdout, ndim, dims, outs[k], dt == GRU_F32))
                rc = fail("writing to stdout failed");
        }
    }
    free(ws);
    for (size_t k = 0; k < MAX_IO; k++) {
        free(ins[k]);
        free(outs[k]);
        cli_array_free(&arr[k]);
    }
    gru_model_free(m);
    gru_threadpool_free(pool);
    return rc;
}

/* ---- convert, formats ------------------------------------------------------------------- */

static int cmd_convert(int argc, char **argv) {
    if (argc != 2) return usage("convert takes IN and OUT, got %d arguments", argc);
    gru_model *m = load_model(argv[0], NULL);
    if (!m) return 1;
    const gru_cli_format *w = gru_cli_format_for_write(argv[1]);
    const gru_status s = w->save(m, argv[1]);
    gru_model_free(m);
    if (s) return fail("%s: %s", argv[1], gru_last_error());
    fprintf(stderr, "gru: wrote %s (%s format)\n", argv[1], w->name);
    return 0;
}

static int cmd_formats(void) {
    size_t n;
    const gru_cli_format *t = gru_cli_formats(&n);
    for (size_t i = 0; i < n; i++)
        printf("%-12s %-5s %-5s %-16s %s\n", t[i].name, t[i].load ? "read" : "", t[i].save ? "write" : "",
               t[i].extensions, t[i].description);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) return usage(NULL);
    const char *cmd = argv[1];
    if (strcmp(cmd, "info") == 0) return cmd_info(argc - 2, argv + 2);
    if (strcmp(cmd, "run") == 0) return cmd_run(argc - 2, argv + 2);
    if (strcmp(cmd, "convert") == 0) return cmd_convert(argc - 2, argv + 2);
    if (strcmp(cmd, "formats") == 0) return argc == 2 ? cmd_formats() : usage("formats takes no arguments");
    if (strcmp(cmd, "--version") == 0) {
        printf("gru (libgru %s)\n", gru_version());
        return 0;
    }
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        usage(NULL);
        return 0;
    }
    return usage("unknown command '%s'", cmd);
}
