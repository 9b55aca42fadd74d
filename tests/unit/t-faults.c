/*
 * t-faults: allocation failures on the parse, store and verdict paths.
 * runner: slow (a minute or more: make check-quick leaves it out)
 *
 * malloc, calloc, realloc and free are defined here, in the executable, so
 * that they stand in for glibc's in every library too (zlib, SQLite, GMime
 * call them through their own .so; glibc lets a program replace its
 * allocator this way) and pass on to glibc's own through the __libc_
 * names. jansson's allocations come here through json_set_alloc_funcs(),
 * its own hook, so that they are told apart (and, under ASan, still
 * failed). Armed with fault_fail_at = N, the Nth allocation returns NULL,
 * once. Each walk tries N = 1, 2, 3, ... until a run makes fewer than N
 * allocations, and checks that every failure became a clean error:
 *
 *   decode + report_parse  the same report, or ERR_NOMEM, nothing leaked
 *   the pipeline           accepted / duplicate / rejected as without
 *                          faults, or deferred; never a good report
 *                          rejected; submitting again without faults
 *                          stores what a run without faults stores, once
 *   store_open             a store, or NULL and an error; a later open
 *                          works and the file passes integrity_check
 *   analyse_domain         the verdict of each domain of the fixtures as
 *                          JSON: the same document, or NULL; nothing of
 *                          jansson's leaked
 *
 * Each check says how many allocations it failed and how many of them
 * were jansson's; a walk that failed none says so (TAP "# SKIP", with
 * why), and the last line lists them, so that a walk that stopped
 * covering anything is seen.
 *
 * Not failed:
 * - GLib's and GMime's: g_malloc aborts the program when memory runs
 *   out, by design, and GMime, built on it, does not expect malloc to
 *   fail either. An allocation with GLib or GMime on the call stack is
 *   never failed (the next one is), so the mail path is tested in mail.c's
 *   own allocations.
 * - jansson's while it reads JSON (json_loadb, json_loads): jansson 2.14
 *   is not safe against a failed allocation there: lex_save() drops the
 *   byte it could not save, and the lexer then asserts, or walks off the
 *   end of its buffer (akheron/jansson#362, not fixed in a release). The
 *   programs make every jansson allocation abort instead (report_init()).
 *   FAULTS_JANSSON=1 fails them too, to see the crash. jansson's other
 *   allocations (building JSON, in analyse.c) are failed.
 *
 * Under ASan the allocator is ASan's and cannot be replaced: only the
 * walk over analyse_domain runs, failing jansson's allocations alone.
 * Run from the project root; FAULTS_DEBUG=1 prints the store's content,
 * or the verdict, when it differs from a run without faults.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <execinfo.h>
#include <jansson.h>
#include <link.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyse.h"
#include "decode.h"
#include "evidence.h"
#include "log.h"
#include "mail.h"
#include "pipeline.h"
#include "received.h"
#include "report.h"
#include "store.h"
#include "tap.h"

#if defined(__SANITIZE_ADDRESS__)
#define FAULTS_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FAULTS_UNDER_ASAN 1
#endif
#endif

/* The walk gives up past this many allocations in one run: a runaway. */
#define FAULT_WALK_MAX	200000

static int fault_armed;			/* count allocations and fail one */
static int fault_json_only;		/* count and fail jansson's alone */
static int fault_held;			/* inside json_load*: fail none */
static int fault_held_never;		/* FAULTS_JANSSON=1 */
static unsigned long fault_fail_at;	/* the allocation to fail, from 1 */
static unsigned long fault_count;	/* allocations counted while armed */
static unsigned long fault_count_held;	/* ... of them inside json_load* */
static int fault_injected;		/* the failure happened */
static int fault_injected_json;		/* ... in jansson */
static unsigned long fault_failed;	/* at this allocation */
static int fault_checking;		/* in exempt(): fail none */
static long fault_live;			/* blocks allocated and not freed */
static long fault_json_live;		/* ... of them by jansson */

static int exempt(void);

/*
 * Should this allocation fail? The first one from fault_fail_at on that is
 * not exempt does.
 */
static int
fault_now(int json)
{
	int skip;

	if (!fault_armed || fault_checking || fault_injected ||
	    (fault_json_only && !json))
		return 0;
	fault_count++;
	if (fault_held) {
		fault_count_held++;
		return 0;
	}
	if (fault_count < fault_fail_at)
		return 0;
	fault_checking = 1;
	skip = !json && exempt();
	fault_checking = 0;
	if (skip)
		return 0;
	fault_injected = 1;
	fault_injected_json = json;
	fault_failed = fault_count;
	return 1;
}

