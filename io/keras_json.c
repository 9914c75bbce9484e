/* Keras JSON configs -> libgru (gru.h, "Keras files"): the cell and layer
 * get_config/from_config, and model configs (Sequential, Functional) ->
 * gru_model. Both serializer shapes of sub-objects are read: the legacy
 * {"class_name", "config"} and the new {"module", "class_name", "config",
 * "registered_name"}, plus bare strings. Unknown keys are ignored. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keras_internal.h"

void gru_keras_free(void *p) { free(p); }

void gru__keras_map_free(gk_layer_map *m) {
    if (!m) return;
    for (size_t i = 0; i < m->n; i++) free(m->cls[i]);
    free(m->cls);
    m->cls = NULL;
    m->n = 0;
}

int gru__keras_version_major(const char *v) {
    if (!v || !*v) return 0;
    if (v[0] >= '1' && v[0] <= '9' && (v[1] == '.' || v[1] == 0)) return v[0] - '0';
    return 0;
}

#ifndef GRU_HAVE_JSON

#define NO_JSON(fn) \
    GK_FAIL(GRU_E_UNSUPPORTED, "%s: libgru was built without cJSON (JSON configs)", fn)

gru_status gru__keras_config_to_model(const char *json, size_t len, gru_dtype dtype,
                              const gru_keras_options *opt, int keras_major, gru_model **out,
                              gru_keras_file_info *info, gk_layer_map *map) {
    (void)json, (void)len, (void)dtype, (void)opt, (void)keras_major, (void)info, (void)map;
    if (out) *out = NULL;
    return NO_JSON("gru_keras_config_to_model");
}
gru_status gru_keras_config_to_model(const char *json, size_t len, gru_dtype dtype,
                                     const gru_keras_options *opt, gru_model **out,
                                     gru_keras_file_info *info) {
    return gru__keras_config_to_model(json, len, dtype, opt, 0, out, info, NULL);
}
gru_status gru_keras_cell_config_from_json(const char *json, size_t len, int64_t input_dim,
                                           int keras_major, gru_cell_config *cfg) {
    (void)json, (void)len, (void)input_dim, (void)keras_major, (void)cfg;
    return NO_JSON("gru_keras_cell_config_from_json");
}
gru_status gru_keras_layer_config_from_json(const char *json, size_t len, int64_t input_dim,
                                            int keras_major, gru_layer_config *cfg) {
    (void)json, (void)len, (void)input_dim, (void)keras_major, (void)cfg;
    return NO_JSON("gru_keras_layer_config_from_json");
}
gru_status gru_keras_cell_config_to_json(const gru_cell_config *cfg, char **json) {
    (void)cfg;
    if (json) *json = NULL;
    return NO_JSON("gru_keras_cell_config_to_json");
}
gru_status gru_keras_layer_config_to_json(const gru_layer_config *cfg, char **json) {
    (void)cfg;
    if (json) *json = NULL;
    return NO_JSON("gru_keras_layer_config_to_json");
}

#else /* GRU_HAVE_JSON */

#include <cjson/cJSON.h>

/* ---- typed getters: absent (or null where noted) keeps the default ---------- */

static const char *jtype(const cJSON *v) {
    if (!v) return "nothing (the key is missing)";
    if (cJSON_IsNull(v)) return "null";
    if (cJSON_IsBool(v)) return "a boolean";
    if (cJSON_IsNumber(v)) return "a number";
    if (cJSON_IsString(v)) return "a string";
    if (cJSON_IsArray(v)) return "a list";
    if (cJSON_IsObject(v)) return "an object";
    return "an invalid value";
}

static gru_status bad_type(const char *where, const char *key, const char *want, const cJSON *v) {
    return GK_FAIL(GRU_E_FORMAT, "%s: key '%s' must be %s, got %s", where, key, want, jtype(v));
}

static const cJSON *jget(const cJSON *o, const char *key) {
    return cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
}

static gru_status j_bool(const cJSON *o, const char *key, bool *v, const char *where) {
    const cJSON *x = jget(o, key);
    if (!x || cJSON_IsNull(x)) return GRU_OK;
    if (!cJSON_IsBool(x)) return bad_type(where, key, "a boolean", x);
    *v = cJSON_IsTrue(x);
    return GRU_OK;
}

static gru_status j_num(const cJSON *o, const char *key, double *v, const char *where) {
    const cJSON *x = jget(o, key);
    if (!x || cJSON_IsNull(x)) return GRU_OK;
    if (!cJSON_IsNumber(x)) return bad_type(where, key, "a number", x);
    *v = x->valuedouble;
    return GRU_OK;
}

static int as_int(const cJSON *x, int64_t *v) {
    if (!cJSON_IsNumber(x)) return 0;
    const double d = x->valuedouble;
    if (!(d == floor(d)) || fabs(d) > 9.0e15) return 0;
    *v = (int64_t)d;
    return 1;
}

static gru_status j_int(const cJSON *o, const char *key, int64_t *v, const char *where) {
    const cJSON *x = jget(o, key);
    if (!x || cJSON_IsNull(x)) return GRU_OK;
    if (!as_int(x, v)) return bad_type(where, key, "an integer", x);
    return GRU_OK;
}

/* String or NULL (absent / null). */
static gru_status j_str(const cJSON *o, const char *key, const char **v, const char *where) {
    const cJSON *x = jget(o, key);
    *v = NULL;
    if (!x || cJSON_IsNull(x)) return GRU_OK;
    if (!cJSON_IsString(x)) return bad_type(where, key, "a string", x);
    *v = x->valuestring;
    return GRU_OK;
}

/* {"class_name", "config"} or a bare string: class name and config (NULL ok). */
static gru_status j_obj(const cJSON *x, const char *key, const char *where, const char **cls,
                        const cJSON **cfg) {
    *cls = NULL;
    *cfg = NULL;
    if (!x || cJSON_IsNull(x)) return GRU_OK;
    if (cJSON_IsString(x)) {
        *cls = x->valuestring;
        return GRU_OK;
    }
    if (!cJSON_IsObject(x)) return bad_type(where, key, "a string or an object", x);
    const cJSON *c = jget(x, "class_name");
    if (!cJSON_IsString(c))
        return GK_FAIL(GRU_E_FORMAT, "%s: key '%s': 'class_name' must be a string, got %s", where,
                       key, jtype(c ? c : x));
    *cls = c->valuestring;
    const cJSON *k = jget(x, "config");
    if (k && !cJSON_IsNull(k) && !cJSON_IsObject(k) && !cJSON_IsString(k))
        return GK_FAIL(GRU_E_FORMAT, "%s: key '%s': 'config' must be an object, got %s", where,
                       key, jtype(k));
    *cfg = k;
    return GRU_OK;
}

/* ---- sub-objects ------------------------------------------------------------ */

static gru_status j_activation(const cJSON *o, const char *key, int major, gru_activation *a,
                               const char *where) {
    const cJSON *x = jget(o, key);
    if (!x) return GRU_OK;
    const char *name = NULL;
    const cJSON *cfg = NULL;
    gru_status st = j_obj(x, key, where, &name, &cfg);
    if (st) return st;
    if (cfg && cJSON_IsString(cfg)) name = cfg->valuestring; /* {"class_name": "function", ...} */
    if (name && !strcmp(name, "hard_sigmoid") && major >= 3) name = "hard_sigmoid_k3";
    st = gru_activation_from_name(name, a);
    if (st)
        return GK_FAIL(GRU_E_UNSUPPORTED, "%s: option '%s': activation '%s' is not supported",
                       where, key, name ? name : "?");
    return GRU_OK;
}

