/* SPDX-License-Identifier: MIT */
/*
 * mkrt/codec.h - encode and decode the wire buffers of mkrt/protocol.h.
 *
 * Every buffer is a byte array of little-endian u32 words, passed as
 * (pointer, length in bytes). Functions check NULL pointers, word alignment
 * of lengths, short buffers and index ranges before touching anything; on
 * error the output is left unchanged. Allocating encoders refuse more than
 * MKRT_MAX_ENTRIES entries before they allocate; their buffers are freed
 * with free(). All functions are reentrant and touch only their arguments.
 */
#ifndef MKRT_CODEC_H
#define MKRT_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "protocol.h"

MKRT_BEGIN_DECLS

/* One slot, word for word (status, opcode, tenant, priority, 12 args). */
struct mkrt_slot {
	uint32_t status;
	uint32_t opcode;
	uint32_t tenant;
	uint32_t priority;
	uint32_t args[MKRT_SLOT_ARGS];
};

/* ---- slots and rings ------------------------------------------------------ */

/* mkrt_ring_byte_len - bytes of a ring of @slots slots into *@len.
 * Errors: EINVAL (NULL, 0 slots), TOOBIG (> MKRT_MAX_ENTRIES). */
MKRT_API int mkrt_ring_byte_len(uint32_t slots, size_t *len);

/* mkrt_encode_empty_ring - an all-EMPTY ring of @slots slots, malloc'ed into
 * *@out (free() it), its length in *@len. Errors: EINVAL, TOOBIG, NOMEM. */
MKRT_API int mkrt_encode_empty_ring(uint32_t slots, uint8_t **out, size_t *len);

/* mkrt_encode_empty_ring_into - zero a caller-owned ring. Returns the slot
 * count. Errors: EINVAL, ALIGN (len not a multiple of 64), TOOBIG. */
MKRT_API int mkrt_encode_empty_ring_into(uint8_t *ring, size_t len);

/* mkrt_ring_slot_count - slots in a ring of @len bytes, or EALIGN/TOOBIG/EINVAL. */
MKRT_API int mkrt_ring_slot_count(size_t len);

/* mkrt_encode_slot - lay @slot out as 64 little-endian bytes. EINVAL on NULL. */
MKRT_API int mkrt_encode_slot(const struct mkrt_slot *slot, uint8_t out[MKRT_SLOT_BYTES]);

/* mkrt_decode_slot - read slot @index of a ring. Errors: EINVAL, ALIGN, RANGE. */
MKRT_API int mkrt_decode_slot(const uint8_t *ring, size_t ring_len, uint32_t index,
			      struct mkrt_slot *out);

/* mkrt_encode_load_miss - vyre's load-miss slot: STATUS=PUBLISHED,
 * OPCODE=LOAD_MISS, TENANT=0, PRIORITY=0, ARG0=@resource_id, ARG1=@prefetch,
 * all other words 0. Errors: EINVAL. */
MKRT_API int mkrt_encode_load_miss(uint32_t resource_id, bool prefetch,
				   uint8_t out[MKRT_SLOT_BYTES]);

/* mkrt_decode_load_miss - read a load miss from slot @slot of a ring, as vyre
 * does (prefetch is ARG1 != 0). Errors: EINVAL, ALIGN, RANGE, and NOTLOADMISS
 * when the slot's opcode is not LOAD_MISS (outputs untouched). */
MKRT_API int mkrt_decode_load_miss(const uint8_t *ring, size_t ring_len, uint32_t slot,
				   uint32_t *resource_id, bool *prefetch);

/* mkrt_count_done - slots whose status is DONE. Returns the count or
 * EINVAL/ALIGN/TOOBIG. */
MKRT_API int mkrt_count_done(const uint8_t *ring, size_t ring_len);

/* ---- PACKED_SLOT ------------------------------------------------------------ */

struct mkrt_packed_op {
	uint32_t opcode;                   /* a builtin, <= MKRT_OP_BUILTIN_LAST */
	uint32_t args[MKRT_PACKED_OP_ARGS];
};

/* mkrt_encode_packed - lay @n ops out in a PACKED_SLOT's 12 argument words,
 * each op with its own three argument words. Errors: EINVAL, PACKED (n is 0
 * or above MKRT_PACKED_MAX_OPS, an inner opcode is not a builtin, or the
 * arguments do not fit 12 words: at most 3 ops with distinct arguments). */
MKRT_API int mkrt_encode_packed(const struct mkrt_packed_op *ops, uint32_t n,
				uint32_t args[MKRT_SLOT_ARGS]);

/* mkrt_decode_packed - check a PACKED_SLOT's argument words and return its op
 * count, filling up to @cap ops. The same checks as the executors: EPACKED
 * when malformed, ESHORT when @cap is too small. */
MKRT_API int mkrt_decode_packed(const uint32_t args[MKRT_SLOT_ARGS],
				struct mkrt_packed_op *ops, uint32_t cap);

/* ---- control buffer --------------------------------------------------------- */

/* Initial contents of the control words mkrt lets a host choose. */
struct mkrt_control_config {
	uint32_t tenant_base;            /* C[2]; masks of tenant t live at C[base + t] */
	uint32_t tenant_count;           /* tenants described by tenant_masks */
	uint32_t tenant_masks[29];       /* mask of tenant t (non-zero = authorized) */
	uint32_t quotas[MKRT_CTL_TENANT_SLOTS];
	uint32_t prio_offsets[MKRT_CTL_PRIO_PARTITIONS];
};

