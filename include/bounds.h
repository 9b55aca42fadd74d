/*
 * bounds: every limit that untrusted input can run into, with its default,
 * in one place. The daemon's config can change the ones marked (config:
 * the config table in config.c takes its defaults from here); the others
 * are fixed, by the formats or to bound memory. A buffer that input can
 * grow gets a limit here, not a number in the code.
 */
#ifndef TLSRPT_BOUNDS_H
#define TLSRPT_BOUNDS_H

#include <stddef.h>
#include <stdint.h>

/* A payload as received: an HTTP body, a file, a mail part (config). */
#define BOUND_PAYLOAD_MAX	((size_t)10 * 1024 * 1024)
/* A body over max-body is read and dropped up to this many times
 * max-body, to answer 413; past that the connection is closed. */
#define HTTP_DISCARD_FACTOR	4
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
 * A message's MIME structure, counted over its raw bytes before GMime
 * builds its tree (mail_bounds.h): GMime spends about 1.3 KB on each
 * part, however empty, and about 500 bytes on each header field, however
 * short. A report mail has 2 to 5 parts, a few KiB of headers and fewer
 * than 100 fields.
 */
#define BOUND_MIME_PARTS	1000
#define BOUND_MIME_HEADERS	((size_t)1024 * 1024)
#define BOUND_MIME_FIELDS	10000
/*
 * GMime compares each line that starts with "--" with the boundary of
 * every multipart it is in: 999 nested multiparts around 31 MiB of "--x"
 * lines are 8 billion comparisons. This bounds the lines that start with
 * "--" times the multiparts declared above them (a report mail makes a
 * few hundred).
 */
#define BOUND_MIME_BOUNDARY_TESTS	10000000

/*
 * The public listener (config): connections in total and per client
 * address (the address after trusted proxies; an IPv6 client by its /64),
 * the seconds a connection may stay silent, and the seconds a whole
 * request, headers and body, may take whatever its pace. The last
 * 1/BOUND_CONNECTIONS_RESERVE of the total (at least one) is kept for
 * addresses that hold no connection yet (http_guard.h).
 */
#define BOUND_CONNECTIONS		256
#define BOUND_CONNECTIONS_PER_CLIENT	16
#define BOUND_CONNECTION_TIMEOUT	30
#define BOUND_REQUEST_DEADLINE		60
#define BOUND_CONNECTIONS_RESERVE	8

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
/*
 * RFC 8460 names a dozen result types; a report may name others, each a
 * failure row and a next step of every output: the verdict names at most
 * this many that are not RFC 8460's, the failures of any others counted
 * together (doc/verdict.md).
 */
#define BOUND_ANALYSE_TYPES	64

/*
 * Reporters named in the summary's note of reports that named no policy
 * domain: any sender can post such a report under any name, and the note
 * is shown at the end of every summary of the store.
 */
#define BOUND_NO_DOMAIN_REPORTERS	16

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
 * The read API's list of domains: entries in a page by default and at
 * most. A page never grows with the store: an entry is at most a
 * BOUND_STRING name (what the store took before names were held to DNS
 * rules) escaped six bytes a byte, about 24 KiB, so that the largest page
 * is about 12 MiB, under the API's answer limit (api.h).
 */
#define BOUND_DOMAINS_PAGE		100
#define BOUND_DOMAINS_PAGE_MAX		500

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

/*
 * tlsrpt-import (import.h, import_read.h): reports a batch transaction
 * holds; worker threads at most; inputs, and input bytes, read ahead of
 * the one being stored.
 */
#define IMPORT_BATCH		256
#define IMPORT_WORKERS_MAX	4
#define IMPORT_WINDOW		64
#define IMPORT_READ_AHEAD	((size_t)64 * 1024 * 1024)
/*
 * Folders whose descriptor an import keeps open while their entries are
 * read; past these, an entry is opened from the folder's path, one
 * component at a time (files_open_below()), never past the descriptors a
 * process has.
 */
#define IMPORT_FOLDERS_OPEN	64

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

/*
 * The daemon's watch of the verdicts (watch.h, overview.h, outbox.h):
 * domains it keeps (report fields name domains, and anyone can post),
 * failure pairs remembered per pass, the one-line text of an event, a
 * reason's message in the overview (cut there), a verdict's name.
 */
#define WATCH_DOMAINS_MAX	10000
#define WATCH_PAIRS_MAX		64
#define WATCH_TEXT_MAX		1024
#define OVERVIEW_WHY_MAX	512
#define OUTBOX_VERDICT_MAX	32

