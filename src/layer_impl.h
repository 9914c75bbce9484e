/* The layer's time loop (tf-keras backend.rnn with the GRU cell), written
 * once for both element types. Included by layer.c with T and SUF(name).
 *
 * Processing step p reads input step t = p (or T-1-p when go_backwards).
 * The input projections of a chunk of steps are computed first (masked-out
 * rows are skipped: Keras computes and discards them), then the recurrence
 * runs step by step through the chunk:
 *   valid:   state = cell(x_t, state); out = state
 *   masked:  state kept; out = 0 if zero_output_for_mask else previous out
 * The previous output starts at zeros. Outputs are written in processing
 * order, as Keras returns them. */

#ifndef GRU__CHUNK_KB
#define GRU__CHUNK_KB 192
#endif
#ifndef GRU__GROUP_KB
#define GRU__GROUP_KB 96
#endif

typedef struct SUF(gru__run) {
    const gru_layer *layer;
    const gru_seq *in;
    const T *dp, *rdp;     /* dropout masks of this call, or NULL */
    T *rec;                /* (T, B, 8U) records for backward, or NULL */
    T *output;
    char *ws;
    const gru__layer_ws *plan;
    int mode;              /* GRU__RUN_*: one thread, rows or units split */
} SUF(gru__run);

static const T *SUF(x_at)(const gru_layer *l, const gru_seq *in, size_t t, size_t b) {
    const size_t B = (size_t)in->batch, Tn = (size_t)in->steps, F = l->cell->F;
    const T *x = (const T *)in->x;
    return l->cfg.time_major ? x + (t * B + b) * F : x + (b * Tn + t) * F;
}

static T *SUF(out_at)(const gru_layer *l, const gru_seq *in, T *out, size_t p, size_t b) {
    const size_t B = (size_t)in->batch, Tn = (size_t)in->steps, U = l->cell->U;
    return l->cfg.time_major ? out + (p * B + b) * U : out + (b * Tn + p) * U;
}

/* Rows b0 .. b1-1 of the call, with row scratch `row`: the whole call on
 * one thread (0, B), or one thread's share of the rows (rows are
 * independent: no thread reads another's rows). */
