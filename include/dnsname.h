/*
 * dnsname: a domain or host name from outside, checked and written one
 * way, so that a report's policy domain, a --domain option and the
 * domain of an API path name the same rows.
 *
 * The one form stored and compared: lower case, no trailing dot, every
 * label an A-label or ASCII, labels of letters, digits, '-' and '_' (the
 * underscore of _mta-sts and _smtp._tls names), each 1 to
 * BOUND_DNS_LABEL octets, BOUND_DNS_NAME in all. A label written in
 * Unicode (a U-label, "bücher") becomes its A-label ("xn--bcher-kva") by
 * IDNA2008 with the UTS #46 mapping (libidn2, non-transitional: "ß" stays
 * "ß"); ASCII labels are only lower-cased, since names such as
 * "r1---sn-x.example" are in the DNS though IDNA would refuse them.
 */
#ifndef TLSRPT_DNSNAME_H
#define TLSRPT_DNSNAME_H

#include "bounds.h"
#include "error.h"

/*
 * Normalise the name in (NUL-terminated, UTF-8) into out. Returns 0, or
 * -1 with err set: ERR_INPUT with a message quoting the name and naming
 * the problem ("\"a..example\" is not a DNS name: an empty label"), or
 * ERR_NOMEM. out is written only on success; in and out may not overlap.
 */
int dnsname_normalise(const char *in, char out[BOUND_DNS_NAME + 1],
		      struct error *err);

#endif
