/*
 * mapservice.h - the map service: the one owner of what drawing needs,
 * for the server and the commands alike.
 *
 * It owns the current generation of the map - the sites (a snapshot of
 * the database), the looks (every style of the styles folder, through the
 * loader styleset/) and the layouts computed over the two (a tile_map) -
 * plus the tile cache and one render context per thread.  `mapsvc serve`
 * builds it before the server listens and hands it to the handlers (in
 * the server's config); `mapsvc render`, `seed` and `route` build one to
 * draw with.  Nothing of HTTP is here, and the server knows nothing of
 * styles or caches.
 *
 * Generations: a reload (SIGHUP) loads a new snapshot and a new style set
 * beside the current ones and, only when both loaded, swaps the new
 * generation in; a broken database or style file leaves the current one
 * serving and says why.  A request acquires the generation current when
 * it starts and releases it when it ends, so it sees one whole (snapshot,
 * styles, layouts) triple, never a mix; an old generation is freed by the
 * release of its last request.  Loading happens outside any lock; the
 * swap and an acquire hold a mutex for a pointer copy and a reference
 * count, so a reload never blocks requests.  A change of the sites alone
 * (a store announced it: mapservice_update_sites) makes a generation of
 * the new sites with the current styles, which the two share.
 *
 * Tiles: mapservice_tile answers from the cache, keyed by everything the
 * bytes depend on (data and style versions, address, scale, system, the
 * subset of sites drawn), so a reload never serves stale bytes; concurrent
 * misses of one tile render it once (render/tilecache.h).  A generation's
 * cluster hierarchies, one per distinct clustering of its styles, are
 * built with its snapshot (snapshot_load_with), before it is made
 * current: no visitor of new data waits for them.
 *
 * Pre-rendered tiles (serve --tiles-from): a tile store seeded by
 * mapservice_seed answers a cache miss before the renderer does, when it
 * holds the tile and was seeded from this very generation: the same
 * style and style version, the same data version, and the tile's scale
 * and coordsys.  The store's metadata say all that (mapservice_seed
 * writes it), and it is checked each time a generation is loaded, so the
 * bytes and the tag of a tile never depend on where it came from; a store
 * seeded from other data or styles is not used (mapservice_tiles_from
 * says why), and a reload picks up a store seeded again in the meantime.
 *
 * Threads: every function may be called from any thread, except
 * mapservice_free (when no other thread uses the service).  A generation
 * is immutable; its tile_map computes layouts lazily, thread-safely.
 */
#ifndef MS_MAPSERVICE_H
#define MS_MAPSERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../geo/geo.h"
#include "../render/tile.h"
#include "../render/tilecache.h"
#include "../store/snapshot.h"
#include "../styleset/styleset.h"
#include "../tilestore/tilestore.h"
#include "../util/ms_error.h"
#include "../util/refcount.h"

/* The style a tile URL without one draws with (styles/default.json); a
 * folder without it uses its first style. */
#define MAPSERVICE_DEFAULT_STYLE "default"

struct mapservice_config {
	const char *db_path;    /* the database a generation's snapshot is read from */
	const char *styles_dir; /* its styles (every *.json); NULL: a generation without styles */
	size_t cache_bytes;     /* tile cache budget; 0 keeps no tile (single flight still applies) */
	const char *tiles_from; /* a seeded tile store (MBTiles, PMTiles) to serve from; NULL: none */
};

/* One generation: the sites and the looks that go together. */
struct mapservice_gen {
	struct snapshot *snap;      /* the sites */
	const struct style *styles; /* sorted by name; nstyles of them */
	size_t nstyles;
	const struct style *def;   /* MAPSERVICE_DEFAULT_STYLE, else the first; NULL without styles */
	struct tile_map *map;      /* the layouts of snap in these styles */
	unsigned long long serial; /* 1 for the first generation, then one more per reload */
	/* private */
	struct mapservice_looks *looks_; /* the styles' owner, shared with other generations */
	struct mapservice_pre *pre_;     /* the --tiles-from store as this generation uses it */
	struct ms_ref refs_;
	struct mapservice *retired_;  /* once replaced: whose reaper frees it */
	struct mapservice_gen *dead_; /* next in that reaper's list */
};

struct mapservice;
struct mapservice_looks;