static gru_status j_initializer(const cJSON *o, const char *key, gru_initializer *in,
                                const char *where) {
    const cJSON *x = jget(o, key);
    if (!x) return GRU_OK;
    const char *name = NULL;
    const cJSON *c = NULL;
    gru_status st = j_obj(x, key, where, &name, &c);
    if (st) return st;
    if (!name) return GK_FAIL(GRU_E_FORMAT, "%s: key '%s' must not be null", where, key);
    if (gru_initializer_from_name(name, in))
        return GK_FAIL(GRU_E_UNSUPPORTED, "%s: option '%s': initializer '%s' is not supported",
                       where, key, name);
    if (!cJSON_IsObject(c)) return GRU_OK;
    char w[160];
    snprintf(w, sizeof w, "%s: %s", where, key);
    int64_t seed = 0;
    const cJSON *sj = jget(c, "seed");
    if (sj && !cJSON_IsNull(sj)) {
        if ((st = j_int(c, "seed", &seed, w))) return st;
        in->seed = (uint64_t)seed;
        in->has_seed = true;
    }
    const char *mode = NULL, *dist = NULL;
    if ((st = j_num(c, "value", &in->value, w)) || (st = j_num(c, "mean", &in->mean, w)) ||
        (st = j_num(c, "stddev", &in->stddev, w)) || (st = j_num(c, "minval", &in->minval, w)) ||
        (st = j_num(c, "maxval", &in->maxval, w)) || (st = j_num(c, "scale", &in->scale, w)) ||
        (st = j_num(c, "gain", &in->gain, w)) || (st = j_str(c, "mode", &mode, w)) ||
        (st = j_str(c, "distribution", &dist, w)))
        return st;
    if (mode) {
        if (!strcmp(mode, "fan_in")) in->mode = GRU_FAN_IN;
        else if (!strcmp(mode, "fan_out")) in->mode = GRU_FAN_OUT;
        else if (!strcmp(mode, "fan_avg")) in->mode = GRU_FAN_AVG;
        else return GK_FAIL(GRU_E_UNSUPPORTED, "%s: option 'mode' '%s' is not supported", w, mode);
    }
    if (dist) {
        if (!strcmp(dist, "truncated_normal") || !strcmp(dist, "normal"))
            in->distribution = GRU_DIST_TRUNCATED_NORMAL;
        else if (!strcmp(dist, "untruncated_normal")) in->distribution = GRU_DIST_UNTRUNCATED_NORMAL;
        else if (!strcmp(dist, "uniform")) in->distribution = GRU_DIST_UNIFORM;
        else
            return GK_FAIL(GRU_E_UNSUPPORTED, "%s: option 'distribution' '%s' is not supported", w,
                           dist);
    }
    return GRU_OK;
}

static gru_status j_regularizer(const cJSON *o, const char *key, gru_regularizer *r,
                                const char *where) {
    const cJSON *x = jget(o, key);
    if (!x) return GRU_OK;
    const char *name = NULL;
    const cJSON *c = NULL;
    gru_status st = j_obj(x, key, where, &name, &c);
    if (st) return st;
    if (gru_regularizer_from_name(name, r))
        return GK_FAIL(GRU_E_UNSUPPORTED, "%s: option '%s': regularizer '%s' is not supported",
                       where, key, name ? name : "?");
    if (!cJSON_IsObject(c)) return GRU_OK;
    char w[160];
    snprintf(w, sizeof w, "%s: %s", where, key);
    const char *mode = NULL;
    if ((st = j_num(c, "l1", &r->l1, w)) || (st = j_num(c, "l2", &r->l2, w)) ||
        (st = j_num(c, "factor", &r->factor, w)) || (st = j_str(c, "mode", &mode, w)))
        return st;
    if (mode) r->mode = strcmp(mode, "columns") ? GRU_ORTH_ROWS : GRU_ORTH_COLUMNS;
    return GRU_OK;
}

static gru_status j_constraint(const cJSON *o, const char *key, gru_constraint *k,
                               const char *where) {
    const cJSON *x = jget(o, key);
    if (!x) return GRU_OK;
    const char *name = NULL;
    const cJSON *c = NULL;
    gru_status st = j_obj(x, key, where, &name, &c);
    if (st) return st;
    if (gru_constraint_from_name(name, k))
        return GK_FAIL(GRU_E_UNSUPPORTED, "%s: option '%s': constraint '%s' is not supported",
                       where, key, name ? name : "?");
    if (!cJSON_IsObject(c)) return GRU_OK;
    char w[160];
    snprintf(w, sizeof w, "%s: %s", where, key);
    if ((st = j_num(c, "max_value", &k->max_value, w)) ||
        (st = j_num(c, "min_value", &k->min_value, w)) || (st = j_num(c, "rate", &k->rate, w)))
        return st;
    const cJSON *ax = jget(c, "axis");
    if (ax && !cJSON_IsNull(ax)) {
        int64_t a = 0;
        if (cJSON_IsArray(ax) && cJSON_GetArraySize(ax) == 1) ax = cJSON_GetArrayItem(ax, 0);
        if (!as_int(ax, &a)) return bad_type(w, "axis", "an integer", ax);
        k->axis = (int)a;
    }
    return GRU_OK;
}

/* ---- cell and layer configs -------------------------------------------------- */

static const cJSON *unwrap(const cJSON *j) {
    const cJSON *c = jget(j, "config");
    return jget(j, "class_name") && cJSON_IsObject(c) ? c : j;
}

static gru_status cell_from(const cJSON *c, int major, gru_cell_config *cfg, const char *where) {
    gru_status st;
    int64_t impl = cfg->implementation, seed = 0;
    if ((st = j_int(c, "units", &cfg->units, where)) ||
        (st = j_activation(c, "activation", major, &cfg->activation, where)) ||
        (st = j_activation(c, "recurrent_activation", major, &cfg->recurrent_activation, where)) ||
        (st = j_bool(c, "use_bias", &cfg->use_bias, where)) ||
        (st = j_initializer(c, "kernel_initializer", &cfg->kernel_initializer, where)) ||
        (st = j_initializer(c, "recurrent_initializer", &cfg->recurrent_initializer, where)) ||
        (st = j_initializer(c, "bias_initializer", &cfg->bias_initializer, where)) ||
        (st = j_regularizer(c, "kernel_regularizer", &cfg->kernel_regularizer, where)) ||
        (st = j_regularizer(c, "recurrent_regularizer", &cfg->recurrent_regularizer, where)) ||
        (st = j_regularizer(c, "bias_regularizer", &cfg->bias_regularizer, where)) ||
        (st = j_constraint(c, "kernel_constraint", &cfg->kernel_constraint, where)) ||
        (st = j_constraint(c, "recurrent_constraint", &cfg->recurrent_constraint, where)) ||
        (st = j_constraint(c, "bias_constraint", &cfg->bias_constraint, where)) ||
        (st = j_num(c, "dropout", &cfg->dropout, where)) ||
        (st = j_num(c, "recurrent_dropout", &cfg->recurrent_dropout, where)) ||
        (st = j_int(c, "implementation", &impl, where)) ||
        (st = j_bool(c, "reset_after", &cfg->reset_after, where)))
        return st;
    if (jget(c, "seed") && !cJSON_IsNull(jget(c, "seed"))) {
        if ((st = j_int(c, "seed", &seed, where))) return st;
        cfg->seed = (uint64_t)seed;
    }
    if (impl < INT32_MIN || impl > INT32_MAX)
        return GK_FAIL(GRU_E_FORMAT, "%s: key 'implementation' is out of range", where);
    cfg->implementation = impl == 0 ? 1 : (int)impl; /* GRU.from_config maps 0 to 1 */
    const cJSON *dt = jget(c, "dtype");
    const char *dts = cJSON_IsString(dt) ? dt->valuestring : NULL;
    if (cJSON_IsObject(dt)) { /* a dtype policy */
        const cJSON *pc = jget(dt, "config");
        const cJSON *pn = jget(pc, "name");
        if (cJSON_IsString(pn)) dts = pn->valuestring;
    }
    if (dts && (!strcmp(dts, "float64"))) cfg->dtype = GRU_F64;
    return GRU_OK;
}

