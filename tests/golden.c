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