/* A service with no generation yet (load one with mapservice_load).  The
 * config's strings are borrowed for the service's lifetime. */
struct mapservice *mapservice_new(const struct mapservice_config *cfg);
/* Stops and frees everything: the generation, the cache, every thread's
 * context.  No other thread may use the service, and no generation may
 * still be acquired.  NULL is fine. */
void mapservice_free(struct mapservice *ms);

/* Loads the styles and then the database of the config into a new
 * generation, opens the config's tiles_from store for it, and makes it
 * current.  On failure the current generation (if any) stays, and err
 * says what and where: the style loader's "FILE:LINE: reason", MS_EDATA
 * for a styles folder without styles, the store's errors, a tiles_from
 * file that cannot be read. */
enum ms_status mapservice_load(struct mapservice *ms, struct ms_error *err);
/* What g takes from the config's tiles_from store, in words for the
 * operator: "FILE: style default, wgs84, @1x, zooms 0-14" or "FILE: not
 * used: seeded from data version ..., the database is at ...".  NULL
 * without a tiles_from store.  Borrowed for g's lifetime. */
const char *mapservice_tiles_from(const struct mapservice_gen *g);
/* Makes a generation of snap (a reference is taken) and set (owned from
 * now on; NULL: no styles) current: a source other than the config's
 * paths (tests, fuzzers). */
void mapservice_install(struct mapservice *ms, struct snapshot *snap, struct styleset *set);

/* Makes the sites *make gives current with the current generation's
 * styles, without reading the styles again: how a change goes live, one
 * an edit made (editor/) or one a store announced (PostGIS, the
 * follower).  make(arg, cur, &set, err) gets the current snapshot (NULL
 * before the first load) and sets set to the new sites (owned from then
 * on; NULL: nothing changed, nothing is installed) or fails.  The snapshot
 * and the hierarchies of the styles are built before the swap; on failure
 * the current generation stays.  Serialised with mapservice_load, so a
 * reload of the styles is never undone by an update that began before it,
 * and make always works on the generation that is current.  A tile whose
 * bytes did not change keeps its tag (mapservice_tile), so caches
 * revalidating it get a 304.  A --tiles-from store seeded from the old
 * sites is not used for the new ones. */
typedef enum ms_status (*mapservice_sites_fn)(void *arg, const struct snapshot *cur, struct site_set **set,
                                              struct ms_error *err);
enum ms_status mapservice_update_sites(struct mapservice *ms, mapservice_sites_fn make, void *arg,
                                       struct ms_error *err);

/* The link to a store that announces changes, as its follower last saw
 * it (for /readyz and /metrics): none without such a store. */
enum mapservice_link { MAPSERVICE_LINK_NONE, MAPSERVICE_LINK_UP, MAPSERVICE_LINK_DOWN };
/* Records the link's state; a change from down to up counts a reconnect. */
void mapservice_set_link(struct mapservice *ms, enum mapservice_link link);

/* The store version (store.h's store_version) the installed sites are at:
 * the follower of a store that announces changes records it after each
 * catch-up (it only grows), and an edit through this service waits for
 * the version its commit made, so that the follower - not the edit -
 * installs the change, once.  wait: true once the version is reached,
 * false after timeout_ms. */
void mapservice_set_store_version(struct mapservice *ms, uint64_t version);
bool mapservice_wait_store_version(struct mapservice *ms, uint64_t version, unsigned timeout_ms);

/* The current generation, retained for the caller (NULL before the first
 * load); mapservice_release it when done. */
struct mapservice_gen *mapservice_acquire(struct mapservice *ms);
void mapservice_release(struct mapservice_gen *g);
/* The style called name in g, or NULL. */
const struct style *mapservice_style(const struct mapservice_gen *g, const char *name);
/* The version of the data st's tiles are drawn from: g's snapshot's, or 0
 * for a style that draws no sites (style.h), whose tiles an edit or a
 * reload of the sites does not change: their versioned URLs, cache
 * entries and seeded stores outlive it. */
uint64_t mapservice_tiles_data_version(const struct mapservice_gen *g, const struct style *st);
/* Whether g's styles' glyphs are drawn ahead yet (render/ahead.h; true
 * when there is nothing to draw), and how many bitmaps that made. */
