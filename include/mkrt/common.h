/* SPDX-License-Identifier: MIT */
/* mkrt/common.h - export macro shared by the public headers. */
#ifndef MKRT_COMMON_H
#define MKRT_COMMON_H

#if defined(MKRT_BUILDING) && defined(__GNUC__)
#define MKRT_API __attribute__((visibility("default")))
#else
#define MKRT_API
#endif

#endif /* MKRT_COMMON_H */
