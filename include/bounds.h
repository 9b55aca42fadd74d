/*
 * bounds: every limit that untrusted input can run into, with its default,
 * in one place. The daemon's config can change the ones marked (config);
 * the others are fixed by the report format.
 */
#ifndef TLSRPT_BOUNDS_H
#define TLSRPT_BOUNDS_H

#include <stddef.h>
#include <stdint.h>

/* A payload as received: an HTTP body, a file, a mail part (config). */
#define BOUND_PAYLOAD_MAX	((size_t)10 * 1024 * 1024)
/* A report after inflating (config). */
#define BOUND_INFLATED_MAX	((size_t)64 * 1024 * 1024)
/* Inflated size over compressed size, checked as the output grows (config). */
#define BOUND_INFLATE_RATIO	1000
/* A message handed to the mail module, headers and all (config). */
#define BOUND_MESSAGE_MAX	((size_t)32 * 1024 * 1024)
/*
 * The daemon: bytes being decoded across all requests at once, every
 * layer of encoding and the parse counted (budget.h); past it a body
 * waits in the spool (config).
 */
#define BOUND_DECODE_BUDGET	((size_t)256 * 1024 * 1024)
/* The daemon's spool of bodies waiting, in 4 KiB blocks (config). */
#define BOUND_SPOOL_MAX		((size_t)1024 * 1024 * 1024)
/* Seconds the oldest body may wait before /healthz says so (config). */
#define BOUND_SPOOL_STALL	300

/*
 * JSON nesting. A report needs 5 levels (report, policies array, policy
 * entry, policy object, policy-string array) plus one for the tlsa record
 * list some senders put inside a policy-string element; 8 leaves room and
 * stops a deeply nested document before the JSON library recurses into it.
 */
#define BOUND_JSON_DEPTH	8
/*
 * JSON values in one report, counted before parsing: a parsed tree costs
 * tens of bytes per value, so this bounds the memory of the JSON library
 * (a report with 100,000 failure details has about 700,000).
 */
#define BOUND_JSON_VALUES	1000000
/*
 * Entries of one report: policies, and failure details per policy. A
 * report is of one domain's policies (an sts and a tlsa, or the sts
 * policies of a day the policy changed): a thousand is far beyond what
 * senders send. Each policy row repeats the reporter's name and the
 * domain (and a domain's aggregates do), so that the count multiplies
 * what a report adds to the store (doc/retention.md).
 */
#define BOUND_POLICIES		1000
#define BOUND_FAILURES		100000
/*
 * Distinct receiving MX names the verdict of one domain counts by name
 * (analyse.c); the failures at any more are counted as at an unnamed MX.
 * A domain has a few MX hosts: thousands come only from forged reports,
 * and each would be a line of every output.
 */
#define BOUND_ANALYSE_MX	256
/* A string field of a report (names, policy lines, reason codes). */
#define BOUND_STRING		4096

/* Counts beyond 2^53 cannot be exact in every JSON reader (RFC 7159 6). */
#define BOUND_COUNT_MAX		9007199254740992LL

/*
 * A DNS name in text form, without the trailing dot: 253 octets in all
 * and 63 a label (RFC 1035 2.3.4; the 255 octets of the wire form less
 * the length octets). A name as written, before a U-label becomes its
 * A-label, may be longer (UTF-8, characters the mapping drops), up to
 * BOUND_DNS_TEXT bytes.
 */
#define BOUND_DNS_NAME		253
#define BOUND_DNS_LABEL		63
#define BOUND_DNS_TEXT		1024

/*
 * A report's date range: RFC 8460 4 asks for a day, senders send a day or
 * a few; a month (31 days) is the longest kept. It may end at most
 * BOUND_RANGE_AHEAD after the report was received (clocks differ, time
 * zones are misread): a report dated in the far future would keep its
 * domain's evidence fresh for ever.
 */
#define BOUND_RANGE_MAX		((int64_t)31 * 86400)
#define BOUND_RANGE_AHEAD	((int64_t)2 * 86400)

/*
 * A rejected payload is kept in quarantine up to its first
 * BOUND_QUARANTINE_KEEP bytes, with its size and SHA-256: junk posted at
 * the body limit costs the store a tenth of what was sent.
 */
#define BOUND_QUARANTINE_KEEP	((size_t)1024 * 1024)

/*
 * retention-days (config): at most a century. A pass removes what is
 * older in transactions of at most about BOUND_PRUNE_ROWS rows each
 * (store_retention.h), so that reports posted meanwhile wait for one of
 * them at most.
 */
#define BOUND_RETENTION_DAYS	36500
#define BOUND_PRUNE_ROWS	4096

/* SQLite: how long to wait for another writer before answering "busy". */
#define BOUND_BUSY_TIMEOUT_MS	5000
/*
 * SQLite, the daemon: pages of the write-ahead log the checkpointer thread
 * copies into the database at a time, and pages past which the writer
 * copies the rest itself and the log starts again (32 MiB of 4 KiB pages).
 */
#define BOUND_WAL_CHECKPOINT	1000
#define BOUND_WAL_PAGES		8000

/*
 * The per-day aggregates and the domain index of the policies (SQLite):
 * a fold reads the policy rows of at most BOUND_FOLD_ROWS into memory
 * (or of one report, when it alone has more) and writes them in slices
 * of about BOUND_FOLD_SLICE rows (store_sqlite_fold.h). While the
 * daemon's store writer runs, it starts a fold once BOUND_FOLD_BATCH
 * reports wait, or once it has had nothing to write for
 * BOUND_FOLD_IDLE_MS, and writes one slice between two groups.
 */
#define BOUND_FOLD_BATCH	16384
#define BOUND_FOLD_IDLE_MS	20
#define BOUND_FOLD_ROWS		32768
#define BOUND_FOLD_SLICE	1024

#endif
