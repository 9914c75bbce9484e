/* Bidirectional's merge, backwards, written once for both element types.
 * Included by bidirectional_backward.c with T and SUF(name).
 *
 * The inverse of bidirectional_impl.h's merge: row (t, b) of the merged
 * gradient d goes to the forward layer's row (t, b) and to the backward
 * layer's row (steps-1-t, b), its processing order (Keras reversed that
 * layer's output in time before merging). yf / yb are the recorded
 * directional outputs in the same layouts (only 'mul' reads them); d_bwd is
 * the gradient of output_backward (only merge None). */

static void SUF(gru__bi_unmerge)(gru_merge_mode mode, int time_major, size_t B, size_t steps,
                                 size_t Uf, size_t Ub, const T *d, const T *d_bwd, const T *yf,
                                 const T *yb, T *dyf, T *dyb) {
    const size_t W = mode == GRU_MERGE_CONCAT ? Uf + Ub : Uf;
    for (size_t t = 0; t < steps; t++) {
        const size_t tr = steps - 1 - t;
        for (size_t b = 0; b < B; b++) {
            const size_t r = time_major ? t * B + b : b * steps + t;
            const size_t rr = time_major ? tr * B + b : b * steps + tr;
            const T *g = d + r * W;
            T *df = dyf + r * Uf, *db = dyb + rr * Ub;
            switch (mode) {
            case GRU_MERGE_CONCAT: /* [fwd, bwd] */
                memcpy(df, g, Uf * sizeof(T));
                memcpy(db, g + Uf, Ub * sizeof(T));
                break;
            case GRU_MERGE_SUM: /* fwd + bwd */
                memcpy(df, g, Uf * sizeof(T));
                memcpy(db, g, Uf * sizeof(T));
                break;
            case GRU_MERGE_AVE: /* (fwd + bwd) / 2 */
                for (size_t j = 0; j < Uf; j++) df[j] = db[j] = g[j] * (T)0.5;
                break;
            case GRU_MERGE_MUL: { /* fwd * bwd */
                const T *f = yf + r * Uf, *v = yb + rr * Ub;
                for (size_t j = 0; j < Uf; j++) {
                    df[j] = g[j] * v[j];
                    db[j] = g[j] * f[j];
                }
                break;
            }
            case GRU_MERGE_NONE: /* output = fwd, output_backward = reversed bwd */
                memcpy(df, g, Uf * sizeof(T));
                memcpy(db, d_bwd + r * Ub, Ub * sizeof(T));
                break;
            }
        }
    }
}

/* dst += a (n elements). */
static void SUF(gru__bi_add)(size_t n, const T *a, T *dst) {
    for (size_t i = 0; i < n; i++) dst[i] += a[i];
}
