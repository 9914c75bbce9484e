/* Data-parallel training over MPI: a gradient reducer for gru_seq_model
 * (one MPI_Allreduce per step over the fused buffer the core packs), the
 * setup of a rank (reducer, dropout stream), and the collective helpers a
 * training program needs (barrier, broadcast, "do all ranks hold the same
 * bytes", a checkpoint written by rank 0). Compiled into libgru only when
 * CMake finds MPI; mpi/gru_mpi_none.c stands in otherwise. The core (src/)
 * never includes mpi.h. */
#include <limits.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define GRU__MPI_MAGIC 0x6772756d70693031ull /* "grumpi01" */

struct gru_mpi {
    uint64_t magic;
    MPI_Comm comm; /* a duplicate, with MPI_ERRORS_RETURN */
    int rank, size;
    gru_mpi_stats stats;
};

/* An MPI error as a status, with MPI's own text. */
static gru_status mpi_fail(int rc, const char *fn, const char *what) {
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(rc, text, &len) != MPI_SUCCESS || len <= 0)
        strcpy(text, "unknown MPI error");
    return gru__fail(GRU_E_IO, NULL, "%s: %s failed with MPI error %d: %s", fn, what, rc, text);
}

static gru_status check(const gru_mpi *h, const char *fn) {
    if (!h) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'mpi' is NULL", fn);
    if (h->magic != GRU__MPI_MAGIC)
        return gru__fail(GRU_E_ARG, NULL,
                         "%s: argument 'mpi' is not a handle from gru_mpi_create (or was freed)",
                         fn);
    int fin = 0;
    MPI_Finalized(&fin);
    if (fin)
        return gru__fail(GRU_E_STATE, NULL, "%s: MPI is already finalized", fn);
    return GRU_OK;
}

gru_status gru_mpi_init(int *argc, char ***argv) {
    static const char fn[] = "gru_mpi_init";
    if ((argc == NULL) != (argv == NULL))
        return gru__fail(GRU_E_NULL, NULL,
                         "%s: arguments 'argc' and 'argv' must be both NULL or both set", fn);
    int init = 0, fin = 0;
    MPI_Initialized(&init);
    MPI_Finalized(&fin);
    if (fin) return gru__fail(GRU_E_STATE, NULL, "%s: MPI was finalized; it cannot restart", fn);
    if (init) return GRU_OK;
    const int rc = MPI_Init(argc, argv);
    return rc == MPI_SUCCESS ? GRU_OK : mpi_fail(rc, fn, "MPI_Init");
}

gru_status gru_mpi_finalize(void) {
    int init = 0, fin = 0;
    MPI_Initialized(&init);
    MPI_Finalized(&fin);
    if (!init || fin) return GRU_OK;
    const int rc = MPI_Finalize();
    return rc == MPI_SUCCESS ? GRU_OK : mpi_fail(rc, "gru_mpi_finalize", "MPI_Finalize");
}

gru_status gru_mpi_create(const void *comm, gru_mpi **out) {
    static const char fn[] = "gru_mpi_create";
    if (!out) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'out' is NULL", fn);
    *out = NULL;
    int init = 0, fin = 0;
    MPI_Initialized(&init);
    MPI_Finalized(&fin);
    if (!init || fin)
        return gru__fail(GRU_E_STATE, NULL, "%s: MPI is %s (call gru_mpi_init first)", fn,
                         fin ? "already finalized" : "not initialized");
    const MPI_Comm src = comm ? *(const MPI_Comm *)comm : MPI_COMM_WORLD;
    if (src == MPI_COMM_NULL)
        return gru__fail(GRU_E_ARG, NULL, "%s: argument 'comm' points at MPI_COMM_NULL", fn);
    gru_mpi *h = calloc(1, sizeof *h);
    if (!h) return gru__fail(GRU_E_NOMEM, NULL, "%s: out of memory", fn);
    int rc = MPI_Comm_dup(src, &h->comm);
    if (rc != MPI_SUCCESS) {
        free(h);
        return mpi_fail(rc, fn, "MPI_Comm_dup");
    }
    MPI_Comm_set_errhandler(h->comm, MPI_ERRORS_RETURN);
    MPI_Comm_rank(h->comm, &h->rank);
    MPI_Comm_size(h->comm, &h->size);
    h->magic = GRU__MPI_MAGIC;
    *out = h;
    return GRU_OK;
}