static gru_status layer_from(const cJSON *c, int major, gru_layer_config *cfg, const char *where) {
    gru_status st = cell_from(c, major, &cfg->cell, where);
    if (st) return st;
    if ((st = j_bool(c, "return_sequences", &cfg->return_sequences, where)) ||
        (st = j_bool(c, "return_state", &cfg->return_state, where)) ||
        (st = j_bool(c, "go_backwards", &cfg->go_backwards, where)) ||
        (st = j_bool(c, "stateful", &cfg->stateful, where)) ||
        (st = j_bool(c, "time_major", &cfg->time_major, where)) ||
        (st = j_bool(c, "zero_output_for_mask", &cfg->zero_output_for_mask, where)) ||
        (st = j_bool(c, "unroll", &cfg->unroll, where)))
        return st;
    /* a fixed batch (stateful layers need it) */
    const cJSON *bs = jget(c, "batch_input_shape");
    if (!bs) bs = jget(c, "batch_shape");
    if (cJSON_IsArray(bs) && cJSON_GetArraySize(bs) > 0) {
        int64_t b = 0;
        if (as_int(cJSON_GetArrayItem(bs, 0), &b) && b > 0) cfg->batch_size = b;
    }
    return GRU_OK;
}

static gru_status parse_text(const char *json, size_t len, cJSON **root, const char *fn) {
    *root = NULL;
    if (!json) return GK_FAIL(GRU_E_NULL, "%s: argument 'json' is NULL", fn);
    *root = cJSON_ParseWithLength(json, len);
    if (!*root) {
        const char *e = cJSON_GetErrorPtr();
        size_t off = e && e >= json && e <= json + len ? (size_t)(e - json) : len;
        return GK_FAIL(GRU_E_FORMAT, "%s: invalid JSON near byte %zu of %zu", fn, off, len);
    }
    return GRU_OK;
}

/* The common start of the two *_config_from_json calls: cfg (has_cfg) and
 * input_dim checked, the text parsed, the (unwrapped) config an object with
 * a 'units' key. On success *root (to be deleted by the caller) holds it and
 * *c is the config; on failure nothing is left allocated. */
static gru_status open_config(const char *json, size_t len, int64_t input_dim, int has_cfg,
                              cJSON **root, const cJSON **c, const char *fn) {
    if (!has_cfg) return GK_FAIL(GRU_E_NULL, "%s: argument 'cfg' is NULL", fn);
    if (input_dim <= 0)
        return GK_FAIL(GRU_E_ARG, "%s: argument 'input_dim' must be > 0, got %lld", fn,
                       (long long)input_dim);
    gru_status st = parse_text(json, len, root, fn);
    if (st) return st;
    *c = unwrap(*root);
    if (!cJSON_IsObject(*c))
        st = GK_FAIL(GRU_E_FORMAT, "%s: the config must be an object, got %s", fn, jtype(*c));
    else if (!jget(*c, "units"))
        st = GK_FAIL(GRU_E_FORMAT, "%s: key 'units' is missing", fn);
    if (st) {
        cJSON_Delete(*root);
        *root = NULL;
    }
    return st;
}

gru_status gru_keras_cell_config_from_json(const char *json, size_t len, int64_t input_dim,
                                           int keras_major, gru_cell_config *cfg) {
    static const char fn[] = "gru_keras_cell_config_from_json";
    cJSON *root = NULL;
    const cJSON *c = NULL;
    gru_status st = open_config(json, len, input_dim, cfg != NULL, &root, &c, fn);
    if (st) return st;
    gru_cell_config tmp;
    gru_cell_config_init(&tmp, 1, input_dim);
    st = cell_from(c, keras_major, &tmp, fn);
    if (!st) *cfg = tmp;
    cJSON_Delete(root);
    return st;
}

gru_status gru_keras_layer_config_from_json(const char *json, size_t len, int64_t input_dim,
                                            int keras_major, gru_layer_config *cfg) {
    static const char fn[] = "gru_keras_layer_config_from_json";
    cJSON *root = NULL;
    const cJSON *c = NULL;
    gru_status st = open_config(json, len, input_dim, cfg != NULL, &root, &c, fn);
    if (st) return st;
    gru_layer_config tmp;
    gru_layer_config_init(&tmp, 1, input_dim);
    st = layer_from(c, keras_major, &tmp, fn);
    if (!st) *cfg = tmp;
    cJSON_Delete(root);
    return st;
}

/* ---- to_json: tf-keras' get_config() shape ------------------------------------ */

static cJSON *obj_new(const char *module, const char *cls, cJSON *config) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "module", module);
    cJSON_AddStringToObject(o, "class_name", cls);
    cJSON_AddItemToObject(o, "config", config);
    cJSON_AddNullToObject(o, "registered_name");
    return o;
}

static void add_seed(cJSON *c, const gru_initializer *in) {
    if (in->has_seed) cJSON_AddNumberToObject(c, "seed", (double)in->seed);
    else cJSON_AddNullToObject(c, "seed");
}

static cJSON *init_json(const gru_initializer *in) {
    cJSON *c = cJSON_CreateObject();
    const char *cls = "Zeros";
    switch (in->kind) {
    case GRU_INIT_ZEROS: cls = "Zeros"; break;
    case GRU_INIT_ONES: cls = "Ones"; break;
    case GRU_INIT_CONSTANT: cls = "Constant"; cJSON_AddNumberToObject(c, "value", in->value); break;
    case GRU_INIT_RANDOM_NORMAL:
    case GRU_INIT_TRUNCATED_NORMAL:
        cls = in->kind == GRU_INIT_RANDOM_NORMAL ? "RandomNormal" : "TruncatedNormal";
        cJSON_AddNumberToObject(c, "mean", in->mean);
        cJSON_AddNumberToObject(c, "stddev", in->stddev);
        add_seed(c, in);
        break;
    case GRU_INIT_RANDOM_UNIFORM:
        cls = "RandomUniform";
        cJSON_AddNumberToObject(c, "minval", in->minval);
        cJSON_AddNumberToObject(c, "maxval", in->maxval);
        add_seed(c, in);
        break;
    case GRU_INIT_VARIANCE_SCALING: {
        static const char *const modes[] = {"fan_in", "fan_out", "fan_avg"};
        static const char *const dists[] = {"truncated_normal", "untruncated_normal", "uniform"};
        cls = "VarianceScaling";
        cJSON_AddNumberToObject(c, "scale", in->scale);
        cJSON_AddStringToObject(c, "mode", modes[(unsigned)in->mode % 3u]);
        cJSON_AddStringToObject(c, "distribution", dists[(unsigned)in->distribution % 3u]);
        add_seed(c, in);
        break;
    }
    case GRU_INIT_ORTHOGONAL:
    case GRU_INIT_IDENTITY:
        cls = in->kind == GRU_INIT_ORTHOGONAL ? "Orthogonal" : "Identity";
        cJSON_AddNumberToObject(c, "gain", in->gain);
        if (in->kind == GRU_INIT_ORTHOGONAL) add_seed(c, in);
        break;
    default: break;
    }
    return obj_new("keras.initializers", cls, c);
}

static cJSON *reg_json(const gru_regularizer *r) {
    if (r->kind == GRU_REG_NONE) return cJSON_CreateNull();
    cJSON *c = cJSON_CreateObject();
    if (r->kind == GRU_REG_ORTHOGONAL) {
        cJSON_AddNumberToObject(c, "factor", r->factor);
        cJSON_AddStringToObject(c, "mode", r->mode == GRU_ORTH_COLUMNS ? "columns" : "rows");
        return obj_new("keras.regularizers", "OrthogonalRegularizer", c);
    }
    cJSON_AddNumberToObject(c, "l1", r->l1);
    cJSON_AddNumberToObject(c, "l2", r->l2);
    return obj_new("keras.regularizers", "L1L2", c);
}

