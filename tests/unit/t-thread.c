/* Unit tests: thread (struct worker, the daemon's background threads). */
#include <sys/prctl.h>

#include <pthread.h>
#include <string.h>
#include <time.h>

#include "thread.h"
#include "tap.h"

/* What the thread saw: naps as it goes, the rest once it is joined. */
struct seen {
	struct worker *w;
	char name[17];
	int naps;		/* naps returned so far */
	int nap[2];		/* what each returned */
	int waited;		/* worker_wait() until a time past */
};

static void *
napper(void *arg)
{
	struct seen *s = arg;

	memset(s->name, 0, sizeof(s->name));
	prctl(PR_GET_NAME, s->name, 0, 0, 0);
	/* Ten minutes each: only worker_wake() and worker_stop() end them. */
	s->nap[0] = worker_nap(s->w, 600000);
	__atomic_store_n(&s->naps, 1, __ATOMIC_SEQ_CST);
	s->nap[1] = worker_nap(s->w, 600000);
	__atomic_store_n(&s->naps, 2, __ATOMIC_SEQ_CST);
	return NULL;
}

static void
wait_naps(struct seen *s, int n)
{
	struct timespec ms = { 0, 1000000 };

	while (__atomic_load_n(&s->naps, __ATOMIC_SEQ_CST) < n)
		nanosleep(&ms, NULL);
}

static void *
short_nap(void *arg)
{
	struct seen *s = arg;
	struct timespec past;

	clock_gettime(CLOCK_MONOTONIC, &past);
	pthread_mutex_lock(&s->w->lock);
	s->waited = worker_wait(s->w, &past);
	pthread_mutex_unlock(&s->w->lock);
	s->nap[0] = worker_nap(s->w, 20);
	__atomic_store_n(&s->naps, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

int
main(void)
{
	struct worker w;
	struct error err;
	struct seen s;
	int round;

	worker_init(&w);
	worker_stop(&w);
	ok(!w.running, "worker_stop on a worker never started: nothing");
	worker_release(&w);

	worker_init(&w);
	for (round = 1; round <= 2; round++) {
		memset(&s, 0, sizeof(s));
		s.w = &w;
		error_clear(&err);
		ok(worker_start(&w, "t-worker", napper, &s, &err) == 0,
		    "round %d: started", round);
		ok(worker_stopping(&w) == 0, "round %d: stop cleared",
		    round);
		worker_wake(&w);
		wait_naps(&s, 1);
		ok(s.nap[0] == 0, "round %d: woken, not stopped", round);
		worker_stop(&w);
		ok(!w.running && s.naps == 2, "round %d: stopped and joined",
		    round);
		ok(s.nap[1] == 1, "round %d: the nap after is ended by the "
		    "stop", round);
		ok(worker_stopping(&w) == 1, "round %d: stopping after",
		    round);
		is_str(s.name, "t-worker", "round %d: the thread's name",
		    round);
	}

	/* A wait until a time past, and a nap with nothing to end it
	 * early, run out. */
	memset(&s, 0, sizeof(s));
	s.w = &w;
	ok(worker_start(&w, "t-short", short_nap, &s, &err) == 0,
	    "a short nap: started");
	wait_naps(&s, 1);
	worker_stop(&w);
	ok(s.waited == 0, "a wait until a time past returns, not stopped");
	ok(s.nap[0] == 0, "a short nap runs out, not stopped");
	worker_release(&w);
	return tap_done();
}
