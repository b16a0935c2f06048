/* SPDX-License-Identifier: MIT */
/*
 * ptx.h - the megakernel's PTX for the cuda backend (internal).
 */
#ifndef MKRT_CUDA_PTX_H
#define MKRT_CUDA_PTX_H

#include "internal.h"

/*
 * The PTX for @cfg into *@ptx: the one the build embedded when no user
 * opcode in OpenCL C is registered; else the megakernel, the user's source,
 * the dispatcher over cfg->cl_handlers and the ping kernel, compiled at run
 * time by the clang and libclc configure found (in a child, under a 120 s
 * watchdog), into *@owned, which the caller frees (NULL otherwise).
 * Errors: EUNAVAILABLE (built without PTX), NOTSUP (clang did not start),
 * BUILD (clang's errors in mkrt_last_detail()), TIMEDOUT, NOMEM.
 */
int mkrt__cuda_ptx(const struct mkrt_config *cfg, const char **ptx, char **owned);

#endif /* MKRT_CUDA_PTX_H */
