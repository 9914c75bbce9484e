/* The safetensors reader (see safetensors.h). */
#include "safetensors.h"

#include <stdlib.h>
#include <string.h>

#include "io_common.h"

#if GRU_HAVE_CJSON
#include <cjson/cJSON.h>

#define ST_MAX_HEADER 100000000u

static const struct { const char *name; size_t size; } st_dtypes[] = {
    {"BOOL", 1}, {"U8", 1},   {"I8", 1},   {"F8_E5M2", 1}, {"F8_E4M3", 1}, {"I16", 2},
    {"U16", 2},  {"F16", 2},  {"BF16", 2}, {"I32", 4},     {"U32", 4},     {"F32", 4},
    {"F64", 8},  {"I64", 8},  {"U64", 8}};

static int cmp_begin(const void *a, const void *b) {
    const gru_st_tensor *x = a, *y = b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

/* A JSON number that is an integer in [0, 2^53]. */
static int json_size(const cJSON *v, size_t *out) {
    if (!cJSON_IsNumber(v)) return 0;
    const double d = v->valuedouble;
    if (!(d >= 0.0) || d > 9007199254740992.0 || d != (double)(uint64_t)d) return 0;
    if ((uint64_t)d > (uint64_t)SIZE_MAX) return 0;
    *out = (size_t)d;
    return 1;
}

void gru_st_free(gru_st_file *f) {
    if (!f) return;
    for (size_t i = 0; i < f->n; i++) free(f->t[i].name);
    free(f->t);
    f->t = NULL;
    f->n = 0;
}

gru_st_tensor *gru_st_find(const gru_st_file *f, const char *name) {
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->t[i].name, name) == 0) return &f->t[i];
    return NULL;
}

static gru_status parse_entry(const char *fn, const cJSON *e, gru_st_tensor *t) {
    const char *nm = e->string;
    if (!cJSON_IsObject(e))
        return gru__fail(GRU_E_FORMAT, NULL, "%s: tensor '%s': header entry is not an object",
                         fn, nm);
    const cJSON *dt = NULL, *sh = NULL, *off = NULL;
    for (const cJSON *k = e->child; k; k = k->next) {
        if (strcmp(k->string, "dtype") == 0 && !dt) dt = k;
        else if (strcmp(k->string, "shape") == 0 && !sh) sh = k;
        else if (strcmp(k->string, "data_offsets") == 0 && !off) off = k;
        else
            return gru__fail(GRU_E_FORMAT, NULL, "%s: tensor '%s': unexpected or repeated key "
                             "'%s' in its header entry", fn, nm, k->string);
    }
    if (!cJSON_IsString(dt) || !cJSON_IsArray(sh) || !cJSON_IsArray(off))
        return gru__fail(GRU_E_FORMAT, NULL, "%s: tensor '%s': header entry needs \"dtype\" "
                         "(string), \"shape\" (list) and \"data_offsets\" (list)", fn, nm);
    size_t es = 0;
    for (size_t i = 0; i < sizeof st_dtypes / sizeof st_dtypes[0]; i++)
        if (strcmp(dt->valuestring, st_dtypes[i].name) == 0) {
            es = st_dtypes[i].size;
            memcpy(t->dtype, st_dtypes[i].name, strlen(st_dtypes[i].name) + 1);
        }
    if (!es)
        return gru__fail(GRU_E_FORMAT, NULL, "%s: tensor '%s': unknown dtype '%.32s'", fn, nm,
                         dt->valuestring);
    t->elsize = es;
    size_t nd = 0, count = 1;
    for (const cJSON *d = sh->child; d; d = d->next) {
        size_t v;
        if (nd == GRU_ST_MAX_RANK)
            return gru__fail(GRU_E_FORMAT, NULL, "%s: tensor '%s': rank above %d", fn, nm,
                             GRU_ST_MAX_RANK);
        if (!json_size(d, &v))
            return gru__fail(GRU_E_FORMAT, NULL, "%s: tensor '%s': shape entry %zu is not a "
                             "non-negative integer", fn, nm, nd);
        t->shape[nd++] = v;
        if (!gru__mul_size(count, v, &count))
            return gru__fail(GRU_E_FORMAT, NULL, "%s: tensor '%s': element count overflows",
                             fn, nm);
    }
    t->ndim = nd;
    t->count = count;
    if (cJSON_GetArraySize(off) != 2 || !json_size(off->child, &t->begin) ||
        !json_size(off->child->next, &t->end))
        return gru__fail(GRU_E_FORMAT, NULL, "%s: tensor '%s': data_offsets must be two "
                         "non-negative integers [begin, end]", fn, nm);
    size_t bytes;
    if (!gru__mul_size(count, es, &bytes))
        return gru__fail(GRU_E_FORMAT, NULL, "%s: tensor '%s': byte size overflows", fn, nm);
    if (t->end < t->begin || t->end - t->begin != bytes)
        return gru__fail(GRU_E_FORMAT, NULL, "%s: tensor '%s': data_offsets [%zu, %zu] hold "
                         "%s bytes, but shape x %s needs %zu", fn, nm, t->begin, t->end,
                         t->end < t->begin ? "a negative number of" : "a different number of",
                         t->dtype, bytes);
    return GRU_OK;
}

