/* Bidirectional's merge, written once for both element types. Included by
 * bidirectional.c with T and SUF(name).
 *
 * yf holds the forward layer's rows, yb the backward layer's, both in the
 * call's layout: (B,T,U) or (T,B,U) with return_sequences, else (B,U), which
 * is the same code with steps = 1. Row (t, b) of the result takes yf's row
 * (t, b) and yb's row (steps-1-t, b): Keras reverses the backward sequence in
 * time before merging. With sum/mul/ave yf may be `out` itself (the rows line
 * up one to one, so the update is in place). */

static void SUF(gru__bi_merge)(gru_merge_mode mode, int time_major, size_t B, size_t steps,
                               size_t Uf, size_t Ub, const T *yf, const T *yb, T *out) {
    const size_t W = mode == GRU_MERGE_CONCAT ? Uf + Ub : mode == GRU_MERGE_NONE ? Ub : Uf;
    for (size_t t = 0; t < steps; t++) {
        const size_t tr = steps - 1 - t;
        for (size_t b = 0; b < B; b++) {
            const size_t r = time_major ? t * B + b : b * steps + t;
            const size_t rr = time_major ? tr * B + b : b * steps + tr;
            const T *f = yf ? yf + r * Uf : NULL;
            const T *g = yb + rr * Ub;
            T *o = out + r * W;
            switch (mode) {
            case GRU_MERGE_CONCAT:
                memcpy(o, f, Uf * sizeof(T));
                memcpy(o + Uf, g, Ub * sizeof(T));
                break;
            case GRU_MERGE_SUM:
                for (size_t j = 0; j < Uf; j++) o[j] = f[j] + g[j];
                break;
            case GRU_MERGE_MUL:
                for (size_t j = 0; j < Uf; j++) o[j] = f[j] * g[j];
                break;
            case GRU_MERGE_AVE: /* Keras: (y + y_rev) / 2, in the dtype */
                for (size_t j = 0; j < Uf; j++) o[j] = (f[j] + g[j]) / (T)2;
                break;
            case GRU_MERGE_NONE: /* the backward output alone, reversed */
                memcpy(o, g, Ub * sizeof(T));
                break;
            }
        }
    }
}