#ifndef FAULTS_UNDER_ASAN

extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);
#define REAL_MALLOC	__libc_malloc
#define REAL_FREE	__libc_free

/* The code of libglib-2.0 and libgmime-3.0 (see above). */
#define GLIB_RANGES_MAX	8
static struct {
	uintptr_t lo, hi;
} glib_ranges[GLIB_RANGES_MAX];
static int nglib_ranges;

static int
find_glib(struct dl_phdr_info *info, size_t size, void *arg)
{
	int i;

	(void)size;
	(void)arg;
	if (info->dlpi_name == NULL || (strstr(info->dlpi_name,
	    "libglib-2.0.so") == NULL && strstr(info->dlpi_name,
	    "libgmime-3.0.so") == NULL))
		return 0;
	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X) ||
		    nglib_ranges == GLIB_RANGES_MAX)
			continue;
		glib_ranges[nglib_ranges].lo = info->dlpi_addr + ph->p_vaddr;
		glib_ranges[nglib_ranges].hi = info->dlpi_addr + ph->p_vaddr +
		    ph->p_memsz;
		nglib_ranges++;
	}
	return 0;
}

/* Is GLib or GMime on the call stack? */
static int
exempt(void)
{
	void *frames[64];
	uintptr_t a;
	int i, j, n;

	n = backtrace(frames, 64);
	for (i = 0; i < n; i++) {
		a = (uintptr_t)frames[i];
		for (j = 0; j < nglib_ranges; j++)
			if (a >= glib_ranges[j].lo && a < glib_ranges[j].hi)
				return 1;
	}
	return 0;
}

void *
malloc(size_t n)
{
	void *p;

	if (fault_now(0))
		return NULL;
	if ((p = __libc_malloc(n)) != NULL)
		fault_live++;
	return p;
}

void *
calloc(size_t n, size_t size)
{
	void *p;

	if (fault_now(0))
		return NULL;
	if ((p = __libc_calloc(n, size)) != NULL)
		fault_live++;
	return p;
}

void *
realloc(void *old, size_t n)
{
	void *p;

	if (fault_now(0))
		return NULL;
	p = __libc_realloc(old, n);
	if (old == NULL && p != NULL)
		fault_live++;
	else if (old != NULL && n == 0 && p == NULL)
		fault_live--;	/* glibc frees it */
	return p;
}

void
free(void *p)
{
	if (p != NULL)
		fault_live--;
	__libc_free(p);
}

#else

/* ASan's allocator: only jansson's allocations are failed. */
#define REAL_MALLOC	malloc
#define REAL_FREE	free

static int
exempt(void)
{
	return 0;
}

#endif

/* jansson's allocator (json_set_alloc_funcs): counted apart, never in
 * fault_live, as it takes glibc's (or ASan's) directly. */
static void *
fault_json_malloc(size_t n)
{
	void *p;

	if (fault_now(1))
		return NULL;
	if ((p = REAL_MALLOC(n)) != NULL)
		fault_json_live++;
	return p;
}

static void
fault_json_free(void *p)
{
	if (p != NULL)
		fault_json_live--;
	REAL_FREE(p);
}

static json_t *(*real_json_loadb)(const char *, size_t, size_t,
				  json_error_t *);
static json_t *(*real_json_loads)(const char *, size_t, json_error_t *);

json_t *
json_loadb(const char *buffer, size_t buflen, size_t flags,
	   json_error_t *error)
{
	json_t *v;

	fault_held = !fault_held_never;
	v = real_json_loadb(buffer, buflen, flags, error);
	fault_held = 0;
	return v;
}

json_t *
json_loads(const char *input, size_t flags, json_error_t *error)
{
	json_t *v;

	fault_held = !fault_held_never;
	v = real_json_loads(input, flags, error);
	fault_held = 0;
	return v;
}

static void
fault_arm(unsigned long n)
{
	fault_count = 0;
	fault_count_held = 0;
	fault_failed = 0;
	fault_injected = 0;
	fault_injected_json = 0;
	fault_fail_at = n;
	fault_armed = 1;
}

/* Disarm; a failure in jansson counts in *json. */
static void
fault_disarm(unsigned long *json)
{
	fault_armed = 0;
	if (fault_injected && fault_injected_json)
		(*json)++;
}

