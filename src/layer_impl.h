/* The layer's time loop (tf-keras backend.rnn with the GRU cell), written
 * once for both element types. Included by layer.c with T and SUF(name).
 *
 * Processing step p reads input step t = p (or T-1-p when go_backwards).
 * All input projections are computed first (masked-out rows are skipped:
 * Keras computes and discards them), then the recurrence runs step by step:
 *   valid:   state = cell(x_t, state); out = state
 *   masked:  state kept; out = 0 if zero_output_for_mask else previous out
 * The previous output starts at zeros. Outputs are written in processing
 * order, as Keras returns them. */

typedef struct SUF(gru__run) {
    const gru_layer *layer;
    const gru_seq *in;
    const T *dp, *rdp;     /* dropout masks of this call, or NULL */
    T *rec;                /* (T, B, 8U) records for backward, or NULL */
    T *output;
    char *ws;
    const gru__layer_ws *plan;
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

static void SUF(gru__layer_run)(const SUF(gru__run) *r) {
    const gru_layer *l = r->layer;
    const gru_cell *cell = l->cell;
    const gru_seq *in = r->in;
    const size_t B = (size_t)in->batch, Tn = (size_t)in->steps, U = cell->U, U3 = 3 * U;
    T *xproj = (T *)(r->ws + r->plan->xproj); /* (T, B, 3U) in processing order */
    T *state = (T *)(r->ws + r->plan->state); /* (B, U) */
    T *prev = (T *)(r->ws + r->plan->prev);   /* (B, U) previous outputs     */
    void *row = r->ws + r->plan->row;
    const int masked = in->mask || in->lengths;

    /* The input projections of all valid (step, row) pairs, GRU__ROWS_MAX
     * rows per kernel call (each row sums as it would alone). */
    const T *xs[GRU__ROWS_MAX], *ms[GRU__ROWS_MAX][3];
    T *xgs[GRU__ROWS_MAX];
    size_t nq = 0;
    for (size_t p = 0; p < Tn; p++) {
        const size_t t = l->cfg.go_backwards ? Tn - 1 - p : p;
        for (size_t b = 0; b < B; b++) {
            if (masked && !gru__step_valid(l, in, t, b)) continue;
            const T *rm[3];
            SUF(gru__row_masks)(cell, B, b, r->dp, r->rdp, ms[nq], rm);
            xs[nq] = SUF(x_at)(l, in, t, b);
            xgs[nq] = xproj + (p * B + b) * U3;
            if (++nq == GRU__ROWS_MAX) {
                SUF(gru__input_rows)(cell, nq, xs, (const T *const(*)[3])ms, xgs, row);
                nq = 0;
            }
        }
    }
    if (nq) SUF(gru__input_rows)(cell, nq, xs, (const T *const(*)[3])ms, xgs, row);
    if (masked) memset(prev, 0, B * U * sizeof(T));
    /* Per step: the valid rows' recurrent halves, GRU__ROWS_MAX rows per
     * call (each row's bits are those it gets alone), then the outputs. */
    const T *rxg[GRU__ROWS_MAX], *rh[GRU__ROWS_MAX], *rrm[GRU__ROWS_MAX][3];
    T *rout[GRU__ROWS_MAX], *rrec[GRU__ROWS_MAX];
    for (size_t p = 0; p < Tn; p++) {
        const size_t t = l->cfg.go_backwards ? Tn - 1 - p : p;
        size_t nrow = 0;
        for (size_t b = 0; b < B; b++) {
            if (masked && !gru__step_valid(l, in, t, b)) continue;
            const T *m[3];
            SUF(gru__row_masks)(cell, B, b, r->dp, r->rdp, m, rrm[nrow]);
            T *hb = state + b * U;
            rxg[nrow] = xproj + (p * B + b) * U3;
            rh[nrow] = hb;
            rout[nrow] = hb;
            rrec[nrow] = r->rec ? r->rec + (p * B + b) * GRU__REC_SLOTS * U : NULL;
            if (++nrow == GRU__ROWS_MAX) {
                SUF(gru__recurrent_rows)(cell, nrow, rxg, rh, (const T *const(*)[3])rrm, rout, row,
                                         rrec);
                nrow = 0;
            }
        }
        if (nrow)
            SUF(gru__recurrent_rows)(cell, nrow, rxg, rh, (const T *const(*)[3])rrm, rout, row,
                                     rrec);
        for (size_t b = 0; b < B; b++) {
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
    if (!l->cfg.return_sequences) memcpy(r->output, masked ? prev : state, B * U * sizeof(T));
}
