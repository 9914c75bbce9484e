/* The thread pool's internal interface (threadpool.c with pthreads,
 * threadpool_none.c without). A pool is created by the caller
 * (gru_threadpool_create) and lent to calls through their handles; the core
 * never starts threads of its own. */
#ifndef GRU_THREADPOOL_INTERNAL_H
#define GRU_THREADPOOL_INTERNAL_H

#include "gru.h"

/* One job: fn(arg, tid, nth) runs on every thread of the pool, tid 0 on the
 * calling thread, tid 1 .. nth-1 on the workers. */
typedef void (*gru__pool_fn)(void *arg, int tid, int nth);

/* Threads of a pool (workers + the caller); 1 for NULL or an invalid pool. */
int gru__pool_threads(const gru_threadpool *pool);
/* Run a job on all the pool's threads and return when every thread has
 * finished it (the results are then visible to the caller): 1. Returns 0
 * without running anything when the pool is busy with another call (the
 * caller then runs the work on its own thread) or has one thread. Never
 * allocates. */
int gru__pool_run(gru_threadpool *pool, gru__pool_fn fn, void *arg);
/* Inside a job: wait until every thread of the pool has reached this
 * barrier (spin-wait on atomics; release/acquire: what a thread wrote before
 * it is visible to all after it). */
void gru__pool_barrier(gru_threadpool *pool);

#endif
