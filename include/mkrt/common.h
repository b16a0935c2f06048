/* SPDX-License-Identifier: MIT */
/* mkrt/common.h - what the public headers share: the export macro, and C
 * linkage when a C++ program includes them (C++11 and later). */
#ifndef MKRT_COMMON_H
#define MKRT_COMMON_H

#if defined(MKRT_BUILDING) && defined(__GNUC__)
#define MKRT_API __attribute__((visibility("default")))
#else
#define MKRT_API
#endif

#ifdef __cplusplus
#define MKRT_BEGIN_DECLS extern "C" {
#define MKRT_END_DECLS   }
#else
#define MKRT_BEGIN_DECLS
#define MKRT_END_DECLS
#endif

#endif /* MKRT_COMMON_H */
