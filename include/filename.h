/*
 * filename: the report file name of RFC 8460 section 5.1,
 *
 *   receiver "!" policy-domain "!" begin-timestamp "!" end-timestamp
 *   [ "!" unique-id ] "." extension
 *
 * e.g. "mail.receiver.example!example.com!1470013207!1470186007!001.json.gz".
 * The name is evidence only: the JSON inside wins when they disagree.
 */
#ifndef TLSRPT_FILENAME_H
#define TLSRPT_FILENAME_H

#include <stddef.h>
#include <stdint.h>

#include "bounds.h"

struct report_filename {
	char receiver[BOUND_DNS_NAME + 1];	/* the reporter's domain */
	char policy_domain[BOUND_DNS_NAME + 1];	/* both normalised as
						   dnsname.h says */
	int64_t begin, end;	/* Unix seconds */
	char unique_id[128];	/* "" when absent */
	char extension[16];	/* "json" or "json.gz" */
};

/*
 * Parse name (a base name, no folders) into f. Returns 0, or -1 when it is
 * not in the RFC 8460 form (f is then undefined).
 */
int report_filename_parse(const char *name, struct report_filename *f);

#endif
