/* SPDX-License-Identifier: MIT */
/*
 * runtime.c - runtime lifecycle: select a backend, open, start, stop, close,
 * and expose its ring through the producer/consumer interfaces.
 */
#include "runtime_priv.h"

#include <stdio.h>
#include <stdlib.h>

static int mkrt__rt_publish(void *self, uint32_t slot, const uint8_t bytes[MKRT_SLOT_BYTES])
{
	struct mkrt_runtime *rt = self;
	struct mkrt_slot s;
	int err = mkrt_decode_slot(bytes, MKRT_SLOT_BYTES, 0, &s);

	if (err)
		return err;
	return rt->ops.publish(rt->state, slot, &s, MKRT_SLOT_ARGS);
}

static int mkrt__rt_read_slot(void *self, uint32_t slot, uint8_t out[MKRT_SLOT_BYTES])
{
	struct mkrt_runtime *rt = self;
	struct mkrt_slot s;
	int err = rt->ops.read_slot(rt->state, slot, &s);

	if (err)
		return err;
	return mkrt_encode_slot(&s, out);
}

static uint32_t mkrt__rt_slot_count(void *self)
{
	return ((struct mkrt_runtime *)self)->slots;
}

static void mkrt__rt_bind_ring_ops(struct mkrt_runtime *rt)
{
	rt->producer_ops = (struct mkrt_producer_ops){
		.name = rt->ops.name,
		.publish = mkrt__rt_publish,
		.slot_count = mkrt__rt_slot_count,
	};
	rt->consumer_ops = (struct mkrt_consumer_ops){
		.name = rt->ops.name,
		.read_slot = mkrt__rt_read_slot,
		.done_count = NULL, /* walk the ring */
		.slot_count = mkrt__rt_slot_count,
	};
}

int mkrt__runtime_open_stopped(const struct mkrt_config *cfg, struct mkrt_runtime **out)
{
	struct mkrt_config c;
	struct mkrt_io_config io;
	struct mkrt_runtime *rt;
	char device[MKRT__DEVICE_ARG_LEN];
	int err, index;

	mkrt__detail("%s", "");
	if (!out)
		return MKRT_EINVAL;
	err = mkrt__config_resolve(cfg, &c, &io);
	if (err)
		return err;
	/* a device that was asked for must exist, whichever backend runs */
	index = mkrt__choose(&c, NULL, device);
	if (index < 0)
		return index;

	rt = calloc(1, sizeof(*rt));
	if (!rt)
		return MKRT_ENOMEM;
	mkrt__backend_bind(mkrt__backend_at(index), &rt->ops);
	rt->book = calloc(2u * (size_t)c.slots, sizeof(*rt->book));
	err = MKRT_ENOMEM;
	if (!rt->book)
		goto out_free;
	rt->withdrawing = rt->book + c.slots;
	err = rt->ops.open(&c, &rt->state);
	if (err)
		goto out_free;
	rt->slots = rt->ops.region_words(rt->state, MKRT__REGION_RING) / MKRT_SLOT_WORDS;
	rt->control_words = rt->ops.region_words(rt->state, MKRT__REGION_CONTROL);
	mkrt__rt_bind_ring_ops(rt);
	*out = rt;
	return 0;

out_free:
	free(rt->book);
	free(rt);
	return err;
}

int mkrt__runtime_start(struct mkrt_runtime *rt)
{
	return rt->ops.start(rt->state);
}

/* Free a runtime whose backend never started (or already stopped). */
static void mkrt__runtime_free(struct mkrt_runtime *rt)
{
	rt->ops.close(rt->state);
	free(rt->book);
	free(rt);
}

int mkrt_runtime_open(const struct mkrt_config *cfg, struct mkrt_runtime **out)
{
	struct mkrt_runtime *rt;

	if (!out)
		return MKRT_EINVAL;
	*out = NULL; /* a failed open leaves no stale handle behind */
	int err = mkrt__runtime_open_stopped(cfg, &rt);

	if (err)
		return err;
	err = mkrt__runtime_start(rt);
	if (err) {
		mkrt__runtime_free(rt);
		return err;
	}
	*out = rt;
	return 0;
}