bool mapservice_glyphs_ahead(const struct mapservice_gen *g, size_t *bitmaps);

/* This thread's render context, taken on first use (a warmed one when
 * one is waiting: mapservice_warm, else a new one) and freed with the
 * service (or when the thread ends); NULL with err if it cannot be made. */
struct tile_ctx *mapservice_ctx(struct mapservice *ms, struct ms_error *err);

/* Warms up to n render contexts for the threads that will draw tiles
 * (serve: one per libmicrohttpd thread), on a thread of the service's
 * own, one at a time: the next once a thread has taken the last
 * (mapservice_ctx).  Each is drawn into with the current generation's
 * default style where its sites crowd (tile_ctx_warm), so that a
 * thread's first crowded tile finds its buffers grown and in memory, at
 * about 7 MB a context; a thread whose first tile comes before one is
 * ready makes its own, as without warming.  Call once, after the first
 * load; mapservice_free stops it. */
void mapservice_warm(struct mapservice *ms, unsigned n);
/* Contexts warmed so far, and how many of them threads have taken;
 * returns false while the first is being warmed. */
bool mapservice_warm_stats(struct mapservice *ms, size_t *warmed, size_t *taken);

/* A tile's address in a generation's map. */
struct mapservice_tile {
	const struct style *style; /* one of the generation's */
	enum coordsys cs;          /* the basemap's system */
	int z;
	long long x, y; /* XYZ, in the grid (render/tile.h) */
	int scale;      /* 1 or 2 (@2x) */
	/* Only some of the sites (a filter's): subset_key names them (the
	 * filter's canonical text, part of the cache key and the tag), and
	 * select lists them the first time the generation's map needs them
	 * (tile_map_subset).  NULL: every site. */
	const char *subset_key;
	tile_subset_fn select;
	void *select_arg;
};

/* The encoded PNG of tile t of g, from the cache or rendered into it (a
 * reference for the caller: tcache_blob_release it).  *tag identifies the
 * bytes, for a strong ETag: a hash of the bytes themselves with the
 * style's version and the address (scale, system and filter included), not
 * of the data version, so
 * that a tile an edit did not touch keeps its tag across the edit (a
 * cache revalidating it gets a 304) and one it touched gets a new one.
 * MS_EUSAGE when the address is not in the grid; the renderer's errors. */
enum ms_status mapservice_tile(struct mapservice *ms, const struct mapservice_gen *g,
                               const struct mapservice_tile *t, struct tcache_blob **out, uint64_t *tag,
                               struct ms_error *err);
/* The same, and *hit says whether the bytes were already cached (the
 * access log's hit or miss). */
enum ms_status mapservice_tile_hit(struct mapservice *ms, const struct mapservice_gen *g,
                                   const struct mapservice_tile *t, struct tcache_blob **out, uint64_t *tag,
                                   bool *hit, struct ms_error *err);

/* What the overlay says of itself, in TileJSON and in tile stores. */
#define MAPSERVICE_TILES_DESCRIPTION                                                                         \
	"Party-history education sites: markers by category, clusters and Chinese names"
#define MAPSERVICE_TILES_ATTRIBUTION                                                                         \
	"Sites: mapsvc red-resource data (sources per site in /collections/sites/items)"
#define MAPSERVICE_TILES_VERSION "1.0.0"
/* ... and a style that draws no sites (its background and context layers
 * only, such as the bundled context.json under the map page) */
#define MAPSERVICE_CONTEXT_DESCRIPTION "Background and context layers, no sites"

/* Pre-rendering a zoom range over a box into a tile store (mapsvc seed). */
struct mapservice_seed {
	const struct style *style; /* one of the generation's */
	enum coordsys cs;
	int scale, zmin, zmax;
	double box[4]; /* west, south, east, north in cs */
	/* The box is the data's extent: grow each zoom's box by the style's
	 * largest marker at that zoom (mapservice_seed_box), so a site at the
	 * edge is drawn whole. */
	bool pad;
	const char *path;               /* the store to write (replaced when complete) */
	const char *format;             /* its backend (tilestore.h); NULL: by path's extension */
	enum tilestore_partial partial; /* what to do with a partial file an earlier run left */
	long long max_tiles;            /* render at most this many in this run (0: all), then stop */
	/* Called after each tile with the count done (resumed ones included);
	 * false stops the seed, keeping its partial file.  May be NULL. */
	bool (*progress)(void *arg, long long done, long long total, int zoom);
	void *arg;
};

