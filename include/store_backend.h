/*
 * store_backend: what a storage backend implements for store.c. Only
 * store.c, the read modules (evidence.c, store_read.c) and the backends
 * include this; the rest of the code sees store.h. The common work
 * (compressing the raw payload, stamping the time) is done once in store.c
 * and handed down as a struct store_payload; the report is made rows
 * once, with the digest of its content, in store_rows.c, and handed down
 * as a struct store_row_report: each backend writes the rows it is given,
 * a policy or failure row as the values store_rows.c makes of it.
 *
 * Every backend answers the same questions with the same rows, in the
 * same order, so that the analysis built on them is identical whichever
 * backend holds the reports. The caller of every op holds whatever lock
 * serialises the store's use (store.c's writer, store_lock(), or the
 * lending of a reader, store_reader.h).
 */
#ifndef TLSRPT_STORE_BACKEND_H
#define TLSRPT_STORE_BACKEND_H

#include <stdint.h>

#include "arena.h"
#include "evidence.h"
#include "store.h"
#include "store_retention.h"

struct store_payload {
	const struct origin *origin;
	int64_t received_at;
	const char *encoding;	/* "gzip", "zlib" or "identity" */
	const void *data;	/* the raw payload, compressed */
	size_t len;
	size_t size;		/* bytes as received */
	size_t kept;		/* bytes of it data holds: size, or fewer
				 * for a rejected payload cut to
				 * BOUND_QUARANTINE_KEEP (column kept) */
	const char *sha256;	/* of all size bytes, hex, or NULL: kept
				 * for a rejected payload (column sha256) */
	int64_t replaces;	/* a row of the quarantine parsed again:
				 * the put changes that row rather than
				 * write a payload (origin and data
				 * unused); 0 for a new payload */
};

/*
 * Rows as a store holds them, for store_copy(): one payload with its
 * outcome, and the report it names with the report's policies and their
 * failure details, column for column. Strings may be NULL where the
 * column may be.
 */
struct store_row_failure {
	const char *result_type;
	const char *sending_mta_ip, *receiving_ip, *receiving_mx_hostname;
	const char *receiving_mx_helo, *additional_info, *failure_reason_code;
	int64_t failed_sessions;
};

struct store_row_policy {
	int64_t idx;
	const char *policy_type, *policy_domain, *policy_string, *policy_set;
	const char *mode, *mx_patterns, *mx_host;
	int has_max_age;
	int64_t max_age, successful, failed;
	struct store_row_failure *failures;
	size_t nfailures;
};

struct store_row_report {
	const char *organization_name, *report_id, *contact_info;
	int64_t start_time, end_time, received_at;
	const char *digest;	/* of its content (doc/identity.md), hex;
				 * NULL from a store that has none for it
				 * yet (stored before the digests were) */
	struct store_row_policy *policies;
	size_t npolicies;
};

/*
 * The columns of the rows both backends write, in the order their
 * statements take the values (PostgreSQL's payload has its copy key
 * after them). One list, so that the backends cannot drift apart; the
 * values of a policy and of a failure row in that order are made, and
 * read back, by store_rows.c (store_policy_values() below).
 */
#define STORE_COLUMNS_PAYLOAD "received_at, source, peer, user_agent, " \
	"message_id, path, part, encoding, size, data, outcome, reason, " \
	"report, dkim_domain, kept, sha256"
#define STORE_COLUMNS_REPORT "organization_name, report_id, start_time, " \
	"end_time, contact_info, received_at, digest, first_copy, conflicting"
#define STORE_COLUMNS_POLICY "report, idx, policy_type, policy_domain, " \
	"policy_string, policy_set, mode, mx_patterns, max_age, mx_host, " \
	"successful, failed, organization_name, start_time, end_time"
#define STORE_COLUMNS_FAILURE "policy, result_type, sending_mta_ip, " \
	"receiving_ip, receiving_mx_hostname, receiving_mx_helo, " \
	"additional_info, failure_reason_code, failed_sessions"

/*
 * A value of a column: NULL, a number (i), or a text (s, which is NULL
 * for the other kinds; a text NULL is NULL too). A reader may set i of
 * a text as well (what its database makes of it as a number): a number
 * column is read back from i whatever the kind, 0 for a NULL.
 */
