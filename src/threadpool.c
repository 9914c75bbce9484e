/* The thread pool (pthreads; compiled only where CMake finds them). The
 * caller creates it and lends it to calls (gru_layer_set_threadpool); its
 * workers sleep on a condition variable between jobs, and inside a job the
 * threads meet at a spin-wait barrier on C11 atomics (a forward call of a
 * batch-1 layer meets once or twice per time step, so the barrier must cost
 * well under a microsecond, which a futex wait does not). A worker that has
 * spun for a long time yields its core (sched_yield), so an oversubscribed
 * machine still makes progress. Nothing is allocated after create. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "internal.h"
#include "threadpool_internal.h"

#define POOL_MAGIC 0x67727574706f6f6cull /* "grutpool" */
#define POOL_MAX_THREADS 1024
#define SPINS_BEFORE_YIELD 20000u

typedef struct worker_arg {
    gru_threadpool *pool;
    int tid;
} worker_arg;

struct gru_threadpool {
    uint64_t magic;
    int n;                 /* threads, the caller's included */
    int started;           /* workers actually started */
    pthread_t *th;         /* n - 1 workers */
    worker_arg *args;
    pthread_mutex_t mu;    /* guards job_gen, fn, arg, stop */
    pthread_cond_t cv;
    unsigned long job_gen;
    int stop;
    gru__pool_fn fn;
    void *arg;
    atomic_int busy;       /* a call holds the pool */
    _Alignas(64) atomic_uint bar_count;
    _Alignas(64) atomic_uint bar_gen;
    char pad[64 - sizeof(atomic_uint)];
};

static inline void cpu_relax(void) {
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
    __builtin_ia32_pause();
#elif defined(__aarch64__) && (defined(__GNUC__) || defined(__clang__))
    __asm__ __volatile__("yield");
#endif
}

void gru__pool_barrier(gru_threadpool *p) {
    if (!p || p->n <= 1) return;
    const unsigned g = atomic_load_explicit(&p->bar_gen, memory_order_acquire);
    if (atomic_fetch_add_explicit(&p->bar_count, 1u, memory_order_acq_rel) + 1u == (unsigned)p->n) {
        /* last to arrive: reset the count, then release the others */
        atomic_store_explicit(&p->bar_count, 0u, memory_order_relaxed);
        atomic_store_explicit(&p->bar_gen, g + 1u, memory_order_release);
        return;
    }
    unsigned spins = 0;
    while (atomic_load_explicit(&p->bar_gen, memory_order_acquire) == g) {
        cpu_relax();
        if (++spins >= SPINS_BEFORE_YIELD) {
            spins = 0;
            sched_yield();
        }
    }
}

static void *worker(void *a_) {
    const worker_arg *a = a_;
    gru_threadpool *p = a->pool;
    unsigned long seen = 0;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (p->job_gen == seen && !p->stop) pthread_cond_wait(&p->cv, &p->mu);
        if (p->stop) {
            pthread_mutex_unlock(&p->mu);
            return NULL;
        }
        seen = p->job_gen;
        gru__pool_fn fn = p->fn;
        void *arg = p->arg;
        pthread_mutex_unlock(&p->mu);
        fn(arg, a->tid, p->n);
        gru__pool_barrier(p); /* the job's end */
    }
}

int gru__pool_threads(const gru_threadpool *p) {
    return p && p->magic == POOL_MAGIC ? p->n : 1;
}

int gru__pool_run(gru_threadpool *p, gru__pool_fn fn, void *arg) {
    if (!p || p->magic != POOL_MAGIC || p->n <= 1) return 0;
    int expected = 0;
    if (!atomic_compare_exchange_strong(&p->busy, &expected, 1)) return 0;
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->arg = arg;
    p->job_gen++;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    fn(arg, 0, p->n);
    gru__pool_barrier(p);
    atomic_store(&p->busy, 0);
    return 1;
}

static void stop_workers(gru_threadpool *p) {
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->started; i++) pthread_join(p->th[i], NULL);
}

gru_status gru_threadpool_create(int n_threads, gru_threadpool **out) {
    static const char fn[] = "gru_threadpool_create";
    if (!out) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'out' is NULL", fn);
    *out = NULL;
    if (n_threads <= 0 || n_threads > POOL_MAX_THREADS)
        return gru__fail(GRU_E_ARG, NULL, "%s: argument 'n_threads' must be in [1, %d], got %d",
                         fn, POOL_MAX_THREADS, n_threads);
    gru_threadpool *p = aligned_alloc(64, gru__align64(sizeof *p));
    if (!p) return gru__fail(GRU_E_NOMEM, NULL, "%s: allocating the pool failed", fn);
    const size_t nw = (size_t)n_threads - 1;
    p->magic = 0;
    p->n = n_threads;
    p->started = 0;
    p->job_gen = 0;
    p->stop = 0;
    p->fn = NULL;
    p->arg = NULL;
    atomic_init(&p->busy, 0);
    atomic_init(&p->bar_count, 0u);
    atomic_init(&p->bar_gen, 0u);
    p->th = nw ? malloc(nw * sizeof *p->th) : NULL;
    p->args = nw ? malloc(nw * sizeof *p->args) : NULL;
    if (nw && (!p->th || !p->args)) {
        free(p->th), free(p->args), free(p);
        return gru__fail(GRU_E_NOMEM, NULL, "%s: allocating %d threads' records failed", fn,
                         n_threads);
    }
    if (pthread_mutex_init(&p->mu, NULL)) {
        free(p->th), free(p->args), free(p);
        return gru__fail(GRU_E_NOMEM, NULL, "%s: pthread_mutex_init failed", fn);
    }
    if (pthread_cond_init(&p->cv, NULL)) {
        pthread_mutex_destroy(&p->mu);
        free(p->th), free(p->args), free(p);
        return gru__fail(GRU_E_NOMEM, NULL, "%s: pthread_cond_init failed", fn);
    }
    for (size_t i = 0; i < nw; i++) {
        p->args[i].pool = p;
        p->args[i].tid = (int)i + 1;
        if (pthread_create(&p->th[i], NULL, worker, &p->args[i])) {
            stop_workers(p);
            pthread_cond_destroy(&p->cv);
            pthread_mutex_destroy(&p->mu);
            free(p->th), free(p->args), free(p);
            return gru__fail(GRU_E_NOMEM, NULL, "%s: starting thread %zu of %d failed", fn, i + 1,
                             n_threads);
        }
        p->started++;
    }
    p->magic = POOL_MAGIC;
    *out = p;
    return GRU_OK;
}

int gru_threadpool_threads(const gru_threadpool *pool) { return gru__pool_threads(pool); }

void gru_threadpool_free(gru_threadpool *p) {
    if (!p || p->magic != POOL_MAGIC) return;
    p->magic = 0;
    stop_workers(p);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p->th), free(p->args), free(p);
}
