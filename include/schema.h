/*
 * schema: the numbered SQL migrations of schema/, compiled into the
 * programs by scripts/embed-schema.sh. A store applies, in order, every
 * migration of its backend whose number is above the database's version.
 */
#ifndef TLSRPT_SCHEMA_H
#define TLSRPT_SCHEMA_H

struct schema_migration {
	const char *backend;	/* "sqlite" or "postgresql" */
	int version;		/* from the file name: 001-initial.sql is 1 */
	const char *name;	/* the file name */
	const char *sql;
};

/* All migrations, ordered by backend and version; ends with a NULL sql. */
extern const struct schema_migration schema_migrations[];

#endif