gru_status gru_st_parse(const char *fn, const unsigned char *buf, size_t len, gru_st_file *f) {
    f->n = 0;
    f->t = NULL;
    if (!buf && len) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'data' is NULL", fn);
    if (len < 8)
        return gru__fail(GRU_E_FORMAT, NULL, "%s: truncated safetensors data: %zu bytes, the "
                         "header length alone takes 8", fn, len);
    const uint64_t n = gru__io_le64(buf);
    if (n > ST_MAX_HEADER)
        return gru__fail(GRU_E_FORMAT, NULL, "%s: safetensors header length %llu exceeds the "
                         "limit %u", fn, (unsigned long long)n, ST_MAX_HEADER);
    if (n > len - 8)
        return gru__fail(GRU_E_FORMAT, NULL, "%s: truncated safetensors data: the header "
                         "declares %llu bytes, only %zu follow", fn, (unsigned long long)n,
                         len - 8);
    const char *hdr = (const char *)buf + 8;
    if (n < 2 || hdr[0] != '{')
        return gru__fail(GRU_E_FORMAT, NULL, "%s: the safetensors header is not a JSON object",
                         fn);
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(hdr, (size_t)n, &end, 0);
    if (!root || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return gru__fail(GRU_E_FORMAT, NULL, "%s: the safetensors header is not valid JSON "
                         "(near byte %zu)", fn, end ? (size_t)(end - hdr) : (size_t)0);
    }
    for (const char *p = end; p && p < hdr + n; p++)
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r' && *p != '\0') {
            cJSON_Delete(root);
            return gru__fail(GRU_E_FORMAT, NULL, "%s: trailing bytes after the JSON header", fn);
        }
    const size_t dlen = len - 8 - (size_t)n;
    const unsigned char *data = buf + 8 + n;
    size_t cnt = 0;
    for (const cJSON *e = root->child; e; e = e->next) cnt++;
    gru_st_tensor *t = calloc(cnt ? cnt : 1, sizeof *t);
    if (!t) {
        cJSON_Delete(root);
        return gru__fail(GRU_E_NOMEM, NULL, "%s: out of memory", fn);
    }
    gru_status st = GRU_OK;
    size_t k = 0;
    int have_meta = 0;
    for (const cJSON *e = root->child; e && st == GRU_OK; e = e->next) {
        if (!e->string) {
            st = gru__fail(GRU_E_FORMAT, NULL, "%s: header entry without a name", fn);
            break;
        }
        if (strcmp(e->string, "__metadata__") == 0) {
            if (have_meta++ || !cJSON_IsObject(e)) {
                st = gru__fail(GRU_E_FORMAT, NULL, "%s: '__metadata__' must be one object of "
                               "strings", fn);
                break;
            }
            for (const cJSON *m = e->child; m; m = m->next)
                if (!cJSON_IsString(m)) {
                    st = gru__fail(GRU_E_FORMAT, NULL, "%s: '__metadata__' value '%s' is not a "
                                   "string", fn, m->string ? m->string : "");
                    break;
                }
            continue;
        }
        for (size_t j = 0; j < k; j++)
            if (strcmp(t[j].name, e->string) == 0) {
                st = gru__fail(GRU_E_FORMAT, NULL, "%s: tensor '%s' appears twice in the header",
                               fn, e->string);
                break;
            }
        if (st != GRU_OK) break;
        st = parse_entry(fn, e, &t[k]);
        if (st != GRU_OK) break;
        if (t[k].end > dlen) {
            st = gru__fail(GRU_E_FORMAT, NULL, "%s: tensor '%s': data_offsets [%zu, %zu] run "
                           "past the data (%zu bytes; truncated file?)", fn, e->string,
                           t[k].begin, t[k].end, dlen);
            break;
        }
        t[k].data = data + t[k].begin;
        t[k].name = malloc(strlen(e->string) + 1);
        if (!t[k].name) {
            st = gru__fail(GRU_E_NOMEM, NULL, "%s: out of memory", fn);
            break;
        }
        memcpy(t[k].name, e->string, strlen(e->string) + 1);
        k++;
    }
    cJSON_Delete(root);
    f->t = t;
    f->n = k;
    if (st != GRU_OK) {
        gru_st_free(f);
        return st;
    }
    qsort(t, k, sizeof *t, cmp_begin);
    size_t pos = 0;
    for (size_t i = 0; i < k; i++) {
        if (t[i].begin != pos) {
            st = gru__fail(GRU_E_FORMAT, NULL, "%s: tensor '%s': data_offsets [%zu, %zu] %s "
                           "(expected to start at %zu)", fn, t[i].name, t[i].begin, t[i].end,
                           t[i].begin < pos ? "overlap the previous tensor"
                                            : "leave a hole after the previous tensor", pos);
            gru_st_free(f);
            return st;
        }
        pos = t[i].end;
    }
    if (pos != dlen) {
        gru_st_free(f);
        return gru__fail(GRU_E_FORMAT, NULL, "%s: the tensors cover %zu data bytes but %zu "
                         "follow the header", fn, pos, dlen);
    }
    return GRU_OK;
}

#else /* !GRU_HAVE_CJSON */

gru_status gru_st_parse(const char *fn, const unsigned char *buf, size_t len, gru_st_file *f) {
    (void)buf;
    (void)len;
    f->n = 0;
    f->t = NULL;
    return gru__fail(GRU_E_UNSUPPORTED, NULL, "%s: libgru was built without cJSON "
                     "(GRU_WITH_JSON), which reads safetensors headers", fn);
}
void gru_st_free(gru_st_file *f) { (void)f; }
gru_st_tensor *gru_st_find(const gru_st_file *f, const char *name) {
    (void)f;
    (void)name;
    return NULL;
}
#endif
