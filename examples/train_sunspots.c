/* Train a GRU forecaster on the yearly sunspot numbers (data/sunspots.csv,
 * 1700-2008, from statsmodels' datasets; public domain, NOAA NGDC):
 * 20 past years -> the next year, GRU(16) + Dense(1), Adam, mean squared
 * error, through gru_fit. Prints the learning curve and the validation
 * error (beside the persistence baseline "next year = this year"), writes
 * forecast.png (one-step forecast against the truth on the validation
 * years) and the trained weights.
 *
 *     gru_train_demo [data/sunspots.csv] [output-dir]
 *
 * The weights file (sunspots_model.txt) is a simple text format for this
 * demo only, not libgru's model format (that comes with a later issue):
 *   line 1  "libgru-sunspots-demo 1"
 *   line 2  "window W units U mean M std S"   (the input normalisation)
 *   then, per array, "<name> <count>" and count values (%.9g), in the order
 *   gru_kernel (1,3U), gru_recurrent_kernel (U,3U), gru_bias (3U),
 *   dense_kernel (U,1), dense_bias (1); Keras layouts (gate order z|r|h).
 *
 * It also writes sunspots.grum, the same forecaster as a gru_model in
 * libgru's native format (docs/FORMAT-native.md) with the normalisation
 * folded into the weights, so that it reads and writes sunspot numbers:
 * `gru run sunspots.grum -i last_20_years.csv` prints next year's forecast.
 * data/models/sunspots.grum is a copy of it.
 *
 * Data-parallel, unchanged: `mpirun -np N gru_train_demo` (libgru built with
 * MPI) trains on N processes, each on its shard of every mini-batch, with
 * one gradient MPI_Allreduce per step (gru_mpi_attach); the weights stay the
 * same on every rank and equal to one process's up to rounding. Rank 0
 * prints and writes the files. Without mpirun, or without MPI, it is the
 * one-process program. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gru.h"
#include "png.h"

#ifndef GRU_SOURCE_DATA_DIR
#define GRU_SOURCE_DATA_DIR "data"
#endif

enum { WINDOW = 20, UNITS = 16, EPOCHS = 60, BATCH = 16, MAXN = 1024 };

#define TRY(expr)                                                                      \
    do {                                                                               \
        gru_status s_ = (expr);                                                        \
        if (s_ != GRU_OK) {                                                            \
            fprintf(stderr, "%s failed: %s: %s\n", #expr, gru_status_name(s_),         \
                    gru_last_error());                                                 \
            return 1;                                                                  \
        }                                                                              \
    } while (0)

static int load_csv(const char *path, int *years, double *vals, int *n) {
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        return -1;
    }
    char line[2048];
    *n = 0;
    while (fgets(line, sizeof line, f)) {
        int y;
        double v;
        if (line[0] == '#' || strncmp(line, "year", 4) == 0) continue;
        if (sscanf(line, "%d,%lf", &y, &v) != 2 || *n >= MAXN) {
            fprintf(stderr, "%s: bad line: %s", path, line);
            fclose(f);
            return -1;
        }
        years[*n] = y;
        vals[(*n)++] = v;
    }
    fclose(f);
    return *n > WINDOW + 10 ? 0 : -1;
}

/* Plot truth and forecast (n points each, x = years) into path. */
static int plot(const char *path, const int *years, const double *truth, const double *fc,
                int n) {
    enum { W = 900, H = 420, L = 60, R = 20, TOP = 40, BOT = 50 };
    static unsigned char rgb[W * H * 3];
    png_canvas c = {W, H, rgb};
    png_fill(&c, 0xffffff);
    double lo = 0, hi = 1;
    for (int i = 0; i < n; i++) hi = fmax(hi, fmax(truth[i], fc[i]));
    hi = ceil(hi / 50) * 50;
    const double x0 = years[0], x1 = years[n - 1];
#define PX(x) (L + ((x) - x0) / (x1 - x0) * (W - L - R))
#define PY(y) (H - BOT - ((y) - lo) / (hi - lo) * (H - TOP - BOT))
    for (double v = lo; v <= hi + 1e-9; v += 50) { /* grid and y labels */
        png_line(&c, L, PY(v), W - R, PY(v), 1, 0xe0e0e0);
        char s[16];
        snprintf(s, sizeof s, "%d", (int)v);
        png_text(&c, L - 8 - png_text_width(s, 2), (int)PY(v) - 5, 2, s, 0x404040);
    }
    for (int y = (years[0] + 9) / 10 * 10; y <= years[n - 1]; y += 10) { /* x labels */
        png_line(&c, PX(y), H - BOT, PX(y), H - BOT + 5, 1, 0x404040);
        char s[16];
        snprintf(s, sizeof s, "%d", y);
        png_text(&c, (int)PX(y) - png_text_width(s, 2) / 2, H - BOT + 10, 2, s, 0x404040);
    }
    png_line(&c, L, TOP, L, H - BOT, 2, 0x000000); /* axes */
    png_line(&c, L, H - BOT, W - R, H - BOT, 2, 0x000000);
    for (int i = 1; i < n; i++) {
        png_line(&c, PX(years[i - 1]), PY(truth[i - 1]), PX(years[i]), PY(truth[i]), 2, 0x1f77b4);
        png_line(&c, PX(years[i - 1]), PY(fc[i - 1]), PX(years[i]), PY(fc[i]), 2, 0xd62728);
    }
    png_rect(&c, L + 20, 12, L + 40, 22, 0x1f77b4);
    png_text(&c, L + 48, 12, 2, "TRUTH", 0x000000);
    png_rect(&c, L + 130, 12, L + 150, 22, 0xd62728);
    png_text(&c, L + 158, 12, 2, "GRU FORECAST", 0x000000);
    png_text(&c, W - R - png_text_width("SUNSPOTS PER YEAR", 2), 12, 2, "SUNSPOTS PER YEAR",
             0x000000);
#undef PX
#undef PY
    return png_write_rgb(path, W, H, rgb);
}

