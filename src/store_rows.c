/*
 * store_rows: a parsed report as the rows a store holds (store_backend.h),
 * made once here for both backends, the values of a policy or failure
 * row's columns in the order of their list (and back), and the digest of
 * its content that tells a duplicate from a conflicting copy
 * (doc/identity.md).
 *
 * The digest is a SHA-256 made from the rows, not from the bytes
 * received: whitespace, key order, gzip or not, HTTPS or mail make no
 * difference, and rows a store reads back give the digest that rows
 * built from a parse gave. Each value is written with its kind and
 * length ("s5:hello", "i42;", "n" for NULL), so that no two contents
 * share a text.
 */
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "store_backend.h"
#include "banned.h"

/* The first words of the canonical text: a new way of making it is a new
 * version, and then a new digest for every report. */
#define DIGEST_VERSION "tlsrpt-content-1;"

/* Texts here grow with the report, which the parse bounded already. */
#define ROWS_TEXT_MAX ((size_t)-2)

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * A JSON array of strings, compact, as json_dumps(JSON_COMPACT) writes it
 * (the same escapes), appended to b without building a tree.
 */
static int
json_strings(struct buf *b, const char *const *v, size_t n,
	     struct error *err)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *s, *run;
	char esc[8];
	size_t i;
	int rc = 0;

	rc |= buf_puts(b, "[", err);
	for (i = 0; i < n; i++) {
		rc |= buf_puts(b, i ? ",\"" : "\"", err);
		for (s = run = v[i]; *s; s++) {
			unsigned char c = (unsigned char)*s;

			if (c >= 0x20 && c != '"' && c != '\\')
				continue;
			rc |= buf_append(b, run, (size_t)(s - run), err);
			run = s + 1;
			esc[0] = '\\';
			esc[1] = c == '"' || c == '\\' ? (char)c :
			    c == '\b' ? 'b' : c == '\f' ? 'f' :
			    c == '\n' ? 'n' : c == '\r' ? 'r' :
			    c == '\t' ? 't' : 'u';
			if (esc[1] != 'u') {
				rc |= buf_append(b, esc, 2, err);
				continue;
			}
			memcpy(esc + 2, "00", 2);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			rc |= buf_append(b, esc, 6, err);
		}
		rc |= buf_append(b, run, (size_t)(s - run), err);
		rc |= buf_puts(b, "\"", err);
	}
	rc |= buf_puts(b, "]", err);
	return rc != 0 ? -1 : 0;
}

/*
 * The policy as a set: its lines sorted, repeated lines once, joined by
 * newlines. Two reporters saw the same policy when these are equal,
 * whatever order they quoted the lines in.
 */
static int
policy_set(const struct report_policy *p, struct buf *out, struct error *err)
{
	const char **sorted;
	size_t i, start = out->len;
	int rc = 0;

	if (p->nstrings == 0)
		return buf_puts(out, "", err);
	sorted = malloc(p->nstrings * sizeof(*sorted));
	if (sorted == NULL)
		return error_set(err, ERR_NOMEM, "out of memory");
	memcpy(sorted, p->strings, p->nstrings * sizeof(*sorted));
	qsort(sorted, p->nstrings, sizeof(*sorted), cmp_str);
	for (i = 0; i < p->nstrings && rc == 0; i++) {
		if (i > 0 && strcmp(sorted[i], sorted[i - 1]) == 0)
			continue;
		if (out->len > start)
			rc = buf_puts(out, "\n", err);
		if (rc == 0)
			rc = buf_puts(out, sorted[i], err);
	}
	free(sorted);
	return rc;
}

/* What scratch holds, as a string of the rows' arena; NULL: no memory. */
static const char *
keep(struct store_rows *rows, const struct buf *scratch, struct error *err)
{
	char *s = arena_strndup(&rows->arena, scratch->data ? scratch->data :
	    "", scratch->len);

	if (s == NULL)
		error_set(err, ERR_NOMEM, "out of memory");
	return s;
}

static int
build_policy(struct store_rows *rows, const struct report_policy *p,
	     size_t idx, struct store_row_policy *rp, struct buf *scratch,
	     struct error *err)
{
	struct store_row_failure *rf;
	size_t i;

	memset(rp, 0, sizeof(*rp));
	rp->idx = (int64_t)idx;
	rp->policy_type = p->type;
	rp->policy_domain = p->domain;
	rp->mode = p->sts.mode[0] ? p->sts.mode : NULL;
	rp->has_max_age = p->sts.max_age >= 0;
	rp->max_age = p->sts.max_age;
	rp->successful = p->successful;
	rp->failed = p->failed;

