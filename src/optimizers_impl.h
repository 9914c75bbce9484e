/* One optimizer step (Keras' apply_gradients), written once for both
 * element types. Included by optimizers.c with T, SUF(name), SQRT and POW.
 *
 * Every expression mirrors tf-keras 2.21's update_step and TF's clip ops
 * operation by operation, in T: constants are the hyperparameters as TF
 * turns them into tensors of the variable's dtype (see gru__opt_consts). */

/* Sum of g*g in T, left to right (TF's reduce_sum order differs only in the
 * rounding of the sum). */
static T SUF(sumsq)(const T *g, size_t n) {
    T s = 0;
    for (size_t j = 0; j < n; j++) s += g[j] * g[j];
    return s;
}

/* Step 1: gradient clipping, into the scratch (the caller's gradients are
 * only read). */
static void SUF(clip)(const gru_optimizer *o, const gru__opt_consts *k,
                      const void *const *grads) {
    const size_t n_vars = o->n_vars;
    T *scratch = (T *)o->scratch;
    if (k->mode == GRU__CLIP_NONE) return;
    if (k->mode == GRU__CLIP_NORM) {
        /* tf.clip_by_norm: l2sum = sum(g*g); l2norm = l2sum > 0 ? sqrt : l2sum;
         * (g * c) / max(l2norm, c), applied whatever the norm. */
        const T c = (T)k->clip;
        for (size_t i = 0; i < n_vars; i++) {
            const T *g = (const T *)grads[i];
            T *out = scratch + o->offsets[i];
            const size_t n = o->sizes[i];
            const T l2sum = SUF(sumsq)(g, n);
            const T l2norm = l2sum > 0 ? SQRT(l2sum) : l2sum;
            const T den = l2norm > c ? l2norm : c;
            for (size_t j = 0; j < n; j++) out[j] = (g[j] * c) / den;
        }
        return;
    }
    if (k->mode == GRU__CLIP_GLOBAL) {
        /* tf.clip_by_global_norm: N = sqrt(sum_i l2_loss(g_i) * 2) with
         * l2_loss = sum(g*g) * 0.5; scale = c * min(1/N, 1/c) + (N - N). */
        const T c = (T)k->clip;
        T half = 0;
        for (size_t i = 0; i < n_vars; i++)
            half += SUF(sumsq)((const T *)grads[i], o->sizes[i]) * (T)0.5;
        const T norm = SQRT(half * (T)2);
        const T inv_n = (T)1 / norm, inv_c = (T)1 / c;
        const T scale = c * (inv_n < inv_c ? inv_n : inv_c) + (norm - norm);
        for (size_t i = 0; i < n_vars; i++) {
            const T *g = (const T *)grads[i];
            T *out = scratch + o->offsets[i];
            for (size_t j = 0; j < o->sizes[i]; j++) out[j] = g[j] * scale;
        }
        return;
    }
    /* tf.clip_by_value(g, -c, c) = maximum(minimum(g, c), -c) */
    const T c = (T)k->clip, mc = (T)-k->clip;
    for (size_t i = 0; i < n_vars; i++) {
        const T *g = (const T *)grads[i];
        T *out = scratch + o->offsets[i];
        for (size_t j = 0; j < o->sizes[i]; j++) {
            const T a = g[j] < c ? g[j] : c;
            out[j] = a > mc ? a : mc;
        }
    }
}

/* The gradient of variable i after clipping. */
#define GRAD(i) \
    (k->mode == GRU__CLIP_NONE ? (const T *)grads[i] : (const T *)o->scratch + o->offsets[i])

