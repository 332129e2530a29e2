/*
 * tilemath.c - Web Mercator (EPSG:3857) and the XYZ tile grid; see
 * tilemath.h.
 *
 * The closed formulas are those of EPSG's "Popular Visualisation Pseudo
 * Mercator" (method 1024, IOGP Guidance Note 7-2 §3.5.2.1): spherical
 * Mercator on a sphere of radius WGS84_A, fed with WGS-84 latitudes.
 * struct geo_merc asks PROJ for the same transform; tests hold the two to
 * a millimetre.
 */
#include "tilemath.h"

#include <math.h>
#include <proj.h>
#include <stdlib.h>

#include "../util/mem.h"
#include "geo.h"

#define DEG2RAD (M_PI / 180.0)
#define RAD2DEG (180.0 / M_PI)

bool tile_valid(int z, long long x, long long y, int max_zoom)
{
	/* z < 63 keeps the shift below defined whatever max_zoom says. */
	if (z < 0 || z > max_zoom || z >= 63)
		return false;
	long long n = 1LL << z;
	return x >= 0 && x < n && y >= 0 && y < n;
}

static double clamp_lat(double lat)
{
	if (lat > WEBMERC_MAX_LAT)
		return WEBMERC_MAX_LAT;
	if (lat < -WEBMERC_MAX_LAT)
		return -WEBMERC_MAX_LAT;
	return lat;
}

void webmerc_from_lonlat(double lon, double lat, double *mx, double *my)
{
	lat = clamp_lat(lat);
	*mx = WGS84_A * lon * DEG2RAD;
	*my = WGS84_A * log(tan(M_PI / 4.0 + lat * DEG2RAD / 2.0));
}

void webmerc_to_lonlat(double mx, double my, double *lon, double *lat)
{
	*lon = mx / WGS84_A * RAD2DEG;
	*lat = (2.0 * atan(exp(my / WGS84_A)) - M_PI / 2.0) * RAD2DEG;
}

static double world_size_px(int z, int tile_px)
{
	return ldexp((double)tile_px, z);
}

void webmerc_to_world_px(double mx, double my, int z, int tile_px, double *px, double *py)
{
	double size = world_size_px(z, tile_px);
	*px = (mx + WEBMERC_HALF) / (2.0 * WEBMERC_HALF) * size;
	*py = (WEBMERC_HALF - my) / (2.0 * WEBMERC_HALF) * size;
}

void world_px_to_webmerc(double px, double py, int z, int tile_px, double *mx, double *my)
{
	double size = world_size_px(z, tile_px);
	*mx = px / size * (2.0 * WEBMERC_HALF) - WEBMERC_HALF;
	*my = WEBMERC_HALF - py / size * (2.0 * WEBMERC_HALF);
}

/* Latitude of the tile-grid row boundary y (of 2^z rows), y = 0 north. */
static double grid_lat(double y, int z)
{
	double t = M_PI * (1.0 - 2.0 * y / ldexp(1.0, z));
	return atan(sinh(t)) * RAD2DEG;
}

void tile_bounds_lonlat(int z, int x, int y, double *w, double *s, double *e, double *n)
{
	double tiles = ldexp(1.0, z);
	*w = x / tiles * 360.0 - 180.0;
	*e = (x + 1) / tiles * 360.0 - 180.0;
	*n = grid_lat(y, z);
	*s = grid_lat(y + 1.0, z);
}

void tile_from_lonlat(double lon, double lat, int z, int *x, int *y)
{
	double mx, my, px, py;
	webmerc_from_lonlat(lon, lat, &mx, &my);
	webmerc_to_world_px(mx, my, z, 1, &px, &py);
	long long max = (1LL << z) - 1;
	long long tx = (long long)floor(px), ty = (long long)floor(py);
	if (!(px >= 0)) /* also NaN */
		tx = 0;
	if (!(py >= 0))
		ty = 0;
	*x = (int)(tx > max ? max : tx);
	*y = (int)(ty > max ? max : ty);
}

struct geo_merc {
	PJ_CONTEXT *ctx;
	PJ *pj;
};

/* Exactly EPSG:3857 as a PROJ pipeline, used only when PROJ's database
 * cannot be opened: this needs no proj.db, so rendering keeps working on
 * a system whose PROJ data are missing or misplaced. */
#define WEBMERC_PIPELINE                                                              \
	"+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad "             \
	"+step +proj=webmerc +lat_0=0 +lon_0=0 +x_0=0 +y_0=0 +ellps=WGS84"

/* PROJ's logger writes to stderr by default; the engine must stay quiet. */
static void proj_log_silent(void *app, int level, const char *msg)
{
	(void)app;
	(void)level;
	(void)msg;
}

static enum ms_status proj_failure(struct ms_error *err, PJ_CONTEXT *ctx, const char *what)
{
	int e = proj_context_errno(ctx);
	const char *msg = e ? proj_context_errno_string(ctx, e) : NULL;
	return ms_fail(err, MS_EINTERNAL, "PROJ: %s: %s", what, msg ? msg : "unknown error");
}

struct geo_merc *geo_merc_new(struct ms_error *err)
{
	PJ_CONTEXT *ctx = proj_context_create();
	if (!ctx) {
		ms_fail(err, MS_EINTERNAL, "PROJ: cannot create a context");
		return NULL;
	}
	/* Never fetch grids over the network (a server must work offline and
	 * this transform needs none), and keep PROJ from printing: the
	 * engine reports through struct ms_error only. */
	proj_context_set_enable_network(ctx, 0);
	proj_log_level(ctx, PJ_LOG_NONE);
	proj_log_func(ctx, NULL, proj_log_silent);

	PJ *pj = NULL;
	PJ *raw = proj_create_crs_to_crs(ctx, "EPSG:4326", "EPSG:3857", NULL);
	if (raw) {
		/* EPSG:4326 is lat,lon by authority; callers pass lon,lat. */
		pj = proj_normalize_for_visualization(ctx, raw);
		proj_destroy(raw);
	}
	if (!pj) {
		pj = proj_create(ctx, WEBMERC_PIPELINE);
	}
	if (!pj) {
		proj_failure(err, ctx, "EPSG:4326 -> EPSG:3857");
		proj_context_destroy(ctx);
		return NULL;
	}
	struct geo_merc *m = xcalloc(1, sizeof *m);
	m->ctx = ctx;
	m->pj = pj;
	return m;
}

void geo_merc_free(struct geo_merc *m)
{
	if (!m)
		return;
	proj_destroy(m->pj);
	proj_context_destroy(m->ctx);
	free(m);
}

enum ms_status geo_merc_forward(struct geo_merc *m, double *lon_x, double *lat_y, size_t n, struct ms_error *err)
{
	if (n == 0)
		return MS_OK;
	for (size_t i = 0; i < n; i++)
		lat_y[i] = clamp_lat(lat_y[i]);
	proj_errno_reset(m->pj);
	size_t done = proj_trans_generic(m->pj, PJ_FWD, lon_x, sizeof(double), n, lat_y, sizeof(double), n,
					 NULL, 0, 0, NULL, 0, 0);
	int e = proj_errno(m->pj);
	if (done != n || e != 0) {
		const char *msg = proj_context_errno_string(m->ctx, e);
		return ms_fail(err, MS_EDATA, "PROJ: Web Mercator projection of %zu points failed: %s", n,
			       msg ? msg : "unknown error");
	}
	return MS_OK;
}
