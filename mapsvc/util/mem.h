/*
 * mem.h - allocation that never returns NULL, and a string arena.
 *
 * mapsvc aborts on allocation failure (as Redis's zmalloc does): a tile
 * server that cannot get a few kilobytes has no sane way to go on, and
 * checking every malloc would bury the logic.  Input sizes are bounded
 * everywhere before anything is allocated, so a client cannot make the
 * process allocate without limit.
 *
 * An arena owns many small allocations freed together (the strings of a
 * site set), or emptied together and filled again (a cache's images).
 * Not thread-safe while being filled; immutable afterwards.
 */
#ifndef MS_MEM_H
#define MS_MEM_H

#include <stddef.h>

/* Allocations of this many bytes or more get mappings of their own
 * (main.c), given back whole when freed; those made with x*alloc ask for
 * transparent huge pages (madvise), which the kernel gives where it can. */
#define MS_MMAP_THRESHOLD (4u << 20)

/* A transparent huge page.  xmalloc's blocks of this size or more start
 * on one's boundary and ask for them: a million sites' arrays of 32-bit
 * values are 4,000,000 bytes, just under MS_MMAP_THRESHOLD. */
#define MS_HUGE_PAGE (2u << 20)

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* n bytes in small pages, each taking memory only once written, and
 * never huge ones: for a buffer sized for a burst that mostly holds
 * little (xmalloc's huge pages would bring in 2 MiB with its first
 * byte).  Freed with free. */
void *xmalloc_lazy(size_t n);

struct arena;

struct arena *arena_new(void);
void arena_free(struct arena *a);
/* Aligned for any type; zero-filled. Valid until arena_free. */
void *arena_alloc(struct arena *a, size_t n);
/* n bytes aligned to align (a power of two, at most max_align_t's), not
 * cleared. */
void *arena_alloc_raw(struct arena *a, size_t n, size_t align);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);
/* Bytes held (for reporting and cache accounting). */
size_t arena_size(const struct arena *a);
/* Empties a: what was allocated in it is gone, and its chunks are kept
 * to be filled again (arena_size still counts them). */
void arena_reset(struct arena *a);
/* Moves everything from holds into a, and frees from: what was allocated
 * in either stays where it is, now owned by a.  Lets arenas filled by
 * different threads become one.  Both arenas' last chunks give back the
 * pages past what they hold (an arena is adopted once it is filled). */
void arena_adopt(struct arena *a, struct arena *from);

#endif