/* The seq model's forecast from the last WINDOW raw values (for the demo's
 * line; gru run on the saved .grum prints the same number). */
static double next_year(gru_layer *layer, gru_dense *head, const double *last, double mean,
                        double sd) {
    float x[WINDOW], y = 0;
    for (int t = 0; t < WINDOW; t++) x[t] = (float)((last[t] - mean) / sd);
    gru_seq_model m;
    memset(&m, 0, sizeof m);
    m.layer = layer;
    m.head = head;
    m.steps = WINDOW;
    m.max_batch = 1;
    if (gru_seq_model_workspace_size(&m, 1, &m.ws_bytes)) return NAN;
    m.workspace = aligned_alloc(64, (m.ws_bytes + 63) / 64 * 64);
    if (!m.workspace || gru_seq_model_predict(&m, 1, x, &y)) y = NAN;
    free(m.workspace);
    return (double)y * sd + mean;
}

/* Input (WINDOW, 1) -> GRU(U) -> Dense(1) as a gru_model on raw sunspot
 * numbers: x enters the GRU only through x*kernel + bias (reset_after false),
 * so kernel/sd and bias - mean*kernel/sd absorb (x - mean)/sd; the head's
 * kernel*sd and bias*sd + mean undo the output normalisation. */
static int save_grum(gru_mpi *mpi, const char *path, const float *k, const float *r,
                     const float *bvec, const float *dk, const float *db, double mean,
                     double sd) {
    gru_model_node n[3];
    gru_model_node_init(&n[0], GRU_NODE_INPUT, "sunspots");
    n[0].input.rank = 2;
    n[0].input.shape[0] = WINDOW;
    n[0].input.shape[1] = 1;
    gru_model_node_init(&n[1], GRU_NODE_GRU, "gru");
    gru_layer_config_init(&n[1].gru, UNITS, 1);
    n[1].n_inputs = 1;
    gru_model_node_init(&n[2], GRU_NODE_DENSE, "forecast");
    n[2].dense.units = 1;
    n[2].n_inputs = 1;
    n[2].inputs[0].node = 1;
    gru_model_ref out = {2, 0};
    gru_model *m;
    TRY(gru_model_create(n, 3, &out, 1, GRU_F32, &m));
    static float k2[3 * UNITS], b2[3 * UNITS], dk2[UNITS], db2[1];
    for (int j = 0; j < 3 * UNITS; j++) {
        k2[j] = (float)((double)k[j] / sd);
        b2[j] = (float)((double)bvec[j] - mean * (double)k[j] / sd);
    }
    for (int j = 0; j < UNITS; j++) dk2[j] = (float)((double)dk[j] * sd);
    db2[0] = (float)((double)db[0] * sd + mean);
    const void *gw[3] = {k2, r, b2}, *dw[2] = {dk2, db2};
    const size_t gc[3] = {3 * UNITS, UNITS * 3 * UNITS, 3 * UNITS}, dc[2] = {UNITS, 1};
    gru_status s = gru_model_set_node_weights(m, 1, GRU_F32, 3, gw, gc);
    if (!s) s = gru_model_set_node_weights(m, 2, GRU_F32, 2, dw, dc);
    /* with MPI: rank 0 writes (temporary file + rename), the others wait */
    if (!s) s = mpi ? gru_mpi_save_model(mpi, m, path) : gru_model_save_path(m, path);
    if (s) fprintf(stderr, "saving %s: %s\n", path, gru_last_error());
    gru_model_free(m);
    return s != GRU_OK;
}

