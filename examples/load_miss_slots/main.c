/* SPDX-License-Identifier: MIT */
/*
 * load_miss_slots - publish load-miss slots into a ring and read them back.
 *
 * A producer publishes LOAD_MISS(resource, prefetch) slots laid out exactly
 * as vyre's encode_load_miss does; a consumer reads each one back, decodes it
 * and checks it, then completes it (claim -> DONE) so the ring wraps around.
 *
 * usage: load_miss_slots [COUNT [RESOURCES]]   (defaults 10000 and 1000)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <mkrt.h>

#define RING_SLOTS 64u

static int fail(const char *what, int err)
{
	fprintf(stderr, "load_miss_slots: %s: %s: %s\n", what, mkrt_err_name(err),
		mkrt_strerror(err));
	return EXIT_FAILURE;
}

/* Argument @i as a whole number from 1 to 2^24, @def when absent; exits
 * with the usage when it is neither. */
static uint32_t arg_u32(int argc, char **argv, int i, uint32_t def)
{
	char *end;
	unsigned long v;

	if (argc <= i)
		return def;
	v = strtoul(argv[i], &end, 10);
	if (argv[i][0] < '0' || argv[i][0] > '9' || *end || v < 1 || v > (1ul << 24)) {
		fprintf(stderr, "usage: load_miss_slots [COUNT [RESOURCES]], each 1 to 16777216, not '%s'\n",
			argv[i]);
		exit(2);
	}
	return (uint32_t)v;
}

int main(int argc, char **argv)
{
	uint32_t count = arg_u32(argc, argv, 1, 10000), resources = arg_u32(argc, argv, 2, 1000);
	uint32_t verified = 0, prefetches = 0, mismatches = 0, done = 0;
	struct mkrt_host_ring *ring;
	uint8_t slot[MKRT_SLOT_BYTES], back[MKRT_SLOT_BYTES];
	int err;

	if (resources == 0)
		return fail("RESOURCES", MKRT_EINVAL);
	err = mkrt_encode_load_miss(123, true, slot);
	if (err)
		return fail("encode", err);
	printf("mkrt_encode_load_miss(123, true) =");
	for (int i = 0; i < 24; i++)
		printf(" %02x", slot[i]);
	printf(" ... (64 bytes)\n");

	err = mkrt_host_ring_new(RING_SLOTS, &ring);
	if (err)
		return fail("ring", err);
	struct mkrt_producer producer = mkrt_host_ring_producer(ring);
	struct mkrt_consumer consumer = mkrt_host_ring_consumer(ring);
	uint32_t *words = mkrt_host_ring_words(ring);
	size_t nwords = mkrt_host_ring_word_count(ring);

	for (uint32_t i = 0; i < count; i++) {
		uint32_t s = i % RING_SLOTS, resource = (i * 7919u) % resources, got;
		bool prefetch = i % 4 == 0, got_prefetch;

		err = mkrt_encode_load_miss(resource, prefetch, slot);
		if (!err)
			err = mkrt_producer_publish(&producer, s, slot);
		if (!err)
			err = mkrt_consumer_read_slot(&consumer, s, back);
		if (!err)
			err = mkrt_decode_load_miss(back, sizeof(back), 0, &got, &got_prefetch);
		if (!err)
			err = mkrt_slot_claim(words, nwords, s);
		if (!err)
			err = mkrt_slot_done(words, nwords, s);
		if (err) {
			mkrt_host_ring_free(ring);
			return fail("round trip", err);
		}
		if (got != resource || got_prefetch != prefetch)
			mismatches++;
		else
			verified++;
		prefetches += prefetch;
	}
	err = mkrt_consumer_done_count(&consumer, &done);
	mkrt_host_ring_free(ring);
	if (err)
		return fail("done_count", err);

	printf("published %" PRIu32 " load misses over %" PRIu32 " resources through a %u-slot ring\n",
	       count, resources, RING_SLOTS);
	printf("verified %" PRIu32 ", mismatches %" PRIu32 ", prefetches %" PRIu32
	       ", DONE slots at the end %" PRIu32 "\n",
	       verified, mismatches, prefetches, done);
	return mismatches ? EXIT_FAILURE : EXIT_SUCCESS;
}