/*
 * The walks that failed no allocation, for the last line. Each walk's
 * check ends here: runs allocations failed, json of them jansson's; none
 * is a TAP skip saying why (the last run counted every allocation).
 */
static char nothing_list[4096];
static int nothing_n, walks_n;

static void
walk_report(int good, const char *name, unsigned long runs,
	    unsigned long json, const char *promise)
{
	size_t l = strlen(nothing_list);

	walks_n++;
	if (runs > 0 || !good) {
		ok(good, "%s: each of %lu allocations failed in turn (%lu of "
		    "them jansson's): %s", name, runs, json, promise);
		return;
	}
	nothing_n++;
	snprintf(nothing_list + l, sizeof(nothing_list) - l, "%s%s",
	    l ? ", " : "", name);
	if (fault_count == 0)
		ok(1, "%s # SKIP no allocation to fail", name);
	else if (fault_count == fault_count_held)
		ok(1, "%s # SKIP its %lu allocations are all inside jansson's "
		    "reader (never failed)", name, fault_count);
	else
		ok(1, "%s # SKIP its %lu allocations are all GLib's or "
		    "GMime's (never failed)", name, fault_count);
}

static unsigned char *
slurp(const char *path, size_t *len)
{
	unsigned char *p;
	long n;
	FILE *fp;

	if ((fp = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(fp, 0, SEEK_END) < 0 || (n = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) < 0 ||
	    (p = malloc((size_t)n + 1)) == NULL) {
		fclose(fp);
		return NULL;
	}
	*len = fread(p, 1, (size_t)n, fp);
	fclose(fp);
	return p;
}

#ifndef FAULTS_UNDER_ASAN

/* FNV-1a over everything a parsed report holds. */
static uint64_t
mix(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ s[i]) * 1099511628211ULL;
	return h;
}

static uint64_t
mix_str(uint64_t h, const char *s)
{
	return s ? mix(h, s, strlen(s) + 1) : mix(h, "\xff", 1);
}

static uint64_t
report_digest(const struct report *r)
{
	const struct report_policy *p;
	const struct report_failure *f;
	uint64_t h = 14695981039346656037ULL;
	size_t i, j;

	h = mix_str(mix_str(mix_str(h, r->org_name), r->report_id),
	    r->contact_info);
	h = mix(mix(h, &r->start, sizeof(r->start)), &r->end, sizeof(r->end));
	for (i = 0; i < r->npolicies; i++) {
		p = &r->policies[i];
		h = mix_str(mix_str(h, p->type), p->domain);
		for (j = 0; j < p->nstrings; j++)
			h = mix_str(h, p->strings[j]);
		h = mix(h, "|", 1);
		for (j = 0; j < p->nmx_hosts; j++)
			h = mix_str(h, p->mx_hosts[j]);
		h = mix(h, "|", 1);
		h = mix_str(mix_str(h, p->sts.version), p->sts.mode);
		for (j = 0; j < p->sts.nmx; j++)
			h = mix_str(h, p->sts.mx[j]);
		h = mix(h, &p->sts.max_age, sizeof(p->sts.max_age));
		h = mix(h, &p->successful, sizeof(p->successful));
		h = mix(h, &p->failed, sizeof(p->failed));
		for (j = 0; j < p->nfailures; j++) {
			f = &p->failures[j];
			h = mix_str(mix_str(mix_str(h, f->result_type),
			    f->sending_mta_ip), f->receiving_ip);
			h = mix_str(mix_str(h, f->receiving_mx_hostname),
			    f->receiving_mx_helo);
			h = mix_str(mix_str(h, f->additional_info),
			    f->failure_reason_code);
			h = mix(h, &f->failed_sessions,
			    sizeof(f->failed_sessions));
		}
	}
	return h;
}

/* decode + parse: 0 and the digest, or -1 and the error. */
static int
decode_parse(const unsigned char *in, size_t len, uint64_t *digest,
	     struct error *err)
{
	struct decode_limits lim;
	struct report r;
	struct buf out;
	const char *json;
	size_t jsonlen;
	int rc = -1;

	error_clear(err);
	decode_limits_default(&lim);
	buf_init(&out, lim.inflated_max);
	if (decode_payload(in, len, &lim, &out, &json, &jsonlen, err) == 0 &&
	    report_parse(json, jsonlen, TEST_RECEIVED, &r, err) == 0) {
		*digest = report_digest(&r);
		report_release(&r);
		rc = 0;
	}
	buf_release(&out);
	return rc;
}

