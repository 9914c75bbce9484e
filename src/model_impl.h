/* The element-wise parts of the model's nodes, written once for both element
 * types. Included by model.c with T (float or double) and SUF(name). */

/* Masking: mask[r] = any(x[r,:] != mask_value); y = x * mask. The comparison
 * is in T, as Keras compares against mask_value cast to the tensor dtype. */
static void SUF(mdl_masking)(size_t rows, size_t F, double mask_value, const T *x, T *y,
                             uint8_t *mask) {
    const T mv = (T)mask_value;
    for (size_t r = 0; r < rows; r++) {
        const T *xr = x + r * F;
        int any = 0;
        for (size_t j = 0; j < F; j++)
            if (xr[j] != mv) any = 1;
        const T m = any ? (T)1 : (T)0;
        for (size_t j = 0; j < F; j++) y[r * F + j] = xr[j] * m;
        mask[r] = (uint8_t)any;
    }
}

/* Embedding of float ids: Keras casts them to int32 (truncation toward zero)
 * and derives the mask from the uncast values. Returns the position of the
 * first id outside [0, vocab) (rows if none). */
static size_t SUF(mdl_embed_float)(size_t rows, const T *ids, const T *table, size_t vocab,
                                   size_t D, T *y, uint8_t *mask) {
    for (size_t r = 0; r < rows; r++) {
        const T v = ids[r];
        if (!(v > (T)-1 && v < (T)vocab)) return r;
        const size_t id = (size_t)(int64_t)v;
        memcpy(y + r * D, table + id * D, D * sizeof(T));
        if (mask) mask[r] = (uint8_t)(v != (T)0);
    }
    return rows;
}

static size_t SUF(mdl_embed_int)(size_t rows, const int64_t *ids, const T *table, size_t vocab,
                                 size_t D, T *y, uint8_t *mask) {
    for (size_t r = 0; r < rows; r++) {
        const int64_t v = ids[r];
        if (v < 0 || (uint64_t)v >= (uint64_t)vocab) return r;
        memcpy(y + r * D, table + (size_t)v * D, D * sizeof(T));
        if (mask) mask[r] = (uint8_t)(v != 0);
    }
    return rows;
}

/* Add / Multiply: out = in[0]; out (op)= in[i] for i = 1.., as Keras' _merge_function. */
static void SUF(mdl_merge)(int mul, size_t n_in, const T *const *in, size_t count, T *y) {
    if (y != in[0]) memcpy(y, in[0], count * sizeof(T));
    for (size_t i = 1; i < n_in; i++) {
        const T *a = in[i];
        if (mul)
            for (size_t k = 0; k < count; k++) y[k] = y[k] * a[k];
        else
            for (size_t k = 0; k < count; k++) y[k] = y[k] + a[k];
    }
}

/* GlobalAveragePooling1D over (B, T, F): mean over the steps, or with a mask
 * sum(x * m) / sum(m) (NaN when no step is valid, as 0/0 in Keras). */
static void SUF(mdl_gap)(size_t B, size_t Ts, size_t F, const T *x, const uint8_t *mask, T *y) {
    for (size_t b = 0; b < B; b++) {
        T cnt = (T)0;
        if (mask)
            for (size_t t = 0; t < Ts; t++) cnt += mask[b * Ts + t] ? (T)1 : (T)0;
        for (size_t j = 0; j < F; j++) {
            double s = 0.0;
            for (size_t t = 0; t < Ts; t++) {
                T v = x[(b * Ts + t) * F + j];
                if (mask) v = v * (mask[b * Ts + t] ? (T)1 : (T)0);
                s += (double)v;
            }
            y[b * F + j] = mask ? (T)s / cnt : (T)(s / (double)Ts);
        }
    }
}

/* GlobalMaxPooling1D over (B, T, F) (the mask is not used, as in Keras). */
static void SUF(mdl_gmp)(size_t B, size_t Ts, size_t F, const T *x, T *y) {
    for (size_t b = 0; b < B; b++)
        for (size_t j = 0; j < F; j++) {
            T m = x[b * Ts * F + j];
            for (size_t t = 1; t < Ts; t++) {
                const T v = x[(b * Ts + t) * F + j];
                if (v > m || v != v) m = v;
            }
            y[b * F + j] = m;
        }
}
