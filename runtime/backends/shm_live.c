/* SPDX-License-Identifier: MIT */
/*
 * shm_live.c - the shm server's liveness (shm.h), with no heartbeat, so a
 * loaded machine cannot make a live server look dead.
 *
 * The segment holds a robust, process-shared mutex. The server's keeper
 * thread takes it when the broker starts serving and lets go when it
 * stops; if the server dies instead, even by SIGKILL, the kernel releases
 * it as the process exits, and the next trylock says EOWNERDEAD. A client
 * asks with a trylock: EBUSY means the keeper holds it.
 */
#include "backend.h"
#include "shm.h"

#include <errno.h>

static void *mkrt__shm_keep(void *arg)
{
	struct mkrt__shm_keeper *k = arg;
	int rc = pthread_mutex_lock(&k->hdr->alive);

	pthread_mutex_lock(&k->lock);
	k->state = rc == 0 ? MKRT__KEEP_HOLDING : MKRT__KEEP_FAILED;
	pthread_cond_broadcast(&k->cond);
	while (k->state == MKRT__KEEP_HOLDING)
		pthread_cond_wait(&k->cond, &k->lock);
	pthread_mutex_unlock(&k->lock);
	if (rc == 0)
		pthread_mutex_unlock(&k->hdr->alive);
	return NULL;
}

int mkrt__shm_keeper_start(struct mkrt__shm_keeper *k, struct mkrt__shm_header *hdr)
{
	k->hdr = hdr;
	k->state = MKRT__KEEP_STARTING;
	pthread_mutex_init(&k->lock, NULL);
	pthread_cond_init(&k->cond, NULL);
	if (pthread_create(&k->thread, NULL, mkrt__shm_keep, k)) {
		pthread_cond_destroy(&k->cond);
		pthread_mutex_destroy(&k->lock);
		return MKRT_ETHREAD;
	}
	k->joinable = true;
	pthread_mutex_lock(&k->lock);
	while (k->state == MKRT__KEEP_STARTING)
		pthread_cond_wait(&k->cond, &k->lock);
	bool held = k->state == MKRT__KEEP_HOLDING;
	pthread_mutex_unlock(&k->lock);
	return held ? 0 : MKRT_ESHM;
}

void mkrt__shm_keeper_stop(struct mkrt__shm_keeper *k)
{
	if (!k->joinable)
		return;
	pthread_mutex_lock(&k->lock);
	if (k->state == MKRT__KEEP_HOLDING)
		k->state = MKRT__KEEP_RELEASE;
	pthread_cond_broadcast(&k->cond);
	pthread_mutex_unlock(&k->lock);
	pthread_join(k->thread, NULL);
	k->joinable = false;
	pthread_cond_destroy(&k->cond);
	pthread_mutex_destroy(&k->lock);
}

bool mkrt__shm_server_alive(struct mkrt__shm_header *h)
{
	/* acquire: a server that stopped cleared live before it let go */
	if (!mkrt__load_acquire(&h->live))
		return false;
	int rc = pthread_mutex_trylock(&h->alive);
	if (rc == EBUSY)
		return true; /* its keeper holds it (or another client looks this instant) */
	if (rc == EOWNERDEAD) {
		/* it died holding it: say so for every client, then leave the
		 * mutex sound (glibc leaves an unrecoverable one locked) */
		mkrt__store_release(&h->live, 0);
		pthread_mutex_consistent(&h->alive);
		rc = 0;
	}
	if (rc == 0) /* ours now: it stopped just after we looked, or died */
		pthread_mutex_unlock(&h->alive);
	return false;
}