/* Walk N over decode + report_parse of one file. */
static void
walk_parse(const char *path)
{
	struct error base_err, err;
	uint64_t base = 0, got = 0;
	unsigned char *in;
	unsigned long n, runs = 0, bad = 0, leaks = 0, json = 0;
	size_t len;
	long live, jlive;
	int base_rc, rc;
	char name[1100];

	if ((in = slurp(path, &len)) == NULL) {
		ok(0, "parse %s: cannot read it", path);
		return;
	}
	base_rc = decode_parse(in, len, &base, &base_err);
	for (n = 1; n < FAULT_WALK_MAX; n = fault_failed + 1) {
		live = fault_live;
		jlive = fault_json_live;
		fault_arm(n);
		rc = decode_parse(in, len, &got, &err);
		fault_disarm(&json);
		if (fault_live != live || fault_json_live != jlive)
			leaks++;
		if (!fault_injected)
			break;
		runs++;
		/* The same answer, or "out of memory"; never another. */
		if (rc == 0 && base_rc == 0 && got == base)
			continue;
		if (rc < 0 && err.kind == ERR_NOMEM)
			continue;
		if (rc < 0 && base_rc < 0 && err.kind == base_err.kind &&
		    strcmp(err.msg, base_err.msg) == 0)
			continue;
		if (bad++ == 0)
			printf("# %s: allocation %lu failed: %s\n", path,
			    fault_failed,
			    rc == 0 ? "a different report" : err.msg);
	}
	snprintf(name, sizeof(name), "parse %s", path);
	walk_report(bad == 0 && leaks == 0 && n < FAULT_WALK_MAX, name, runs,
	    json, "a clean error or the same report");
	if (leaks)
		printf("#   %lu runs leaked\n", leaks);
	free(in);
}

static void
walk_parse_folder(const char *dir)
{
	char path[1024];
	struct dirent **names;
	int i, n;

	if ((n = scandir(dir, &names, NULL, alphasort)) < 0) {
		ok(0, "%s: cannot read the folder", dir);
		return;
	}
	for (i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		size_t l = strlen(name);

		if (name[0] != '.' && !(l > 7 &&
		    strcmp(name + l - 7, ".expect") == 0)) {
			snprintf(path, sizeof(path), "%s/%s", dir, name);
			walk_parse(path);
		}
		free(names[i]);
	}
	free(names);
}

/*
 * The pipeline: four submissions into a fresh store, each answered as
 * without faults, or deferred.
 */
enum { SUB_GOOD, SUB_AGAIN, SUB_BAD, SUB_MAIL, NSUBS };

static const char *const sub_path[NSUBS] = {
	[SUB_GOOD] = "fixtures/reports/accept/tlsa-nested-array-and-sts.json",
	[SUB_AGAIN] = "fixtures/reports/accept/tlsa-nested-array-and-sts.json",
	[SUB_BAD] = "fixtures/reports/reject/count-negative.json",
	[SUB_MAIL] = "fixtures/mail/two-reports.eml",
};

#endif

struct tally {
	int n;			/* results */
	int count[OUTCOME_DEFERRED + 1];
	enum error_kind deferred_kind;
};

static void
tally_cb(const struct result *res, void *arg)
{
	struct tally *t = arg;

	t->n++;
	t->count[res->outcome]++;
	if (res->outcome == OUTCOME_DEFERRED)
		t->deferred_kind = res->error;
}

static int
submit(struct pipeline *pl, const unsigned char *bytes, size_t len,
       struct tally *t)
{
	const struct origin o = { .source = "file", .path = "t-faults" };

	memset(t, 0, sizeof(*t));
	return pipeline_submit(pl, bytes, len, INPUT_SNIFF, &o, TEST_RECEIVED,
	    tally_cb, t);
}

#ifndef FAULTS_UNDER_ASAN