static cJSON *con_json(const gru_constraint *k) {
    cJSON *c;
    switch (k->kind) {
    case GRU_CONSTRAINT_MAX_NORM:
        c = cJSON_CreateObject();
        cJSON_AddNumberToObject(c, "max_value", k->max_value);
        cJSON_AddNumberToObject(c, "axis", k->axis);
        return obj_new("keras.constraints", "MaxNorm", c);
    case GRU_CONSTRAINT_NON_NEG: return obj_new("keras.constraints", "NonNeg", cJSON_CreateObject());
    case GRU_CONSTRAINT_UNIT_NORM:
        c = cJSON_CreateObject();
        cJSON_AddNumberToObject(c, "axis", k->axis);
        return obj_new("keras.constraints", "UnitNorm", c);
    case GRU_CONSTRAINT_MIN_MAX_NORM:
        c = cJSON_CreateObject();
        cJSON_AddNumberToObject(c, "min_value", k->min_value);
        cJSON_AddNumberToObject(c, "max_value", k->max_value);
        cJSON_AddNumberToObject(c, "rate", k->rate);
        cJSON_AddNumberToObject(c, "axis", k->axis);
        return obj_new("keras.constraints", "MinMaxNorm", c);
    case GRU_CONSTRAINT_RADIAL:
        return obj_new("keras.constraints", "RadialConstraint", cJSON_CreateObject());
    default: return cJSON_CreateNull();
    }
}

static gru_status act_json(cJSON *o, const char *key, const gru_activation *a) {
    if (a->kind == GRU_ACT_CUSTOM)
        return GK_FAIL(GRU_E_UNSUPPORTED, "to_json: option '%s': a custom activation has no "
                       "Keras name", key);
    const char *n = gru_activation_name(a);
    /* Keras 3's hard_sigmoid has no tf-keras name; keep libgru's */
    cJSON_AddStringToObject(o, key, n);
    return GRU_OK;
}

static gru_status cell_json(cJSON *o, const gru_cell_config *c) {
    gru_status st;
    cJSON_AddNumberToObject(o, "units", (double)c->units);
    if ((st = act_json(o, "activation", &c->activation)) ||
        (st = act_json(o, "recurrent_activation", &c->recurrent_activation)))
        return st;
    cJSON_AddBoolToObject(o, "use_bias", c->use_bias);
    cJSON_AddItemToObject(o, "kernel_initializer", init_json(&c->kernel_initializer));
    cJSON_AddItemToObject(o, "recurrent_initializer", init_json(&c->recurrent_initializer));
    cJSON_AddItemToObject(o, "bias_initializer", init_json(&c->bias_initializer));
    cJSON_AddItemToObject(o, "kernel_regularizer", reg_json(&c->kernel_regularizer));
    cJSON_AddItemToObject(o, "recurrent_regularizer", reg_json(&c->recurrent_regularizer));
    cJSON_AddItemToObject(o, "bias_regularizer", reg_json(&c->bias_regularizer));
    return GRU_OK;
}

static void cell_json_tail(cJSON *o, const gru_cell_config *c) {
    cJSON_AddItemToObject(o, "kernel_constraint", con_json(&c->kernel_constraint));
    cJSON_AddItemToObject(o, "recurrent_constraint", con_json(&c->recurrent_constraint));
    cJSON_AddItemToObject(o, "bias_constraint", con_json(&c->bias_constraint));
    const double d = c->dropout < 0 ? 0 : c->dropout > 1 ? 1 : c->dropout;
    const double rd =
        c->recurrent_dropout < 0 ? 0 : c->recurrent_dropout > 1 ? 1 : c->recurrent_dropout;
    cJSON_AddNumberToObject(o, "dropout", d);
    cJSON_AddNumberToObject(o, "recurrent_dropout", rd);
    cJSON_AddNumberToObject(o, "implementation", rd != 0 ? 1 : c->implementation);
    cJSON_AddBoolToObject(o, "reset_after", c->reset_after);
}

static gru_status emit(cJSON *o, char **json, const char *fn) {
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!s) return GK_FAIL(GRU_E_NOMEM, "%s: out of memory", fn);
    /* cJSON allocates with malloc (the default hooks); gru_keras_free frees */
    *json = s;
    return GRU_OK;
}

gru_status gru_keras_cell_config_to_json(const gru_cell_config *cfg, char **json) {
    static const char fn[] = "gru_keras_cell_config_to_json";
    if (!cfg || !json) return GK_FAIL(GRU_E_NULL, "%s: argument '%s' is NULL", fn, cfg ? "json" : "cfg");
    *json = NULL;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", "gru_cell");
    cJSON_AddBoolToObject(o, "trainable", 1);
    cJSON_AddStringToObject(o, "dtype", cfg->dtype == GRU_F64 ? "float64" : "float32");
    gru_status st = cell_json(o, cfg);
    if (st) {
        cJSON_Delete(o);
        return st;
    }
    cell_json_tail(o, cfg);
    return emit(o, json, fn);
}

gru_status gru_keras_layer_config_to_json(const gru_layer_config *cfg, char **json) {
    static const char fn[] = "gru_keras_layer_config_to_json";
    if (!cfg || !json) return GK_FAIL(GRU_E_NULL, "%s: argument '%s' is NULL", fn, cfg ? "json" : "cfg");
    *json = NULL;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", "gru");
    cJSON_AddBoolToObject(o, "trainable", 1);
    cJSON_AddStringToObject(o, "dtype", cfg->cell.dtype == GRU_F64 ? "float64" : "float32");
    if (cfg->stateful && cfg->batch_size > 0) {
        cJSON *b = cJSON_CreateArray();
        cJSON_AddItemToArray(b, cJSON_CreateNumber((double)cfg->batch_size));
        cJSON_AddItemToArray(b, cJSON_CreateNull());
        cJSON_AddItemToArray(b, cJSON_CreateNumber((double)cfg->cell.input_dim));
        cJSON_AddItemToObject(o, "batch_input_shape", b);
    }
    cJSON_AddBoolToObject(o, "return_sequences", cfg->return_sequences);
    cJSON_AddBoolToObject(o, "return_state", cfg->return_state);
    cJSON_AddBoolToObject(o, "go_backwards", cfg->go_backwards);
    cJSON_AddBoolToObject(o, "stateful", cfg->stateful);
    cJSON_AddBoolToObject(o, "unroll", cfg->unroll);
    cJSON_AddBoolToObject(o, "time_major", cfg->time_major);
    if (cfg->zero_output_for_mask) cJSON_AddBoolToObject(o, "zero_output_for_mask", 1);
    gru_status st = cell_json(o, &cfg->cell);
    if (st) {
        cJSON_Delete(o);
        return st;
    }
    cJSON_AddNullToObject(o, "activity_regularizer");
    cell_json_tail(o, &cfg->cell);
    return emit(o, json, fn);
}

/* ---- model configs ------------------------------------------------------------ */

typedef struct klayer {
    const char *cls, *name;
    const cJSON *cfg;     /* the layer's config object                         */
    const cJSON *inbound; /* Functional: inbound_nodes                         */
    long node;            /* node index, -1 before placement, -2 = skipped op  */
} klayer;

typedef struct mbuild {
    int major;
    gru_model_node *nodes;
    char **cls;
    size_t n, cap;
    klayer *L;
    size_t nl;
    gru_model_ref *outs;
    size_t n_outs;
} mbuild;

static gru_status push_node(mbuild *b, const gru_model_node *nd, const char *cls, size_t *idx) {
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 16;
        gru_model_node *p = realloc(b->nodes, cap * sizeof *p);
        if (!p) return GK_FAIL(GRU_E_NOMEM, "gru_keras_config_to_model: out of memory");
        b->nodes = p;
        char **q = realloc(b->cls, cap * sizeof *q);
        if (!q) return GK_FAIL(GRU_E_NOMEM, "gru_keras_config_to_model: out of memory");
        b->cls = q;
        b->cap = cap;
    }
    b->nodes[b->n] = *nd;
    b->cls[b->n] = NULL;
    if (cls) {
        size_t l = strlen(cls) + 1;
        b->cls[b->n] = malloc(l);
        if (!b->cls[b->n]) return GK_FAIL(GRU_E_NOMEM, "gru_keras_config_to_model: out of memory");
        memcpy(b->cls[b->n], cls, l);
    }
    *idx = b->n++;
    return GRU_OK;
}

