/*
 * tls.h - a per-thread object registry: each thread that asks gets its
 * own object, made on first use; every object is found again at the end.
 *
 * The JWT key's token caches, the store's authentication caches and the
 * SQLite connections are per-thread objects of this kind.  A thread's
 * object is destroyed when the thread exits (a pthread key destructor)
 * or, for threads still alive, by gh_tls_free; either way exactly once.
 * After gh_tls_free no thread may use an object it got from the
 * registry.
 */
#ifndef GH_TLS_H
#define GH_TLS_H

struct gh_tls;

/*
 * A registry whose objects are made by make(arg) (NULL: this thread
 * gets none, and asks again next time) and destroyed by destroy(obj).
 * Freed with gh_tls_free.  Aborts when the process is out of pthread
 * keys.
 */
struct gh_tls *gh_tls_new(
    void *(*make)(void *arg), void (*destroy)(void *obj), void *arg);

/* This thread's object, made on first use; NULL when make failed. */
void *gh_tls_get(struct gh_tls *t);

/* Destroy every object still registered, then the registry. */
void gh_tls_free(struct gh_tls *t);

#endif /* GH_TLS_H */
