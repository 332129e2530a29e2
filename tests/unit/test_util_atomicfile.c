/* test_util_atomicfile.c - the one durable write path: a new target
 * appears whole at the commit, an existing one keeps its mode and any
 * symbolic link to it, an abort leaves the target byte for byte as it was
 * and no file beside it, and the refusals (a folder as target, a folder
 * that does not exist, a second commit) say what and where. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "util/atomicfile.h"

static char dir[512];

static void path_of(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", dir, name);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* The file's text ("" when it cannot be read). */
static const char *read_text(const char *path)
{
	static char text[256];
	text[0] = '\0';
	FILE *f = fopen(path, "r");
	if (f) {
		size_t n = fread(text, 1, sizeof text - 1, f);
		text[n] = '\0';
		fclose(f);
	}
	return text;
}

/* Entries of the test folder, "." and ".." not counted. */
static int entries(void)
{
	DIR *d = opendir(dir);
	int n = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	if (d)
		closedir(d);
	return n;
}

static void test_new_target(void)
{
	char target[600];
	path_of(target, sizeof target, "new.bin");
	struct atomicfile af;
	struct ms_error err = {0};
	CHECK(atomicfile_begin(&af, target, "test", &err) == MS_OK);
	CHECK(!af.existed);
	CHECK(access(af.tmp, F_OK) == 0);
	CHECK(access(target, F_OK) != 0); /* nothing published yet */
	CHECK(strncmp(af.tmp, target, strlen(target)) == 0 && strstr(af.tmp, ".test-") != NULL);
	write_text(af.tmp, "whole");
	CHECK(atomicfile_commit(&af, &err) == MS_OK);
	CHECK_STR(read_text(target), "whole");
	CHECK(access(af.tmp, F_OK) != 0);
	atomicfile_abort(&af); /* after a commit: nothing to do */
	CHECK_STR(read_text(target), "whole");
	CHECK(atomicfile_commit(&af, &err) == MS_EINTERNAL); /* published once */
	CHECK_INT(entries(), 1);
	unlink(target);
}

static void test_replace_keeps_mode_and_link(void)
{
	char target[600], link[600];
	path_of(target, sizeof target, "old.bin");
	path_of(link, sizeof link, "link.bin");
	write_text(target, "old");
	chmod(target, 0640);
	CHECK(symlink(target, link) == 0);
	struct atomicfile af;
	struct ms_error err = {0};
	CHECK(atomicfile_begin(&af, link, "test", &err) == MS_OK);
	CHECK(af.existed);
	CHECK(strcmp(af.target, link) != 0); /* the file the link names */
	write_text(af.tmp, "new");
	CHECK_STR(read_text(target), "old"); /* untouched until the commit */
	CHECK(atomicfile_commit(&af, &err) == MS_OK);
	CHECK_STR(read_text(link), "new");
	struct stat st;
	CHECK(lstat(link, &st) == 0 && S_ISLNK(st.st_mode));
	CHECK(stat(target, &st) == 0 && (st.st_mode & 07777) == 0640);
	CHECK_INT(entries(), 2);
	unlink(link);
	unlink(target);
}

static void test_abort_leaves_target(void)
{
	char target[600];
	path_of(target, sizeof target, "kept.bin");
	write_text(target, "kept");
	struct atomicfile af;
	struct ms_error err = {0};
	CHECK(atomicfile_begin(&af, target, "test", &err) == MS_OK);
	write_text(af.tmp, "half of a new fi");
	atomicfile_abort(&af);
	CHECK_STR(read_text(target), "kept");
	CHECK_INT(entries(), 1);
	atomicfile_abort(&af); /* twice is fine */
	unlink(target);
}

/* A writer that publishes a folder (a tile store of many files). */
static void test_directory(void)
{
	struct atomicfile af;
	char target[600], inner[sizeof af.tmp + 16];
	path_of(target, sizeof target, "tiles");
	struct ms_error err = {0};
	CHECK(atomicfile_begin(&af, target, "test", &err) == MS_OK);
	CHECK(unlink(af.tmp) == 0 && mkdir(af.tmp, 0755) == 0);
	snprintf(inner, sizeof inner, "%s/0.png", af.tmp);
	write_text(inner, "png");
	CHECK(atomicfile_commit(&af, &err) == MS_OK);
	snprintf(inner, sizeof inner, "%s/0.png", target);
	CHECK_STR(read_text(inner), "png");
	unlink(inner);
	rmdir(target);
	/* An abandoned empty folder goes like a file. */
	CHECK(atomicfile_begin(&af, target, "test", &err) == MS_OK);
	CHECK(unlink(af.tmp) == 0 && mkdir(af.tmp, 0755) == 0);
	atomicfile_abort(&af);
	CHECK_INT(entries(), 0);
}

static void test_refusals(void)
{
	struct atomicfile af;
	struct ms_error err = {0};
	CHECK(atomicfile_begin(&af, dir, "test", &err) == MS_EIO); /* a folder is not a file to replace */
	CHECK_MSG(strstr(err.msg, "not a regular file") != NULL, "%s", err.msg);
	atomicfile_abort(&af); /* nothing was made: nothing to remove */
	char missing[600];
	path_of(missing, sizeof missing, "no-such-folder/x.bin");
	CHECK(atomicfile_begin(&af, missing, "test", &err) == MS_EIO);
	CHECK_MSG(strstr(err.msg, "x.bin: cannot create a file beside it") != NULL, "%s", err.msg);
	atomicfile_abort(&af);
	/* A new file that vanished before the commit: the commit says so. */
	char target[600];
	path_of(target, sizeof target, "gone.bin");
	CHECK(atomicfile_begin(&af, target, "test", &err) == MS_OK);
	unlink(af.tmp);
	CHECK(atomicfile_commit(&af, &err) == MS_EIO);
	CHECK_MSG(strstr(err.msg, "cannot sync") != NULL, "%s", err.msg);
	CHECK(access(target, F_OK) != 0);
	CHECK_INT(entries(), 0);
}

int main(void)
{
	const char *t = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/atomicfile-test-XXXXXX", t && *t ? t : P_tmpdir);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_new_target();
	test_replace_keeps_mode_and_link();
	test_abort_leaves_target();
	test_directory();
	test_refusals();
	rmdir(dir);
	return CHECK_DONE();
}
