/* SPDX-License-Identifier: MIT */
/*
 * shm.c - the shared-memory segment, the broker's intake and the client API.
 *
 * The server creates the segment with O_EXCL and mode 0600; a segment left
 * behind by a server that died is recognised by its dead server_pid and
 * replaced. A client checks the header against the file's real size before
 * it believes any of it, and takes a ring by CAS on its owner word: free (0)
 * or held by a process that no longer exists.
 */
#include "backend.h"
#include "shm.h"
#include "atomics.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int mkrt_shm_name_valid(const char *name)
{
	if (!name)
		return MKRT_EINVAL;
	size_t len = strlen(name);
	if (len < 2 || len > MKRT_SHM_NAME_MAX || name[0] != '/')
		goto bad;
	for (size_t i = 1; i < len; i++) {
		char ch = name[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      ch == '.' || ch == '_' || ch == '-'))
			goto bad;
	}
	if (strcmp(name, "/.") == 0 || strcmp(name, "/..") == 0)
		goto bad;
	return 0;
bad:
	mkrt__detail("shm name '%.64s' is not '/' followed by 1 to %u of [A-Za-z0-9._-]", name,
		     MKRT_SHM_NAME_MAX - 1);
	return MKRT_ESHM;
}

size_t mkrt__shm_bytes(uint32_t slots)
{
	if (!slots || slots > MKRT_MAX_ENTRIES)
		return 0;
	/* at most 5 * 2^20 * 64 bytes: no overflow in size_t */
	return MKRT__SHM_HEADER + (size_t)MKRT__SHM_RINGS * slots * MKRT_SLOT_BYTES;
}

static bool mkrt__pid_alive(uint32_t pid)
{
	return pid && (kill((pid_t)pid, 0) == 0 || errno != ESRCH);
}

static int mkrt__shm_map_fd(int fd, size_t bytes, struct mkrt__shm_map *out)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED) {
		mkrt__detail("mmap of %zu bytes: %s", bytes, strerror(errno));
		return MKRT_ESHM;
	}
	out->hdr = p;
	out->rings = (uint32_t *)((char *)p + MKRT__SHM_HEADER);
	out->bytes = bytes;
	return 0;
}

/* A segment @name left by a server that is gone: unlink it. */
static void mkrt__shm_reap(const char *name)
{
	struct mkrt__shm_map m;
	int fd = shm_open(name, O_RDWR, 0);
	struct stat st;

	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0 && st.st_uid == geteuid() && (size_t)st.st_size >= MKRT__SHM_HEADER &&
	    mkrt__shm_map_fd(fd, MKRT__SHM_HEADER, &m) == 0) {
		uint32_t pid = mkrt__load_acquire(&m.hdr->server_pid);
		if (m.hdr->magic == MKRT__SHM_MAGIC && !mkrt__pid_alive(pid))
			shm_unlink(name);
		munmap(m.hdr, MKRT__SHM_HEADER);
	}
	close(fd);
}

int mkrt__shm_create(const char *name, uint32_t slots, struct mkrt__shm_map *out)
{
	size_t bytes = mkrt__shm_bytes(slots);
	int err = mkrt_shm_name_valid(name), fd;

	if (err)
		return err;
	if (!bytes)
		return MKRT_ETOOBIG;
	fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0 && errno == EEXIST) {
		mkrt__shm_reap(name);
		fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	}
	if (fd < 0) {
		mkrt__detail("shm_open(%s): %s%s", name, strerror(errno),
			     errno == EEXIST ? " (a live server holds it: pick another name)" : "");
		return MKRT_ESHM;
	}
	/* 0600 whatever the umask; only this user may map it */
	if (fchmod(fd, 0600) || ftruncate(fd, (off_t)bytes)) {
		mkrt__detail("shm %s: sizing to %zu bytes: %s", name, bytes, strerror(errno));
		err = MKRT_ESHM;
	}
	err = err ? err : mkrt__shm_map_fd(fd, bytes, out);
	close(fd);
	if (err) {
		shm_unlink(name);
		return err;
	}
	struct mkrt__shm_header *h = out->hdr;
	h->version = MKRT__SHM_VERSION;
	h->header_bytes = MKRT__SHM_HEADER;
	h->rings = MKRT__SHM_RINGS;
	h->slots = slots;
	h->server_pid = (uint32_t)getpid();
	h->owner[0] = (uint32_t)getpid(); /* ring 0 is the server's own */
	pthread_mutexattr_t ma;
	if (pthread_mutexattr_init(&ma) || pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED) ||
	    pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST) || pthread_mutex_init(&h->alive, &ma)) {
		mkrt__detail("shm %s: no robust process-shared mutex for the server's liveness", name);
		mkrt__shm_unmap(out);
		shm_unlink(name);
		return MKRT_ESHM;
	}
	pthread_mutexattr_destroy(&ma);
	/* release: a client that sees the magic sees the header */
	__atomic_store_n(&h->magic, MKRT__SHM_MAGIC, __ATOMIC_RELEASE);
	return 0;
}

