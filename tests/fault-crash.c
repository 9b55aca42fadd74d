/*
 * fault-crash: an LD_PRELOAD shim for tests/e2e/robust-maildir-crash.sh, a
 * mail that kills the daemon while it is parsed. GMime is handed every
 * message as bytes (g_mime_stream_mem_new_with_buffer); when they hold the
 * string $FAULT_CRASH_MARK, the process gets SIGKILL, as a fault in the
 * parser would end it: no handler runs, nothing is cleaned up.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct _GMimeStream GMimeStream;
typedef GMimeStream *(*mem_new_fn)(const char *, size_t);

GMimeStream *g_mime_stream_mem_new_with_buffer(const char *buffer,
    size_t len);

GMimeStream *
g_mime_stream_mem_new_with_buffer(const char *buffer, size_t len)
{
	const char *mark = getenv("FAULT_CRASH_MARK");
	mem_new_fn next;

	if (mark != NULL && *mark != '\0' &&
	    memmem(buffer, len, mark, strlen(mark)) != NULL)
		kill(getpid(), SIGKILL);
	*(void **)&next = dlsym(RTLD_NEXT,
	    "g_mime_stream_mem_new_with_buffer");
	return next(buffer, len);
}
