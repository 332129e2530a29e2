/*
 * atomicfile.h - publishing a file whole or not at all: the one durable
 * write path of mapsvc (database imports, tile stores).
 *
 * A writer never writes its target in place.  atomicfile_begin creates a
 * new file beside the target (same directory, so rename(2) stays on one
 * file system; O_EXCL, so two writers never share one; with the mode of
 * the file it will replace), the writer fills that file by any means (a
 * SQLite connection, plain writes), and atomicfile_commit publishes it:
 * fsync the file, rename it over the target, fsync the directory.  rename
 * is atomic on POSIX file systems, so a reader (or a crash, or a power
 * cut after the commit) sees the old target or the whole new one, never
 * half of one; until the commit the target is untouched, byte for byte.
 * atomicfile_abort removes the new file; after a commit it does nothing,
 * so a cleanup path can call it unconditionally.
 *
 * The target may be a symbolic link: the file it names is replaced, and
 * the link stays.  Commit syncs and renames whatever the new path holds,
 * so a writer that replaces it with a directory (a folder of tiles)
 * publishes that the same way; the files inside are the writer's to sync,
 * and a failed writer removes them before atomicfile_abort (which removes
 * a file or an empty directory).
 *
 * Owns: the path names in the struct (no heap).  Threads: a struct
 * atomicfile belongs to one writer; different ones may run at once.
 */
#ifndef MS_ATOMICFILE_H
#define MS_ATOMICFILE_H

#include <limits.h>
#include <stdbool.h>

#include "ms_error.h"

/* Room for the suffix atomicfile_begin adds to the target's name. */
#define ATOMICFILE_SUFFIX_MAX 64

struct atomicfile {
	char target[PATH_MAX];                      /* what commit replaces (links resolved) */
	char tmp[PATH_MAX + ATOMICFILE_SUFFIX_MAX]; /* the new file, beside it */
	bool existed;                               /* target existed at begin */
	bool committed;
};

/* Creates the new, empty file for path: "PATH.TAG-PID-N" beside the file
 * path names.  MS_EIO when path exists and is not a regular file, or the
 * file cannot be created (the message says which and why). */
enum ms_status atomicfile_begin(struct atomicfile *af, const char *path, const char *tag,
                                struct ms_error *err);

/* Publishes af->tmp as af->target: fsync, rename, fsync of the directory.
 * MS_EIO when the new file cannot be synced or renamed (it is removed
 * then, and the target is as it was).  A directory that cannot be synced
 * only costs durability after a crash, not the publication, so that is
 * not an error. */
enum ms_status atomicfile_commit(struct atomicfile *af, struct ms_error *err);

/* Removes the new file unless it was published. */
void atomicfile_abort(struct atomicfile *af);

#endif