enum store_value_kind { STORE_NULL, STORE_INT, STORE_TEXT };

struct store_value {
	enum store_value_kind kind;
	int64_t i;
	const char *s;
};

/*
 * The one mapping of a policy row and of a failure row to the values of
 * their columns, in the order of STORE_COLUMNS_POLICY and
 * STORE_COLUMNS_FAILURE (store_rows.c), which each backend binds as they
 * come: report and policy are the rows in the store that they name, and
 * max_age is NULL unless p->has_max_age. The strings are p's, r's, f's.
 */
#define STORE_POLICY_VALUES 15
#define STORE_FAILURE_VALUES 9

void store_policy_values(int64_t report, const struct store_row_report *r,
			 const struct store_row_policy *p,
			 struct store_value v[STORE_POLICY_VALUES]);
void store_failure_values(int64_t policy, const struct store_row_failure *f,
			  struct store_value v[STORE_FAILURE_VALUES]);

/*
 * And back: the fields of p or f from the values of a row read in that
 * order (a NULL text, or a number 0, where the value is NULL). The
 * columns that name other rows (report, policy) and those a policy row
 * repeats of its report (organization_name, start_time, end_time) are
 * left out; p's failures are not touched. The strings are v's.
 */
void store_policy_from_values(struct store_row_policy *p,
			      const struct store_value v[STORE_POLICY_VALUES]);
void store_failure_from_values(struct store_row_failure *f,
			       const struct store_value v[STORE_FAILURE_VALUES]);

/* The digest of a report's content, as hex digits (SHA-256). */
#define STORE_DIGEST_HEX 64

/*
 * The one mapping of a parsed report to rows (store_rows.c): the columns
 * both backends write, and the digest of its content. The rows point
 * into r, which must outlive them, and into their own arena. received_at
 * is the put's (store.c).
 */
struct store_rows {
	struct store_row_report r;
	char digest[STORE_DIGEST_HEX + 1];
	struct arena arena;
};

int store_rows_build(struct store_rows *rows, const struct report *r,
		     int64_t received_at, struct error *err);
void store_rows_release(struct store_rows *rows);

/*
 * The digest of the content of a report as rows hold it (doc/identity.md):
 * the same for rows built from a parse and for the rows a store read
 * back, whatever the order of the policies and of their failure details.
 */
int store_rows_digest(const struct store_row_report *r,
		      char out[STORE_DIGEST_HEX + 1], struct error *err);

/* The SHA-256 of the n bytes at p, as hex digits, as the digests. */
int store_sha256_hex(const void *p, size_t n, char out[STORE_DIGEST_HEX + 1],
		     struct error *err);

struct store_row {
	int64_t id;			/* the payload's row in its store */
	struct store_payload payload;	/* its time and origin as kept */
	const char *outcome;		/* accepted, duplicate, rejected */
	const char *reason;
	const struct store_row_report *report;	/* NULL: none named */
};

/* Called by a backend's export for each row; nonzero stops the walk. */
typedef int (*store_row_cb)(const struct store_row *row, void *arg,
			    struct error *err);

/* One row of store_read_domains(). */
struct store_domain_row {
	const char *domain;
	int64_t reports, first_seen, last_seen;
};

/* The totals of store_read_domain_counts(). */
struct store_domain_totals {
	int64_t reports, days, reporters, first_seen, last_seen;
};

/* One policy type of store_read_domain_counts(). */
struct store_type_row {
	const char *policy_type;
	int64_t reports, successful, failed;
};

typedef int (*store_domain_cb)(const struct store_domain_row *row, void *arg);
/* A policy domain of domain_page(); nonzero stops the walk. */
typedef int (*store_name_cb)(const char *name, void *arg);
typedef int (*store_type_cb)(const struct store_type_row *row, void *arg);

/*
 * The rows of the backends' counts op: a name and three counts, handed
 * by store_count_row() (store_read.c) to whichever callback the walk
 * has, as a store_domain_row or a store_type_row. Nonzero: the callback
 * failed.
 */
struct store_count_walk {
	store_domain_cb domains;	/* or types */
	store_type_cb types;
	void *arg;
};

