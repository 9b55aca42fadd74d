/*
 * t-cli: what the programs share (cli.h): telling a PostgreSQL URI from
 * a path, times on the command line, opening the config and the store,
 * and the options every program has.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>
#include <unistd.h>

#include "cli.h"
#include "fmt.h"
#include "tap.h"

static void
usage(FILE *f)
{
	fputs("usage: t-cli\n", f);
}

static void
test_uri(void)
{
	ok(store_is_postgresql("postgresql://db.example/tlsrpt"),
	    "postgresql:// is PostgreSQL");
	ok(store_is_postgresql("postgres:///tlsrpt?host=/run"),
	    "postgres:// is PostgreSQL");
	ok(!store_is_postgresql("postgres-old.db"),
	    "a file named postgres-old.db is a file");
	ok(!store_is_postgresql("postgresql.db"), "postgresql.db is a file");
	ok(!store_is_postgresql("/var/lib/tlsrptd/tlsrpt.db"), "a path");
	ok(!store_is_postgresql(":memory:"), "SQLite's :memory:");
}

static void
test_time(void)
{
	int64_t t;

	ok(cli_parse_time("1773100800", &t) == 0 && t == 1773100800,
	    "Unix seconds");
	ok(cli_parse_time("2026-03-10T00:00:00Z", &t) == 0 &&
	    t == 1773100800, "an RFC 3339 time");
	ok(cli_parse_time("-5", &t) < 0, "no time before 1970");
	ok(cli_parse_time("253402300800", &t) < 0, "none after 9999");
	ok(cli_parse_time("yesterday", &t) < 0, "words are not a time");
}

static void
test_open(void)
{
	char dir[] = "/tmp/t-cli.XXXXXX", db[64], conf[64], cmd[96];
	struct config cfg;
	struct store *st;
	FILE *f;

	ok(mkdtemp(dir) != NULL, "scratch folder");
	ok(fmt_whole(db, sizeof(db), "%s/new.db", dir) == 0 &&
	    fmt_whole(conf, sizeof(conf), "%s/t.conf", dir) == 0, "names");
	is_int(cli_open_store("t-cli", NULL, db, 1, &cfg, &st), EX_NOINPUT,
	    "a store that must exist and does not: 66");
	ok(st == NULL && access(db, F_OK) < 0, "... and none was made");
	is_int(cli_open_store("t-cli", NULL, db, 0, &cfg, &st), 0,
	    "a store the tool may make: made");
	ok(st != NULL && access(db, F_OK) == 0, "... the file is there");
	store_close(st);
	config_release(&cfg);
	is_int(cli_open_store("t-cli", NULL, db, 1, &cfg, &st), 0,
	    "then it exists: opened");
	store_close(st);
	config_release(&cfg);
	is_int(cli_open_store("t-cli", "/nonexistent/t.conf", db, 0, &cfg,
	    &st), EX_NOINPUT, "a config file that cannot be read: 66");
	if ((f = fopen(conf, "w")) != NULL) {
		fputs("no-such-setting = 1\n", f);
		fclose(f);
	}
	is_int(cli_open_store("t-cli", conf, db, 0, &cfg, &st), EX_USAGE,
	    "a bad config file: 64");
	if ((f = fopen(conf, "w")) != NULL) {
		fprintf(f, "database = %s\n", db);
		fclose(f);
	}
	is_int(cli_open_store("t-cli", conf, NULL, 1, &cfg, &st), 0,
	    "no --db: the config's database");
	store_close(st);
	config_release(&cfg);
	fmt_whole(cmd, sizeof(cmd), "rm -rf %s", dir);
	ok(system(cmd) == 0, "clean up");
}

static void
test_options(void)
{
	char *argv[] = { "t-cli", "--nope", NULL };

	is_int(cli_other_option("t-cli", 'h', argv, usage), EX_OK,
	    "--help: exit 0");
	is_int(cli_other_option("t-cli", 'V', argv, usage), EX_OK,
	    "--version: exit 0");
	optind = 2;
	is_int(cli_other_option("t-cli", '?', argv, usage), EX_USAGE,
	    "an unknown option: exit 64");
	is_int(cli_other_option("t-cli", ':', argv, usage), EX_USAGE,
	    "a missing value: exit 64");
}

int
main(void)
{
	test_uri();
	test_time();
	test_open();
	test_options();
	return tap_done();
}