	scratch->len = 0;
	if (json_strings(scratch, p->strings, p->nstrings, err) < 0 ||
	    (rp->policy_string = keep(rows, scratch, err)) == NULL)
		return -1;
	scratch->len = 0;
	if (policy_set(p, scratch, err) < 0 ||
	    (rp->policy_set = keep(rows, scratch, err)) == NULL)
		return -1;
	scratch->len = 0;
	if (json_strings(scratch, (const char *const *)p->sts.mx, p->sts.nmx,
	    err) < 0 || (rp->mx_patterns = keep(rows, scratch, err)) == NULL)
		return -1;
	scratch->len = 0;
	if (json_strings(scratch, p->mx_hosts, p->nmx_hosts, err) < 0 ||
	    (rp->mx_host = keep(rows, scratch, err)) == NULL)
		return -1;

	if (p->nfailures == 0)
		return 0;
	rf = arena_alloc(&rows->arena, p->nfailures * sizeof(*rf));
	if (rf == NULL)
		return error_set(err, ERR_NOMEM, "out of memory");
	for (i = 0; i < p->nfailures; i++) {
		const struct report_failure *f = &p->failures[i];

		rf[i].result_type = f->result_type;
		rf[i].sending_mta_ip = f->sending_mta_ip;
		rf[i].receiving_ip = f->receiving_ip;
		rf[i].receiving_mx_hostname = f->receiving_mx_hostname;
		rf[i].receiving_mx_helo = f->receiving_mx_helo;
		rf[i].additional_info = f->additional_info;
		rf[i].failure_reason_code = f->failure_reason_code;
		rf[i].failed_sessions = f->failed_sessions;
	}
	rp->failures = rf;
	rp->nfailures = p->nfailures;
	return 0;
}

int
store_rows_build(struct store_rows *rows, const struct report *r,
		 int64_t received_at, struct error *err)
{
	struct buf scratch;
	size_t i;

	memset(rows, 0, sizeof(*rows));
	rows->r.organization_name = r->org_name;
	rows->r.report_id = r->report_id;
	rows->r.contact_info = r->contact_info;
	rows->r.start_time = r->start;
	rows->r.end_time = r->end;
	rows->r.received_at = received_at;
	if (r->npolicies > 0) {
		rows->r.policies = arena_alloc(&rows->arena, r->npolicies *
		    sizeof(*rows->r.policies));
		if (rows->r.policies == NULL)
			return error_set(err, ERR_NOMEM, "out of memory");
	}
	buf_init(&scratch, ROWS_TEXT_MAX);
	for (i = 0; i < r->npolicies; i++) {
		if (build_policy(rows, &r->policies[i], i,
		    &rows->r.policies[i], &scratch, err) < 0) {
			buf_release(&scratch);
			store_rows_release(rows);
			return -1;
		}
		rows->r.npolicies++;
	}
	buf_release(&scratch);
	if (store_rows_digest(&rows->r, rows->digest, err) < 0) {
		store_rows_release(rows);
		return -1;
	}
	rows->r.digest = rows->digest;
	return 0;
}

void
store_rows_release(struct store_rows *rows)
{
	arena_release(&rows->arena);
	memset(rows, 0, sizeof(*rows));
}