/* What the tables hold, without ids and times, in a stable order. */
static const char content_sql[] =
    "SELECT"
    " (SELECT ifnull(group_concat(x, '|'), '') FROM"
    "  (SELECT organization_name || ',' || report_id || ',' ||"
    "  start_time || ',' || end_time || ',' || ifnull(contact_info, '-')"
    "  AS x FROM report ORDER BY x))"
    " || '#' || (SELECT ifnull(group_concat(x, '|'), '') FROM"
    "  (SELECT"
    "  r.organization_name || ',' || r.report_id || ',' || p.idx || ',' ||"
    "  p.policy_type || ',' || p.policy_domain || ',' || p.policy_string ||"
    "  ',' || p.policy_set || ',' || ifnull(p.mode, '-') || ',' ||"
    "  p.mx_patterns || ',' || ifnull(p.max_age, '-') || ',' || p.mx_host"
    "  || ',' || p.successful || ',' || p.failed || ',' ||"
    "  (p.organization_name = r.organization_name AND"
    "   p.start_time = r.start_time AND p.end_time = r.end_time) AS x"
    "  FROM policy p JOIN report r ON r.id = p.report ORDER BY x))"
    " || '#' || (SELECT ifnull(group_concat(x, '|'), '') FROM"
    "  (SELECT"
    "  r.organization_name || ',' || r.report_id || ',' || p.idx || ',' ||"
    "  f.result_type || ',' || ifnull(f.sending_mta_ip, '-') || ',' ||"
    "  ifnull(f.receiving_ip, '-') || ',' ||"
    "  ifnull(f.receiving_mx_hostname, '-') || ',' ||"
    "  ifnull(f.receiving_mx_helo, '-') || ',' ||"
    "  ifnull(f.additional_info, '-') || ',' ||"
    "  ifnull(f.failure_reason_code, '-') || ',' || f.failed_sessions AS x"
    "  FROM failure f JOIN policy p ON p.id = f.policy"
    "  JOIN report r ON r.id = p.report ORDER BY x))"
    " || '#' || (SELECT count(*) FROM report WHERE (SELECT count(*) FROM"
    "  payload WHERE payload.report = report.id AND outcome = 'accepted')"
    "  != 1)";

/*
 * The file's content (above), "ok" from integrity_check and nothing from
 * foreign_key_check, as one string the caller frees; NULL on failure.
 */
static char *
db_content(const char *path)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	char *out = NULL;
	const char *v;
	int good = 0;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		goto done;
	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st,
	    NULL) == SQLITE_OK) {
		good = sqlite3_step(st) == SQLITE_ROW &&
		    (v = (const char *)sqlite3_column_text(st, 0)) != NULL &&
		    strcmp(v, "ok") == 0;
		sqlite3_finalize(st);
	}
	if (good && sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1,
	    &st, NULL) == SQLITE_OK) {
		good = sqlite3_step(st) == SQLITE_DONE;
		sqlite3_finalize(st);
	}
	if (good && sqlite3_prepare_v2(db, content_sql, -1, &st,
	    NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW &&
		    (v = (const char *)sqlite3_column_text(st, 0)) != NULL)
			out = strdup(v);
		sqlite3_finalize(st);
	}
done:
	sqlite3_close(db);
	return out;
}

static int
copy_file(const char *from, const char *to)
{
	unsigned char *p;
	size_t len;
	FILE *fp;
	int rc = -1;

	if ((p = slurp(from, &len)) == NULL)
		return -1;
	if ((fp = fopen(to, "wb")) != NULL) {
		if (fwrite(p, 1, len, fp) == len)
			rc = 0;
		if (fclose(fp) != 0)
			rc = -1;
	}
	free(p);
	return rc;
}

#endif

static void
remove_db(const char *path)
{
	char side[1024 + 8];

	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
}

/* A scratch folder, on tmpfs when there is one (each run syncs). */
static char scratch[512];

static int
scratch_make(void)
{
	const char *base = getenv("TMPDIR");

	if (base == NULL || access(base, W_OK) != 0)
		base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(scratch, sizeof(scratch), "%s/t-faults.XXXXXX", base);
	return mkdtemp(scratch) ? 0 : -1;
}

#ifndef FAULTS_UNDER_ASAN

/*
 * Is this outcome of submission i right for a run with a fault, given
 * what was stored before it? A deferral is always acceptable; anything
 * else must be what a run without faults answers.
 */
static int
outcome_ok(int i, const struct tally *t, int rc, int good_stored)
{
	int deferred = t->count[OUTCOME_DEFERRED];

	if (rc < 0)
		return t->n == 0;
	if (rc != t->n)
		return 0;
	switch (i) {
	case SUB_GOOD:
	case SUB_AGAIN:
		return t->n == 1 && (deferred == 1 ||
		    t->count[good_stored ? OUTCOME_DUPLICATE :
		    OUTCOME_ACCEPTED] == 1);
	case SUB_BAD:
		return t->n == 1 && (deferred || t->count[OUTCOME_REJECTED]);
	case SUB_MAIL:
		/* Two reports, or the message deferred as a whole. */
		return (t->n == 1 && deferred == 1) || (t->n == 2 &&
		    t->count[OUTCOME_ACCEPTED] + deferred == 2);
	}
	return 0;
}

