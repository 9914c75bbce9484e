/* Golden file reader (test-only). */
#define _POSIX_C_SOURCE 200809L
#include "golden.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int next_token(FILE *f, char *buf, size_t len) {
    int c;
    do {
        c = fgetc(f);
    } while (c == ' ' || c == '\n' || c == '\t' || c == '\r');
    if (c == EOF) return 0;
    size_t i = 0;
    while (c != EOF && c != ' ' && c != '\n' && c != '\t' && c != '\r') {
        if (i + 1 < len) buf[i++] = (char)c;
        c = fgetc(f);
    }
    buf[i] = 0;
    return 1;
}

void golden_free(golden *g) {
    for (int i = 0; i < g->narrays; i++) free(g->arrays[i].data);
    g->narrays = 0;
}

int golden_load(const char *path, golden *g, char *err, size_t errlen) {
    memset(g, 0, sizeof *g);
    snprintf(g->path, sizeof g->path, "%s", path);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot open %s", path);
        return -1;
    }
    char tok[128];
    if (!next_token(f, tok, sizeof tok) || strcmp(tok, "gru-golden") != 0 ||
        !next_token(f, tok, sizeof tok) || strcmp(tok, "1") != 0) {
        snprintf(err, errlen, "%s: not a gru-golden 1 file", path);
        fclose(f);
        return -1;
    }
    while (next_token(f, tok, sizeof tok)) {
        if (strcmp(tok, "meta") == 0) {
            if (g->nmeta >= GOLDEN_MAX_META) goto bad;
            if (!next_token(f, g->meta_key[g->nmeta], sizeof g->meta_key[0]) ||
                !next_token(f, g->meta_val[g->nmeta], sizeof g->meta_val[0]))
                goto bad;
            g->nmeta++;
        } else if (strcmp(tok, "array") == 0) {
            if (g->narrays >= GOLDEN_MAX_ARRAYS) goto bad;
            golden_array *a = &g->arrays[g->narrays];
            char dt[16], nd[16];
            if (!next_token(f, a->name, sizeof a->name) || !next_token(f, dt, sizeof dt) ||
                !next_token(f, nd, sizeof nd))
                goto bad;
            a->is_f32 = strcmp(dt, "f32") == 0;
            a->ndim = atoi(nd);
            if (a->ndim < 0 || a->ndim > GOLDEN_MAX_DIMS) goto bad;
            a->n = 1;
            for (int d = 0; d < a->ndim; d++) {
                if (!next_token(f, tok, sizeof tok)) goto bad;
                a->dims[d] = (size_t)strtoull(tok, NULL, 10);
                a->n *= a->dims[d];
            }
            a->data = malloc((a->n ? a->n : 1) * sizeof(double));
            if (!a->data) goto bad;
            g->narrays++;
            for (size_t i = 0; i < a->n; i++) {
                if (!next_token(f, tok, sizeof tok)) goto bad;
                char *end;
                a->data[i] = strtod(tok, &end);
                if (*end) goto bad;
            }
        } else {
            goto bad;
        }
    }
    fclose(f);
    return 0;
bad:
    snprintf(err, errlen, "%s: malformed near '%s'", path, tok);
    fclose(f);
    golden_free(g);
    return -1;
}

const char *golden_meta(const golden *g, const char *key) {
    for (int i = 0; i < g->nmeta; i++)
        if (strcmp(g->meta_key[i], key) == 0) return g->meta_val[i];
    return NULL;
}

double golden_meta_num(const golden *g, const char *key, double def) {
    const char *v = golden_meta(g, key);
    if (!v || strcmp(v, "none") == 0) return def;
    return strtod(v, NULL);
}

const golden_array *golden_get(const golden *g, const char *name) {
    for (int i = 0; i < g->narrays; i++)
        if (strcmp(g->arrays[i].name, name) == 0) return &g->arrays[i];
    return NULL;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t golden_list(const char *dir, char ***paths) {
    *paths = NULL;
    DIR *d = opendir(dir);
    if (!d) return 0;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 8 || strcmp(e->d_name + len - 7, ".golden") != 0) continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **p = realloc(*paths, cap * sizeof *p);
            if (!p) break;
            *paths = p;
        }
        size_t plen = strlen(dir) + len + 2;
        (*paths)[n] = malloc(plen);
        if (!(*paths)[n]) break;
        snprintf((*paths)[n], plen, "%s/%s", dir, e->d_name);
        n++;
    }
    closedir(d);
    if (n) qsort(*paths, n, sizeof **paths, cmp_str);
    return n;
}