/* Everything a control buffer holds, decoded. */
struct mkrt_control_view {
	uint32_t shutdown;
	uint32_t done_count;
	uint32_t tenant_base;
	uint32_t tenant_masks[29];       /* resolved through tenant_base; 0 past word 31 */
	uint32_t quotas[MKRT_CTL_TENANT_SLOTS];
	uint32_t fairness[MKRT_CTL_TENANT_SLOTS];
	uint32_t metrics[MKRT_OP_METRIC_LIMIT];
	uint32_t epoch;
	uint32_t prio_offsets[MKRT_CTL_PRIO_PARTITIONS];
	uint32_t starvation;
	uint32_t prio_fairness[MKRT_CTL_PRIO_FAIRNESS_WORDS];
	uint32_t version;
	uint32_t fault_count;
	uint32_t observable_words;
};

/* mkrt_control_config_default - tenant base 3, tenant 0 authorized, all
 * quotas and partition offsets 0. */
MKRT_API void mkrt_control_config_default(struct mkrt_control_config *cfg);

/* mkrt_control_byte_len - bytes of a control buffer with @observable words
 * after OBS (at least 1). Errors: EINVAL, TOOBIG. */
MKRT_API int mkrt_control_byte_len(uint32_t observable, size_t *len);

/* mkrt_encode_control_into - write a fresh control buffer (@cfg NULL: the
 * default). Errors: EINVAL, ALIGN, SHORT (< 161 words), TOOBIG, RANGE (a
 * tenant mask would land outside words 3..31). Nothing is written on error. */
MKRT_API int mkrt_encode_control_into(const struct mkrt_control_config *cfg, uint8_t *buf,
				      size_t len);

/* mkrt_encode_control - allocate and encode; free() *@out. */
MKRT_API int mkrt_encode_control(const struct mkrt_control_config *cfg, uint32_t observable,
				 uint8_t **out, size_t *len);

/* mkrt_decode_control - decode every field. Errors: EINVAL, ALIGN, SHORT, TOOBIG. */
MKRT_API int mkrt_decode_control(const uint8_t *buf, size_t len, struct mkrt_control_view *out);

/* mkrt_read_observable - C[OBS + @index]. Errors: EINVAL, ALIGN, SHORT, RANGE. */
MKRT_API int mkrt_read_observable(const uint8_t *buf, size_t len, uint32_t index,
				  uint32_t *value);

/* mkrt_tenant_authorized - vyre's rule: t is authorized iff C[2]+t lies in
 * words 3..31 and that word is non-zero. Returns 1, 0 or EINVAL/ALIGN/SHORT. */
MKRT_API int mkrt_tenant_authorized(const uint8_t *buf, size_t len, uint32_t tenant);

/* ---- debug log -------------------------------------------------------------- */

struct mkrt_debug_record {
	uint32_t fmt_id;
	uint32_t a1;
	uint32_t a2;
	uint32_t slot_word;              /* slot index * 16 */
};

/* mkrt_debug_log_byte_len - bytes of a log of @records records (>= 1).
 * Errors: EINVAL, TOOBIG. */
MKRT_API int mkrt_debug_log_byte_len(uint32_t records, size_t *len);

/* mkrt_encode_empty_debug_log(_into) - a log with cursor 0. */
MKRT_API int mkrt_encode_empty_debug_log(uint32_t records, uint8_t **out, size_t *len);
MKRT_API int mkrt_encode_empty_debug_log_into(uint8_t *buf, size_t len);

/* mkrt_read_debug_log - copy up to @cap records into @out; *@count gets the
 * records present and *@overflow those dropped because the log was full.
 * Returns the number copied. Any cursor value is accepted (overflow is data,
 * not an error); only bad arguments fail (EINVAL, ALIGN, SHORT). */
MKRT_API int mkrt_read_debug_log(const uint8_t *buf, size_t len, struct mkrt_debug_record *out,
				 size_t cap, uint32_t *count, uint32_t *overflow);

/* ---- IO queue --------------------------------------------------------------- */

struct mkrt_io_request {
	uint32_t op;       /* MKRT_IO_OP_* */
	uint32_t src;      /* resource id for READ */
	uint32_t dst;      /* frame index, written by the servicer */
	uint64_t offset;
	uint32_t bytes;
	uint32_t status;   /* MKRT_IO_* status */
	uint32_t tag;      /* ring slot of the request */
};

/* mkrt_io_queue_byte_len - the IO queue's fixed size: 64 slots * 8 words. */
MKRT_API size_t mkrt_io_queue_byte_len(void);

/* mkrt_encode_empty_io_queue(_into) - all IO slots EMPTY. */
MKRT_API int mkrt_encode_empty_io_queue(uint8_t **out, size_t *len);
MKRT_API int mkrt_encode_empty_io_queue_into(uint8_t *buf, size_t len);

/* mkrt_encode_io_request - write IO slot @index. Errors: EINVAL, ALIGN,
 * SHORT, RANGE, MALFORMED (unknown op or status). */
MKRT_API int mkrt_encode_io_request(uint8_t *buf, size_t len, uint32_t index,
				    const struct mkrt_io_request *req);

/* mkrt_decode_io_request - read IO slot @index; MALFORMED for an unknown op
 * or status in a non-EMPTY slot (output untouched). */
MKRT_API int mkrt_decode_io_request(const uint8_t *buf, size_t len, uint32_t index,
				    struct mkrt_io_request *out);

MKRT_END_DECLS

#endif /* MKRT_CODEC_H */
