/* The gru_mpi_* functions of a libgru built without MPI (GRU_WITH_MPI=OFF,
 * or CMake found no MPI): each returns GRU_E_UNSUPPORTED with a message. */
#include "internal.h"

static gru_status none(const char *fn) {
    return gru__fail(GRU_E_UNSUPPORTED, NULL,
                     "%s: libgru was built without MPI (GRU_WITH_MPI=OFF, or CMake found no "
                     "MPI: apt-get install libopenmpi-dev and rebuild)", fn);
}

gru_status gru_mpi_init(int *argc, char ***argv) {
    (void)argc, (void)argv;
    return none("gru_mpi_init");
}
gru_status gru_mpi_finalize(void) { return none("gru_mpi_finalize"); }
gru_status gru_mpi_create(const void *comm, gru_mpi **out) {
    (void)comm;
    if (out) *out = NULL;
    return none("gru_mpi_create");
}
void gru_mpi_free(gru_mpi *mpi) { (void)mpi; }
gru_status gru_mpi_rank(const gru_mpi *mpi, int *rank, int *size) {
    (void)mpi, (void)rank, (void)size;
    return none("gru_mpi_rank");
}
gru_status gru_mpi_reducer(gru_mpi *mpi, gru_grad_reducer *out) {
    (void)mpi, (void)out;
    return none("gru_mpi_reducer");
}
gru_status gru_mpi_attach(gru_mpi *mpi, gru_seq_model *model) {
    (void)mpi, (void)model;
    return none("gru_mpi_attach");
}
gru_status gru_mpi_get_stats(const gru_mpi *mpi, gru_mpi_stats *out) {
    (void)mpi, (void)out;
    return none("gru_mpi_get_stats");
}
gru_status gru_mpi_reset_stats(gru_mpi *mpi) {
    (void)mpi;
    return none("gru_mpi_reset_stats");
}
gru_status gru_mpi_barrier(gru_mpi *mpi) {
    (void)mpi;
    return none("gru_mpi_barrier");
}
gru_status gru_mpi_bcast(gru_mpi *mpi, void *buf, size_t bytes, int root) {
    (void)mpi, (void)buf, (void)bytes, (void)root;
    return none("gru_mpi_bcast");
}
gru_status gru_mpi_same(gru_mpi *mpi, const void *buf, size_t bytes, bool *same) {
    (void)mpi, (void)buf, (void)bytes, (void)same;
    return none("gru_mpi_same");
}
gru_status gru_mpi_save_model(gru_mpi *mpi, const struct gru_model *model, const char *path) {
    (void)mpi, (void)model, (void)path;
    return none("gru_mpi_save_model");
}