void gru_mpi_free(gru_mpi *mpi) {
    if (!mpi || mpi->magic != GRU__MPI_MAGIC) return;
    int fin = 0;
    MPI_Finalized(&fin);
    if (!fin) MPI_Comm_free(&mpi->comm);
    mpi->magic = 0;
    free(mpi);
}

gru_status gru_mpi_rank(const gru_mpi *mpi, int *rank, int *size) {
    static const char fn[] = "gru_mpi_rank";
    gru_status s = check(mpi, fn);
    if (s) return s;
    if (!rank && !size)
        return gru__fail(GRU_E_NULL, NULL, "%s: arguments 'rank' and 'size' are both NULL", fn);
    if (rank) *rank = mpi->rank;
    if (size) *size = mpi->size;
    return GRU_OK;
}

/* The reducer: the buffer summed in place over the communicator. Counts
 * above INT_MAX (MPI's count type) go in INT_MAX-element pieces. */
static gru_status mpi_reduce(void *user, gru_dtype dtype, void *buf, size_t count) {
    static const char fn[] = "gru_mpi reducer";
    gru_mpi *h = user;
    gru_status s = check(h, fn);
    if (s) return s;
    if (dtype != GRU_F32 && dtype != GRU_F64)
        return gru__fail(GRU_E_DTYPE, NULL, "%s: dtype must be GRU_F32 or GRU_F64, got %d", fn,
                         (int)dtype);
    if (count > 0 && !buf) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'buf' is NULL", fn);
    const MPI_Datatype t = dtype == GRU_F32 ? MPI_FLOAT : MPI_DOUBLE;
    const size_t elem = gru_dtype_size(dtype);
    const double t0 = MPI_Wtime();
    for (size_t done = 0; done < count;) {
        const size_t n = count - done > (size_t)INT_MAX ? (size_t)INT_MAX : count - done;
        const int rc = MPI_Allreduce(MPI_IN_PLACE, (char *)buf + done * elem, (int)n, t, MPI_SUM,
                                     h->comm);
        if (rc != MPI_SUCCESS) return mpi_fail(rc, fn, "MPI_Allreduce");
        done += n;
    }
    h->stats.seconds += MPI_Wtime() - t0;
    h->stats.calls++;
    h->stats.bytes += (uint64_t)(count * elem);
    return GRU_OK;
}

gru_status gru_mpi_reducer(gru_mpi *mpi, gru_grad_reducer *out) {
    static const char fn[] = "gru_mpi_reducer";
    gru_status s = check(mpi, fn);
    if (s) return s;
    if (!out) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'out' is NULL", fn);
    out->reduce = mpi_reduce;
    out->user = mpi;
    out->rank = mpi->rank;
    out->size = mpi->size;
    return GRU_OK;
}

gru_status gru_mpi_attach(gru_mpi *mpi, gru_seq_model *model) {
    static const char fn[] = "gru_mpi_attach";
    gru_status s = check(mpi, fn);
    if (s) return s;
    if (!model) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'model' is NULL", fn);
    if (!model->layer) return gru__fail(GRU_E_NULL, NULL, "%s: model.layer is NULL", fn);
    gru_cell *cell = gru_layer_cell(model->layer);
    if (!cell) return gru__fail(GRU_E_ARG, NULL, "%s: model.layer is not a valid layer", fn);
    if ((s = gru_cell_set_dropout_stream(cell, (uint64_t)mpi->rank)))
        return gru__fail_prefixed(s, NULL, fn);
    return gru_mpi_reducer(mpi, &model->reducer);
}