/* The batch shape of an InputLayer config or a first layer: node->input. */
static gru_status shape_from(const cJSON *c, gru_model_node *nd, const char *where, int *found) {
    const cJSON *bs = jget(c, "batch_input_shape");
    const char *key = "batch_input_shape";
    if (!bs) bs = jget(c, "batch_shape"), key = "batch_shape";
    *found = 0;
    if (!bs || cJSON_IsNull(bs)) return GRU_OK;
    if (!cJSON_IsArray(bs)) return bad_type(where, key, "a list", bs);
    const int n = cJSON_GetArraySize(bs);
    if (n < 2 || n > GRU_MODEL_MAX_RANK)
        return GK_FAIL(GRU_E_UNSUPPORTED, "%s: option '%s': rank %d is not supported", where, key, n);
    nd->input.rank = (size_t)(n - 1);
    for (int k = 1; k < n; k++) {
        const cJSON *d = cJSON_GetArrayItem(bs, k);
        int64_t v = -1;
        if (cJSON_IsNull(d)) {
            if (k != 1)
                return GK_FAIL(GRU_E_UNSUPPORTED, "%s: option '%s': only the time axis may be "
                               "None, axis %d is", where, key, k);
        } else if (!as_int(d, &v) || v <= 0) {
            return bad_type(where, key, "a list of positive integers or null", d);
        }
        nd->input.shape[k - 1] = v;
    }
    const cJSON *dt = jget(c, "dtype");
    if (cJSON_IsString(dt) && !strncmp(dt->valuestring, "int", 3)) nd->input.int_ids = true;
    *found = 1;
    return GRU_OK;
}

static gru_status input_node(mbuild *b, const klayer *l, size_t *idx) {
    char where[128];
    snprintf(where, sizeof where, "layer '%s' (InputLayer)", l->name);
    gru_model_node nd;
    gru_model_node_init(&nd, GRU_NODE_INPUT, l->name);
    int found = 0;
    bool sp = false, rg = false;
    gru_status st;
    if ((st = j_bool(l->cfg, "sparse", &sp, where)) || (st = j_bool(l->cfg, "ragged", &rg, where)))
        return st;
    if (sp || rg)
        return GK_FAIL(GRU_E_UNSUPPORTED, "%s: option '%s' is not supported", where,
                       sp ? "sparse" : "ragged");
    if ((st = shape_from(l->cfg, &nd, where, &found))) return st;
    if (!found) return GK_FAIL(GRU_E_UNSUPPORTED, "%s: no batch_input_shape / batch_shape", where);
    return push_node(b, &nd, "InputLayer", idx);
}

static gru_status gru_by_class(const char *cls, const cJSON *c, int major, gru_layer_config *lc,
                               const char *w);
static gru_status gru_cfg(const cJSON *j, int major, gru_layer_config *lc, const char *where,
                          bool *cudnn) {
    const char *cls = NULL;
    const cJSON *c = NULL;
    gru_status st = j_obj(j, "layer", where, &cls, &c);
    if (st) return st;
    if (!cls || !cJSON_IsObject(c))
        return GK_FAIL(GRU_E_FORMAT, "%s: key 'layer' must be a layer object", where);
    gru_layer_config_init(lc, 1, 1);
    char w[160];
    const cJSON *nm = jget(c, "name");
    snprintf(w, sizeof w, "%s: layer '%s' (%s)", where, cJSON_IsString(nm) ? nm->valuestring : "?", cls);
    (void)cudnn;
    return gru_by_class(cls, c, major, lc, w);
}

/* A GRU-like layer config c of class cls into lc. */
static gru_status gru_by_class(const char *cls, const cJSON *c, int major, gru_layer_config *lc,
                               const char *w) {
    gru_status st;
    const char *where = w;
    if (!strcmp(cls, "GRU") || !strcmp(cls, "CuDNNGRU")) {
        if ((st = layer_from(c, major, lc, w))) return st;
        if (!strcmp(cls, "CuDNNGRU")) {
            gru_activation_from_name("tanh", &lc->cell.activation);
            gru_activation_from_name("sigmoid", &lc->cell.recurrent_activation);
            lc->cell.reset_after = true;
            lc->cell.use_bias = true;
        }
        return GRU_OK;
    }
    if (!strcmp(cls, "RNN")) {
        const char *ccls = NULL;
        const cJSON *cc = NULL;
        if ((st = j_obj(jget(c, "cell"), "cell", w, &ccls, &cc))) return st;
        if (!ccls || strcmp(ccls, "GRUCell") || !cJSON_IsObject(cc))
            return GK_FAIL(GRU_E_UNSUPPORTED, "%s: option 'cell': only a single GRUCell is "
                           "supported, got %s", w, ccls ? ccls : "a list or null");
        if ((st = layer_from(c, major, lc, w)) || (st = cell_from(cc, major, &lc->cell, w))) return st;
        return GRU_OK;
    }
    return GK_FAIL(GRU_E_UNSUPPORTED, "%s: layer class '%s' is not supported (GRU, CuDNNGRU, "
                   "RNN(GRUCell) are)", where, cls);
}

static const char *merge_names[] = {"concat", "sum", "mul", "ave"};