/*
 * The store's token of its changes (store_backend.h, changes): a SQLite
 * number, or PostgreSQL's snapshot, whose list of running transactions
 * has no bound of its own; past this the watch reads the domains anyway.
 */
#define WATCH_CHANGES_MAX	1024

/* tlsrpt-summary: --domain options at most. */
#define SUMMARY_DOMAINS_MAX	1024

/*
 * The daemon's listeners (http.h, http_ingest.h, http_framing.h, api.h).
 * A connection's memory in libmicrohttpd (its read buffer and the
 * request's headers) stays at libmicrohttpd's default of 32 KiB: past it
 * each connection maps a region of its own (BENCHMARKS.md); headers of
 * more than about 30 KiB are answered 431.
 */
#define HTTP_CONNECTION_MEMORY	((size_t)32 * 1024)
#define HTTP_API_CONNECTIONS	32	/* API connections in total */
#define HTTP_HEADER_VALUE_MAX	256	/* a User-Agent kept in the store */
#define HTTP_PROXIES_MAX	64	/* entries of trusted-proxies */
#define HTTP_ANSWER_MAX		((size_t)16 * 1024)	/* an answer's body */
#define HTTP_CODING_MAX		64	/* a transfer coding kept for the answer */
#define API_BODY_MAX		((size_t)16 * 1024 * 1024)	/* an API answer */
#define API_AUTHORIZATION_MAX	1024	/* an Authorization header read */

/*
 * Mail (mail.h): report parts taken from one message; leaf parts looked at
 * in one message, and how deep multiparts and forwarded messages are
 * followed. A report email has two or three parts one level down; these
 * only stop a hostile message from making the walk itself expensive. A
 * path in the maildir.
 */
#define MAIL_PARTS_MAX		16
#define MAIL_LEAVES_MAX		256
#define MAIL_DEPTH_MAX		16
#define MAILDIR_PATH_MAX	4096

/*
 * The spool (spool.h): a metadata value, the metadata of one file, and a
 * file: one bigger than the largest max-body and its header is not ours.
 */
#define SPOOL_VALUE_MAX		256
#define SPOOL_HEADER_MAX	4096
#define SPOOL_FILE_MAX		(((size_t)1 << 30) + SPOOL_HEADER_MAX)

/*
 * The parse of a report (report.c): reports up to this size are parsed
 * into a per-thread arena that is dropped whole; larger ones with malloc,
 * so that memory stays bounded.
 */
#define JSON_ARENA_TEXT_MAX	(256 * 1024)

/*
 * The live checks (live.h, live_dns.h, live_policy.h, policy.h).
 * RFC 8461: an id of 1 to 32 letters and digits (3.1), a max_age of at
 * most about a year (3.2), a policy of at most 64 KiB (3.3).
 */
#define LIVE_CONNECT_TO_MAX	32	/* --connect-to entries */
#define LIVE_POLICY_MAX		(64 * 1024)	/* a policy file */
#define LIVE_SMTP_REPLY_MAX	(16 * 1024)	/* one multi-line reply */
#define LIVE_ADDRS_MAX		8	/* addresses tried per host */
#define LIVE_MX_MAX		16	/* MX hosts checked */
#define LIVE_TIMEOUT_MAX	600	/* seconds, any step */
#define DNS_NAME_MAX		256	/* a domain name in text and its NUL */
#define DNS_RR_MAX		32	/* records kept per answer */
#define DNS_TXT_MAX		4096	/* one TXT record, its strings joined */
#define STS_ID_MAX		32
#define STS_MAX_AGE_MAX		31557600
#define STS_MX_MAX		64	/* mx patterns kept per policy */

/*
 * What the programs write: a message of struct error (cut with "..."), a
 * name quoted in one, a log line and a value in it (cut, "..." marking
 * the cut), the HTML page of all domains.
 */
#define ERROR_MSG_MAX		512
#define QUOTE_MAX		64
#define LOG_LINE_MAX		2048
#define LOG_VALUE_MAX		256
#define PAGE_MAX		((size_t)32 * 1024 * 1024)

/*
 * Files the daemon reads at start-up: a line of the config file, the
 * file, a PEM certificate chain or key and the certificates in a chain,
 * one passwd or group entry (glibc asks for 1 KiB or so), a user or group
 * name kept for messages.
 */
#define CONFIG_LINE_MAX		4096
#define CONFIG_FILE_MAX		(1024 * 1024)
#define CONFIG_LIST_MAX		32	/* values of a repeatable setting */
#define TLS_PEM_MAX		(1024 * 1024)
#define TLS_CHAIN_MAX		16
#define PRIV_ENTRY_MAX		(64 * 1024)
#define PRIV_NAME_MAX		64

#endif
