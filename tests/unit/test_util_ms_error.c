/* test_util_ms_error.c - util/ms_error: recording a failure, prefixing a
 * context, truncation of long messages, and the status words. */
#include <string.h>

#include "check.h"
#include "util/ms_error.h"

#define MSG_MAX (sizeof(((struct ms_error *)0)->msg) - 1)

static void test_fail(void)
{
	struct ms_error err = {0};
	CHECK_INT(ms_fail(&err, MS_EDATA, "%s:%d: latitude %.1f out of range", "sites.csv", 17, 91.2),
	          MS_EDATA);
	CHECK_INT(err.status, MS_EDATA);
	CHECK_STR(err.msg, "sites.csv:17: latitude 91.2 out of range");

	ms_error_clear(&err);
	CHECK_INT(err.status, MS_OK);
	CHECK_STR(err.msg, "");
}

static void test_prefix(void)
{
	struct ms_error err = {0};
	ms_fail(&err, MS_EDATA, "17: bad row");
	ms_error_prefix(&err, "%s:", "sites.csv");
	CHECK_STR(err.msg, "sites.csv:17: bad row");
	CHECK_INT(err.status, MS_EDATA); /* the status is not the prefix's business */
}

static void test_truncation(void)
{
	char longer[2 * MSG_MAX];
	memset(longer, 'a', sizeof longer - 1);
	longer[sizeof longer - 1] = '\0';
	struct ms_error err = {0};
	ms_fail(&err, MS_EDATA, "%s", longer);
	CHECK_INT(strlen(err.msg), MSG_MAX);

	/* A prefix on a full message keeps the whole prefix and as much of
	 * the old text as fits after it. */
	ms_error_prefix(&err, "file.csv: ");
	CHECK_INT(strlen(err.msg), MSG_MAX);
	CHECK(strncmp(err.msg, "file.csv: aaa", 13) == 0);

	/* A prefix longer than the message room is itself cut. */
	memset(longer, 'p', sizeof longer - 1);
	ms_fail(&err, MS_EDATA, "old");
	ms_error_prefix(&err, "%s", longer);
	CHECK_INT(strlen(err.msg), MSG_MAX);
	CHECK_INT(err.msg[0], 'p');
	CHECK(strchr(err.msg, 'o') == NULL);
}

static void test_status_words(void)
{
	const enum ms_status all[] = {MS_OK, MS_EUSAGE, MS_EDATA, MS_ENOTFOUND, MS_EIO, MS_EINTERNAL};
	size_t n = sizeof all / sizeof all[0];
	for (size_t i = 0; i < n; i++) {
		const char *w = ms_status_str(all[i]);
		CHECK(w != NULL && *w);
		CHECK_MSG(strcmp(w, "unknown error") != 0, "status %d has no word", (int)all[i]);
		for (size_t k = 0; k < i; k++)
			CHECK_MSG(strcmp(w, ms_status_str(all[k])) != 0, "statuses %d and %d share \"%s\"",
			          (int)all[i], (int)all[k], w);
	}
	CHECK_STR(ms_status_str(MS_ENOTFOUND), "not found");
	CHECK_STR(ms_status_str((enum ms_status)99), "unknown error");
}

int main(void)
{
	test_fail();
	test_prefix();
	test_truncation();
	test_status_words();
	return CHECK_DONE();
}
