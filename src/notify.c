/* notify: see include/notify.h. */
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fmt.h"
#include "log.h"
#include "notify.h"
#include "outbox.h"
#include "thread.h"
#include "version.h"
#include "banned.h"

struct notify {
	struct store *st;
	char *sendmail;
	struct worker worker;	/* woken: new rows in the outbox */
};

/* The last count of rows waiting; -1 before the first. */
static struct {
	pthread_mutex_t lock;
	int64_t pending;
} pend = { PTHREAD_MUTEX_INITIALIZER, -1 };

/* A receiver's answer is not read: only its status counts. */
static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/* POST the JSON; 0 when answered 2xx, with why in msg otherwise. */
static int
post(const struct outbox_item *it, char *msg, size_t len)
{
	struct curl_slist *h = NULL, *h2;
	char idh[128];
	long code = 0;
	CURL *c;
	CURLcode rc;
	int n;

	if ((c = curl_easy_init()) == NULL) {
		fmt_cut(msg, len, "out of memory");
		return -1;
	}
	n = snprintf(idh, sizeof(idh), "X-Tlsrpt-Event-Id: %s", it->event_id);
	h = curl_slist_append(h, "Content-Type: application/json");
	if (h != NULL && n > 0 && (size_t)n < sizeof(idh) &&
	    (h2 = curl_slist_append(h, idh)) != NULL)
		h = h2;
	curl_easy_setopt(c, CURLOPT_URL, it->to);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, it->body);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "tlsrptd/" TLSRPT_VERSION);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)NOTIFY_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	if (rc != CURLE_OK) {
		fmt_cut(msg, len, "%s", curl_easy_strerror(rc));
		return -1;
	}
	if (code < 200 || code > 299) {
		fmt_cut(msg, len, "answered %ld", code);
		return -1;
	}
	return 0;
}

/* The mail through `sendmail -t -i`: To: first, then the stored rest. */
static int
mail(struct notify *nt, const struct outbox_item *it, char *msg, size_t len)
{
	const char *parts[3] = { "To: ", it->to, "\n" };
	int fds[2], status, ok = 1;
	size_t i, off, n;
	ssize_t w;
	pid_t pid;

	if (pipe(fds) < 0) {
		fmt_cut(msg, len, "pipe: %s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) < 0) {
		fmt_cut(msg, len, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(fds[0], STDIN_FILENO);
		close(fds[0]);
		close(fds[1]);
		execl(nt->sendmail, nt->sendmail, "-t", "-i", (char *)NULL);
		_exit(127);
	}
	close(fds[0]);
	for (i = 0; i < 4 && ok; i++) {
		const char *p = i < 3 ? parts[i] : it->body;

		n = strlen(p);
		for (off = 0; off < n && ok; ) {
			if ((w = write(fds[1], p + off, n - off)) >= 0)
				off += (size_t)w;
			else if (errno != EINTR)
				ok = 0;
		}
	}
	close(fds[1]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!ok || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fmt_cut(msg, len, "%s exited with status %d", nt->sendmail,
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return -1;
	}
	return 0;
}

static int64_t
backoff(int64_t attempts)
{
	int64_t s = NOTIFY_BACKOFF_FIRST;

	while (attempts-- > 0 && s < NOTIFY_BACKOFF_MAX)
		s *= 2;
	return s < NOTIFY_BACKOFF_MAX ? s : NOTIFY_BACKOFF_MAX;
}

static void
deliver(struct notify *nt, const struct outbox_item *it)
{
	int64_t now;
	struct error err;
	char msg[512];
	int rc;

	msg[0] = '\0';
	error_clear(&err);
	rc = strcmp(it->kind, "mail") == 0 ? mail(nt, it, msg, sizeof(msg)) :
	    post(it, msg, sizeof(msg));
	now = (int64_t)time(NULL);
	if (rc == 0) {
		log_info("notify: event %s delivered to %s %s", it->event_id,
		    it->kind, it->to);
		rc = outbox_delivered(nt->st, it->id, now, &err);
	} else if (now - it->created_at >= NOTIFY_GIVE_UP) {
		log_err("notify: event %s to %s %s: %s; given up after %d "
		    "hours", it->event_id, it->kind, it->to, msg,
		    NOTIFY_GIVE_UP / 3600);
		rc = outbox_give_up(nt->st, it->id, now, &err);
	} else {
		log_warn("notify: event %s to %s %s: %s; trying again in %"
		    PRId64 " s", it->event_id, it->kind, it->to, msg,
		    backoff(it->attempts));
		rc = outbox_retry(nt->st, it->id, now + backoff(it->attempts),
		    &err);
	}
	if (rc < 0)
		log_err("notify: event %s: %s", it->event_id, err.msg);
}

static void
count_pending(struct notify *nt)
{
	struct error err;
	int64_t n;

	error_clear(&err);
	if (outbox_pending(nt->st, &n, &err) < 0)
		return;
	pthread_mutex_lock(&pend.lock);
	pend.pending = n;
	pthread_mutex_unlock(&pend.lock);
}

static void *
run(void *arg)
{
	struct notify *nt = arg;
	struct outbox_item *items;
	struct error err;
	size_t n, i;
	int64_t now;
	int first = 1, stop = 0;

	while (!stop) {
		now = (int64_t)time(NULL);
		error_clear(&err);
		if (outbox_claim(nt->st, now, now + NOTIFY_LEASE, first,
		    NOTIFY_BATCH, &items, &n, &err) < 0) {
			log_warn("notify: reading the outbox: %s", err.msg);
			n = 0;
		} else
			first = 0;
		count_pending(nt);
		for (i = 0; i < n; i++)
			deliver(nt, &items[i]);
		outbox_items_free(items, n);
		if (n > 0) {
			count_pending(nt);
			if (n == NOTIFY_BATCH)
				continue;
		}
		stop = worker_nap(&nt->worker, NOTIFY_POLL * 1000);
	}
	return NULL;
}

struct notify *
notify_start(struct store *st, const struct config *cfg, struct error *err)
{
	struct notify *nt = calloc(1, sizeof(*nt));

	if (nt == NULL || (nt->sendmail = strdup(cfg->sendmail ?
	    cfg->sendmail : "/usr/sbin/sendmail")) == NULL) {
		free(nt);
		error_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	nt->st = st;
	worker_init(&nt->worker);
	if (worker_start(&nt->worker, "notify", run, nt, err) < 0) {
		notify_stop(nt);
		return NULL;
	}
	return nt;
}

void
notify_wake(struct notify *nt)
{
	if (nt != NULL)
		worker_wake(&nt->worker);
}

void
notify_stop(struct notify *nt)
{
	if (nt == NULL)
		return;
	worker_release(&nt->worker);
	free(nt->sendmail);
	free(nt);
}

int
notify_render_metrics(struct buf *out, struct error *err)
{
	int64_t n;

	pthread_mutex_lock(&pend.lock);
	n = pend.pending;
	pthread_mutex_unlock(&pend.lock);
	if (n < 0)
		return 0;
	return buf_printf(out, err, "# HELP tlsrpt_notify_pending events "
	    "waiting to be delivered (rows of the outbox)\n# TYPE "
	    "tlsrpt_notify_pending gauge\ntlsrpt_notify_pending %" PRId64
	    "\n", n);
}