int mkrt__shm_attach(const char *name, struct mkrt__shm_map *out)
{
	struct stat st;
	int err = mkrt_shm_name_valid(name), fd;

	if (err)
		return err;
	fd = shm_open(name, O_RDWR, 0);
	if (fd < 0) {
		mkrt__detail("shm_open(%s): %s%s", name, strerror(errno),
			     errno == ENOENT ? " (no server: start one, e.g. mkrt serve --name NAME)" : "");
		return MKRT_ESHM;
	}
	err = fstat(fd, &st) ? MKRT_ESHM : 0;
	if (!err && ((size_t)st.st_size < MKRT__SHM_HEADER || st.st_uid != geteuid())) {
		mkrt__detail("shm %s: %s", name, st.st_uid != geteuid() ? "owned by another user"
									: "too short for a mkrt segment");
		err = MKRT_ESHM;
	}
	err = err ? err : mkrt__shm_map_fd(fd, (size_t)st.st_size, out);
	close(fd);
	if (err)
		return err;
	/* believe nothing the file says until it agrees with the file */
	struct mkrt__shm_header *h = out->hdr;
	if (__atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != MKRT__SHM_MAGIC ||
	    h->version != MKRT__SHM_VERSION || h->header_bytes != MKRT__SHM_HEADER ||
	    h->rings != MKRT__SHM_RINGS || mkrt__shm_bytes(h->slots) != out->bytes) {
		mkrt__detail("shm %s: not a mkrt segment of version %u", name, MKRT__SHM_VERSION);
		mkrt__shm_unmap(out);
		return MKRT_ESHM;
	}
	return 0;
}

void mkrt__shm_unmap(struct mkrt__shm_map *m)
{
	if (m->hdr)
		munmap(m->hdr, m->bytes);
	m->hdr = NULL;
	m->rings = NULL;
}

void mkrt__shm_stats(const struct mkrt__shm_header *h, struct mkrt_shm_stats *out)
{
	out->forwarded = mkrt__load64_relaxed(&h->forwarded);
	out->completed = mkrt__load64_relaxed(&h->completed);
	out->rejected = mkrt__load64_relaxed(&h->rejected);
	for (uint32_t r = 0; r < MKRT__SHM_RINGS; r++) {
		out->ring_completed[r] = mkrt__load64_relaxed(&h->ring_completed[r]);
		out->ring_faults[r] = mkrt__load64_relaxed(&h->ring_faults[r]);
		out->ring_rejected[r] = mkrt__load64_relaxed(&h->ring_rejected[r]);
		out->owner[r] = mkrt__load_relaxed(&h->owner[r]);
	}
}

/* Whether builtin @op with arguments @a would write a control word below
 * OBS, the system's (DESIGN §3): the rule for producers in other processes.
 * BATCH_FENCE's own EPOCH increment is allowed; LOAD_U32, COMPARE_SWAP's
 * result and DFA_STEP write at OBS + an argument, computed without wrapping
 * by the executors, so only COMPARE_SWAP's target can reach below OBS. */
static bool mkrt__writes_system_word(uint32_t op, const uint32_t a[MKRT_PACKED_OP_ARGS])
{
	switch (op) {
	case MKRT_OP_STORE_U32:
	case MKRT_OP_ATOMIC_ADD:
		return a[1] < MKRT_CTL_OBS;
	case MKRT_OP_COMPARE_SWAP:
		return a[0] < MKRT_CTL_OBS;
	case MKRT_OP_MEMCPY:
		return a[2] != 0 && a[1] < MKRT_CTL_OBS; /* C[a1 .. a1 + a2) */
	}
	return false;
}

bool mkrt__shm_writes_system_words(const struct mkrt_slot *req)
{
	struct mkrt_packed_op ops[MKRT_PACKED_MAX_OPS];
	int n = 1;

	if (req->opcode == MKRT_OP_PACKED_SLOT) {
		n = mkrt__packed_parse(req->args, ops);
	} else {
		ops[0].opcode = req->opcode;
		memcpy(ops[0].args, req->args, sizeof(ops[0].args));
	}
	for (int k = 0; k < n; k++)
		if (mkrt__writes_system_word(ops[k].opcode, ops[k].args))
			return true;
	return false;
}