static void
walk_pipeline(void)
{
	char template[1024], db[1024], why[256];
	unsigned char *bytes[NSUBS];
	size_t len[NSUBS];
	struct pipeline pl;
	struct store *st;
	struct error err;
	struct tally t;
	char *base = NULL, *got;
	unsigned long n, runs = 0, bad = 0, deferred = 0, json = 0;
	int i, rc, good_stored;

	for (i = 0; i < NSUBS; i++)
		if ((bytes[i] = slurp(sub_path[i], &len[i])) == NULL) {
			ok(0, "pipeline: cannot read %s", sub_path[i]);
			return;
		}
	snprintf(template, sizeof(template), "%s/template.db", scratch);
	snprintf(db, sizeof(db), "%s/walk.db", scratch);

	/* A migrated empty store to copy for each run, and the baseline. */
	error_clear(&err);
	if ((st = store_open(template, &err)) == NULL) {
		ok(0, "pipeline: store_open: %s", err.msg);
		goto out;
	}
	store_close(st);
	fault_failed = 0;
	fault_injected = 0;
	for (n = 0; n < FAULT_WALK_MAX; n = fault_failed + 1) {
		why[0] = '\0';
		remove_db(db);
		if (copy_file(template, db) < 0 ||
		    (st = store_open(db, &err)) == NULL) {
			ok(0, "pipeline: cannot open a fresh store");
			goto out;
		}
		pipeline_init(&pl, st, NULL);
		good_stored = 0;
		if (n > 0)
			fault_arm(n);
		for (i = 0; i < NSUBS; i++) {
			rc = submit(&pl, bytes[i], len[i], &t);
			if (!outcome_ok(i, &t, rc, good_stored) && !why[0])
				snprintf(why, sizeof(why), "%s: %d results, "
				    "%d accepted, %d duplicate, %d rejected, "
				    "%d not-a-report, %d deferred", sub_path[i],
				    rc, t.count[OUTCOME_ACCEPTED],
				    t.count[OUTCOME_DUPLICATE],
				    t.count[OUTCOME_REJECTED],
				    t.count[OUTCOME_NOT_A_REPORT],
				    t.count[OUTCOME_DEFERRED]);
			if (t.count[OUTCOME_ACCEPTED] && i <= SUB_AGAIN)
				good_stored = 1;
			deferred += (unsigned long)t.count[OUTCOME_DEFERRED];
		}
		fault_disarm(&json);
		/* The sender tries again: every submission, no faults. */
		for (i = 0; i < NSUBS; i++) {
			rc = submit(&pl, bytes[i], len[i], &t);
			if ((rc < 1 || t.count[OUTCOME_DEFERRED] ||
			    t.count[OUTCOME_NOT_A_REPORT]) && !why[0])
				snprintf(why, sizeof(why), "%s: submitted "
				    "again without faults: not stored",
				    sub_path[i]);
		}
		store_close(st);
		got = db_content(db);
		if (n == 0) {
			base = got;
			if (base == NULL || why[0]) {
				ok(0, "pipeline: a run without faults: %s",
				    why[0] ? why : "the store is not sound");
				goto out;
			}
			continue;
		}
		if (why[0] == '\0' && (got == NULL || strcmp(got, base) != 0))
			snprintf(why, sizeof(why), "the store differs from "
			    "a run without faults, or fails integrity_check");
		if (getenv("FAULTS_DEBUG") && got && strcmp(got, base))
			fprintf(stderr, "BASE %s\nGOT %s\nEND\n", base, got);
		free(got);
		if (why[0] && bad++ == 0)
			printf("# pipeline, allocation %lu failed: %s\n",
			    fault_failed, why);
		if (!fault_injected)
			break;
		runs++;
	}
	snprintf(why, sizeof(why), "answered as without faults or deferred "
	    "(%lu deferrals), stored once when sent again, integrity_check "
	    "ok", deferred);
	walk_report(bad == 0 && n < FAULT_WALK_MAX, "pipeline (report, "
	    "duplicate, rejected, mail of two)", runs, json, why);
	if (bad > 1)
		printf("#   %lu runs of %lu went wrong\n", bad, runs);
out:
	free(base);
	remove_db(db);
	remove_db(template);
	for (i = 0; i < NSUBS; i++)
		free(bytes[i]);
}