static void dump(FILE *f, const char *name, const float *v, size_t n) {
    fprintf(f, "%s %zu\n", name, n);
    for (size_t i = 0; i < n; i++) fprintf(f, "%.9g%c", (double)v[i], i + 1 == n || i % 8 == 7 ? '\n' : ' ');
}

/* forecast.png and sunspots_model.txt into outdir. */
static int write_files(const char *outdir, const int *vyears, const double *truth,
                       const double *fcst, int nva, const float *k, const float *r,
                       const float *bvec, const float *dk, const float *db, double mean,
                       double sd) {
    char path[1024];
    snprintf(path, sizeof path, "%s/forecast.png", outdir);
    if (plot(path, vyears, truth, fcst, nva)) {
        fprintf(stderr, "writing %s failed\n", path);
        return 1;
    }
    printf("wrote %s\n", path);

    snprintf(path, sizeof path, "%s/sunspots_model.txt", outdir);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "cannot write %s\n", path);
        return 1;
    }
    fprintf(f, "libgru-sunspots-demo 1\nwindow %d units %d mean %.17g std %.17g\n", WINDOW, UNITS,
            mean, sd);
    dump(f, "gru_kernel", k, 3 * UNITS);
    dump(f, "gru_recurrent_kernel", r, UNITS * 3 * UNITS);
    dump(f, "gru_bias", bvec, 3 * UNITS);
    dump(f, "dense_kernel", dk, UNITS);
    dump(f, "dense_bias", db, 1);
    if (fclose(f) != 0) return 1;
    printf("wrote %s\n", path);
    return 0;
}

