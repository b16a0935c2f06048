/* SPDX-License-Identifier: MIT */
/*
 * shm.h - the shared-memory segment of the shm backend (internal).
 *
 * Layout: one 4 KiB header page, then MKRT__SHM_RINGS rings of `slots`
 * slots each, in the wire format of protocol.h. Every word another process
 * can write is read with atomic loads and trusted for nothing but what the
 * reader checks itself.
 */
#ifndef MKRT_SHM_PRIV_H
#define MKRT_SHM_PRIV_H

#include "backend.h"
#include <pthread.h>
#include "mkrt/shm.h"

#define MKRT__SHM_MAGIC   0x31304d4853544b4dull /* "MKTSHM01" */
#define MKRT__SHM_VERSION 3u
#define MKRT__SHM_RINGS   (1u + MKRT_SHM_CLIENTS)
#define MKRT__SHM_HEADER  4096u

struct mkrt__shm_header {
	uint64_t magic;
	uint32_t version, header_bytes, rings, slots;  /* slots per ring */
	uint32_t server_pid;
	uint32_t live;                      /* 1 while the broker runs */
	uint64_t forwarded, completed, rejected;
	uint64_t ring_completed[MKRT__SHM_RINGS], ring_faults[MKRT__SHM_RINGS];
	uint64_t ring_rejected[MKRT__SHM_RINGS];
	uint32_t owner[MKRT__SHM_RINGS];    /* producer pid of each ring, 0: free */
	/* what a client may learn (mkrt_shm_client_info) */
	uint32_t control_words;
	char backend[MKRT_SHM_INFO_NAME];
	char device[MKRT_SHM_INFO_NAME];
	/* Robust and process-shared: the server's keeper thread holds it while
	 * the broker serves. However the server dies, even by SIGKILL, the
	 * kernel releases it as the process exits, and a client's trylock then
	 * says EOWNERDEAD (or ENOTRECOVERABLE after the first client saw it). */
	pthread_mutex_t alive __attribute__((aligned(64))); /* its own line: clients poll it */
};
_Static_assert(sizeof(struct mkrt__shm_header) <= MKRT__SHM_HEADER, "header fits its page");

/* A mapped segment. */
struct mkrt__shm_map {
	struct mkrt__shm_header *hdr;
	uint32_t *rings;                    /* rings * slots * 16 words */
	size_t bytes;
};

/* Bytes of a segment of @slots per ring; 0 on overflow. */
size_t mkrt__shm_bytes(uint32_t slots);
/* Words of ring @r. */
static inline uint32_t *mkrt__shm_ring(const struct mkrt__shm_map *m, uint32_t r)
{
	return m->rings + (size_t)r * m->hdr->slots * MKRT_SLOT_WORDS;
}
/* Create (server) or map (client) the segment; SHM with a detail. */
int mkrt__shm_create(const char *name, uint32_t slots, struct mkrt__shm_map *out);
int mkrt__shm_attach(const char *name, struct mkrt__shm_map *out);
void mkrt__shm_unmap(struct mkrt__shm_map *m);
void mkrt__shm_stats(const struct mkrt__shm_header *h, struct mkrt_shm_stats *out);
/*
 * shm_live.c - the server's liveness. The keeper is a server thread that
 * holds the segment's alive mutex while the broker serves, so that clients
 * learn of the server's death from the kernel, however it died.
 */
struct mkrt__shm_keeper {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	enum { MKRT__KEEP_STARTING, MKRT__KEEP_HOLDING, MKRT__KEEP_RELEASE, MKRT__KEEP_FAILED } state;
	bool joinable;
	struct mkrt__shm_header *hdr;
};
/* Start the keeper and wait until it holds @hdr's alive mutex. Errors:
 * ETHREAD, ESHM (the mutex could not be taken). */
int mkrt__shm_keeper_start(struct mkrt__shm_keeper *k, struct mkrt__shm_header *hdr);
/* Let go of the mutex and join the keeper; a no-op if it never started.
 * Clients that look from now on see the server gone. */
void mkrt__shm_keeper_stop(struct mkrt__shm_keeper *k);
/* Whether the server of @h still serves: live, and its keeper still holds
 * the alive mutex. Any process. */
bool mkrt__shm_server_alive(struct mkrt__shm_header *h);

/*
 * The broker's intake: 0 when the snapshot @w of a PUBLISHED slot may be
 * forwarded, else MKRT_FAULT_REJECTED. @tenant_base is C[TENANT_BASE] as it
 * is now. @untrusted (a producer in another process) also refuses an op that
 * would write a control word below OBS, inside a PACKED_SLOT too. Pure:
 * looks at nothing but its arguments.
 */
uint32_t mkrt__shm_intake(const uint32_t w[MKRT_SLOT_WORDS], uint32_t tenant_base, bool untrusted);
/* Whether @req (a builtin or a PACKED_SLOT that passed mkrt_publish's
 * checks) would write a control word below OBS: STORE_U32 and ATOMIC_ADD
 * targets, COMPARE_SWAP's target, a non-empty MEMCPY destination. */
bool mkrt__shm_writes_system_words(const struct mkrt_slot *req);


/*
 * shm_broker.c (the backend's ops) and shm_pass.c (the broker's pass): the
 * backend's state.
 */
struct mkrt__shm {
	struct mkrt__backend_ops inner;
	void *istate;
	char inner_device[MKRT__DEVICE_ARG_LEN]; /* the device it opened on, by index */
	struct mkrt__shm_map map;
	char name[MKRT_SHM_NAME_MAX + 1];
	uint32_t slots, total;          /* per ring; in all rings */

	/* the broker's; under lock */
	pthread_mutex_t lock;
	uint32_t *fwd;                  /* per inner slot: 0, or the pass that forwarded it */
	uint32_t pass, inflight;
	uint32_t tenant_base;           /* C[TENANT_BASE] as last read ... */
	bool base_stale;                /* ... unless something may have moved it since */
	uint32_t *view;                 /* the inner ring, read once per pass ... */
	uint32_t *iring;                /* ... unless the host addresses it directly */

	struct mkrt__poller broker;

	struct mkrt__shm_keeper keeper; /* holds the segment's alive mutex while we serve */
};

/* shm_pass.c: one pass of the broker under its lock (with @wait false,
 * none if the lock is taken): intake, forward, finish. Returns how many
 * slots it moved. */
uint32_t mkrt__shm_pass(struct mkrt__shm *b, bool wait);
/* The broker thread's pass (mkrt__poller). */
uint32_t mkrt__shm_broker_pass(void *arg);

#endif /* MKRT_SHM_PRIV_H */