uint32_t mkrt__shm_intake(const uint32_t w[MKRT_SLOT_WORDS], uint32_t tenant_base, bool untrusted)
{
	struct mkrt_slot req;

	if (w[MKRT_SLOT_STATUS] != MKRT_STATUS_PUBLISHED)
		return MKRT_FAULT_REJECTED;
	mkrt__slot_from_words(w, &req);
	/* what mkrt_publish refuses, and SHUTDOWN: no producer stops the server */
	if (req.opcode == MKRT_OP_SHUTDOWN || mkrt__request_check(&req, MKRT_SLOT_ARGS))
		return MKRT_FAULT_REJECTED;
	/* a tenant outside the table would sit PUBLISHED forever */
	if ((uint64_t)tenant_base + req.tenant > MKRT_CTL_TENANT_LAST)
		return MKRT_FAULT_REJECTED;
	/* the system's words are out of another process's reach, inner ops too */
	if (untrusted && mkrt__shm_writes_system_words(&req))
		return MKRT_FAULT_REJECTED;
	return 0;
}

/* ---- the client ------------------------------------------------------------------------------ */

struct mkrt_shm_client {
	struct mkrt__shm_map map;
	uint32_t ring, slots, cursor;
	uint32_t *words;             /* this client's ring */
};

int mkrt_shm_client_open(const char *name, struct mkrt_shm_client **out)
{
	struct mkrt_shm_client *c;
	uint32_t me = (uint32_t)getpid();
	int err;

	mkrt__detail("%s", "");
	if (!name || !out)
		return MKRT_EINVAL;
	if (!(c = calloc(1, sizeof(*c))))
		return MKRT_ENOMEM;
	err = mkrt__shm_attach(name, &c->map);
	if (err)
		goto out_free;
	struct mkrt__shm_header *h = c->map.hdr;
	if (!mkrt__shm_server_alive(h)) {
		mkrt__detail("shm %s: its server (pid %u) stopped or died. Fix: start it again (mkrt serve "
			     "--name %s)", name, mkrt__load_relaxed(&h->server_pid), name);
		err = MKRT_ESHUTDOWN;
		goto out_unmap;
	}
	for (uint32_t r = 1; r < MKRT__SHM_RINGS; r++) {
		uint32_t owner = mkrt__load_acquire(&h->owner[r]);
		if (owner && mkrt__pid_alive(owner))
			continue;
		/* acq_rel: we take over after the last owner's publishes */
		if (mkrt__cas_acq_rel(&h->owner[r], &owner, me)) {
			c->ring = r;
			c->slots = h->slots;
			c->words = mkrt__shm_ring(&c->map, r);
			*out = c;
			return 0;
		}
	}
	mkrt__detail("shm %s: all %u producer rings are taken by live processes", name, MKRT_SHM_CLIENTS);
	err = MKRT_ESHM;
out_unmap:
	mkrt__shm_unmap(&c->map);
out_free:
	free(c);
	return err;
}

uint32_t mkrt_shm_client_slots(const struct mkrt_shm_client *c)
{
	return c ? c->slots : 0;
}

static bool mkrt__client_server_gone(const struct mkrt_shm_client *c)
{
	return !mkrt__shm_server_alive(c->map.hdr);
}

int mkrt_shm_client_info(struct mkrt_shm_client *c, struct mkrt_shm_info *out)
{
	if (!c || !out)
		return MKRT_EINVAL;
	if (mkrt__client_server_gone(c))
		return MKRT_ESHUTDOWN;
	const struct mkrt__shm_header *h = c->map.hdr;
	memset(out, 0, sizeof(*out));
	out->slots = c->slots;
	out->control_words = h->control_words;
	out->server_pid = h->server_pid;
	/* bounded whatever the segment holds */
	memcpy(out->backend, h->backend, sizeof(out->backend) - 1);
	memcpy(out->device, h->device, sizeof(out->device) - 1);
	return 0;
}

