/*
 * cmd_audit.c - `mapsvc audit`: who changed which site when, and from
 * what into what, as the edits through `serve --edit` recorded it
 * (store.h's audit table), oldest first.
 *
 * One change per line, tab-separated (time, key, operation, site id,
 * before, after), so that grep, cut and a spreadsheet read it; before and
 * after are the site as a one-line GeoJSON Feature, or "-" for none.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "../store/store.h"
#include "cli.h"

static const char usage_text[] =
    "usage: mapsvc audit [--db FILE] [--since TIME]\n"
    "\n"
    "Prints every change made through 'mapsvc serve --edit', oldest first, one a line:\n"
    "time (UTC), key name, create|replace|delete, site id, the site before and after\n"
    "(GeoJSON Features, '-' for none), separated by tabs.\n"
    "\n"
    "  --db DB       SpatiaLite file or postgresql:// connection string\n"
    "                (default: the bundled dataset)\n"
    "  --since TIME  only changes at or after TIME, UTC: 2024-05-01 or 2024-05-01T08:00:00Z\n";

/* YYYY-MM-DD, optionally followed by T and a time: the prefix of the
 * times the audit keeps, so that text order is time order. */
static bool time_ok(const char *s)
{
	static const char shape[] = "dddd-dd-dd";
	size_t n = strlen(s);
	if (n < sizeof shape - 1 || (n > sizeof shape - 1 && s[sizeof shape - 1] != 'T'))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool digit = c >= '0' && c <= '9';
		if (i < sizeof shape - 1 ? (shape[i] == 'd' ? !digit : c != '-')
		                         : !(digit || c == ':' || c == '.' || c == 'T' || c == 'Z'))
			return false;
	}
	return true;
}

static void print_entry(void *arg, const struct store_audit_entry *e)
{
	(void)arg;
	printf("%s\t%s\t%s\t%s\t%s\t%s\n", e->time, e->who, e->op, e->id, e->before ? e->before : "-",
	       e->after ? e->after : "-");
}

int cmd_audit(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"db", required_argument, NULL, 'd'},
	    {"since", required_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *db = cli_default_db(), *since = NULL;
	int ch;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': db = optarg; break;
		case 's':
			if (!time_ok(optarg))
				return cli_usage_error("audit", "--since: '%s' is not YYYY-MM-DD[Thh:mm:ssZ]",
				                       optarg);
			since = optarg;
			break;
		case 'h': fputs(usage_text, stdout); return EXIT_OK;
		case ':': return cli_usage_error("audit", "%s needs a value", argv[optind - 1]);
		default: return cli_usage_error("audit", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("audit", "unexpected argument '%s'", argv[optind]);
	struct ms_error err = {0};
	if (store_audit_list(db, since, print_entry, NULL, &err) != MS_OK) {
		fprintf(stderr, "mapsvc audit: %s\n", err.msg);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}
