/* SPDX-License-Identifier: MIT */
/*
 * ring_iface.c - producer/consumer dispatch and the in-process host ring.
 *
 * The dispatchers check arguments once, so hooks can trust them, and supply
 * the default for optional hooks (done_count walks the ring).
 */
#include "internal.h"

#include <stdlib.h>

static bool mkrt__producer_ok(const struct mkrt_producer *p)
{
	return p && p->ops && p->ops->publish && p->ops->slot_count;
}

static bool mkrt__consumer_ok(const struct mkrt_consumer *c)
{
	return c && c->ops && c->ops->read_slot && c->ops->slot_count;
}

int mkrt_producer_publish(const struct mkrt_producer *p, uint32_t slot,
			  const uint8_t bytes[MKRT_SLOT_BYTES])
{
	if (!mkrt__producer_ok(p) || !bytes)
		return MKRT_EINVAL;
	if (slot >= p->ops->slot_count(p->self))
		return MKRT_ERANGE;
	return p->ops->publish(p->self, slot, bytes);
}

const char *mkrt_producer_name(const struct mkrt_producer *p)
{
	return p && p->ops && p->ops->name ? p->ops->name : "?";
}

uint32_t mkrt_producer_slot_count(const struct mkrt_producer *p)
{
	return mkrt__producer_ok(p) ? p->ops->slot_count(p->self) : 0;
}

int mkrt_consumer_read_slot(const struct mkrt_consumer *c, uint32_t slot,
			    uint8_t out[MKRT_SLOT_BYTES])
{
	if (!mkrt__consumer_ok(c) || !out)
		return MKRT_EINVAL;
	if (slot >= c->ops->slot_count(c->self))
		return MKRT_ERANGE;
	return c->ops->read_slot(c->self, slot, out);
}

/* Default done_count: read every slot and count DONE. */
static int mkrt__walk_done(const struct mkrt_consumer *c, uint32_t *count)
{
	uint8_t bytes[MKRT_SLOT_BYTES];
	uint32_t n = c->ops->slot_count(c->self), done = 0;

	for (uint32_t i = 0; i < n; i++) {
		int err = c->ops->read_slot(c->self, i, bytes);
		if (err)
			return err;
		done += mkrt__get_le32(bytes) == MKRT_STATUS_DONE;
	}
	*count = done;
	return 0;
}

int mkrt_consumer_done_count(const struct mkrt_consumer *c, uint32_t *count)
{
	if (!mkrt__consumer_ok(c) || !count)
		return MKRT_EINVAL;
	if (c->ops->done_count)
		return c->ops->done_count(c->self, count);
	return mkrt__walk_done(c, count);
}

const char *mkrt_consumer_name(const struct mkrt_consumer *c)
{
	return c && c->ops && c->ops->name ? c->ops->name : "?";
}

uint32_t mkrt_consumer_slot_count(const struct mkrt_consumer *c)
{
	return mkrt__consumer_ok(c) ? c->ops->slot_count(c->self) : 0;
}

/* ---- host ring -------------------------------------------------------------- */

struct mkrt_host_ring {
	uint32_t *words;
	uint32_t slots;
};

int mkrt_host_ring_new(uint32_t slots, struct mkrt_host_ring **out)
{
	size_t bytes;
	int err;

	if (!out)
		return MKRT_EINVAL;
	err = mkrt_ring_byte_len(slots, &bytes);
	if (err)
		return err;
	struct mkrt_host_ring *r = calloc(1, sizeof(*r));
	if (!r)
		return MKRT_ENOMEM;
	r->words = aligned_alloc(MKRT_SLOT_BYTES, bytes);
	if (!r->words) {
		free(r);
		return MKRT_ENOMEM;
	}
	memset(r->words, 0, bytes);
	r->slots = slots;
	*out = r;
	return 0;
}

void mkrt_host_ring_free(struct mkrt_host_ring *ring)
{
	if (!ring)
		return;
	free(ring->words);
	free(ring);
}

uint32_t *mkrt_host_ring_words(struct mkrt_host_ring *ring)
{
	return ring ? ring->words : NULL;
}

size_t mkrt_host_ring_word_count(const struct mkrt_host_ring *ring)
{
	return ring ? (size_t)ring->slots * MKRT_SLOT_WORDS : 0;
}

static int mkrt__host_publish(void *self, uint32_t slot, const uint8_t bytes[MKRT_SLOT_BYTES])
{
	struct mkrt_host_ring *r = self;
	struct mkrt_slot s;
	int err = mkrt_decode_slot(bytes, MKRT_SLOT_BYTES, 0, &s);

	if (err)
		return err;
	return mkrt_publish(r->words, (size_t)r->slots * MKRT_SLOT_WORDS, slot, &s,
			    MKRT_SLOT_ARGS);
}

static int mkrt__host_read_slot(void *self, uint32_t slot, uint8_t out[MKRT_SLOT_BYTES])
{
	struct mkrt_host_ring *r = self;
	struct mkrt_slot s;
	int err = mkrt_ring_read_slot(r->words, (size_t)r->slots * MKRT_SLOT_WORDS, slot, &s);

	if (err)
		return err;
	return mkrt_encode_slot(&s, out);
}

static uint32_t mkrt__host_slot_count(void *self)
{
	return ((struct mkrt_host_ring *)self)->slots;
}

static const struct mkrt_producer_ops mkrt__host_producer_ops = {
	.name = "host-ring",
	.publish = mkrt__host_publish,
	.slot_count = mkrt__host_slot_count,
};

static const struct mkrt_consumer_ops mkrt__host_consumer_ops = {
	.name = "host-ring",
	.read_slot = mkrt__host_read_slot,
	.done_count = NULL, /* the default walk is exact for a host ring */
	.slot_count = mkrt__host_slot_count,
};

struct mkrt_producer mkrt_host_ring_producer(struct mkrt_host_ring *ring)
{
	return (struct mkrt_producer){ ring ? &mkrt__host_producer_ops : NULL, ring };
}

struct mkrt_consumer mkrt_host_ring_consumer(struct mkrt_host_ring *ring)
{
	return (struct mkrt_consumer){ ring ? &mkrt__host_consumer_ops : NULL, ring };
}