static void SUF(gru__layer_group)(const SUF(gru__run) *r, size_t b0, size_t b1, void *row) {
    const gru_layer *l = r->layer;
    const gru_cell *cell = l->cell;
    const gru_seq *in = r->in;
    const size_t B = (size_t)in->batch, Tn = (size_t)in->steps, U = cell->U, U3 = 3 * U;
    T *xproj = (T *)(r->ws + r->plan->xproj); /* (T, B, 3U) in processing order */
    T *state = (T *)(r->ws + r->plan->state); /* (B, U) */
    T *prev = (T *)(r->ws + r->plan->prev);   /* (B, U) previous outputs     */
    const int masked = in->mask || in->lengths;

    /* Steps run in chunks whose input projections fit in cache (~192 KB,
     * at least one register block of rows): first the projections of the
     * chunk's valid (step, row) pairs, GRU__ROWS_MAX rows per kernel call
     * (each row sums as it would alone), then the chunk's recurrence, which
     * reads them back while they are still cached. Every chunk reuses the
     * start of the projection buffer, which so stays in cache. */
    const size_t nb = b1 - b0, step_bytes = nb * U3 * sizeof(T);
    size_t chunk = (size_t)GRU__CHUNK_KB * 1024 / step_bytes;
    if (chunk * nb < GRU__ROWS_MAX) chunk = (GRU__ROWS_MAX + nb - 1) / nb;
    if (chunk < 1) chunk = 1;
    if (masked) memset(prev + b0 * U, 0, nb * U * sizeof(T));
    const T *xs[GRU__ROWS_MAX], *ms[GRU__ROWS_MAX][3];
    T *xgs[GRU__ROWS_MAX];
    const T *rxg[GRU__ROWS_MAX], *rh[GRU__ROWS_MAX], *rrm[GRU__ROWS_MAX][3];
    T *rout[GRU__ROWS_MAX], *rrec[GRU__ROWS_MAX];
    for (size_t c0 = 0; c0 < Tn; c0 += chunk) {
        const size_t c1 = Tn - c0 < chunk ? Tn : c0 + chunk;
        size_t nq = 0;
        for (size_t p = c0; p < c1; p++) {
            const size_t t = l->cfg.go_backwards ? Tn - 1 - p : p;
            for (size_t b = b0; b < b1; b++) {
                if (masked && !gru__step_valid(l, in, t, b)) continue;
                const T *rm[3];
                SUF(gru__row_masks)(cell, B, b, r->dp, r->rdp, ms[nq], rm);
                xs[nq] = SUF(x_at)(l, in, t, b);
                xgs[nq] = xproj + ((p - c0) * B + b) * U3;
                if (++nq == GRU__ROWS_MAX) {
                    SUF(gru__input_rows)(cell, nq, xs, (const T *const(*)[3])ms, xgs, row);
                    nq = 0;
                }
            }
        }
        if (nq) SUF(gru__input_rows)(cell, nq, xs, (const T *const(*)[3])ms, xgs, row);
        /* Per step: the valid rows' recurrent halves, GRU__ROWS_MAX rows
         * per call (each row's bits are those it gets alone), then the
         * outputs. */
        for (size_t p = c0; p < c1; p++) {
            const size_t t = l->cfg.go_backwards ? Tn - 1 - p : p;
            size_t nrow = 0;
            for (size_t b = b0; b < b1; b++) {
                if (masked && !gru__step_valid(l, in, t, b)) continue;
                const T *m[3];
                SUF(gru__row_masks)(cell, B, b, r->dp, r->rdp, m, rrm[nrow]);
                T *hb = state + b * U;
                rxg[nrow] = xproj + ((p - c0) * B + b) * U3;
                rh[nrow] = hb;
                rout[nrow] = hb;
                rrec[nrow] = r->rec ? r->rec + (p * B + b) * GRU__REC_SLOTS * U : NULL;
                if (++nrow == GRU__ROWS_MAX) {
                    SUF(gru__recurrent_rows)(cell, nrow, rxg, rh, (const T *const(*)[3])rrm, rout,
                                             row, rrec);
                    nrow = 0;
                }
            }
            if (nrow)
                SUF(gru__recurrent_rows)(cell, nrow, rxg, rh, (const T *const(*)[3])rrm, rout, row,
                                         rrec);
            for (size_t b = b0; b < b1; b++) {
                T *hb = state + b * U;
                const T *out_row = hb;
                if (!masked || gru__step_valid(l, in, t, b)) {
                    /* updated above */
                } else if (l->cfg.zero_output_for_mask) {
                    memset(prev + b * U, 0, U * sizeof(T));
                    out_row = prev + b * U;
                } else {
                    out_row = prev + b * U; /* the previous output, kept */
                }
                if (masked && out_row != prev + b * U) memcpy(prev + b * U, out_row, U * sizeof(T));
                if (l->cfg.return_sequences)
                    memcpy(SUF(out_at)(l, in, r->output, p, b), out_row, U * sizeof(T));
            }
        }
    }
    if (!l->cfg.return_sequences)
        memcpy((T *)r->output + b0 * U, (masked ? prev : state) + b0 * U,
               (b1 - b0) * U * sizeof(T));
}

/* Rows are independent, so a large share runs in groups of rows, each over
 * the whole sequence, small enough (~96 KB of projections per step, at
 * least two register blocks) that a group's state and projections stay in
 * L2 while the weights stream past. */
static void SUF(gru__layer_rows)(const SUF(gru__run) *r, size_t b0, size_t b1, void *row) {
    const size_t row_bytes = 3 * r->layer->cell->U * sizeof(T);
    size_t g = (size_t)GRU__GROUP_KB * 1024 / row_bytes / GRU__ROWS_MAX * GRU__ROWS_MAX;
    if (g < 2 * GRU__ROWS_MAX) g = 2 * GRU__ROWS_MAX;
    for (size_t a = b0; a < b1; a += g) SUF(gru__layer_group)(r, a, b1 - a < g ? b1 : a + g, row);
}

static void SUF(gru__layer_run)(const SUF(gru__run) *r) {
    SUF(gru__layer_rows)(r, 0, (size_t)r->in->batch, r->ws + r->plan->row);
}

/* A batch-1 call split over the units: thread tid of nth owns the panels
 * [pa, pb) of the packed recurrent weights (units [ja, jb)). The input
 * projections are shared out by steps, then per valid step every thread
 * computes its units of the new state from the whole current state into the
 * other state buffer (state / state2 alternate), and all meet at a barrier
 * (two without reset_after: the candidate needs all of r). Outputs and the
 * masked steps' bookkeeping are per unit, so each thread does its own. */