int mkrt_shm_client_submit(struct mkrt_shm_client *c, const struct mkrt_slot *req, uint32_t nargs,
			   uint32_t timeout_ms, uint32_t *slot)
{
	struct mkrt__backoff backoff = { 0 };
	uint64_t deadline = 0;

	if (!c || !req || !slot)
		return MKRT_EINVAL;
	int err = mkrt__request_check(req, nargs);
	if (err)
		return err;
	for (;;) {
		if (mkrt__client_server_gone(c))
			return MKRT_ESHUTDOWN;
		for (uint32_t i = 0; i < c->slots; i++) {
			uint32_t s = (c->cursor + i) % c->slots;
			/* the broker writes a slot back DONE or FAULT; only we publish */
			uint32_t st = mkrt__load_acquire(&c->words[s * MKRT_SLOT_WORDS + MKRT_SLOT_STATUS]);
			if (st != MKRT_STATUS_EMPTY && st != MKRT_STATUS_DONE && st != MKRT_STATUS_FAULT)
				continue;
			uint32_t w[MKRT_SLOT_WORDS];
			mkrt__slot_to_words(req, w);
			memset(w + MKRT_SLOT_ARG0 + nargs, 0, (MKRT_SLOT_ARGS - nargs) * sizeof(uint32_t));
			w[MKRT_SLOT_STATUS] = MKRT_STATUS_PUBLISHED;
			mkrt_shm_client_publish_raw(c, s, w);
			c->cursor = (s + 1) % c->slots;
			*slot = s;
			return 0;
		}
		if (!deadline)
			deadline = mkrt__now_ns() + (uint64_t)timeout_ms * 1000000u;
		if (mkrt__now_ns() >= deadline)
			return MKRT_ERINGFULL;
		mkrt__backoff_pause(&backoff);
	}
}

int mkrt_shm_client_publish_raw(struct mkrt_shm_client *c, uint32_t slot, const uint32_t words[MKRT_SLOT_WORDS])
{
	if (!c || !words)
		return MKRT_EINVAL;
	if (slot >= c->slots)
		return MKRT_ERANGE;
	uint32_t *s = c->words + (size_t)slot * MKRT_SLOT_WORDS;
	for (uint32_t i = 1; i < MKRT_SLOT_WORDS; i++)
		mkrt__store_relaxed(&s[i], words[i]);
	/* release: the broker that acquires STATUS sees the payload */
	mkrt__store_release(&s[MKRT_SLOT_STATUS], words[MKRT_SLOT_STATUS]);
	return 0;
}

int mkrt_shm_client_wait(struct mkrt_shm_client *c, uint32_t slot, uint32_t timeout_ms,
			 struct mkrt_slot *result)
{
	struct mkrt__backoff backoff = { 0 };
	uint64_t deadline = 0;
	uint32_t polls = 0;

	if (!c)
		return MKRT_EINVAL;
	if (slot >= c->slots)
		return MKRT_ERANGE;
	uint32_t *s = c->words + (size_t)slot * MKRT_SLOT_WORDS;
	for (;;) {
		/* acquire: pairs with the broker's release of the finished slot */
		uint32_t st = mkrt__load_acquire(&s[MKRT_SLOT_STATUS]);
		if (st == MKRT_STATUS_DONE || st == MKRT_STATUS_FAULT) {
			if (result) {
				uint32_t w[MKRT_SLOT_WORDS];
				w[MKRT_SLOT_STATUS] = st;
				for (uint32_t i = 1; i < MKRT_SLOT_WORDS; i++)
					w[i] = mkrt__load_relaxed(&s[i]);
				mkrt__slot_from_words(w, result);
			}
			return st == MKRT_STATUS_DONE ? 0 : MKRT_ESLOTFAULT;
		}
		/* the liveness check takes the mutex's line: not on every poll
		 * (backoff sleeps at most 1 ms, so 64 polls stay well under 1 s) */
		if ((polls++ & 63u) == 0 && mkrt__client_server_gone(c))
			return MKRT_ESHUTDOWN;
		if (!deadline)
			deadline = mkrt__now_ns() + (uint64_t)timeout_ms * 1000000u;
		if (mkrt__now_ns() >= deadline)
			return MKRT_ETIMEDOUT;
		mkrt__backoff_pause(&backoff);
	}
}

int mkrt_shm_client_stats(const struct mkrt_shm_client *c, struct mkrt_shm_stats *out)
{
	if (!c || !out)
		return MKRT_EINVAL;
	mkrt__shm_stats(c->map.hdr, out);
	return 0;
}

void mkrt_shm_client_close(struct mkrt_shm_client *c)
{
	if (!c)
		return;
	uint32_t me = (uint32_t)getpid();
	/* release: the next owner sees our last publishes */
	mkrt__cas_acq_rel(&c->map.hdr->owner[c->ring], &me, 0);
	mkrt__shm_unmap(&c->map);
	free(c);
}
