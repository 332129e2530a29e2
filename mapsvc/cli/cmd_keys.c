/*
 * cmd_keys.c - `mapsvc keys`: the keys that may edit the sites through
 * `serve --edit` (store.h keeps them, hashed).
 *
 * A new key's token is printed once, on standard output alone, so that
 * `mapsvc keys add NAME > file` captures it and nothing else; the
 * database keeps only its hash, so a lost token is revoked and replaced,
 * never recovered.  `audit` (cmd_audit.c) shows what each key changed.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../store/store.h"
#include "cli.h"

static const char usage_text[] =
    "usage: mapsvc keys [--db FILE] add NAME [--role read|edit]\n"
    "       mapsvc keys [--db FILE] list\n"
    "       mapsvc keys [--db FILE] revoke NAME\n"
    "\n"
    "Manages the keys that may change sites through 'mapsvc serve --edit' (sent as\n"
    "'Authorization: Bearer TOKEN').  add prints a new key's token once, on standard\n"
    "output; the database keeps only its SHA-256.  NAME: 1 to 64 of A-Z a-z 0-9 . _ -.\n"
    "\n"
    "  --db DB      SpatiaLite file or postgresql:// connection string\n"
    "               (default: the bundled dataset)\n"
    "  --role R     edit (the default: may create, change and delete sites) or read\n";

static int keys_add(struct store *w, const char *name, enum store_role role)
{
	char token[STORE_TOKEN_TEXT];
	struct ms_error err = {0};
	enum ms_status st = store_key_add(w, name, role, token, &err);
	if (st != MS_OK) {
		fprintf(stderr, "mapsvc keys: %s\n", err.msg);
		return st == MS_EUSAGE ? EXIT_USAGE : EXIT_FAIL;
	}
	printf("%s\n", token);
	fflush(stdout);
	fprintf(stderr, "mapsvc keys: key '%s' (%s) made; its token above is shown only this once\n", name,
	        store_role_name(role));
	return EXIT_OK;
}

static int keys_list(struct store *w)
{
	struct store_key_info *keys;
	size_t n;
	struct ms_error err = {0};
	if (store_key_list(w, &keys, &n, &err) != MS_OK) {
		fprintf(stderr, "mapsvc keys: %s\n", err.msg);
		return EXIT_FAIL;
	}
	for (size_t i = 0; i < n; i++)
		printf("%-24s %-4s created %s%s%s\n", keys[i].name, store_role_name(keys[i].role),
		       keys[i].created, keys[i].revoked[0] ? ", revoked " : "", keys[i].revoked);
	free(keys);
	return EXIT_OK;
}

static int keys_revoke(struct store *w, const char *name)
{
	struct ms_error err = {0};
	if (store_key_revoke(w, name, &err) != MS_OK) {
		fprintf(stderr, "mapsvc keys: %s\n", err.msg);
		return EXIT_FAIL;
	}
	fprintf(stderr, "mapsvc keys: key '%s' revoked\n", name);
	return EXIT_OK;
}

int cmd_keys(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"db", required_argument, NULL, 'd'},
	    {"role", required_argument, NULL, 'r'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *db = cli_default_db();
	int role = STORE_ROLE_EDIT, ch;
	optind = 1;
	opterr = 0;
	/* "+" would stop at the verb; options may come after it too */
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': db = optarg; break;
		case 'r':
			if ((role = store_role_parse(optarg)) < 0)
				return cli_usage_error("keys", "--role: '%s' is not read or edit", optarg);
			break;
		case 'h': fputs(usage_text, stdout); return EXIT_OK;
		case ':': return cli_usage_error("keys", "%s needs a value", argv[optind - 1]);
		default: return cli_usage_error("keys", "unknown option '%s'", argv[optind - 1]);
		}
	}
	const char *verb = optind < argc ? argv[optind] : NULL;
	int nargs = argc - optind - 1;
	bool named = verb && (!strcmp(verb, "add") || !strcmp(verb, "revoke"));
	if (!verb || (strcmp(verb, "list") && !named))
		return cli_usage_error("keys", "say add NAME, list or revoke NAME");
	if (nargs != (named ? 1 : 0))
		return cli_usage_error("keys", "%s takes %s", verb, named ? "one NAME" : "no argument");
	struct store *w = NULL;
	struct ms_error err = {0};
	if (store_open(db, STORE_EDIT, &w, &err) != MS_OK) {
		fprintf(stderr, "mapsvc keys: %s\n", err.msg);
		return EXIT_FAIL;
	}
	int rc = !strcmp(verb, "add")    ? keys_add(w, argv[optind + 1], (enum store_role)role)
	         : !strcmp(verb, "list") ? keys_list(w)
	                                 : keys_revoke(w, argv[optind + 1]);
	store_close(w);
	store_shutdown();
	return rc;
}
