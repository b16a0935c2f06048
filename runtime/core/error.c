/* SPDX-License-Identifier: MIT */
/* error.c - names and messages generated from MKRT_ERRNO_MAP, and the
 * calling thread's detail line. */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>

const char *mkrt_err_name(int err)
{
	switch (err) {
	case MKRT_OK:
		return "MKRT_OK";
#define MKRT__ERR_NAME(name, num, msg, fix) \
	case MKRT_E##name:                  \
		return "MKRT_E" #name;
		MKRT_ERRNO_MAP(MKRT__ERR_NAME)
#undef MKRT__ERR_NAME
	}
	return "MKRT_E?";
}

const char *mkrt_strerror(int err)
{
	switch (err) {
	case MKRT_OK:
		return "success";
#define MKRT__ERR_MSG(name, num, msg, fix) \
	case MKRT_E##name:                 \
		return msg ". " fix;
		MKRT_ERRNO_MAP(MKRT__ERR_MSG)
#undef MKRT__ERR_MSG
	}
	return "unknown mkrt error code. Fix: pass a value returned by an mkrt function";
}

const char *mkrt__err_fix(int err)
{
	switch (err) {
#define MKRT__ERR_FIX(name, num, msg, fix) \
	case MKRT_E##name:                 \
		return fix;
		MKRT_ERRNO_MAP(MKRT__ERR_FIX)
#undef MKRT__ERR_FIX
	}
	return "";
}

static _Thread_local char mkrt__detail_buf[MKRT__DETAIL_LEN];

void mkrt__detail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(mkrt__detail_buf, sizeof(mkrt__detail_buf), fmt, ap);
	va_end(ap);
}

const char *mkrt_last_detail(void)
{
	return mkrt__detail_buf;
}