int store_count_row(const struct store_count_walk *w, const char *name,
		    int64_t c1, int64_t c2, int64_t c3);

/*
 * The read side of a backend: a table of its own, built in the module
 * that reads (store_sqlite_read.c, store_pg_read.c).
 */
struct store_read_ops {
	/*
	 * The quarantine (payloads rejected): the rows after row `after`
	 * in row order, limit at most (0: all), each as a store_row
	 * (report NULL), with its data (as stored: payload.encoding) only
	 * when data is nonzero.
	 */
	int (*quarantine)(void *be, int64_t after, size_t limit, int data,
			  store_row_cb cb, void *arg, struct error *err);

	/*
	 * evidence: fill ev (domain, from and to set) with
	 * evidence_add_policy() and evidence_add_failure(): the policies
	 * of the domain whose report ends in (from, to], by report row then
	 * position, then their failures by policy row then failure row;
	 * and ev->last_report, in a query of its own, through an index.
	 * domains: every policy domain but the empty one, sorted (the
	 * caller frees). counts: with domain NULL, one row per policy
	 * domain but the empty one (reports, first start, last end), else
	 * one row per policy type of the domain (reports, successful,
	 * failed), sorted, each through store_count_row(); nonzero from it
	 * fails the read as out of memory. domain_page: the first limit
	 * policy domains sorted after `after` ("": from the first; never
	 * the empty one), each found with one step down an index, so that
	 * a page costs the same whatever the store holds
	 * (store_read_domains()). totals: *found 0 when no report names
	 * the domain.
	 */
	int (*evidence)(void *be, struct evidence *ev, struct error *err);
	int (*domains)(void *be, char ***domains, size_t *n,
		       struct error *err);
	int (*counts)(void *be, const char *domain,
		      const struct store_count_walk *w, struct error *err);
	int (*domain_page)(void *be, const char *after, size_t limit,
			   store_name_cb cb, void *arg, struct error *err);
	int (*totals)(void *be, const char *domain,
		      struct store_domain_totals *t, int *found,
		      struct error *err);

	/*
	 * Whether the store may have changed: a token (text, at most len
	 * bytes with its NUL) that differs from one this same open store
	 * gave before whenever a transaction was committed in between, by
	 * whichever connection or process (on this handle's own commits it
	 * may not). Equal tokens, the domains' counts would be the same
	 * rows: a caller that reads the token before them may skip the
	 * next read of them while the token stays the same. It may change
	 * when nothing they read did (any commit), and it is ""
	 * when the backend cannot tell (it always differs then). A read
	 * of an index at most, whatever the store holds (SQLite: PRAGMA
	 * data_version of the connection; PostgreSQL: the server's current
	 * snapshot, the transactions still running and the next one).
	 */
	int (*changes)(void *be, char *token, size_t len, struct error *err);

	/*
	 * For store_copy(): every payload in row order, with the report it
	 * names. NULL when the backend cannot be a source.
	 */
	int (*export)(void *be, store_row_cb cb, void *arg,
		      struct error *err);
};

struct store_ops {
	const char *name;
	void *(*open)(const char *spec, struct error *err);
	void (*close)(void *be);
	/*
	 * The transactions around the puts, which store.c frames: begin
	 * opens one, or, nested, a savepoint of the open one, so that a put
	 * that fails is undone alone; commit ends it (a failed COMMIT stores
	 * nothing), and the outer commit first does the work of the
	 * transaction's end (the per-day aggregates of its new reports, but
	 * where fold() does them); rollback undoes it, and does nothing when
	 * nothing is open.
	 */
	int (*begin)(void *be, int nested, struct error *err);
	int (*commit)(void *be, int nested, struct error *err);
	void (*rollback)(void *be, int nested);

	/*
	 * Whether the writer's groups of puts are all or nothing: its puts
	 * then have no savepoint each (a cost BENCHMARKS.md measures), and a
	 * put that fails leaves the group to be undone whole. 0: each put
	 * of a group has its savepoint, as in a batch.
	 */
	int whole_groups;

