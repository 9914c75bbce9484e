/* Backpropagation through time of the layer (the inverse of layer_impl.h),
 * written once for both element types. Included by backward.c with T and
 * SUF(name).
 *
 * Forward, per processing step p (input step t) and sample b:
 *   valid:   state = cell(x_t, state); out_p = state
 *   masked:  state kept; out_p = zero_output_for_mask ? 0 : out_{p-1}  (out_{-1} = 0)
 * so two gradients flow backwards: d state, and d carry (into out_{p-1}
 * through the masked steps that copied it). */

typedef struct SUF(gru__bptt) {
    const gru_layer *layer;
    const gru_seq *in;
    const char *rec;        /* (T, B, 8U) */
    const void *dp, *rdp;   /* the call's dropout masks or NULL */
    const void *d_output, *d_state;
    void *d_x, *d_init;
    const gru_cell_grads *grads;
    char *ws;
} SUF(gru__bptt);

static gru_status SUF(gru__layer_bptt)(const SUF(gru__bptt) *a) {
    const gru_layer *l = a->layer;
    const gru_cell *cell = l->cell;
    const gru_seq *in = a->in;
    const size_t B = (size_t)in->batch, Tn = (size_t)in->steps, U = cell->U, F = cell->F;
    const int masked = in->mask || in->lengths, tm = l->cfg.time_major;
    T *dstate = (T *)a->ws;
    T *dcarry = (T *)(a->ws + gru__align64(B * U * sizeof(T)));
    T *dh = (T *)((char *)dcarry + gru__align64(B * U * sizeof(T)));
    T *dprev = (T *)((char *)dh + gru__align64(U * sizeof(T)));
    T *bws = (T *)((char *)dprev + gru__align64(U * sizeof(T)));
    const T *dout = (const T *)a->d_output;
    const T *rec = (const T *)a->rec;
    T *dx = (T *)a->d_x;

    if (a->d_state) memcpy(dstate, a->d_state, B * U * sizeof(T));
    else memset(dstate, 0, B * U * sizeof(T));
    memset(dcarry, 0, B * U * sizeof(T));
    if (dx) memset(dx, 0, B * Tn * F * sizeof(T));

    for (size_t pp = Tn; pp-- > 0;) {
        const size_t t = l->cfg.go_backwards ? Tn - 1 - pp : pp;
        for (size_t b = 0; b < B; b++) {
            /* gradient reaching this step's output */
            const T *go = NULL;
            if (l->cfg.return_sequences) go = dout + (tm ? (pp * B + b) : (b * Tn + pp)) * U;
            else if (pp == Tn - 1) go = dout + b * U;
            T *dc = dcarry + b * U, *ds = dstate + b * U;
            if (!masked || gru__step_valid(l, in, t, b)) {
                for (size_t j = 0; j < U; j++) dh[j] = ds[j] + dc[j] + (go ? go[j] : (T)0);
                const T *m[3], *rm[3];
                SUF(gru__row_masks)(cell, B, b, (const T *)a->dp, (const T *)a->rdp, m, rm);
                const T *x = (const T *)in->x + (tm ? (t * B + b) : (b * Tn + t)) * F;
                T *dxr = dx ? dx + (tm ? (t * B + b) : (b * Tn + t)) * F : NULL;
                gru_status s = SUF(gru__backward_row)(cell, rec + (pp * B + b) * GRU__REC_SLOTS * U,
                                                      x, m, rm, dh, dprev, dxr, a->grads, bws);
                if (s) return s;
                memcpy(ds, dprev, U * sizeof(T));
                memset(dc, 0, U * sizeof(T));
            } else if (l->cfg.zero_output_for_mask) {
                memset(dc, 0, U * sizeof(T)); /* the output was a constant 0 */
            } else if (go) {
                for (size_t j = 0; j < U; j++) dc[j] += go[j]; /* out_p = out_{p-1} */
            }
        }
    }
    /* d carry now reaches the zeros out_{-1} started from: dropped. */
    if (a->d_init) memcpy(a->d_init, dstate, B * U * sizeof(T));
    return GRU_OK;
}