/* store_open of a new file: a store or a clean error, then a good file. */
static void
walk_open(void)
{
	char db[1024];
	struct store *st;
	struct error err;
	char *content;
	unsigned long n, runs = 0, bad = 0, json = 0;

	snprintf(db, sizeof(db), "%s/open.db", scratch);
	for (n = 1; n < FAULT_WALK_MAX; n = fault_failed + 1) {
		remove_db(db);
		error_clear(&err);
		fault_arm(n);
		st = store_open(db, &err);
		fault_disarm(&json);
		if (st == NULL && (err.kind == ERR_NONE || !err.msg[0]) &&
		    bad++ == 0)
			printf("# store_open, allocation %lu failed: NULL "
			    "without an error\n", fault_failed);
		store_close(st);
		if ((st = store_open(db, &err)) == NULL) {
			if (bad++ == 0)
				printf("# store_open, allocation %lu failed: "
				    "cannot open it again: %s\n", fault_failed,
				    err.msg);
		} else {
			store_close(st);
			content = db_content(db);
			if (content == NULL && bad++ == 0)
				printf("# store_open, allocation %lu failed: "
				    "the file is not sound\n", fault_failed);
			free(content);
		}
		if (!fault_injected)
			break;
		runs++;
	}
	walk_report(bad == 0 && n < FAULT_WALK_MAX, "store_open of a new file",
	    runs, json, "a clean error, and the file opens and passes "
	    "integrity_check afterwards");
	remove_db(db);
}

#endif