void golden_list_free(char **paths, size_t n) {
    for (size_t i = 0; i < n; i++) free(paths[i]);
    free(paths);
}

void golden_compare(const double *got, const double *want, size_t n, golden_err *e) {
    for (size_t i = 0; i < n; i++) {
        double d = fabs(got[i] - want[i]);
        if (isnan(got[i]) != isnan(want[i])) d = (double)INFINITY;
        else if (isnan(want[i])) d = 0;
        else if (isinf(want[i]) && got[i] == want[i]) d = 0;
        double r = d / fmax(fabs(want[i]), 1.0);
        if (d > e->max_abs) e->max_abs = d;
        if (r > e->max_rel) e->max_rel = r;
    }
}

void *golden_to_dtype(const golden_array *a, gru_dtype dt) {
    size_t es = gru_dtype_size(dt);
    void *p = malloc((a->n ? a->n : 1) * es);
    if (!p) return NULL;
    for (size_t i = 0; i < a->n; i++) {
        if (dt == GRU_F32) ((float *)p)[i] = (float)a->data[i];
        else ((double *)p)[i] = a->data[i];
    }
    return p;
}

double golden_get_val(gru_dtype dt, const void *p, size_t i) {
    return dt == GRU_F32 ? (double)((const float *)p)[i] : ((const double *)p)[i];
}

