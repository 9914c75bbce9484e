/* Dense forward and backward rows, written once for both element types.
 * Included by dense.c with T (float or double), SUF(name), DT (the dtype),
 * VECMAT (the kernel entry) and ACT_ROW (the row activation). */

/* y = act(x·W + b) for `rows` rows; pre (may be NULL) keeps x·W + b; acc:
 * U doubles of scratch (the handle's, or a thread's own). */
static void SUF(dense_fwd)(const gru_dense *d, size_t rows, const T *x, T *y, T *pre,
                           double *acc) {
    const size_t F = d->F, U = d->U;
    const T *W = (const T *)d->kernel, *b = (const T *)d->bias;
    for (size_t r = 0; r < rows; r++) {
        T *z = pre ? pre + r * U : y + r * U;
        VECMAT(F, U, x + r * F, W, U, b, acc, z);
        if (d->cfg.activation.kind == GRU_ACT_LINEAR) {
            if (z != y + r * U) memcpy(y + r * U, z, U * sizeof(T));
        } else {
            ACT_ROW(&d->cfg.activation, U, z, y + r * U);
        }
    }
}

/* dx = dz·W^T per row, dW += x^T·dz and db += sum_rows dz, the sums over
 * rows accumulated in double (d->gacc) and added to the gradients once. */
static gru_status SUF(dense_bwd)(gru_dense *d, size_t rows, const T *x, const T *pre,
                                 const T *y, const T *dy, T *dx, T *gk, T *gb) {
    const size_t F = d->F, U = d->U;
    const T *W = (const T *)d->kernel;
    const int linear = d->cfg.activation.kind == GRU_ACT_LINEAR;
    T *dz = (T *)d->row;
    double *gacc = d->gacc;
    if (gk || gb) memset(gacc, 0, (F * U + U) * sizeof(double));
    for (size_t r = 0; r < rows; r++) {
        const T *dyr = dy + r * U;
        if (linear) {
            memcpy(dz, dyr, U * sizeof(T));
        } else {
            gru_status s = gru_activation_grad(&d->cfg.activation, DT, 1, U, pre + r * U,
                                               y + r * U, dyr, dz);
            if (s) return s;
        }
        const T *xr = x + r * F;
        if (gk) {
            for (size_t k = 0; k < F; k++) {
                const double xk = (double)xr[k];
                double *row = gacc + k * U;
                for (size_t j = 0; j < U; j++) row[j] += xk * (double)dz[j];
            }
        }
        if (gb)
            for (size_t j = 0; j < U; j++) gacc[F * U + j] += (double)dz[j];
        if (dx) {
            T *dxr = dx + r * F;
            for (size_t k = 0; k < F; k++) {
                double s = 0.0;
                const T *wk = W + k * U;
                for (size_t j = 0; j < U; j++) s += (double)dz[j] * (double)wk[j];
                dxr[k] = (T)s;
            }
        }
    }
    if (gk)
        for (size_t i = 0; i < F * U; i++) gk[i] = (T)((double)gk[i] + gacc[i]);
    if (gb)
        for (size_t j = 0; j < U; j++) gb[j] = (T)((double)gb[j] + gacc[F * U + j]);
    return GRU_OK;
}