/* Fill a node from a non-input layer. */
static gru_status layer_node(mbuild *b, const klayer *l, gru_model_node *nd) {
    char where[128];
    snprintf(where, sizeof where, "layer '%s' (%s)", l->name, l->cls);
    const cJSON *c = l->cfg;
    const char *cls = l->cls;
    gru_status st;
#define NODE(k) gru_model_node_init(nd, (k), l->name)
    if (!strcmp(cls, "GRU") || !strcmp(cls, "CuDNNGRU") || !strcmp(cls, "RNN")) {
        NODE(GRU_NODE_GRU);
        gru_layer_config_init(&nd->gru, 1, 1);
        return gru_by_class(cls, c, b->major, &nd->gru, where);
    }
    if (!strcmp(cls, "Bidirectional")) {
        NODE(GRU_NODE_BIDIRECTIONAL);
        gru_bidirectional_config *bc = &nd->bidirectional;
        if ((st = gru_cfg(jget(c, "layer"), b->major, &bc->layer, where, NULL))) return st;
        const cJSON *bl = jget(c, "backward_layer");
        if (bl && !cJSON_IsNull(bl)) {
            if ((st = gru_cfg(bl, b->major, &bc->backward_layer, where, NULL))) return st;
            bc->has_backward_layer = true;
        }
        const cJSON *mm = jget(c, "merge_mode");
        if (!mm || cJSON_IsNull(mm)) {
            bc->merge_mode = mm ? GRU_MERGE_NONE : GRU_MERGE_CONCAT;
        } else if (!cJSON_IsString(mm)) {
            return bad_type(where, "merge_mode", "a string or null", mm);
        } else {
            int k = 0;
            while (k < 4 && strcmp(merge_names[k], mm->valuestring)) k++;
            if (k == 4)
                return GK_FAIL(GRU_E_UNSUPPORTED, "%s: option 'merge_mode' '%s' is not supported",
                               where, mm->valuestring);
            bc->merge_mode = (gru_merge_mode)k;
        }
        return GRU_OK;
    }
    if (!strcmp(cls, "Dense") || !strcmp(cls, "TimeDistributed")) {
        const cJSON *dc = c;
        if (!strcmp(cls, "TimeDistributed")) {
            NODE(GRU_NODE_TIME_DISTRIBUTED_DENSE);
            const char *icls = NULL;
            if ((st = j_obj(jget(c, "layer"), "layer", where, &icls, &dc))) return st;
            if (!icls || strcmp(icls, "Dense") || !cJSON_IsObject(dc))
                return GK_FAIL(GRU_E_UNSUPPORTED, "%s: option 'layer': only Dense is supported "
                               "inside TimeDistributed, got %s", where, icls ? icls : "none");
        } else {
            NODE(GRU_NODE_DENSE);
        }
        if (!jget(dc, "units")) return GK_FAIL(GRU_E_FORMAT, "%s: key 'units' is missing", where);
        if ((st = j_int(dc, "units", &nd->dense.units, where)) ||
            (st = j_bool(dc, "use_bias", &nd->dense.use_bias, where)) ||
            (st = j_activation(dc, "activation", b->major, &nd->dense.activation, where)))
            return st;
        return GRU_OK;
    }
    if (!strcmp(cls, "Embedding")) {
        NODE(GRU_NODE_EMBEDDING);
        if ((st = j_int(c, "input_dim", &nd->embedding.input_dim, where)) ||
            (st = j_int(c, "output_dim", &nd->embedding.output_dim, where)) ||
            (st = j_bool(c, "mask_zero", &nd->embedding.mask_zero, where)))
            return st;
        const cJSON *sp = jget(c, "sparse");
        if (cJSON_IsTrue(sp)) return GK_FAIL(GRU_E_UNSUPPORTED, "%s: option 'sparse' is not supported", where);
        const cJSON *lr = jget(c, "lora_rank");
        if (lr && !cJSON_IsNull(lr))
            return GK_FAIL(GRU_E_UNSUPPORTED, "%s: option 'lora_rank' is not supported", where);
        return GRU_OK;
    }
    if (!strcmp(cls, "Masking")) {
        NODE(GRU_NODE_MASKING);
        return j_num(c, "mask_value", &nd->mask_value, where);
    }
    if (!strcmp(cls, "Dropout")) {
        NODE(GRU_NODE_DROPOUT);
        return GRU_OK;
    }
    if (!strcmp(cls, "SpatialDropout1D")) {
        NODE(GRU_NODE_SPATIAL_DROPOUT1D);
        return GRU_OK;
    }
    if (!strcmp(cls, "Activation")) {
        NODE(GRU_NODE_ACTIVATION);
        return j_activation(c, "activation", b->major, &nd->activation, where);
    }
    if (!strcmp(cls, "Concatenate")) {
        NODE(GRU_NODE_CONCATENATE);
        return j_int(c, "axis", &nd->axis, where);
    }
    if (!strcmp(cls, "Add")) {
        NODE(GRU_NODE_ADD);
        return GRU_OK;
    }
    if (!strcmp(cls, "Multiply")) {
        NODE(GRU_NODE_MULTIPLY);
        return GRU_OK;
    }
    if (!strcmp(cls, "GlobalAveragePooling1D") || !strcmp(cls, "GlobalMaxPooling1D")) {
        NODE(cls[6] == 'A' ? GRU_NODE_GLOBAL_AVERAGE_POOLING1D : GRU_NODE_GLOBAL_MAX_POOLING1D);
        const char *df = NULL;
        if ((st = j_str(c, "data_format", &df, where)) ||
            (st = j_bool(c, "keepdims", &nd->keepdims, where)))
            return st;
        if (df && strcmp(df, "channels_last"))
            return GK_FAIL(GRU_E_UNSUPPORTED, "%s: option 'data_format' '%s' is not supported",
                           where, df);
        return GRU_OK;
    }
    if (!strcmp(cls, "Flatten")) {
        NODE(GRU_NODE_FLATTEN);
        const char *df = NULL;
        if ((st = j_str(c, "data_format", &df, where))) return st;
        if (df && strcmp(df, "channels_last"))
            return GK_FAIL(GRU_E_UNSUPPORTED, "%s: option 'data_format' '%s' is not supported",
                           where, df);
        return GRU_OK;
    }
    if (!strcmp(cls, "Reshape")) {
        NODE(GRU_NODE_RESHAPE);
        const cJSON *ts = jget(c, "target_shape");
        if (!cJSON_IsArray(ts)) return bad_type(where, "target_shape", "a list", ts);
        const int n = cJSON_GetArraySize(ts);
        if (n < 1 || n > GRU_MODEL_MAX_RANK)
            return GK_FAIL(GRU_E_UNSUPPORTED, "%s: option 'target_shape': rank %d", where, n);
        nd->reshape.rank = (size_t)n;
        for (int k = 0; k < n; k++) {
            int64_t v = 0;
            if (!as_int(cJSON_GetArrayItem(ts, k), &v))
                return bad_type(where, "target_shape", "a list of integers", ts);
            nd->reshape.shape[k] = v;
        }
        return GRU_OK;
    }
    if (!strcmp(cls, "RepeatVector")) {
        NODE(GRU_NODE_REPEAT_VECTOR);
        return j_int(c, "n", &nd->repeat_n, where);
    }
#undef NODE
    return GK_FAIL(GRU_E_UNSUPPORTED, "%s: layer class '%s' is not supported", where, cls);
}

static gru_status read_layers(mbuild *b, const cJSON *list, const char *where) {
    if (!cJSON_IsArray(list)) return bad_type(where, "layers", "a list", list);
    const int n = cJSON_GetArraySize(list);
    b->L = calloc((size_t)n + 1, sizeof *b->L);
    if (!b->L) return GK_FAIL(GRU_E_NOMEM, "gru_keras_config_to_model: out of memory");
    b->nl = (size_t)n;
    for (int i = 0; i < n; i++) {
        const cJSON *e = cJSON_GetArrayItem(list, i);
        klayer *l = &b->L[i];
        const cJSON *cn = jget(e, "class_name"), *cf = jget(e, "config");
        if (!cJSON_IsString(cn))
            return GK_FAIL(GRU_E_FORMAT, "%s: layer %d: 'class_name' must be a string, got %s",
                           where, i, jtype(cn ? cn : e));
        if (!cJSON_IsObject(cf))
            return GK_FAIL(GRU_E_FORMAT, "%s: layer %d (%s): 'config' must be an object, got %s",
                           where, i, cn->valuestring, jtype(cf ? cf : e));
        l->cls = cn->valuestring;
        const cJSON *nm = jget(e, "name");
        if (!cJSON_IsString(nm)) nm = jget(cf, "name");
        if (nm && !cJSON_IsString(nm))
            return GK_FAIL(GRU_E_FORMAT, "%s: layer %d: 'name' must be a string", where, i);
        l->name = nm ? nm->valuestring : "";
        l->cfg = cf;
        l->inbound = jget(e, "inbound_nodes");
        l->node = -1;
    }
    return GRU_OK;
}

static gru_status build_sequential(mbuild *b, const cJSON *cfg) {
    gru_status st;
    const cJSON *list = cJSON_IsArray(cfg) ? cfg : jget(cfg, "layers");
    if ((st = read_layers(b, list, "Sequential"))) return st;
    if (b->nl == 0) return GK_FAIL(GRU_E_FORMAT, "Sequential: the model has no layers");
    size_t prev = 0, first = 0;
    if (!strcmp(b->L[0].cls, "InputLayer")) {
        if ((st = input_node(b, &b->L[0], &prev))) return st;
        b->L[0].node = (long)prev;
        first = 1;
    } else {
        gru_model_node nd;
        gru_model_node_init(&nd, GRU_NODE_INPUT, "input");
        int found = 0;
        char where[128];
        snprintf(where, sizeof where, "layer '%s' (%s)", b->L[0].name, b->L[0].cls);
        if ((st = shape_from(b->L[0].cfg, &nd, where, &found))) return st;
        if (!found) {
            const cJSON *bis = jget(cfg, "build_input_shape");
            if (cJSON_IsArray(bis)) {
                cJSON *tmp = cJSON_CreateObject();
                cJSON_AddItemReferenceToObject(tmp, "batch_input_shape", (cJSON *)bis);
                st = shape_from(tmp, &nd, "Sequential: build_input_shape", &found);
                cJSON_Delete(tmp);
                if (st) return st;
            }
        }
        if (!found)
            return GK_FAIL(GRU_E_UNSUPPORTED, "Sequential: the input shape is unknown (no "
                           "InputLayer, batch_input_shape or build_input_shape)");
        if ((st = push_node(b, &nd, NULL, &prev))) return st;
    }
    for (size_t i = first; i < b->nl; i++) {
        gru_model_node nd;
        if ((st = layer_node(b, &b->L[i], &nd))) return st;
        nd.n_inputs = 1;
        nd.inputs[0].node = prev;
        nd.inputs[0].port = 0;
        if ((st = push_node(b, &nd, b->L[i].cls, &prev))) return st;
        b->L[i].node = (long)prev;
    }
    b->outs = malloc(sizeof *b->outs);
    if (!b->outs) return GK_FAIL(GRU_E_NOMEM, "out of memory");
    b->outs[0].node = prev;
    b->outs[0].port = 0;
    b->n_outs = 1;
    return GRU_OK;
}