const char *mkrt_runtime_backend(const struct mkrt_runtime *rt)
{
	return rt ? rt->ops.name : NULL;
}

const char *mkrt_runtime_device(struct mkrt_runtime *rt)
{
	return rt ? rt->ops.device_name(rt->state) : NULL;
}

uint32_t mkrt_runtime_slot_count(const struct mkrt_runtime *rt)
{
	return rt ? rt->slots : 0;
}

struct mkrt_producer mkrt_runtime_producer(struct mkrt_runtime *rt)
{
	return (struct mkrt_producer){ rt ? &rt->producer_ops : NULL, rt };
}

struct mkrt_consumer mkrt_runtime_consumer(struct mkrt_runtime *rt)
{
	return (struct mkrt_consumer){ rt ? &rt->consumer_ops : NULL, rt };
}

int mkrt_runtime_ring(struct mkrt_runtime *rt, uint32_t **words, size_t *nwords)
{
	if (!rt || !words || !nwords)
		return MKRT_EINVAL;
	return rt->ops.ring_words(rt->state, words, nwords);
}

int mkrt_runtime_read_control(struct mkrt_runtime *rt, uint32_t first, uint32_t n, uint32_t *out)
{
	if (!rt || (!out && n))
		return MKRT_EINVAL;
	if (first > rt->control_words || n > rt->control_words - first)
		return MKRT_ERANGE;
	return rt->ops.read_region(rt->state, MKRT__REGION_CONTROL, first, n, out);
}

int mkrt_runtime_read_debug_log(struct mkrt_runtime *rt, struct mkrt_debug_record *out,
				size_t cap, uint32_t *count, uint32_t *overflow)
{
	if (!rt || (!out && cap))
		return MKRT_EINVAL;
	uint32_t words = rt->ops.region_words(rt->state, MKRT__REGION_DEBUG);
	if (words == 0)
		return MKRT_EUNAVAILABLE;
	uint32_t *buf = malloc((size_t)words * sizeof(uint32_t));
	if (!buf)
		return MKRT_ENOMEM;
	int err = rt->ops.read_region(rt->state, MKRT__REGION_DEBUG, 0, words, buf);
	if (!err) /* native words are wire bytes on a little-endian host */
		err = mkrt_read_debug_log((const uint8_t *)buf, (size_t)words * sizeof(uint32_t), out,
					  cap, count, overflow);
	free(buf);
	return err;
}

int mkrt_runtime_done_count(struct mkrt_runtime *rt, uint32_t *count)
{
	if (!rt || !count)
		return MKRT_EINVAL;
	return rt->ops.read_region(rt->state, MKRT__REGION_CONTROL, MKRT_CTL_DONE_COUNT, 1, count);
}

int mkrt_runtime_stats(struct mkrt_runtime *rt, struct mkrt_stats *out)
{
	if (!rt || !out)
		return MKRT_EINVAL;
	rt->ops.stats(rt->state, out);
	return 0;
}

int mkrt_runtime_measure(struct mkrt_runtime *rt, enum mkrt_measure what, uint32_t n, double *ns)
{
	if (!rt || !ns || n == 0 || n > MKRT_MAX_ENTRIES ||
	    (what != MKRT_MEASURE_FLOOR && what != MKRT_MEASURE_LAUNCH))
		return MKRT_EINVAL;
	if (!rt->ops.measure) {
		mkrt__detail("the %s backend has no kernel of its own to measure with. Fix: time "
			     "its floor on host threads and launches through OpenCL (mkrt bench "
			     "does)", rt->ops.name);
		return MKRT_ENOTSUP;
	}
	return rt->ops.measure(rt->state, what, n, ns);
}

int mkrt_runtime_stop(struct mkrt_runtime *rt, uint32_t timeout_ms)
{
	if (!rt)
		return MKRT_EINVAL;
	/* release: waiters that see it give up on unfinished slots */
	mkrt__store_release(&rt->stopped, 1);
	return rt->ops.stop(rt->state, timeout_ms);
}

void mkrt_runtime_close(struct mkrt_runtime *rt)
{
	if (!rt)
		return;
	mkrt_runtime_stop(rt, MKRT_DEFAULT_STOP_MS);
	mkrt__runtime_free(rt);
}