struct store_rows *
store_rows_new(const struct report *r, struct error *err)
{
	struct store_rows *rows = malloc(sizeof(*rows));

	if (rows == NULL) {
		error_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	if (store_rows_build(rows, r, 0, err) < 0) {
		free(rows);
		return NULL;
	}
	return rows;
}

void
store_rows_free(struct store_rows *rows)
{
	if (rows != NULL)
		store_rows_release(rows);
	free(rows);
}

static struct store_value
value_int(int64_t i)
{
	return (struct store_value){ .kind = STORE_INT, .i = i };
}

static struct store_value
value_text(const char *s)
{
	return (struct store_value){ .kind = STORE_TEXT, .s = s };
}

/*
 * The values in the order of STORE_COLUMNS_POLICY and
 * STORE_COLUMNS_FAILURE, and the fields read back from them just below:
 * a column moved in a list moves here, and nowhere else.
 */
void
store_policy_values(int64_t report, const struct store_row_report *r,
		    const struct store_row_policy *p,
		    struct store_value v[STORE_POLICY_VALUES])
{
	v[0] = value_int(report);
	v[1] = value_int(p->idx);
	v[2] = value_text(p->policy_type);
	v[3] = value_text(p->policy_domain);
	v[4] = value_text(p->policy_string);
	v[5] = value_text(p->policy_set);
	v[6] = value_text(p->mode);
	v[7] = value_text(p->mx_patterns);
	v[8] = p->has_max_age ? value_int(p->max_age) :
	    (struct store_value){ .kind = STORE_NULL };
	v[9] = value_text(p->mx_host);
	v[10] = value_int(p->successful);
	v[11] = value_int(p->failed);
	v[12] = value_text(r->organization_name);
	v[13] = value_int(r->start_time);
	v[14] = value_int(r->end_time);
}

void
store_policy_from_values(struct store_row_policy *p,
			 const struct store_value v[STORE_POLICY_VALUES])
{
	p->idx = v[1].i;
	p->policy_type = v[2].s;
	p->policy_domain = v[3].s;
	p->policy_string = v[4].s;
	p->policy_set = v[5].s;
	p->mode = v[6].s;
	p->mx_patterns = v[7].s;
	p->has_max_age = v[8].kind != STORE_NULL;
	p->max_age = v[8].i;
	p->mx_host = v[9].s;
	p->successful = v[10].i;
	p->failed = v[11].i;
}

void
store_failure_values(int64_t policy, const struct store_row_failure *f,
		     struct store_value v[STORE_FAILURE_VALUES])
{
	v[0] = value_int(policy);
	v[1] = value_text(f->result_type);
	v[2] = value_text(f->sending_mta_ip);
	v[3] = value_text(f->receiving_ip);
	v[4] = value_text(f->receiving_mx_hostname);
	v[5] = value_text(f->receiving_mx_helo);
	v[6] = value_text(f->additional_info);
	v[7] = value_text(f->failure_reason_code);
	v[8] = value_int(f->failed_sessions);
}

void
store_failure_from_values(struct store_row_failure *f,
			  const struct store_value v[STORE_FAILURE_VALUES])
{
	f->result_type = v[1].s;
	f->sending_mta_ip = v[2].s;
	f->receiving_ip = v[3].s;
	f->receiving_mx_hostname = v[4].s;
	f->receiving_mx_helo = v[5].s;
	f->additional_info = v[6].s;
	f->failure_reason_code = v[7].s;
	f->failed_sessions = v[8].i;
}

/*
 * kind, v in decimal, then end: "s12:", "i-3;". Written by hand: printf
 * for each of a report's values was most of the digest's time.
 */
static int
put_num(struct buf *b, char kind, int64_t v, char end, struct error *err)
{
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	char t[24];
	size_t i = sizeof(t);

	t[--i] = end;
	do {
		t[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0);
	if (v < 0)
		t[--i] = '-';
	t[--i] = kind;
	return buf_append(b, t + i, sizeof(t) - i, err);
}

/* A value of the canonical text: its kind, its length, itself. */
static int
put_bytes(struct buf *b, const char *s, size_t n, struct error *err)
{
	return put_num(b, 's', (int64_t)n, ':', err) < 0 ? -1 :
	    buf_append(b, s, n, err);
}

static int
put_str(struct buf *b, const char *s, struct error *err)
{
	if (s == NULL)
		return buf_append(b, "n", 1, err);
	return put_bytes(b, s, strlen(s), err);
}

static int
put_int(struct buf *b, int64_t v, struct error *err)
{
	return put_num(b, 'i', v, ';', err);
}

/* A SHA-256, and the digests of a list of texts, to be sorted. */
#define MD_LEN 32

struct mds {
	unsigned char *v;	/* n digests of MD_LEN bytes */
	size_t n, alloc;
};

static int
mds_room(struct mds *m, size_t n, struct error *err)
{
	unsigned char *g;

	if (n <= m->alloc)
		return 0;
	if (n > SIZE_MAX / MD_LEN ||
	    (g = realloc(m->v, n * MD_LEN)) == NULL)
		return error_set(err, ERR_NOMEM, "out of memory");
	m->v = g;
	m->alloc = n;
	return 0;
}

static int
cmp_md(const void *a, const void *b)
{
	return memcmp(a, b, MD_LEN);
}

/* A SHA-256 as hex digits, as the store keeps them. */
static void
hex_of(const unsigned char md[MD_LEN], char out[STORE_DIGEST_HEX + 1])
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < MD_LEN; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[STORE_DIGEST_HEX] = '\0';
}

int
store_sha256_hex(const void *p, size_t n, char out[STORE_DIGEST_HEX + 1],
		 struct error *err)
{
	unsigned char md[MD_LEN];

	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, n ? p : "", n, md) < 0)
		return error_set(err, ERR_INTERNAL, "cannot take the SHA-256 "
		    "of %zu bytes", n);
	hex_of(md, out);
	return 0;
}

