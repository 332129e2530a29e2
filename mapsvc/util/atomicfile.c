/*
 * atomicfile.c - write beside, sync, rename, sync the directory; see
 * atomicfile.h.
 *
 * Why both syncs: rename publishes a name, not data.  Without the fsync
 * of the file before it, a crash shortly after can leave the new name
 * pointing at blocks never written (ext4 and XFS both allow that ordering
 * unless told otherwise); without the fsync of the directory after it,
 * the rename itself may be lost and the old file come back.  Together
 * they make the commit durable as well as atomic.
 */
#include "atomicfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Names tried before giving up: each try takes a fresh counter value, so
 * only a folder full of stale files of this very process could fill it. */
#define CREATE_TRIES 100
/* Permission bits of a file (mode_t without the type). */
#define MODE_BITS 07777
/* A new target gets what the umask leaves of rw for everyone, as
 * fopen(3) would create it. */
#define NEW_FILE_MODE 0666

static enum ms_status sync_path(const char *path, struct ms_error *err)
{
	/* O_RDONLY: fsync needs no write access, and works on a directory. */
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return ms_fail(err, MS_EIO, "%s: cannot sync: %s", path, strerror(e));
	}
	close(fd);
	return MS_OK;
}

/* The directory holding path, into dir ("." for a bare name). */
static void dir_of(const char *path, char *dir, size_t size)
{
	snprintf(dir, size, "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, size, ".");
	else if (slash == dir)
		slash[1] = '\0'; /* a file in the root folder */
	else
		*slash = '\0';
}

enum ms_status atomicfile_begin(struct atomicfile *af, const char *path, const char *tag,
                                struct ms_error *err)
{
	static unsigned counter;
	memset(af, 0, sizeof *af);
	af->committed = true; /* nothing to remove until the file exists */
	struct stat st;
	af->existed = stat(path, &st) == 0;
	if (af->existed && !S_ISREG(st.st_mode))
		return ms_fail(err, MS_EIO, "%s: not a regular file", path);
	/* Write through a symbolic link to the file it names. */
	if (af->existed ? !realpath(path, af->target) : strlen(path) >= sizeof af->target)
		return ms_fail(err, MS_EIO, "%s: %s", path, af->existed ? strerror(errno) : "path too long");
	if (!af->existed)
		snprintf(af->target, sizeof af->target, "%s", path);
	mode_t mode = af->existed ? (st.st_mode & MODE_BITS) : NEW_FILE_MODE;
	for (int tries = 0; tries < CREATE_TRIES; tries++) {
		unsigned n = __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
		snprintf(af->tmp, sizeof af->tmp, "%s.%.16s-%ld-%u", af->target, tag, (long)getpid(), n);
		int fd = open(af->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
		if (fd >= 0) {
			if (af->existed)
				fchmod(fd, mode); /* the umask must not narrow the original's mode */
			close(fd);
			af->committed = false;
			return MS_OK;
		}
		if (errno != EEXIST)
			break;
	}
	return ms_fail(err, MS_EIO, "%s: cannot create a file beside it: %s", path, strerror(errno));
}

enum ms_status atomicfile_commit(struct atomicfile *af, struct ms_error *err)
{
	if (af->committed)
		return ms_fail(err, MS_EINTERNAL, "%s: nothing to publish", af->target);
	enum ms_status st = sync_path(af->tmp, err);
	if (st == MS_OK && rename(af->tmp, af->target) != 0)
		st = ms_fail(err, MS_EIO, "%s: cannot replace: %s", af->target, strerror(errno));
	if (st != MS_OK) {
		atomicfile_abort(af);
		return st;
	}
	af->committed = true;
	char dir[PATH_MAX];
	dir_of(af->target, dir, sizeof dir);
	struct ms_error dir_err = {0}; /* durability only: see atomicfile.h */
	sync_path(dir, &dir_err);
	return MS_OK;
}

void atomicfile_abort(struct atomicfile *af)
{
	if (af->committed)
		return;
	if (unlink(af->tmp) != 0 && errno == EISDIR)
		rmdir(af->tmp);
	af->committed = true;
}
