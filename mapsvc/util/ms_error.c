/* ms_error.c - recording failures; see ms_error.h. */
#include "ms_error.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum ms_status ms_fail(struct ms_error *err, enum ms_status st, const char *fmt, ...)
{
	assert(err != NULL); /* the contract of every err argument (ms_error.h) */
	assert(st != MS_OK);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	err->status = st;
	return st;
}

void ms_error_prefix(struct ms_error *err, const char *fmt, ...)
{
	assert(err != NULL);
	char prefix[sizeof err->msg];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	/* Shift the old message right, keeping as much of it as fits. */
	size_t plen = strlen(prefix), olen = strlen(err->msg);
	if (plen > sizeof err->msg - 1)
		plen = sizeof err->msg - 1;
	size_t keep = olen < sizeof err->msg - 1 - plen ? olen : sizeof err->msg - 1 - plen;
	memmove(err->msg + plen, err->msg, keep);
	memcpy(err->msg, prefix, plen);
	err->msg[plen + keep] = '\0';
}

void ms_error_clear(struct ms_error *err)
{
	assert(err != NULL);
	err->status = MS_OK;
	err->msg[0] = '\0';
}

const char *ms_status_str(enum ms_status st)
{
	switch (st) {
	case MS_OK: return "ok";
	case MS_EUSAGE: return "usage error";
	case MS_EDATA: return "bad data";
	case MS_ENOTFOUND: return "not found";
	case MS_EIO: return "i/o error";
	case MS_EINTERNAL: return "internal error";
	}
	return "unknown error";
}