int main(int argc, char **argv) {
    const char *csv = argc > 1 ? argv[1] : GRU_SOURCE_DATA_DIR "/sunspots.csv";
    const char *outdir = argc > 2 ? argv[2] : ".";
    static int years[MAXN];
    static double vals[MAXN];
    int n;
    if (load_csv(csv, years, vals, &n)) return 1;
    /* under mpirun: this process's rank; else (or without MPI) one process */
    gru_mpi *mpi = NULL;
    int rank = 0, size = 1;
    if (gru_mpi_init(&argc, &argv) == GRU_OK && gru_mpi_create(NULL, &mpi) == GRU_OK)
        gru_mpi_rank(mpi, &rank, &size);
    const int lead = rank == 0; /* prints and writes files */

    /* windows: x = WINDOW normalised values, y = the next one; the first 80%
     * of the windows (chronologically) train, the rest validate */
    const int nw = n - WINDOW, ntr = nw * 8 / 10, nva = nw - ntr;
    double mean = 0, var = 0;
    for (int i = 0; i < ntr + WINDOW; i++) mean += vals[i];
    mean /= ntr + WINDOW;
    for (int i = 0; i < ntr + WINDOW; i++) var += (vals[i] - mean) * (vals[i] - mean);
    const double sd = sqrt(var / (ntr + WINDOW));
    static float X[MAXN * WINDOW], Y[MAXN];
    for (int w = 0; w < nw; w++) {
        for (int t = 0; t < WINDOW; t++) X[w * WINDOW + t] = (float)((vals[w + t] - mean) / sd);
        Y[w] = (float)((vals[w + WINDOW] - mean) / sd);
    }
    if (lead)
        printf("sunspots %d-%d (%d years): %d windows of %d years; train %d (targets %d-%d), "
               "validation %d (targets %d-%d)\n",
               years[0], years[n - 1], n, nw, WINDOW, ntr, years[WINDOW], years[WINDOW + ntr - 1],
               nva, years[WINDOW + ntr], years[n - 1]);
    if (lead && size > 1)
        printf("data-parallel: %d ranks, each on its shard of every batch of %d\n", size, BATCH);

    /* model: GRU(16) (tf-keras v1 defaults) + Dense(1), float32 */
    gru_layer_config lc;
    TRY(gru_layer_config_init(&lc, UNITS, 1));
    lc.cell.seed = 42;
    gru_layer *layer;
    TRY(gru_layer_create(&lc, &layer));
    gru_dense_config dc;
    TRY(gru_dense_config_init(&dc, 1, UNITS));
    dc.seed = 43;
    gru_dense *head;
    TRY(gru_dense_create(&dc, &head));
    gru_seq_model m;
    memset(&m, 0, sizeof m);
    m.layer = layer;
    m.head = head;
    TRY(gru_loss_config_init(&m.loss, GRU_LOSS_MSE));
    m.steps = WINDOW;
    m.max_batch = BATCH;
    TRY(gru_seq_model_workspace_size(&m, BATCH, &m.ws_bytes));
    m.workspace = aligned_alloc(64, (m.ws_bytes + 63) / 64 * 64);
    void *params[5];
    size_t sizes[5], count;
    TRY(gru_seq_model_params(&m, params, sizes, &count));
    gru_optimizer_config oc;
    TRY(gru_optimizer_config_init(&oc, GRU_OPT_ADAM));
    oc.learning_rate = 0.005;
    gru_optimizer *opt;
    TRY(gru_optimizer_create(&oc, GRU_F32, count, sizes, &opt));
    m.optimizer = opt;
    if (size > 1) TRY(gru_mpi_attach(mpi, &m)); /* gradients summed over the ranks */

    gru_fit_config fc;
    TRY(gru_fit_config_init(&fc));
    fc.epochs = EPOCHS;
    fc.batch_size = BATCH;
    fc.seed = 7;
    fc.progress = lead ? stdout : NULL;
    fc.verbose = 2;
    gru_fit_data fd = {GRU_F32, (size_t)ntr, WINDOW, 1, X, Y, (size_t)nva, X + ntr * WINDOW, Y + ntr};
    size_t wsb;
    TRY(gru_fit_workspace_size(&fc, &fd, &wsb));
    void *ws = aligned_alloc(64, (wsb + 63) / 64 * 64);
    static double el[EPOCHS], vl[EPOCHS];
    if (!ws || !m.workspace) return 1;
    TRY(gru_fit(&fc, &fd, gru_seq_model_step, gru_seq_model_eval, &m, ws, wsb, el, vl, NULL));

    if (lead) {
        printf("\nlearning curve (mean squared error on normalised values):\n epoch   loss      "
               "val_loss\n");
        for (int e = 0; e < EPOCHS; e++)
            if (e < 5 || e % 5 == 4) printf(" %5d   %.5f   %.5f\n", e + 1, el[e], vl[e]);
    }
    gru_mpi_stats ms;
    if (size > 1 && gru_mpi_get_stats(mpi, &ms) == GRU_OK && lead)
        printf("allreduce: %llu calls (one per step and per validation batch), %.1f kB sent "
               "per rank, %.1f ms inside MPI_Allreduce on rank 0\n",
               (unsigned long long)ms.calls, (double)ms.bytes / 1e3, ms.seconds * 1e3);

    /* one-step forecasts on the validation years, in sunspot units */
    static double truth[MAXN], fcst[MAXN];
    static int vyears[MAXN];
    double se = 0, se_naive = 0, ae = 0;
    for (int b0 = 0; b0 < nva; b0 += BATCH) {
        const int mb = nva - b0 < BATCH ? nva - b0 : BATCH;
        float yp[BATCH];
        TRY(gru_seq_model_predict(&m, (size_t)mb, X + (ntr + b0) * WINDOW, yp));
        for (int i = 0; i < mb; i++) {
            const int w = ntr + b0 + i;
            truth[b0 + i] = vals[w + WINDOW];
            fcst[b0 + i] = (double)yp[i] * sd + mean;
            vyears[b0 + i] = years[w + WINDOW];
            const double d = fcst[b0 + i] - truth[b0 + i], dn = vals[w + WINDOW - 1] - truth[b0 + i];
            se += d * d;
            ae += fabs(d);
            se_naive += dn * dn;
        }
    }
    if (lead)
        printf("\nvalidation %d-%d: RMSE %.2f sunspots, MAE %.2f (persistence baseline RMSE "
               "%.2f)\n", vyears[0], vyears[nva - 1], sqrt(se / nva), ae / nva,
               sqrt(se_naive / nva));

    char path[1024];
    static float k[3 * UNITS], r[UNITS * 3 * UNITS], bvec[3 * UNITS], dk[UNITS], db[1];
    TRY(gru_cell_get_weights(gru_layer_cell(layer), GRU_F32, k, r, bvec));
    TRY(gru_dense_get_weights(head, GRU_F32, dk, db));
    /* the files are rank 0's (sunspots.grum below is written collectively) */
    if (lead && write_files(outdir, vyears, truth, fcst, nva, k, r, bvec, dk, db, mean, sd))
        return 1;
    snprintf(path, sizeof path, "%s/sunspots.grum", outdir);
    if (save_grum(mpi, path, k, r, bvec, dk, db, mean, sd)) return 1;
    if (lead)
        printf("wrote %s (gru info / gru run read it; forecast for %d from the last %d years: "
               "%.1f)\n", path, years[n - 1] + 1, WINDOW,
               next_year(layer, head, vals + n - WINDOW, mean, sd));

    free(ws);
    free(m.workspace);
    gru_optimizer_free(opt);
    gru_dense_free(head);
    gru_layer_free(layer);
    gru_mpi_free(mpi);
    gru_mpi_finalize();
    return 0;
}
