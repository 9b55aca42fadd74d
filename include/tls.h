/*
 * tls: the certificate and key the HTTPS listener presents, with GnuTLS.
 *
 * A struct tls holds the current certificate chain and key. The listener
 * asks for them at each handshake (tls_retrieve, a GnuTLS certificate
 * callback), so that tls_reload() can swap in a new pair on SIGHUP while
 * connections made with the old pair go on undisturbed. Old pairs are
 * kept until tls_free(): a handshake in progress may still point at them,
 * and a reload costs a few kilobytes.
 *
 * A pair is only taken when the key matches the certificate: a bad reload
 * keeps the pair in force and says why.
 */
#ifndef TLSRPT_TLS_H
#define TLSRPT_TLS_H

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>

#include "bounds.h"
#include "error.h"

struct tls;

/*
 * Load cert_path (PEM, the server certificate first, then its chain) and
 * key_path (PEM). ERR_IO when a file cannot be read, ERR_INPUT when it is
 * not what it should be or the key does not match.
 */
struct tls *tls_load(const char *cert_path, const char *key_path,
		     struct error *err);

/* Read the files again and swap them in; on failure keep the old pair. */
int tls_reload(struct tls *t, const char *cert_path, const char *key_path,
	       struct error *err);

/* Free every pair loaded; no handshake may be in progress. */
void tls_free(struct tls *t);

/*
 * The gnutls_certificate_retrieve_function2 for libmicrohttpd's
 * MHD_OPTION_HTTPS_CERT_CALLBACK. The struct tls is found through
 * tls_set_current(), since that callback has no user pointer.
 */
int tls_retrieve(gnutls_session_t session, const gnutls_datum_t *req_ca_dn,
		 int nreqs, const gnutls_pk_algorithm_t *pk_algos,
		 int pk_algos_length, gnutls_pcert_st **pcert,
		 unsigned int *pcert_length, gnutls_privkey_t *pkey);

/*
 * Does GnuTLS take priority (tls-priority, a priority string such as
 * "NORMAL:-VERS-TLS1.1") as the listener's? ERR_INPUT naming the setting
 * and where GnuTLS stopped reading it, or that it is empty.
 */
int tls_check_priority(const char *priority, struct error *err);

/* The struct tls that tls_retrieve() serves (one per process). */
void tls_set_current(struct tls *t);

/*
 * Make a self-signed certificate for localhost (CN localhost, subject
 * alternative names localhost, 127.0.0.1 and ::1, valid one year, ECDSA
 * P-256) into cert_path and key_path (mode 0600), creating the folder of
 * each. Does nothing when both files exist. *made is set to 1 when it made
 * them.
 */
int tls_make_self_signed(const char *cert_path, const char *key_path,
			 int *made, struct error *err);

#endif