static void SUF(opt_step)(gru_optimizer *o, const gru__opt_consts *k, void *const *vars,
                          const void *const *grads) {
    SUF(clip)(o, k, grads);
    const T lr = (T)k->lr;

    /* Step 2: decoupled weight decay, before the update: w -= w * wd * lr. */
    if (k->weight_decay_on) {
        const T wd = (T)k->wd;
        for (size_t i = 0; i < o->n_vars; i++) {
            T *w = (T *)vars[i];
            for (size_t j = 0; j < o->sizes[i]; j++) w[j] = w[j] - w[j] * wd * lr;
        }
    }

    /* Step 3: the update. */
    const T one = 1;
    const T step = (T)(o->iterations + 1); /* tf.cast(iterations + 1, dtype) */
    T *s0 = (T *)o->slots[0], *s1 = (T *)o->slots[1], *s2 = (T *)o->slots[2];
    switch (o->cfg.kind) {
    case GRU_OPT_SGD: {
        const T mom = (T)k->momentum;
        const int nesterov = o->cfg.nesterov;
        for (size_t i = 0; i < o->n_vars; i++) {
            const T *g = GRAD(i);
            T *w = (T *)vars[i], *m = s0 + o->offsets[i];
            for (size_t j = 0; j < o->sizes[i]; j++) {
                m[j] = -g[j] * lr + m[j] * mom;
                if (nesterov) w[j] = w[j] + (-g[j] * lr + m[j] * mom);
                else w[j] = w[j] + m[j];
            }
        }
        break;
    }
    case GRU_OPT_ADAM: {
        const T b1p = POW((T)k->beta_1_cast, step), b2p = POW((T)k->beta_2_cast, step);
        const T alpha = lr * SQRT(one - b2p) / (one - b1p);
        const T eps = o->cfg.adaptive_epsilon ? (T)k->epsilon * SQRT(one - b2p) : (T)k->epsilon;
        const T omb1 = (T)k->one_minus_beta_1, omb2 = (T)k->one_minus_beta_2;
        const int ams = o->cfg.amsgrad;
        for (size_t i = 0; i < o->n_vars; i++) {
            const T *g = GRAD(i);
            T *w = (T *)vars[i], *m = s0 + o->offsets[i], *v = s1 + o->offsets[i];
            T *vh = ams ? s2 + o->offsets[i] : NULL;
            for (size_t j = 0; j < o->sizes[i]; j++) {
                m[j] = m[j] + (g[j] - m[j]) * omb1;
                v[j] = v[j] + (g[j] * g[j] - v[j]) * omb2;
                T vv = v[j];
                if (ams) {
                    vh[j] = vh[j] > v[j] ? vh[j] : v[j];
                    vv = vh[j];
                }
                w[j] = w[j] - (m[j] * alpha) / (SQRT(vv) + eps);
            }
        }
        break;
    }
    case GRU_OPT_RMSPROP: {
        const T rho = (T)k->rho, omr = (T)k->one_minus_rho, eps = (T)k->epsilon;
        const T mom = (T)k->momentum;
        const int use_mom = o->cfg.momentum > 0, centered = o->cfg.centered;
        /* slots: velocity, then momentum (if any), then average_gradient */
        T *mo_all = use_mom ? s1 : NULL;
        T *ag_all = centered ? (use_mom ? s2 : s1) : NULL;
        for (size_t i = 0; i < o->n_vars; i++) {
            const T *g = GRAD(i);
            T *w = (T *)vars[i], *vel = s0 + o->offsets[i];
            T *mo = use_mom ? mo_all + o->offsets[i] : NULL;
            T *ag = centered ? ag_all + o->offsets[i] : NULL;
            for (size_t j = 0; j < o->sizes[i]; j++) {
                vel[j] = rho * vel[j] + omr * (g[j] * g[j]);
                T den;
                if (centered) {
                    ag[j] = rho * ag[j] + omr * g[j];
                    den = vel[j] - ag[j] * ag[j] + eps;
                } else {
                    den = vel[j] + eps;
                }
                const T inc = lr * g[j] * (one / SQRT(den)); /* tf.math.rsqrt */
                if (use_mom) {
                    mo[j] = mom * mo[j] + inc;
                    w[j] = w[j] + -mo[j];
                } else {
                    w[j] = w[j] + -inc;
                }
            }
        }
        break;
    }
    case GRU_OPT_ADAGRAD: {
        const T eps = (T)k->epsilon;
        for (size_t i = 0; i < o->n_vars; i++) {
            const T *g = GRAD(i);
            T *w = (T *)vars[i], *acc = s0 + o->offsets[i];
            for (size_t j = 0; j < o->sizes[i]; j++) {
                acc[j] = acc[j] + g[j] * g[j];
                w[j] = w[j] - lr * g[j] / SQRT(acc[j] + eps);
            }
        }
        break;
    }
    }
}

#undef GRAD

/* First non-finite gradient element, or 0 when all are finite. */
static int SUF(find_nonfinite)(const gru_optimizer *o, const void *const *grads, size_t *var,
                               size_t *elem, double *value) {
    for (size_t i = 0; i < o->n_vars; i++) {
        const T *g = (const T *)grads[i];
        for (size_t j = 0; j < o->sizes[i]; j++) {
            if (!isfinite(g[j])) {
                *var = i;
                *elem = j;
                *value = (double)g[j];
                return 1;
            }
        }
    }
    return 0;
}