/* The verdict of d as text, keys sorted, d released; NULL for NULL. */
static char *
verdict_text(json_t *d)
{
	char *t = d ? json_dumps(d, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
	char *c = t ? strdup(t) : NULL;

	fault_json_free(t);	/* jansson's, from its allocator */
	json_decref(d);
	return c;
}

/*
 * analyse_domain over the evidence of each domain of the accepted report
 * fixtures (loaded once, without faults): the same verdict, or NULL, and
 * nothing leaked. A verdict missing a part (a reason dropped because its
 * allocation failed) would say "ready" where it should not.
 */
static void
walk_analyse(void)
{
	char db[1024], path[1024], why[256];
	struct analyse_options opt;
	struct dirent **names;
	struct pipeline pl;
	struct evidence ev;
	struct store *st;
	struct error err;
	struct tally t;
	unsigned char *in;
	char **doms = NULL, *base, *got;
	json_t *d;
	unsigned long n, runs = 0, bad = 0, leaks = 0, nulls = 0, json = 0;
	size_t i, ndoms = 0, len;
	long live, jlive;
	int k, nf;

	snprintf(db, sizeof(db), "%s/analyse.db", scratch);
	remove_db(db);
	error_clear(&err);
	if ((st = store_open(db, &err)) == NULL) {
		ok(0, "verdicts: store_open: %s", err.msg);
		return;
	}
	pipeline_init(&pl, st, NULL);
	if ((nf = scandir("fixtures/reports/accept", &names, NULL,
	    alphasort)) < 0)
		nf = 0;
	for (k = 0; k < nf; k++) {
		snprintf(path, sizeof(path), "fixtures/reports/accept/%s",
		    names[k]->d_name);
		if (names[k]->d_name[0] != '.' && !strstr(path, ".expect") &&
		    (in = slurp(path, &len)) != NULL) {
			submit(&pl, in, len, &t);
			free(in);
		}
		free(names[k]);
	}
	if (nf > 0)
		free(names);
	analyse_options_default(&opt);
	opt.now = TEST_RECEIVED;
	if (evidence_domains(st, &doms, &ndoms, &err) < 0 || ndoms == 0) {
		ok(0, "verdicts: the fixtures' domains: %s", err.msg);
		goto out;
	}
	for (i = 0; i < ndoms; i++) {
		if (evidence_load(st, doms[i], opt.now - (int64_t)opt.days *
		    86400, opt.now, &ev, &err) < 0) {
			ok(0, "verdicts: evidence of %s: %s", doms[i], err.msg);
			goto out;
		}
		base = verdict_text(analyse_domain(&ev, &opt));
		fault_injected = 0;
		for (n = 1; base && n < FAULT_WALK_MAX; n = fault_failed + 1) {
			live = fault_live;
			jlive = fault_json_live;
			fault_arm(n);
			d = analyse_domain(&ev, &opt);
			fault_disarm(&json);
			got = verdict_text(d);
			if (fault_injected) {
				runs++;
				nulls += got == NULL;
			}
			if (fault_injected && got && strcmp(got, base) != 0 &&
			    bad++ == 0)
				printf("# verdict of %s, allocation %lu (%s) "
				    "failed: a different verdict\n", doms[i],
				    fault_failed, fault_injected_json ?
				    "jansson's" : "malloc");
			if (getenv("FAULTS_DEBUG") && got && strcmp(got, base))
				fprintf(stderr, "BASE %s\nGOT %s\nEND\n", base,
				    got);
			free(got);
			if (fault_live != live || fault_json_live != jlive)
				leaks++;
			if (!fault_injected)
				break;
		}
		if (base == NULL && bad++ == 0)
			printf("# verdict of %s: none without faults\n",
			    doms[i]);
		free(base);
		evidence_release(&ev);
	}
	snprintf(path, sizeof(path), "verdicts of the %zu domains of "
	    "fixtures/reports/accept (analyse_domain)", ndoms);
	snprintf(why, sizeof(why), "the same verdict, or none (%lu); "
	    "nothing leaked", nulls);
	walk_report(bad == 0 && leaks == 0 && n < FAULT_WALK_MAX, path, runs,
	    json, why);
	if (leaks)
		printf("#   %lu runs leaked\n", leaks);
out:
	for (i = 0; i < ndoms; i++)
		free(doms[i]);
	free(doms);
	store_close(st);
	remove_db(db);
}

static void
walks_done(void)
{
	if (nothing_n)
		printf("# walks that failed no allocation: %d of %d: %s\n",
		    nothing_n, walks_n, nothing_list);
	else
		printf("# every walk failed allocations (%d walks)\n", walks_n);
}

#ifndef FAULTS_UNDER_ASAN

int
main(void)
{
	const char *j = getenv("FAULTS_JANSSON");
	void *warm[4];

	/* backtrace() loads its unwinder on first use: not while armed. */
	(void)backtrace(warm, 4);
	dl_iterate_phdr(find_glib, NULL);
	ok(nglib_ranges > 0, "GLib and GMime found, their allocations are "
	    "never failed");
	json_set_alloc_funcs(fault_json_malloc, fault_json_free);
	*(void **)&real_json_loadb = dlsym(RTLD_NEXT, "json_loadb");
	*(void **)&real_json_loads = dlsym(RTLD_NEXT, "json_loads");
	ok(real_json_loadb != NULL && real_json_loads != NULL,
	    "jansson's json_loadb and json_loads found");
	if (real_json_loadb == NULL || real_json_loads == NULL)
		return tap_done();
	if (j == NULL || strcmp(j, "1") != 0)
		printf("# allocations inside json_loadb and json_loads are "
		    "never failed (akheron/jansson#362); FAULTS_JANSSON=1 "
		    "fails them too\n");
	else
		fault_held_never = 1;
	log_set_quiet(1);
	mail_init();
	walk_parse_folder("fixtures/reports/accept");
	walk_parse_folder("fixtures/reports/reject");
	walk_parse("fixtures/mail/report-tlsa.json.gz");
	if (scratch_make() < 0) {
		ok(0, "a scratch folder");
		return tap_done();
	}
	walk_open();
	walk_pipeline();
	walk_analyse();
	rmdir(scratch);
	walks_done();
	return tap_done();
}

#else

int
main(void)
{
	printf("# under ASan, whose allocator cannot be replaced: only "
	    "jansson's allocations are failed, through "
	    "json_set_alloc_funcs()\n");
	json_set_alloc_funcs(fault_json_malloc, fault_json_free);
	*(void **)&real_json_loadb = dlsym(RTLD_NEXT, "json_loadb");
	*(void **)&real_json_loads = dlsym(RTLD_NEXT, "json_loads");
	ok(real_json_loadb != NULL && real_json_loads != NULL,
	    "jansson's json_loadb and json_loads found");
	if (real_json_loadb == NULL || real_json_loads == NULL ||
	    scratch_make() < 0)
		return tap_done();
	fault_json_only = 1;
	log_set_quiet(1);
	walk_analyse();
	rmdir(scratch);
	walks_done();
	return tap_done();
}

#endif
