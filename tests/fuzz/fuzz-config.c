/*
 * fuzz-config: any bytes as the text of a config file through
 * config_parse(), into a fresh config that is then released.
 */
#include <string.h>

#include "config.h"
#include "fuzz.h"
#include "banned.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	struct error err;

	error_clear(&err);
	config_init(&cfg);
	if (config_parse(&cfg, (const char *)data, size, "fuzz.conf",
	    &err) < 0 && err.kind != ERR_INPUT && err.kind != ERR_NOMEM)
		__builtin_trap();
	/* The DKIM rule points into the config's own storage, or nowhere. */
	if (cfg.pipeline.dkim_authserv_id != NULL &&
	    cfg.pipeline.dkim_authserv_id != cfg.dkim_authserv_id)
		__builtin_trap();
	config_release(&cfg);
	return 0;
}
