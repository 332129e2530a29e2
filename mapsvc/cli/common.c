/* common.c - what the subcommands share; see cli.h. */
#include "cli.h"

#include "../mapservice/mapservice.h"
#include "../util/buf.h"
#include "../util/numparse.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef MAPSVC_DATADIR
#define MAPSVC_DATADIR "/usr/local/share/mapsvc"
#endif

/* Looks for name next to the running executable (the build tree), then in
 * ../share/mapsvc beside it (an installed tree, wherever its prefix was
 * moved: cmake --install --prefix, a Docker image), then in the data
 * directory configured at build time. */
static const char *find_beside_binary(const char *name, char *out, size_t size)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			snprintf(out, size, "%s/%s", exe, name);
			if (access(out, F_OK) == 0)
				return out;
			snprintf(out, size, "%s/../share/mapsvc/%s", exe, name);
			if (access(out, F_OK) == 0)
				return out;
		}
	}
	snprintf(out, size, "%s/%s", MAPSVC_DATADIR, name);
	return out;
}

const char *cli_default_db(void)
{
	static char path[PATH_MAX + 64];
	return find_beside_binary("sites.sqlite", path, sizeof path);
}

const char *cli_default_styles(void)
{
	static char path[PATH_MAX + 64];
	return find_beside_binary("styles", path, sizeof path);
}

bool cli_parse_double(const char *s, double *out)
{
	return ms_parse_decimal_str(s, out);
}

bool cli_parse_int(const char *s, long min, long max, long *out)
{
	long long v;
	if (ms_parse_int_str(s, min, max, &v) != MS_PARSE_OK)
		return false;
	*out = (long)v;
	return true;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "mapsvc %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'mapsvc %s --help'.\n", cmd);
	return EXIT_USAGE;
}

int cli_write_file(const char *cmd, const char *path, const struct buf *b)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "wb") : stdout;
	if (!f) {
		fprintf(stderr, "mapsvc %s: cannot open %s: %s\n", cmd, path, strerror(errno));
		return EXIT_FAIL;
	}
	int bad = fwrite(b->data, 1, b->len, f) != b->len;
	bad |= f == stdout ? fflush(f) != 0 : fclose(f) != 0;
	if (bad) {
		fprintf(stderr, "mapsvc %s: cannot write %s\n", cmd, path);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

int cli_map_open(const char *cmd, const char *db, const char *styles_dir, const char *style_name,
                 struct cli_map *m)
{
	struct ms_error err = {0};
	const struct mapservice_config cfg = {.db_path = db, .styles_dir = styles_dir, .cache_bytes = 0};
	*m = (struct cli_map){mapservice_new(&cfg), NULL, NULL};
	if (mapservice_load(m->maps, &err) != MS_OK) {
		fprintf(stderr, "mapsvc %s: %s\n", cmd, err.msg);
		cli_map_close(m);
		return EXIT_FAIL;
	}
	m->gen = mapservice_acquire(m->maps);
	if (style_name && !(m->style = mapservice_style(m->gen, style_name))) {
		fprintf(stderr, "mapsvc %s: --style: no style '%s' in %s\n", cmd, style_name, styles_dir);
		cli_map_close(m);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

void cli_map_close(struct cli_map *m)
{
	mapservice_release(m->gen);
	mapservice_free(m->maps);
	*m = (struct cli_map){0};
}