static long find_layer(const mbuild *b, const char *name) {
    for (size_t i = 0; i < b->nl; i++)
        if (!strcmp(b->L[i].name, name)) return (long)i;
    return -1;
}

/* A tensor reference: tf-keras ["name", node, tensor(, kwargs)] or Keras 3
 * {"class_name": "__keras_tensor__", "config": {"keras_history": [...]}}.
 * 1 = it is one (name, node index, port set), 0 = not a tensor. */
static int tensor_ref(const cJSON *x, const char **name, int64_t *nidx, int64_t *port) {
    if (cJSON_IsObject(x)) {
        const cJSON *cn = jget(x, "class_name");
        if (!cJSON_IsString(cn) || strcmp(cn->valuestring, "__keras_tensor__")) return 0;
        x = jget(jget(x, "config"), "keras_history");
    }
    if (!cJSON_IsArray(x) || cJSON_GetArraySize(x) < 3) return 0;
    const cJSON *n = cJSON_GetArrayItem(x, 0);
    if (!cJSON_IsString(n)) return 0;
    if (!as_int(cJSON_GetArrayItem(x, 1), nidx) || !as_int(cJSON_GetArrayItem(x, 2), port)) return 0;
    *name = n->valuestring;
    return 1;
}

typedef struct refs {
    size_t n;
    const char *name[GRU_MODEL_MAX_INPUTS];
    int64_t nidx[GRU_MODEL_MAX_INPUTS], port[GRU_MODEL_MAX_INPUTS];
} refs;

static gru_status add_ref(refs *r, const char *name, int64_t nidx, int64_t port, const char *where) {
    if (r->n == GRU_MODEL_MAX_INPUTS)
        return GK_FAIL(GRU_E_UNSUPPORTED, "%s: more than %d inputs", where, GRU_MODEL_MAX_INPUTS);
    r->name[r->n] = name;
    r->nidx[r->n] = nidx;
    r->port[r->n] = port;
    r->n++;
    return GRU_OK;
}

/* Collect the tensors of a value (a tensor, or a list of them, recursively). */
static gru_status collect(const cJSON *x, refs *r, const char *where, int depth) {
    const char *name;
    int64_t ni, p;
    if (depth > 4) return GRU_OK;
    if (tensor_ref(x, &name, &ni, &p)) return add_ref(r, name, ni, p, where);
    if (cJSON_IsArray(x)) {
        const cJSON *e;
        cJSON_ArrayForEach(e, x) {
            gru_status st = collect(e, r, where, depth + 1);
            if (st) return st;
        }
    }
    return GRU_OK;
}

/* The inputs of the layer's single call. */
static gru_status inbound_refs(const klayer *l, refs *r, const char *where) {
    memset(r, 0, sizeof *r);
    const cJSON *ib = l->inbound;
    if (!cJSON_IsArray(ib) || cJSON_GetArraySize(ib) == 0)
        return GK_FAIL(GRU_E_FORMAT, "%s: 'inbound_nodes' is missing or empty", where);
    if (cJSON_GetArraySize(ib) > 1)
        return GK_FAIL(GRU_E_UNSUPPORTED, "%s: the layer is called %d times (shared layers are "
                       "not supported)", where, cJSON_GetArraySize(ib));
    const cJSON *call = cJSON_GetArrayItem(ib, 0);
    gru_status st;
    if (cJSON_IsObject(call)) { /* Keras 3: {"args": [...], "kwargs": {...}} */
        if ((st = collect(jget(call, "args"), r, where, 0))) return st;
        const cJSON *kw = jget(call, "kwargs");
        if ((st = collect(jget(kw, "initial_state"), r, where, 0))) return st;
        return GRU_OK;
    }
    if (!cJSON_IsArray(call)) return bad_type(where, "inbound_nodes", "a list of calls", call);
    const cJSON *e;
    cJSON_ArrayForEach(e, call) {
        const char *name;
        int64_t ni, p;
        if (!tensor_ref(e, &name, &ni, &p))
            return GK_FAIL(GRU_E_FORMAT, "%s: an inbound tensor is not [name, node, tensor, "
                           "kwargs]", where);
        if ((st = add_ref(r, name, ni, p, where))) return st;
        const cJSON *kw = cJSON_GetArrayItem(e, 3);
        if (cJSON_IsObject(kw) && (st = collect(jget(kw, "initial_state"), r, where, 0))) return st;
    }
    return GRU_OK;
}

static int is_op_layer(const char *cls) {
    /* Keras 3 functional graphs record the mask of Embedding(mask_zero) as an
     * op layer (NotEqual) that only feeds `mask` keyword arguments; libgru
     * derives masks itself. */
    return !strcmp(cls, "NotEqual");
}

static gru_status resolve(mbuild *b, const char *name, int64_t nidx, int64_t port,
                          gru_model_ref *ref, const char *where, int *pending) {
    const long li = find_layer(b, name);
    if (li < 0) return GK_FAIL(GRU_E_FORMAT, "%s: unknown layer '%s' referenced", where, name);
    if (nidx != 0)
        return GK_FAIL(GRU_E_UNSUPPORTED, "%s: reference to call %lld of layer '%s' (shared "
                       "layers are not supported)", where, (long long)nidx, name);
    if (b->L[li].node == -2)
        return GK_FAIL(GRU_E_UNSUPPORTED, "%s: input from op layer '%s' (%s) is not supported",
                       where, name, b->L[li].cls);
    if (b->L[li].node < 0) {
        *pending = 1;
        return GRU_OK;
    }
    if (port < 0 || port >= 4) return GK_FAIL(GRU_E_FORMAT, "%s: tensor index %lld", where, (long long)port);
    ref->node = (size_t)b->L[li].node;
    ref->port = (size_t)port;
    return GRU_OK;
}

static gru_status io_list(mbuild *b, const cJSON *x, const char *key, refs *r) {
    memset(r, 0, sizeof *r);
    const char *name;
    int64_t ni, p;
    if (tensor_ref(x, &name, &ni, &p)) return add_ref(r, name, ni, p, key);
    if (!cJSON_IsArray(x)) return bad_type("Functional", key, "a list", x);
    const cJSON *e;
    cJSON_ArrayForEach(e, x) {
        if (!tensor_ref(e, &name, &ni, &p))
            return GK_FAIL(GRU_E_FORMAT, "Functional: '%s' entries must be [name, node, tensor]", key);
        gru_status st = add_ref(r, name, ni, p, key);
        if (st) return st;
    }
    (void)b;
    return GRU_OK;
}

