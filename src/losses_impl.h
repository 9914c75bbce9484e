/* Loss values and gradients, written once for both element types. Included
 * by losses.c with T, SUF(name), LOG, EXP, LOG1P for that type.
 *
 * Element-wise arithmetic is done in T, as TF does; sums over a row and over
 * the batch are accumulated in double and rounded to T once (TF's reductions
 * sum in T; the difference is a few ulps). g is d(reduced loss)/d(row loss)
 * for the row: sample weight times 1/rows (sum_over_batch_size) or 1. */

/* Row loss of one row; writes the row's gradient (times g) into dp when not
 * NULL. t: n labels (sparse: t[0] is the class index). */
static T SUF(loss_row)(const gru_loss_config *c, size_t n, const T *t, const T *p, double g,
                       T *dp) {
    const T eps = (T)1e-7, one = (T)1;
    const T ls = (T)c->label_smoothing;
    double sum = 0.0;
    switch (c->kind) {
    case GRU_LOSS_MSE:
        for (size_t j = 0; j < n; j++) {
            const T d = p[j] - t[j];
            sum += (double)(T)(d * d);
            if (dp) dp[j] = (T)(2.0 * (double)d * g / (double)n);
        }
        return (T)(sum / (double)n);
    case GRU_LOSS_BCE:
        for (size_t j = 0; j < n; j++) {
            T y = t[j];
            if (ls != (T)0) y = y * (one - ls) + (T)0.5 * ls;
            if (c->from_logits) {
                /* TF's sigmoid_cross_entropy_with_logits */
                const T x = p[j];
                const int pos = x >= (T)0;
                const T relu = pos ? x : (T)0, nabs = pos ? -x : x;
                const T u = EXP(nabs);
                const T e = (relu - x * y) + LOG1P(u);
                sum += (double)e;
                if (dp) {
                    const double du = (double)u / (1.0 + (double)u);
                    dp[j] = (T)(g / (double)n * ((pos ? 1.0 : 0.0) - (double)y +
                                                  (pos ? -du : du)));
                }
            } else {
                const T hi = one - eps;
                const T pc = p[j] < eps ? eps : p[j] > hi ? hi : p[j];
                const T a = LOG(pc + eps), b = LOG(one - pc + eps);
                T bce = y * a;
                bce += (one - y) * b;
                sum += (double)(-bce);
                if (dp) {
                    const int inside = p[j] >= eps && p[j] <= hi;
                    const double d = -(double)y / (double)(pc + eps) +
                                     (double)(one - y) / (double)(one - pc + eps);
                    dp[j] = inside ? (T)(g / (double)n * d) : (T)0;
                }
            }
        }
        return (T)(sum / (double)n);
    case GRU_LOSS_CCE:
        if (c->from_logits) {
            /* TF's softmax_cross_entropy_with_logits kernel */
            T m = p[0];
            for (size_t j = 1; j < n; j++) m = p[j] > m ? p[j] : m;
            double se = 0.0;
            for (size_t j = 0; j < n; j++) se += (double)EXP(p[j] - m);
            const T lse = LOG((T)se);
            for (size_t j = 0; j < n; j++) {
                T y = t[j];
                if (ls != (T)0) y = y * (one - ls) + ls / (T)n;
                sum += (double)(y * (lse - (p[j] - m)));
                if (dp) dp[j] = (T)(g * ((double)EXP(p[j] - m) / se - (double)y));
            }
            return (T)sum;
        } else {
            double S = 0.0;
            for (size_t j = 0; j < n; j++) S += (double)p[j];
            const T St = (T)S, hi = one - eps;
            double corr = 0.0; /* sum_j gq_j * p_j for the gradient of 1/S */
            for (size_t j = 0; j < n; j++) {
                T y = t[j];
                if (ls != (T)0) y = y * (one - ls) + ls / (T)n;
                const T q = p[j] / St;
                const T qc = q < eps ? eps : q > hi ? hi : q;
                sum += (double)(y * LOG(qc));
                if (dp) {
                    const double gq = (q >= eps && q <= hi) ? -g * (double)y / (double)qc : 0.0;
                    corr += gq * (double)p[j];
                    dp[j] = (T)gq; /* finished below */
                }
            }
            if (dp) {
                const double Sd = (double)St;
                for (size_t j = 0; j < n; j++)
                    dp[j] = (T)((double)dp[j] / Sd - corr / (Sd * Sd));
            }
            return (T)(-sum);
        }
    case GRU_LOSS_SPARSE_CCE: {
        /* logits = y_pred, or log(clip(y_pred)); then TF's
         * sparse_softmax_cross_entropy_with_logits. The row is not
         * renormalised: the softmax of log(p) divides by sum(p). */
        const size_t k = (size_t)t[0];
        const T hi = one - eps;
        T m = (T)0;
        for (size_t j = 0; j < n; j++) {
            T l = p[j];
            if (!c->from_logits) l = LOG(l < eps ? eps : l > hi ? hi : l);
            if (j == 0 || l > m) m = l;
        }
        double se = 0.0;
        T lk = (T)0;
        for (size_t j = 0; j < n; j++) {
            T l = p[j];
            if (!c->from_logits) l = LOG(l < eps ? eps : l > hi ? hi : l);
            se += (double)EXP(l - m);
            if (j == k) lk = l - m;
        }
        const T loss = LOG((T)se) - lk;
        if (dp) {
            for (size_t j = 0; j < n; j++) {
                T l = p[j];
                const T pc = p[j] < eps ? eps : p[j] > hi ? hi : p[j];
                if (!c->from_logits) l = LOG(pc);
                double d = g * ((double)EXP(l - m) / se - (j == k ? 1.0 : 0.0));
                if (!c->from_logits) d = (p[j] >= eps && p[j] <= hi) ? d / (double)pc : 0.0;
                dp[j] = (T)d;
            }
        }
        return loss;
    }
    }
    return (T)0;
}

/* denom: the batch size sum_over_batch_size divides by (rows, or the whole
 * batch's rows when these rows are one shard of it); *raw (NULL ok): the
 * weighted row losses' sum before the reduction. */
static void SUF(loss_all)(const gru_loss_config *c, size_t rows, size_t n, const T *yt,
                          const T *yp, const T *sw, double denom, double *loss, double *per_row,
                          T *dp, double *raw) {
    const size_t tn = c->kind == GRU_LOSS_SPARSE_CCE ? 1 : n;
    const double scale =
        c->reduction == GRU_REDUCTION_SUM_OVER_BATCH_SIZE ? 1.0 / denom : 1.0;
    double total = 0.0;
    for (size_t r = 0; r < rows; r++) {
        const double w = sw ? (double)sw[r] : 1.0;
        const T l = SUF(loss_row)(c, n, yt + r * tn, yp + r * n, w * scale,
                                  dp ? dp + r * n : NULL);
        const T lw = sw ? l * sw[r] : l;
        if (per_row) per_row[r] = (double)lw;
        total += (double)lw;
    }
    if (raw) *raw = total;
    if (c->reduction == GRU_REDUCTION_SUM_OVER_BATCH_SIZE) total = (double)(T)total / denom;
    *loss = (double)(T)total;
}
