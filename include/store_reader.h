/*
 * store_reader: a few connections to a store for reads only
 * (store_open_reader()), lent to one thread at a time: the daemon's read
 * API reads through them, so that a read never waits for a write (nor
 * for the lock a report's put takes), and a put never waits for a read.
 * Reads wait only for other reads, when every connection is lent.
 */
#ifndef TLSRPT_STORE_READER_H
#define TLSRPT_STORE_READER_H

#include "error.h"
#include "store.h"

struct store_readers;

/*
 * Open n (at least 1) readers of the store spec names, which store_open()
 * has opened and brought to the current schema. NULL with err set as
 * store_open() sets it.
 */
struct store_readers *store_readers_open(const char *spec, unsigned n,
					 struct error *err);

/* Close them all; none may be lent. NULL is allowed. */
void store_readers_close(struct store_readers *rs);

/* A reader, waiting for one to be given back when all are lent. */
struct store *store_readers_take(struct store_readers *rs);

/* Give back what store_readers_take() lent. */
void store_readers_give(struct store_readers *rs, struct store *st);

#endif
