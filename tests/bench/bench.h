/*
 * bench: what the benchmarks (tests/bench/bench-*.c) share: the clock,
 * the order of figures, and for the programs they run (bench-https,
 * bench-overview): start one with its output in a log, wait for its port
 * on loopback, stop it.
 */
#ifndef TLSRPT_BENCH_H
#define TLSRPT_BENCH_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Seconds on the monotonic clock. */
static inline double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* qsort() of doubles, smallest first. */
static inline int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* 0 once port on loopback takes a connection, -1 after 10 s. */
static inline int
wait_port(int port)
{
	struct sockaddr_in sa;
	int i, fd, ok;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (i = 0; i < 200; i++) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
		close(fd);
		if (ok)
			return 0;
		usleep(50000);
	}
	return -1;
}

/* argv run in a child, its stdout to /dev/null and its stderr to log. */
static inline pid_t
spawn(char *const argv[], const char *log)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (freopen("/dev/null", "w", stdout) == NULL ||
		    freopen(log, "w", stderr) == NULL)
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static inline void
stop(pid_t pid)
{
	int st;

	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
}

#endif