static gru_status build_functional(mbuild *b, const cJSON *cfg) {
    gru_status st;
    if ((st = read_layers(b, jget(cfg, "layers"), "Functional"))) return st;
    for (size_t i = 0; i < b->nl; i++) {
        if (!strcmp(b->L[i].cls, "Sequential") || !strcmp(b->L[i].cls, "Functional") ||
            !strcmp(b->L[i].cls, "Model"))
            return GK_FAIL(GRU_E_UNSUPPORTED, "layer '%s' (%s): nested models are not supported",
                           b->L[i].name, b->L[i].cls);
        if (is_op_layer(b->L[i].cls)) b->L[i].node = -2;
    }
    /* place layers whose inputs are placed, until none is left */
    size_t left = b->nl;
    for (size_t i = 0; i < b->nl; i++)
        if (b->L[i].node == -2) left--;
    while (left > 0) {
        size_t placed = 0;
        for (size_t i = 0; i < b->nl; i++) {
            klayer *l = &b->L[i];
            if (l->node != -1) continue;
            char where[128];
            snprintf(where, sizeof where, "layer '%s' (%s)", l->name, l->cls);
            size_t idx;
            if (!strcmp(l->cls, "InputLayer")) {
                if ((st = input_node(b, l, &idx))) return st;
                l->node = (long)idx;
                placed++;
                continue;
            }
            refs r;
            if ((st = inbound_refs(l, &r, where))) return st;
            gru_model_node nd;
            int pending = 0;
            gru_model_ref in[GRU_MODEL_MAX_INPUTS];
            for (size_t k = 0; k < r.n; k++)
                if ((st = resolve(b, r.name[k], r.nidx[k], r.port[k], &in[k], where, &pending)))
                    return st;
            if (pending) continue;
            if ((st = layer_node(b, l, &nd))) return st;
            nd.n_inputs = r.n;
            memcpy(nd.inputs, in, r.n * sizeof in[0]);
            if ((st = push_node(b, &nd, l->cls, &idx))) return st;
            l->node = (long)idx;
            placed++;
        }
        if (!placed) {
            for (size_t i = 0; i < b->nl; i++)
                if (b->L[i].node == -1)
                    return GK_FAIL(GRU_E_FORMAT, "layer '%s' (%s): its inputs never become "
                                   "available (a cycle or a missing layer)", b->L[i].name,
                                   b->L[i].cls);
        }
        left -= placed;
    }
    refs r;
    if ((st = io_list(b, jget(cfg, "output_layers"), "output_layers", &r))) return st;
    b->outs = calloc(r.n + 1, sizeof *b->outs);
    if (!b->outs) return GK_FAIL(GRU_E_NOMEM, "out of memory");
    for (size_t k = 0; k < r.n; k++) {
        int pending = 0;
        if ((st = resolve(b, r.name[k], r.nidx[k], r.port[k], &b->outs[k], "output_layers",
                          &pending)))
            return st;
    }
    b->n_outs = r.n;
    /* model inputs are the Input nodes in node order; Keras' input_layers
     * order must agree */
    refs ri;
    if ((st = io_list(b, jget(cfg, "input_layers"), "input_layers", &ri))) return st;
    size_t k = 0;
    for (size_t i = 0; i < b->n && k < ri.n; i++) {
        if (b->nodes[i].kind != GRU_NODE_INPUT) continue;
        if (strcmp(b->nodes[i].name, ri.name[k]))
            return GK_FAIL(GRU_E_UNSUPPORTED, "Functional: input_layers order (%s first) differs "
                           "from the layer order (%s)", ri.name[k], b->nodes[i].name);
        k++;
    }
    return GRU_OK;
}

/* Keras 3 configs: InputLayer 'batch_shape', 'keras_history' references,
 * DTypePolicy objects. */
static int looks_keras3(const char *json, size_t len) {
    static const char *const marks[] = {"\"batch_shape\"", "\"keras_history\"", "\"DTypePolicy\""};
    for (size_t m = 0; m < 3; m++) {
        const size_t ml = strlen(marks[m]);
        for (size_t i = 0; i + ml <= len; i++)
            if (json[i] == '"' && !memcmp(json + i, marks[m], ml)) return 1;
    }
    return 0;
}

gru_status gru__keras_config_to_model(const char *json, size_t len, gru_dtype dtype,
                              const gru_keras_options *opt, int keras_major, gru_model **out,
                              gru_keras_file_info *info, gk_layer_map *map) {
    static const char fn[] = "gru_keras_config_to_model";
    if (!out) return GK_FAIL(GRU_E_NULL, "%s: argument 'out' is NULL", fn);
    *out = NULL;
    if (dtype != GRU_F32 && dtype != GRU_F64)
        return GK_FAIL(GRU_E_DTYPE, "%s: argument 'dtype' must be GRU_F32 or GRU_F64", fn);
    cJSON *root;
    gru_status st = parse_text(json, len, &root, fn);
    if (st) return st;
    mbuild b;
    memset(&b, 0, sizeof b);
    const cJSON *kv = jget(root, "keras_version");
    if (opt && opt->keras_major) b.major = opt->keras_major;
    else if (keras_major) b.major = keras_major;
    else if (cJSON_IsString(kv) && gru__keras_version_major(kv->valuestring)) b.major = gru__keras_version_major(kv->valuestring);
    else b.major = looks_keras3(json, len) ? 3 : 2;
    if (info && cJSON_IsString(kv) && !info->keras_version[0])
        snprintf(info->keras_version, sizeof info->keras_version, "%s", kv->valuestring);
    if (info) {
        info->keras_major = b.major;
        if (!info->format[0]) snprintf(info->format, sizeof info->format, "json");
    }
    const cJSON *cn = jget(root, "class_name"), *cfg = jget(root, "config");
    if (!cJSON_IsString(cn)) {
        st = GK_FAIL(GRU_E_FORMAT, "%s: the model config has no 'class_name' string", fn);
    } else if (!cJSON_IsObject(cfg) && !cJSON_IsArray(cfg)) {
        st = GK_FAIL(GRU_E_FORMAT, "%s: the model config has no 'config' object", fn);
    } else if (!strcmp(cn->valuestring, "Sequential")) {
        st = build_sequential(&b, cfg);
    } else if (!strcmp(cn->valuestring, "Functional") || !strcmp(cn->valuestring, "Model")) {
        st = build_functional(&b, cfg);
    } else {
        st = GK_FAIL(GRU_E_UNSUPPORTED, "%s: model class '%s' is not supported (Sequential and "
                     "Functional are)", fn, cn->valuestring);
    }
    /* extra outputs: named layers' port 0 */
    if (!st && opt && opt->n_extra_outputs) {
        if (!opt->extra_outputs) {
            st = GK_FAIL(GRU_E_NULL, "%s: opt->extra_outputs is NULL", fn);
        } else {
            gru_model_ref *o = realloc(b.outs, (b.n_outs + opt->n_extra_outputs) * sizeof *o);
            if (!o) {
                st = GK_FAIL(GRU_E_NOMEM, "out of memory");
            } else {
                b.outs = o;
                for (size_t k = 0; k < opt->n_extra_outputs && !st; k++) {
                    const char *nm = opt->extra_outputs[k];
                    size_t i = 0;
                    while (nm && i < b.n && strcmp(b.nodes[i].name ? b.nodes[i].name : "", nm)) i++;
                    if (!nm || i == b.n)
                        st = GK_FAIL(GRU_E_NAME, "%s: extra output '%s': no such layer", fn,
                                     nm ? nm : "(null)");
                    else
                        b.outs[b.n_outs++] = (gru_model_ref){i, 0};
                }
            }
        }
    }
    if (!st) st = gru_model_create(b.nodes, b.n, b.outs, b.n_outs, dtype, out);
    if (!st && map) {
        map->n = b.n;
        map->cls = b.cls;
        b.cls = NULL;
    }
    if (b.cls)
        for (size_t i = 0; i < b.n; i++) free(b.cls[i]);
    free(b.cls);
    free(b.nodes);
    free(b.L);
    free(b.outs);
    cJSON_Delete(root);
    return st;
}

gru_status gru_keras_config_to_model(const char *json, size_t len, gru_dtype dtype,
                                     const gru_keras_options *opt, gru_model **out,
                                     gru_keras_file_info *info) {
    if (info) memset(info, 0, sizeof *info);
    return gru__keras_config_to_model(json, len, dtype, opt, 0, out, info, NULL);
}

#endif /* GRU_HAVE_JSON */
