/*
 * tls.c - the per-thread object registry (tls.h).
 *
 * Each object hangs on a node in the registry's list, so that
 * gh_tls_free can reach the objects of threads that are still alive;
 * the list is touched only when a thread makes or drops its object, so
 * its mutex is never on a request's path.
 */
#include <pthread.h>
#include <stdlib.h>

#include "gh.h"
#include "util/tls.h"
#include "util/banned.h"

struct node {
	struct node *prev, *next;
	struct gh_tls *owner;
	void *obj;
};

struct gh_tls {
	pthread_key_t key;
	pthread_mutex_t mu; /* guards head */
	struct node *head;
	void *(*make)(void *arg);
	void (*destroy)(void *obj);
	void *arg;
};

/* pthread key destructor: a thread that had an object has exited. */
static void
node_drop(void *p)
{
	struct node *n = p;
	struct gh_tls *t = n->owner;

	pthread_mutex_lock(&t->mu);
	if (n->prev != NULL)
		n->prev->next = n->next;
	else
		t->head = n->next;
	if (n->next != NULL)
		n->next->prev = n->prev;
	pthread_mutex_unlock(&t->mu);
	t->destroy(n->obj);
	free(n);
}

struct gh_tls *
gh_tls_new(void *(*make)(void *arg), void (*destroy)(void *obj), void *arg)
{
	struct gh_tls *t = gh_xcalloc(1, sizeof(*t));

	t->make = make;
	t->destroy = destroy;
	t->arg = arg;
	if (pthread_mutex_init(&t->mu, NULL) != 0 ||
	    pthread_key_create(&t->key, node_drop) != 0)
		abort();
	return t;
}

void *
gh_tls_get(struct gh_tls *t)
{
	struct node *n = pthread_getspecific(t->key);
	void *obj;

	if (n != NULL)
		return n->obj;
	if ((obj = t->make(t->arg)) == NULL)
		return NULL;
	n = gh_xcalloc(1, sizeof(*n));
	n->owner = t;
	n->obj = obj;
	pthread_mutex_lock(&t->mu);
	n->next = t->head;
	if (n->next != NULL)
		n->next->prev = n;
	t->head = n;
	pthread_mutex_unlock(&t->mu);
	if (pthread_setspecific(t->key, n) != 0) {
		node_drop(n);
		return NULL;
	}
	return obj;
}

void
gh_tls_free(struct gh_tls *t)
{
	struct node *n, *next;

	if (t == NULL)
		return;
	/* after the delete no destructor runs: destroy every object left,
	 * including those of threads still alive */
	pthread_key_delete(t->key);
	pthread_mutex_lock(&t->mu);
	for (n = t->head; n != NULL; n = next) {
		next = n->next;
		t->destroy(n->obj);
		free(n);
	}
	t->head = NULL;
	pthread_mutex_unlock(&t->mu);
	pthread_mutex_destroy(&t->mu);
	free(t);
}
