/* The thread pool where the build has no pthreads: creating one returns
 * GRU_E_UNSUPPORTED, so every call runs on the caller's thread. */
#include "internal.h"
#include "threadpool_internal.h"

gru_status gru_threadpool_create(int n_threads, gru_threadpool **out) {
    if (out) *out = NULL;
    (void)n_threads;
    return gru__fail(GRU_E_UNSUPPORTED, NULL,
                     "gru_threadpool_create: libgru was built without pthreads");
}

void gru_threadpool_free(gru_threadpool *pool) { (void)pool; }

int gru_threadpool_threads(const gru_threadpool *pool) {
    (void)pool;
    return 1;
}

int gru__pool_threads(const gru_threadpool *pool) {
    (void)pool;
    return 1;
}

int gru__pool_run(gru_threadpool *pool, gru__pool_fn fn, void *arg) {
    (void)pool, (void)fn, (void)arg;
    return 0;
}

void gru__pool_barrier(gru_threadpool *pool) { (void)pool; }