/* What a seed did. */
struct mapservice_seed_result {
	long long total;              /* tiles of the job */
	long long resumed;            /* of them, found in the partial file of an earlier run */
	long long rendered;           /* by this run */
	bool finished;                /* published; false: stopped, the partial file kept */
	struct tilestore_stats stats; /* the store's (of the partial file when not finished) */
};

/* How far the style's largest marker (a site's shape or a cluster's
 * disc, outline and antialiasing included) reaches from its anchor at a
 * zoom, in px at scale 1. */
double mapservice_marker_reach(const struct style *st, int zoom);
/* The box whose tiles a seed renders at zoom z: job->box, grown by the
 * marker reach at z when job->pad (Web Mercator pixels turned back into
 * degrees), clamped to the world. */
void mapservice_seed_box(const struct mapservice_seed *job, int z, double out[4]);
/* The seed's bounds, what its store's metadata say: the union of its
 * zooms' boxes (the lowest zoom's, where a marker spans the most degrees,
 * unless the style's markers grow faster than the map). */
void mapservice_seed_bounds(const struct mapservice_seed *job, double out[4]);
/* How many tiles the seed renders. */
long long mapservice_seed_count(const struct mapservice_seed *job);

/* Renders every tile of the job with g, the very bytes mapservice_tile
 * gives, into a store at job->path described by the job (bounds, its fit
 * zoom as the centre, the style's title, MAPSERVICE_TILES_*, and what
 * tiles_from checks: style, style_version, data_version, coordsys,
 * scale), zoom by zoom, row by row.  The tiles go to the store's partial
 * file as they are drawn; a run that resumes one skips the tiles it
 * holds (the first ones of this order, checked).  When every tile is
 * there the store is published whole and res->finished is set; a run
 * stopped by progress or max_tiles returns MS_OK with the partial file
 * kept.  On a failure the partial file keeps what was done. */
enum ms_status mapservice_seed(struct mapservice *ms, const struct mapservice_gen *g,
                               const struct mapservice_seed *job, struct mapservice_seed_result *res,
                               struct ms_error *err);

/* What the service has done, for /metrics. */
struct mapservice_stats {
	unsigned long long reloads;       /* generations made current after the first */
	unsigned long long load_failures; /* mapservice_load calls that kept the current generation */
	double load_seconds;              /* how long the current generation's load took (0: installed) */
	unsigned long long updates;       /* of the reloads, by mapservice_update_sites */
	enum mapservice_link link;        /* the store's change feed */
	unsigned long long reconnects;    /* times the link came back */
	struct tcache_stats cache;
	unsigned long long tiles_rendered;   /* cache misses drawn by the renderer */
	unsigned long long tiles_from_store; /* cache misses answered by the tiles_from store */
	unsigned long long store_errors;     /* reads of it that failed (the tile was rendered) */
	unsigned long long gens_reaped;      /* replaced generations freed off the requests' threads */
};
void mapservice_stats(struct mapservice *ms, struct mapservice_stats *st);

/* Render times, by style: a histogram of the seconds each cache miss took
 * to draw and encode (what a visitor waits for beyond a cached tile).
 * The bounds, in seconds, are mapservice_render_buckets; the styles are
 * kept by name across reloads, the first MAPSERVICE_RENDER_STYLES of them
 * (more are counted under MAPSERVICE_RENDER_OTHER). */
#define MAPSERVICE_RENDER_BUCKETS 9
#define MAPSERVICE_RENDER_STYLES 32
#define MAPSERVICE_RENDER_OTHER "(other)"
extern const double mapservice_render_buckets[MAPSERVICE_RENDER_BUCKETS];
struct mapservice_render_stats {
	char style[sizeof(((struct style *)0)->name)];
	unsigned long long buckets[MAPSERVICE_RENDER_BUCKETS + 1]; /* not cumulative; the last: above all */
	unsigned long long count;
	double sum_seconds;
};
/* Fills out[0..max) with the styles rendered so far; returns how many. */
size_t mapservice_render_stats(struct mapservice *ms, struct mapservice_render_stats *out, size_t max);

#endif