static void SUF(gru__layer_units)(const SUF(gru__run) *r, int tid, int nth) {
    const gru_layer *l = r->layer;
    const gru_cell *cell = l->cell;
    const gru_seq *in = r->in;
    gru_threadpool *pool = l->pool;
    const size_t Tn = (size_t)in->steps, U = cell->U, U3 = 3 * U, P = cell->pw;
    const size_t npan = (U + P - 1) / P;
    const size_t pa = npan * (size_t)tid / (size_t)nth, pb = npan * (size_t)(tid + 1) / (size_t)nth;
    const size_t ja = pa * P < U ? pa * P : U, jb = pb * P < U ? pb * P : U, nj = jb - ja;
    T *xproj = (T *)(r->ws + r->plan->xproj);
    T *state = (T *)(r->ws + r->plan->state);
    T *prev = (T *)(r->ws + r->plan->prev);
    T *rsh = (T *)(r->ws + r->plan->rsh);
    void *row = tid == 0 ? r->ws + r->plan->row
                         : r->ws + r->plan->thr_row + (size_t)(tid - 1) * r->plan->row_bytes;
    const int masked = in->mask || in->lengths;

    /* Input projections of this thread's steps. */
    const size_t p_lo = Tn * (size_t)tid / (size_t)nth, p_hi = Tn * (size_t)(tid + 1) / (size_t)nth;
    const T *xs[GRU__ROWS_MAX], *ms[GRU__ROWS_MAX][3];
    T *xgs[GRU__ROWS_MAX];
    size_t nq = 0;
    for (size_t p = p_lo; p < p_hi; p++) {
        const size_t t = l->cfg.go_backwards ? Tn - 1 - p : p;
        if (masked && !gru__step_valid(l, in, t, 0)) continue;
        const T *rm[3];
        SUF(gru__row_masks)(cell, 1, 0, r->dp, r->rdp, ms[nq], rm);
        xs[nq] = SUF(x_at)(l, in, t, 0);
        xgs[nq] = xproj + p * U3;
        if (++nq == GRU__ROWS_MAX) {
            SUF(gru__input_rows)(cell, nq, xs, (const T *const(*)[3])ms, xgs, row);
            nq = 0;
        }
    }
    if (nq) SUF(gru__input_rows)(cell, nq, xs, (const T *const(*)[3])ms, xgs, row);
    if (masked) memset(prev + ja, 0, nj * sizeof(T));
    gru__pool_barrier(pool);

    T *cur = state, *nxt = (T *)(r->ws + r->plan->state2);
    for (size_t p = 0; p < Tn; p++) {
        const size_t t = l->cfg.go_backwards ? Tn - 1 - p : p;
        const int valid = !masked || gru__step_valid(l, in, t, 0);
        const T *out_row;
        if (valid) {
            const T *m[3], *rm[3];
            SUF(gru__row_masks)(cell, 1, 0, r->dp, r->rdp, m, rm);
            SUF(gru__recurrent_row_panels)(cell, xproj + p * U3, cur, rm, nxt, row, pa, pb, rsh,
                                           pool_sync, pool);
            gru__pool_barrier(pool);
            T *tmp = cur;
            cur = nxt;
            nxt = tmp;
            out_row = cur;
            if (masked) memcpy(prev + ja, cur + ja, nj * sizeof(T));
        } else {
            if (l->cfg.zero_output_for_mask) memset(prev + ja, 0, nj * sizeof(T));
            out_row = prev;
        }
        if (l->cfg.return_sequences)
            memcpy(SUF(out_at)(l, in, r->output, p, 0) + ja, out_row + ja, nj * sizeof(T));
    }
    if (cur != state) memcpy(state + ja, cur + ja, nj * sizeof(T));
    if (!l->cfg.return_sequences)
        memcpy((T *)r->output + ja, (masked ? prev : state) + ja, nj * sizeof(T));
}

/* The pool's job (gru__pool_run): thread tid of nth. */
static void SUF(gru__layer_job)(void *arg, int tid, int nth) {
    const SUF(gru__run) *r = arg;
    if (r->mode == GRU__RUN_UNITS) {
        SUF(gru__layer_units)(r, tid, nth);
        return;
    }
    /* Rows: shares of ceil(B / nth), whole register blocks when every
     * thread still gets one. */
    const size_t B = (size_t)r->in->batch, n = (size_t)nth;
    size_t chunk = (B + n - 1) / n;
    if (B >= n * GRU__ROWS_MAX) chunk = (chunk + GRU__ROWS_MAX - 1) / GRU__ROWS_MAX * GRU__ROWS_MAX;
    const size_t b0 = chunk * (size_t)tid < B ? chunk * (size_t)tid : B;
    const size_t b1 = b0 + chunk < B ? b0 + chunk : B;
    void *row = tid == 0 ? r->ws + r->plan->row
                         : r->ws + r->plan->thr_row + (size_t)(tid - 1) * r->plan->row_bytes;
    if (b1 > b0) SUF(gru__layer_rows)(r, b0, b1, row);
}