	/*
	 * The puts, inside the transaction (or savepoint) the caller began.
	 * put_report stores the report's rows (r->digest set), or only the
	 * receipt when a copy of the same identity and digest is there; res
	 * as store_put_report() fills it.
	 */
	int (*put_report)(void *be, const struct store_payload *p,
			  const struct store_row_report *r,
			  struct store_put_result *res, struct error *err);
	int (*put_rejected)(void *be, const struct store_payload *p,
			    const char *reason, struct error *err);
	/*
	 * Make every transaction committed so far durable. NULL when a
	 * commit is durable by itself. Safe to call from a thread while
	 * another uses the store: store.c calls it after letting the
	 * connection go, so that the next group is written meanwhile, and
	 * answers a put only once its flush has returned 0.
	 */
	int (*flush)(void *be, struct error *err);

	/*
	 * The store's writer threads start (store_start_writer()): the
	 * backend may move its upkeep (SQLite's checkpoints) to a thread of
	 * its own, for as long as it is open, and keep work off the
	 * answer's path (SQLite's per-day aggregates and domain index) for
	 * the writer to do with fold(). Called with the connection held.
	 * NULL when there is nothing to move.
	 */
	int (*start_writer)(void *be, struct error *err);

	/*
	 * The work kept off the answer's path: due counts the reports that
	 * wait for it; fold does a part of it (SQLite: one slice of a fold,
	 * store_sqlite_fold.h) in a transaction of its own, made durable by
	 * the next flush: 1 when a fold is under way, which the writer
	 * carries on with after its next group, 0 when none is, -1 on
	 * failure. Called with the connection held. NULL when every put
	 * does all its work.
	 */
	size_t (*due)(void *be);
	int (*fold)(void *be, struct error *err);

	/* The read side (store_read_ops), in the backend's read module. */
	const struct store_read_ops *read;

	/*
	 * Copying between stores (store_copy()): copy_put stores one row
	 * of the source's export (its report's digest set) inside the batch
	 * store_copy() opened, or nothing when that row was copied before
	 * (*copied 0): a copy of a report it holds, same identity and
	 * content, is a duplicate there, a copy with other content a
	 * conflict, as for a put. NULL when the backend cannot be a
	 * destination.
	 */
	int (*copy_put)(void *be, const struct store_row *row, int *copied,
			struct error *err);

	/*
	 * Retention (store_retention.h): one transaction of a pass, that
	 * removes about BOUND_PRUNE_ROWS rows at most, and leaves no row
	 * naming one it removed. 1 when the pass has more to do, 0 when it
	 * is over, -1 (the transaction undone) on failure.
	 */
	int (*prune)(void *be, struct store_prune_pass *pass,
		     struct error *err);
};

/*
 * For the backends' prune op: a transaction of a pass begins (pass->left
 * is BOUND_PRUNE_ROWS); n rows were removed: counted, and true when
 * the transaction may remove no more.
 */
void store_prune_begin(struct store_prune_pass *pass);
int store_prune_spent(struct store_prune_pass *pass, int64_t n);

extern const struct store_ops store_sqlite_ops;
extern const struct store_ops store_pg_ops;

/* The backend's private handle of an open store, and its ops. */
void *store_backend_handle(struct store *st);
const struct store_ops *store_backend_ops(struct store *st);

/*
 * store_unlock() for a task of many short holds of the store (a
 * retention pass): returns once the writer has taken the puts queued
 * while it held the store, so that they are written before its next
 * hold.
 */
void store_unlock_for_puts(struct store *st);

/*
 * For the backends' evidence op (evidence.c): append a policy row (id is
 * its row in the store, identity the row of the first copy of its
 * report's identity, patterns the mx_patterns JSON array text, or NULL),
 * and a failure of the policy of row id. Strings are copied.
 */
int evidence_add_policy(struct evidence *ev, int64_t id, int64_t report,
			int64_t identity, const char *reporter,
			int64_t start, int64_t end,
			const char *type, const char *policy_set,
			const char *mode, const char *patterns,
			int64_t successful, int64_t failed,
			struct error *err);
int evidence_add_failure(struct evidence *ev, int64_t policy,
			 const char *result_type, const char *mx,
			 int64_t sessions, struct error *err);

#endif