const char *golden_base_name(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

void golden_note_worst(golden_worst *w, int is_f32, double err, const char *name) {
    if (is_f32 && err > w->f32) {
        w->f32 = err;
        snprintf(w->f32_case, sizeof w->f32_case, "%s", name);
    } else if (!is_f32 && err > w->f64) {
        w->f64 = err;
        snprintf(w->f64_case, sizeof w->f64_case, "%s", name);
    }
}

/* ---- layer cases ---------------------------------------------------------- */

void *golden_keep(golden_bufs *b, void *p) {
    if (p && b->n < 64) b->p[b->n++] = p;
    else if (p) {
        free(p);
        p = NULL;
    }
    return p;
}

void golden_free_all(golden_bufs *b) {
    for (int i = 0; i < b->n; i++) free(b->p[i]);
    b->n = 0;
}

static int golden_flag(const golden *g, const char *key) {
    return golden_meta_num(g, key, 0) != 0;
}

int golden_layer_parse(const golden *g, golden_layer_case *c, char *msg, size_t msglen) {
    memset(c, 0, sizeof *c);
    const char *dts = golden_meta(g, "dtype"), *wrapper = golden_meta(g, "wrapper");
    const char *chunks = golden_meta(g, "chunks");
    if (!dts || !wrapper || !chunks) {
        snprintf(msg, msglen, "golden lacks dtype, wrapper or chunks");
        return 0;
    }
    c->dt = strcmp(dts, "f32") == 0 ? GRU_F32 : GRU_F64;
    c->U = (int64_t)golden_meta_num(g, "units", 0);
    c->F = (int64_t)golden_meta_num(g, "input_dim", 0);
    c->B = (int64_t)golden_meta_num(g, "batch", 0);
    c->T = (int64_t)golden_meta_num(g, "steps", 0);
    c->W = (int64_t)golden_meta_num(g, "output_width", 0);
    c->rs = golden_flag(g, "return_sequences");
    c->rst = golden_flag(g, "return_state");
    c->st = golden_flag(g, "stateful");
    c->tm = golden_flag(g, "time_major");
    c->tr = golden_flag(g, "training") ? GRU_TRAINING_TRUE : GRU_TRAINING_FALSE;
    if (strcmp(wrapper, "bidirectional") == 0) {
        static const char *const names[] = {"concat", "sum", "mul", "ave", "none"};
        static const gru_merge_mode modes[] = {GRU_MERGE_CONCAT, GRU_MERGE_SUM, GRU_MERGE_MUL,
                                               GRU_MERGE_AVE, GRU_MERGE_NONE};
        const char *m = golden_meta(g, "merge_mode");
        c->bidir = 1;
        int found = 0;
        for (int i = 0; i < 5 && m; i++)
            if (strcmp(m, names[i]) == 0) c->merge = modes[i], found = 1;
        if (!found) {
            snprintf(msg, msglen, "unknown merge_mode %s", m ? m : "(absent)");
            return 0;
        }
    } else if (strcmp(wrapper, "gru") != 0 && strcmp(wrapper, "rnn") != 0) {
        snprintf(msg, msglen, "unknown wrapper %s", wrapper);
        return 0;
    }
    int64_t sum = 0;
    for (const char *p = chunks; *p;) {
        char *end;
        long long v = strtoll(p, &end, 10);
        if (end == p || v <= 0 || c->nchunks == GOLDEN_LAYER_MAX_CHUNKS) {
            snprintf(msg, msglen, "bad chunks '%s'", chunks);
            return 0;
        }
        c->chunk[c->nchunks++] = (int64_t)v;
        sum += (int64_t)v;
        p = *end == ',' ? end + 1 : end;
    }
    if (c->U <= 0 || c->F <= 0 || c->B <= 0 || c->T <= 0 || sum != c->T) {
        snprintf(msg, msglen, "bad sizes (chunks %s, steps %lld)", chunks, (long long)c->T);
        return 0;
    }
    return 1;
}

int golden_optimizer_parse(const golden *g, gru_optimizer_config *c, const char *what, char *msg,
                           size_t msglen) {
    const char *kind = golden_meta(g, "optimizer");
    gru_optimizer_kind k;
    if (!kind) {
        snprintf(msg, msglen, "golden lacks meta optimizer");
        return 0;
    }
    if (strcmp(kind, "sgd") == 0) k = GRU_OPT_SGD;
    else if (strcmp(kind, "adam") == 0) k = GRU_OPT_ADAM;
    else if (strcmp(kind, "rmsprop") == 0) k = GRU_OPT_RMSPROP;
    else if (strcmp(kind, "adagrad") == 0) k = GRU_OPT_ADAGRAD;
    else {
        snprintf(msg, msglen, "unknown optimizer %s", kind);
        return 0;
    }
    if (gru_optimizer_config_init(c, k)) {
        snprintf(msg, msglen, "%s: %s", what, gru_last_error());
        return 0;
    }
    c->learning_rate = golden_meta_num(g, "learning_rate", c->learning_rate);
    c->momentum = golden_meta_num(g, "momentum", c->momentum);
    c->nesterov = golden_flag(g, "nesterov");
    c->beta_1 = golden_meta_num(g, "beta_1", c->beta_1);
    c->beta_2 = golden_meta_num(g, "beta_2", c->beta_2);
    c->epsilon = golden_meta_num(g, "epsilon", c->epsilon);
    c->amsgrad = golden_flag(g, "amsgrad");
    c->rho = golden_meta_num(g, "rho", c->rho);
    c->centered = golden_flag(g, "centered");
    c->initial_accumulator_value =
        golden_meta_num(g, "initial_accumulator_value", c->initial_accumulator_value);
    const char *fx = golden_meta(g, "floatx");
    c->lr_dtype = fx && strcmp(fx, "float64") == 0 ? GRU_F64 : GRU_F32;
    return 1;
}

const golden_array *golden_get_n(const golden *g, const char *name, size_t n, char *msg,
                                 size_t msglen, int *bad) {
    const golden_array *a = golden_get(g, name);
    if (a && a->n != n) {
        snprintf(msg, msglen, "array %s has %zu elements, expected %zu", name, a->n, n);
        *bad = 1;
    }
    return a;
}

/* Set the weights of one direction from kernel<sfx>, recurrent_kernel<sfx>,
 * bias<sfx>, and check the effective implementation. */
static int golden_set_weights(const golden *g, gru_layer *layer, const golden_layer_case *c,
                              const char *sfx, char *msg, size_t msglen) {
    char kn[32], rn[32], bn[32];
    snprintf(kn, sizeof kn, "kernel%s", sfx);
    snprintf(rn, sizeof rn, "recurrent_kernel%s", sfx);
    snprintf(bn, sizeof bn, "bias%s", sfx);
    const golden_array *gk = golden_get(g, kn), *gr = golden_get(g, rn), *gb = golden_get(g, bn);
    gru_cell *cell = gru_layer_cell(layer);
    if (!gk || !gr || !gb || !cell) {
        snprintf(msg, msglen, "golden lacks %s/%s/%s (or no cell)", kn, rn, bn);
        return 0;
    }
    golden_bufs bb = {{0}, 0};
    void *k = golden_keep(&bb, golden_to_dtype(gk, c->dt)),
         *r = golden_keep(&bb, golden_to_dtype(gr, c->dt)),
         *b = golden_keep(&bb, golden_to_dtype(gb, c->dt));
    int ok = 0;
    if (!k || !r || !b) snprintf(msg, msglen, "out of memory");
    else if (gru_cell_set_weights(cell, c->dt, k, r, b))
        snprintf(msg, msglen, "set_weights%s: %s", sfx, gru_last_error());
    else ok = 1;
    golden_free_all(&bb);
    if (!ok) return 0;
    gru_cell_config eff;
    gru_cell_get_config(cell, &eff);
    if (eff.implementation != (int)golden_meta_num(g, "implementation", -1)) {
        snprintf(msg, msglen, "effective implementation %d, Keras %s", eff.implementation,
                 golden_meta(g, "implementation"));
        return 0;
    }
    return 1;
}

int golden_layer_build(const golden *g, const golden_layer_case *c, gru_layer **layer,
                       gru_bidirectional **bi, char *msg, size_t msglen) {
    *layer = NULL;
    *bi = NULL;
    gru_layer_config lc;
    if (gru_layer_config_init(&lc, c->U, c->F)) {
        snprintf(msg, msglen, "config: %s", gru_last_error());
        return 0;
    }
    lc.cell.dtype = c->dt;
    if (gru_activation_from_name(golden_meta(g, "activation"), &lc.cell.activation) ||
        gru_activation_from_name(golden_meta(g, "recurrent_activation"),
                                 &lc.cell.recurrent_activation)) {
        snprintf(msg, msglen, "activation: %s", gru_last_error());
        return 0;
    }
    lc.cell.use_bias = golden_meta_num(g, "use_bias", 1) != 0;
    lc.cell.reset_after = golden_flag(g, "reset_after");
    lc.cell.implementation = (int)golden_meta_num(g, "implementation_requested", 1);
    lc.cell.dropout = golden_meta_num(g, "dropout", 0);
    lc.cell.recurrent_dropout = golden_meta_num(g, "recurrent_dropout", 0);
    lc.return_sequences = c->rs;
    lc.return_state = c->rst;
    lc.go_backwards = golden_flag(g, "go_backwards");
    lc.stateful = c->st;
    lc.batch_size = c->st ? c->B : 0;
    lc.time_major = c->tm;
    /* as requested: Bidirectional itself forces it to return_sequences */
    lc.zero_output_for_mask = golden_flag(g, "zero_output_for_mask");
    gru_layer *dirs[2] = {NULL, NULL};
    if (c->bidir) {
        gru_bidirectional_config bc;
        if (gru_bidirectional_config_init(&bc, c->U, c->F)) {
            snprintf(msg, msglen, "bidirectional config: %s", gru_last_error());
            return 0;
        }
        bc.layer = lc;
        bc.merge_mode = c->merge;
        if (gru_bidirectional_create(&bc, bi)) {
            snprintf(msg, msglen, "bidirectional create: %s", gru_last_error());
            *bi = NULL;
            return 0;
        }
        dirs[0] = gru_bidirectional_layer(*bi, 0);
        dirs[1] = gru_bidirectional_layer(*bi, 1);
        if (gru_bidirectional_output_width(*bi) != c->W) {
            snprintf(msg, msglen, "output width %lld, Keras %lld",
                     (long long)gru_bidirectional_output_width(*bi), (long long)c->W);
            goto fail;
        }
    } else {
        if (gru_layer_create(&lc, layer)) {
            snprintf(msg, msglen, "create: %s", gru_last_error());
            *layer = NULL;
            return 0;
        }
        dirs[0] = *layer;
    }
    for (int d = 0; d < (c->bidir ? 2 : 1); d++)
        if (!golden_set_weights(g, dirs[d], c, d ? "_b" : "", msg, msglen)) goto fail;
    return 1;
fail:
    gru_layer_free(*layer);
    gru_bidirectional_free(*bi);
    *layer = NULL;
    *bi = NULL;
    return 0;
}

int golden_compare_named(const golden *g, const char *name, gru_dtype dt, const void *buf,
                         size_t n, golden_err *e, double *worst, char *worst_name, char *msg,
                         size_t msglen) {
    const golden_array *a = golden_get(g, name);
    if (!a || a->n != n) {
        snprintf(msg, msglen, "golden array %s %s (%zu values expected)", name,
                 a ? "has the wrong size" : "is missing", n);
        return 0;
    }
    double *got = malloc((n ? n : 1) * sizeof *got);
    if (!got) return snprintf(msg, msglen, "out of memory"), 0;
    for (size_t i = 0; i < n; i++) got[i] = golden_get_val(dt, buf, i);
    golden_err one = {0, 0};
    golden_compare(got, a->data, n, &one);
    free(got);
    if (one.max_rel > *worst) {
        *worst = one.max_rel;
        snprintf(worst_name, 32, "%s", name);
    }
    if (one.max_abs > e->max_abs) e->max_abs = one.max_abs;
    if (one.max_rel > e->max_rel) e->max_rel = one.max_rel;
    return 1;
}