/* Hash the n bytes at p into h's state. */
static int
hash(gnutls_hash_hd_t h, const void *p, size_t n, struct error *err)
{
	if (n > 0 && gnutls_hash(h, p, n) < 0)
		return error_set(err, ERR_INTERNAL, "SHA-256 failed");
	return 0;
}

/* The text in b, then the m->n digests of m sorted, as one digest at
 * out; h is left ready for the next. */
static int
hash_with_sorted(gnutls_hash_hd_t h, const struct buf *b, struct mds *m,
		 unsigned char *out, struct error *err)
{
	if (m->n > 1)
		qsort(m->v, m->n, MD_LEN, cmp_md);
	if (hash(h, b->data, b->len, err) < 0 ||
	    hash(h, m->v, m->n * MD_LEN, err) < 0)
		return -1;
	gnutls_hash_output(h, out);
	return 0;
}

static int
put_failure(struct buf *b, const struct store_row_failure *f,
	    struct error *err)
{
	return put_str(b, f->result_type, err) < 0 ||
	    put_str(b, f->sending_mta_ip, err) < 0 ||
	    put_str(b, f->receiving_ip, err) < 0 ||
	    put_str(b, f->receiving_mx_hostname, err) < 0 ||
	    put_str(b, f->receiving_mx_helo, err) < 0 ||
	    put_str(b, f->additional_info, err) < 0 ||
	    put_str(b, f->failure_reason_code, err) < 0 ||
	    put_int(b, f->failed_sessions, err) < 0 ? -1 : 0;
}

/*
 * A policy's digest: what the sender wrote (type, domain, the policy's
 * lines, the MX hosts, the counts), then the sorted digests of its
 * failure details; the columns made from the lines (mode, mx patterns,
 * max_age, the set) follow from them.
 */
static int
policy_digest(gnutls_hash_hd_t h, const struct store_row_policy *p,
	      struct buf *b, struct mds *fails, unsigned char *out,
	      struct error *err)
{
	size_t i;

	if (mds_room(fails, p->nfailures, err) < 0)
		return -1;
	for (i = 0; i < p->nfailures; i++) {
		b->len = 0;
		if (put_failure(b, &p->failures[i], err) < 0 ||
		    hash(h, b->data, b->len, err) < 0)
			return -1;
		gnutls_hash_output(h, fails->v + i * MD_LEN);
	}
	fails->n = p->nfailures;
	b->len = 0;
	if (put_str(b, p->policy_type, err) < 0 ||
	    put_str(b, p->policy_domain, err) < 0 ||
	    put_str(b, p->policy_string, err) < 0 ||
	    put_str(b, p->mx_host, err) < 0 ||
	    put_int(b, p->successful, err) < 0 ||
	    put_int(b, p->failed, err) < 0 ||
	    put_num(b, 'c', (int64_t)p->nfailures, ';', err) < 0)
		return -1;
	return hash_with_sorted(h, b, fails, out, err);
}

/*
 * Each failure detail's text is hashed on its own, and a policy hashes
 * the sorted digests of its failure details, the report the sorted
 * digests of its policies: the order a sender lists them in does not
 * count, and a report of thousands of failure details holds 32 bytes of
 * each while it is digested, not its text.
 */
int
store_rows_digest(const struct store_row_report *r,
		  char out[STORE_DIGEST_HEX + 1], struct error *err)
{
	struct mds pols = { 0 }, fails = { 0 };
	unsigned char md[MD_LEN];
	gnutls_hash_hd_t h;
	struct buf b;
	size_t i;
	int rc = -1;

	if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0)
		return error_set(err, ERR_NOMEM, "SHA-256: out of memory");
	buf_init(&b, ROWS_TEXT_MAX);
	if (mds_room(&pols, r->npolicies, err) < 0)
		goto done;
	for (i = 0; i < r->npolicies; i++)
		if (policy_digest(h, &r->policies[i], &b, &fails,
		    pols.v + i * MD_LEN, err) < 0)
			goto done;
	pols.n = r->npolicies;
	b.len = 0;
	if (buf_puts(&b, DIGEST_VERSION, err) < 0 ||
	    put_num(&b, 'c', (int64_t)pols.n, ';', err) < 0 ||
	    hash_with_sorted(h, &b, &pols, md, err) < 0)
		goto done;
	hex_of(md, out);
	rc = 0;
done:
	gnutls_hash_deinit(h, NULL);
	buf_release(&b);
	free(pols.v);
	free(fails.v);
	return rc;
}