gru_status gru_mpi_get_stats(const gru_mpi *mpi, gru_mpi_stats *out) {
    static const char fn[] = "gru_mpi_get_stats";
    gru_status s = check(mpi, fn);
    if (s) return s;
    if (!out) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'out' is NULL", fn);
    *out = mpi->stats;
    return GRU_OK;
}

gru_status gru_mpi_reset_stats(gru_mpi *mpi) {
    gru_status s = check(mpi, "gru_mpi_reset_stats");
    if (s) return s;
    memset(&mpi->stats, 0, sizeof mpi->stats);
    return GRU_OK;
}

gru_status gru_mpi_barrier(gru_mpi *mpi) {
    static const char fn[] = "gru_mpi_barrier";
    gru_status s = check(mpi, fn);
    if (s) return s;
    const int rc = MPI_Barrier(mpi->comm);
    return rc == MPI_SUCCESS ? GRU_OK : mpi_fail(rc, fn, "MPI_Barrier");
}

gru_status gru_mpi_bcast(gru_mpi *mpi, void *buf, size_t bytes, int root) {
    static const char fn[] = "gru_mpi_bcast";
    gru_status s = check(mpi, fn);
    if (s) return s;
    if (root < 0 || root >= mpi->size)
        return gru__fail(GRU_E_ARG, NULL, "%s: argument 'root' must be in [0, %d), got %d", fn,
                         mpi->size, root);
    if (bytes > 0 && !buf) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'buf' is NULL", fn);
    for (size_t done = 0; done < bytes;) {
        const size_t n = bytes - done > (size_t)INT_MAX ? (size_t)INT_MAX : bytes - done;
        const int rc = MPI_Bcast((char *)buf + done, (int)n, MPI_BYTE, root, mpi->comm);
        if (rc != MPI_SUCCESS) return mpi_fail(rc, fn, "MPI_Bcast");
        done += n;
    }
    return GRU_OK;
}

gru_status gru_mpi_same(gru_mpi *mpi, const void *buf, size_t bytes, bool *same) {
    static const char fn[] = "gru_mpi_same";
    gru_status s = check(mpi, fn);
    if (s) return s;
    if (!same) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'same' is NULL", fn);
    if (bytes > 0 && !buf) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'buf' is NULL", fn);
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a 64 */
    const unsigned char *p = buf;
    for (size_t i = 0; i < bytes; i++) h = (h ^ p[i]) * 0x100000001b3ull;
    /* max over ranks of (x, ~x) gives (max x, ~min x): all equal iff they match */
    uint64_t v[4] = {h, ~h, (uint64_t)bytes, ~(uint64_t)bytes};
    const int rc = MPI_Allreduce(MPI_IN_PLACE, v, 4, MPI_UINT64_T, MPI_MAX, mpi->comm);
    if (rc != MPI_SUCCESS) return mpi_fail(rc, fn, "MPI_Allreduce");
    *same = v[0] == ~v[1] && v[2] == ~v[3];
    return GRU_OK;
}

gru_status gru_mpi_save_model(gru_mpi *mpi, const struct gru_model *model, const char *path) {
    static const char fn[] = "gru_mpi_save_model";
    gru_status s = check(mpi, fn);
    if (s) return s;
    int st = GRU_OK;
    if (mpi->rank == 0) {
        if (!model) st = gru__fail(GRU_E_NULL, NULL, "%s: argument 'model' is NULL on rank 0", fn);
        else if (!path) st = gru__fail(GRU_E_NULL, NULL, "%s: argument 'path' is NULL on rank 0", fn);
        else if ((st = gru_model_save_path(model, path))) gru__fail_prefixed((gru_status)st, NULL, fn);
    }
    const int rc = MPI_Bcast(&st, 1, MPI_INT, 0, mpi->comm);
    if (rc != MPI_SUCCESS) return mpi_fail(rc, fn, "MPI_Bcast");
    if (st != GRU_OK && mpi->rank != 0)
        return gru__fail((gru_status)st, NULL, "%s: rank 0 failed to write the checkpoint (%s)",
                         fn, gru_status_name((gru_status)st));
    return (gru_status)st;
}
