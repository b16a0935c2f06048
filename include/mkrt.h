/* SPDX-License-Identifier: MIT */
/* mkrt.h - umbrella header of the mkrt megakernel runtime. */
#ifndef MKRT_H
#define MKRT_H

#include "mkrt/protocol.h"
#include "mkrt/barrier.h"
#include "mkrt/error.h"
#include "mkrt/codec.h"
#include "mkrt/ring.h"
#include "mkrt/exec.h"
#include "mkrt/runtime.h"
#include "mkrt/device.h"
#include "mkrt/capture.h"
#include "mkrt/io.h"
#include "mkrt/shm.h"

#endif /* MKRT_H */
