/*
 * cli.h - the command-line front: one function per subcommand, and what
 * they share (finding the bundled database and styles, option parsing
 * helpers).  Only this module and http/ turn errors into words for
 * people; only this module prints and chooses exit statuses:
 * 0 success, 1 runtime failure, 2 usage error (DESIGN.md).
 *
 * Ownership: each cmd_* owns everything it opens (the map service, the
 * output file) and releases it before it returns; a struct cli_map owns
 * its service until cli_map_close.  Strings returned by cli_default_* are
 * static.
 *
 * Threads: the commands run on main's thread.  Only cmd_serve has others,
 * the server's workers, which http/ starts and stops before cmd_serve
 * returns; it takes signals with sigwait on main's thread.  The helpers
 * keep no state except the static path buffers of cli_default_*, so call
 * those from one thread.
 */
#ifndef MS_CLI_H
#define MS_CLI_H

#include <stdbool.h>
#include <stddef.h>

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

int cmd_import(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_nearest(int argc, char **argv);
int cmd_render(int argc, char **argv);
int cmd_route(int argc, char **argv);
int cmd_seed(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_health(int argc, char **argv);
int cmd_keys(int argc, char **argv);
int cmd_audit(int argc, char **argv);

/* The bundled database: sites.sqlite next to the running binary (the build
 * tree), else in the installed data directory.  Returns a static string. */
const char *cli_default_db(void);
/* The styles folder, found the same way ("styles" next to the binary, else
 * the installed one). */
const char *cli_default_styles(void);

/* Parse option values with util/numparse.h's grammars (the ones HTTP
 * parameters use): false if s is not a decimal / an integer in
 * [min, max] ("1e2", " 5", "+5", trailing junk, NaN, infinities). */
bool cli_parse_double(const char *s, double *out);
bool cli_parse_int(const char *s, long min, long max, long *out);

struct mapservice;
struct mapservice_gen;
struct style;
/* What render, seed and route draw from: a map service over the database
 * and the styles folder (nothing cached: a command draws each tile once),
 * its generation, and the style asked for. */
struct cli_map {
	struct mapservice *maps;    /* cli_map_close() frees it */
	struct mapservice_gen *gen; /* the snapshot, the styles and their layouts */
	const struct style *style;  /* the one asked for; NULL when none was */
};
/* Loads styles_dir (NULL: no styles, for a command that draws nothing)
 * and db, and picks style_name (may be NULL).  On failure prints "mapsvc
 * CMD: ..." and returns EXIT_USAGE (no such style) or EXIT_FAIL, with
 * nothing left to free; EXIT_OK otherwise. */
int cli_map_open(const char *cmd, const char *db, const char *styles_dir, const char *style_name,
                 struct cli_map *m);
void cli_map_close(struct cli_map *m);

struct buf;
/* Writes b to path ("-" for standard output); on failure says so as
 * "mapsvc CMD: ..." and returns EXIT_FAIL, else EXIT_OK. */
int cli_write_file(const char *cmd, const char *path, const struct buf *b);

/* Prints "mapsvc CMD: message" and a hint to --help on stderr; returns
 * EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
