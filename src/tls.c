/* tls: see include/tls.h. */
#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "files.h"
#include "tls.h"
#include "banned.h"

/* One certificate chain and key, as loaded by one tls_load/tls_reload. */
struct tls_pair {
	gnutls_pcert_st chain[TLS_CHAIN_MAX];
	unsigned nchain;
	gnutls_privkey_t key;
	struct tls_pair *older;
};

struct tls {
	pthread_mutex_t lock;
	struct tls_pair *current;	/* newest; ->older the rest */
};

static struct tls *served;
static pthread_mutex_t served_lock = PTHREAD_MUTEX_INITIALIZER;

static void
pair_free(struct tls_pair *p)
{
	unsigned i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nchain; i++)
		gnutls_pcert_deinit(&p->chain[i]);
	if (p->key != NULL)
		gnutls_privkey_deinit(p->key);
	free(p);
}

static int
read_pem(const char *path, struct buf *b, struct error *err)
{
	buf_init(b, TLS_PEM_MAX);
	if (files_read_path(path, b, NULL, err) < 0)
		return err->kind == ERR_TOO_BIG ?
		    error_prefix(err, "%s", path) : -1;
	if (b->len == 0)
		return error_set(err, ERR_INPUT, "%s: empty file", path);
	return 0;
}

/* Does the key belong to the certificate? Compare their key ids. */
static int
key_matches(gnutls_pcert_st *cert, gnutls_privkey_t key)
{
	unsigned char a[64], b[64];
	size_t alen = sizeof(a), blen = sizeof(b);
	gnutls_pubkey_t pub;
	int ok = 0;

	if (gnutls_pubkey_init(&pub) < 0)
		return 0;
	if (gnutls_pubkey_import_privkey(pub, key, 0, 0) >= 0 &&
	    gnutls_pubkey_get_key_id(pub, GNUTLS_KEYID_USE_SHA256, a,
	    &alen) >= 0 &&
	    gnutls_pubkey_get_key_id(cert->pubkey, GNUTLS_KEYID_USE_SHA256,
	    b, &blen) >= 0)
		ok = alen == blen && memcmp(a, b, alen) == 0;
	gnutls_pubkey_deinit(pub);
	return ok;
}

static struct tls_pair *
pair_load(const char *cert_path, const char *key_path, struct error *err)
{
	struct tls_pair *p = NULL;
	struct buf cb, kb;
	gnutls_datum_t d;
	unsigned n = TLS_CHAIN_MAX;
	int rc;

	buf_init(&cb, 0);
	buf_init(&kb, 0);
	if (read_pem(cert_path, &cb, err) < 0 ||
	    read_pem(key_path, &kb, err) < 0)
		goto fail;
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		error_set(err, ERR_NOMEM, "out of memory");
		goto fail;
	}
	d.data = (unsigned char *)cb.data;
	d.size = (unsigned)cb.len;
	rc = gnutls_pcert_list_import_x509_raw(p->chain, &n, &d,
	    GNUTLS_X509_FMT_PEM, 0);
	if (rc < 0 || n == 0) {
		error_set(err, ERR_INPUT, "%s: not a PEM certificate (chain of "
		    "at most %d): %s", cert_path, TLS_CHAIN_MAX,
		    rc < 0 ? gnutls_strerror(rc) : "no certificate");
		goto fail;
	}
	p->nchain = n;
	if ((rc = gnutls_privkey_init(&p->key)) < 0) {
		error_set(err, ERR_NOMEM, "gnutls: %s", gnutls_strerror(rc));
		goto fail;
	}
	d.data = (unsigned char *)kb.data;
	d.size = (unsigned)kb.len;
	rc = gnutls_privkey_import_x509_raw(p->key, &d, GNUTLS_X509_FMT_PEM,
	    NULL, 0);
	if (rc < 0) {
		error_set(err, ERR_INPUT, "%s: not an unencrypted PEM private "
		    "key: %s", key_path, gnutls_strerror(rc));
		goto fail;
	}
	if (!key_matches(&p->chain[0], p->key)) {
		error_set(err, ERR_INPUT, "%s does not belong to the "
		    "certificate %s", key_path, cert_path);
		goto fail;
	}
	buf_release(&cb);
	buf_release(&kb);
	return p;
fail:
	pair_free(p);
	buf_release(&cb);
	buf_release(&kb);
	return NULL;
}

struct tls *
tls_load(const char *cert_path, const char *key_path, struct error *err)
{
	struct tls *t;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		error_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	if ((t->current = pair_load(cert_path, key_path, err)) == NULL) {
		free(t);
		return NULL;
	}
	pthread_mutex_init(&t->lock, NULL);
	return t;
}

int
tls_reload(struct tls *t, const char *cert_path, const char *key_path,
	   struct error *err)
{
	struct tls_pair *p;

	if ((p = pair_load(cert_path, key_path, err)) == NULL)
		return -1;
	pthread_mutex_lock(&t->lock);
	p->older = t->current;
	t->current = p;
	pthread_mutex_unlock(&t->lock);
	return 0;
}

void
tls_free(struct tls *t)
{
	struct tls_pair *p, *next;

	if (t == NULL)
		return;
	pthread_mutex_lock(&served_lock);
	if (served == t)
		served = NULL;
	pthread_mutex_unlock(&served_lock);
	for (p = t->current; p != NULL; p = next) {
		next = p->older;
		pair_free(p);
	}
	pthread_mutex_destroy(&t->lock);
	free(t);
}

int
tls_check_priority(const char *priority, struct error *err)
{
	gnutls_priority_t cache;
	const char *where = NULL;
	int rc;

	if (priority == NULL || priority[0] == '\0')
		return error_set(err, ERR_INPUT, "tls-priority is empty: give "
		    "a GnuTLS priority string");
	rc = gnutls_priority_init(&cache, priority, &where);
	if (rc < 0)
		return error_set(err, ERR_INPUT, "tls-priority \"%s\": %s%s%s",
		    priority, gnutls_strerror(rc), where ? " at " : "",
		    where ? where : "");
	gnutls_priority_deinit(cache);
	return 0;
}

void
tls_set_current(struct tls *t)
{
	pthread_mutex_lock(&served_lock);
	served = t;
	pthread_mutex_unlock(&served_lock);
}

int
tls_retrieve(gnutls_session_t session, const gnutls_datum_t *req_ca_dn,
	     int nreqs, const gnutls_pk_algorithm_t *pk_algos,
	     int pk_algos_length, gnutls_pcert_st **pcert,
	     unsigned int *pcert_length, gnutls_privkey_t *pkey)
{
	struct tls *t;
	int rc = -1;

	(void)session;
	(void)req_ca_dn;
	(void)nreqs;
	(void)pk_algos;
	(void)pk_algos_length;
	pthread_mutex_lock(&served_lock);
	t = served;
	if (t != NULL) {
		/* GnuTLS does not free what a retrieve_function2 returns. */
		pthread_mutex_lock(&t->lock);
		*pcert = t->current->chain;
		*pcert_length = t->current->nchain;
		*pkey = t->current->key;
		pthread_mutex_unlock(&t->lock);
		rc = 0;
	}
	pthread_mutex_unlock(&served_lock);
	return rc;
}

/* mkdir -p of the folder that holds path, mode 0700 for what it makes. */
static int
make_parent(const char *path, struct error *err)
{
	char dir[4096], *s;
	int n;

	n = snprintf(dir, sizeof(dir), "%s", path);
	if (n < 0 || (size_t)n >= sizeof(dir))
		return error_set(err, ERR_IO, "%s: path too long", path);
	if ((s = strrchr(dir, '/')) == NULL)
		return 0;
	*s = '\0';
	for (s = dir + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return error_set(err, ERR_IO, "%s: %s", dir,
			    strerror(errno));
		*s = '/';
	}
	if (dir[0] && mkdir(dir, 0700) < 0 && errno != EEXIST)
		return error_set(err, ERR_IO, "%s: %s", dir, strerror(errno));
	return 0;
}

/* Write data to path through a temporary file, so a half file never is. */
static int
write_file(const char *path, const gnutls_datum_t *d, mode_t mode,
	   struct error *err)
{
	char tmp[4096];
	ssize_t w;
	size_t off = 0;
	int fd, n;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return error_set(err, ERR_IO, "%s: path too long", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return error_set(err, ERR_IO, "%s: %s", tmp, strerror(errno));
	while (off < d->size) {
		w = write(fd, d->data + off, d->size - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			error_set(err, ERR_IO, "%s: %s", tmp, strerror(errno));
			close(fd);
			unlink(tmp);
			return -1;
		}
		off += (size_t)w;
	}
	if (fsync(fd) < 0 || close(fd) < 0 || rename(tmp, path) < 0) {
		error_set(err, ERR_IO, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

#define GT(call, what) do { \
	if ((rc = (call)) < 0) { \
		error_set(err, ERR_INTERNAL, "making a certificate: %s: %s", \
		    what, gnutls_strerror(rc)); \
		goto done; \
	} \
} while (0)

int
tls_make_self_signed(const char *cert_path, const char *key_path, int *made,
		     struct error *err)
{
	static const unsigned char v4[4] = { 127, 0, 0, 1 };
	static const unsigned char v6[16] = { [15] = 1 };
	gnutls_x509_privkey_t key = NULL;
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t cpem = { NULL, 0 }, kpem = { NULL, 0 };
	unsigned char serial[16];
	time_t now = time(NULL);
	int rc, ret = -1;

	*made = 0;
	if (access(cert_path, F_OK) == 0 && access(key_path, F_OK) == 0)
		return 0;
	if (make_parent(cert_path, err) < 0 || make_parent(key_path, err) < 0)
		return -1;
	GT(gnutls_x509_privkey_init(&key), "key");
	GT(gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0), "key");
	GT(gnutls_x509_crt_init(&crt), "certificate");
	GT(gnutls_x509_crt_set_version(crt, 3), "version");
	GT(gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial)), "serial");
	serial[0] &= 0x7f;	/* a positive integer (RFC 5280 4.1.2.2) */
	GT(gnutls_x509_crt_set_serial(crt, serial, sizeof(serial)), "serial");
	GT(gnutls_x509_crt_set_activation_time(crt, now - 60), "validity");
	GT(gnutls_x509_crt_set_expiration_time(crt, now + 365 * 86400),
	    "validity");
	GT(gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0,
	    "localhost", 9), "subject");
	GT(gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME,
	    "localhost", 9, GNUTLS_FSAN_APPEND), "subjectAltName");
	GT(gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS,
	    v4, sizeof(v4), GNUTLS_FSAN_APPEND), "subjectAltName");
	GT(gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS,
	    v6, sizeof(v6), GNUTLS_FSAN_APPEND), "subjectAltName");
	GT(gnutls_x509_crt_set_key_usage(crt,
	    GNUTLS_KEY_DIGITAL_SIGNATURE | GNUTLS_KEY_KEY_CERT_SIGN),
	    "key usage");
	GT(gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER,
	    0), "key purpose");
	/* Its own issuer: a CA so that curl --cacert can trust it as is. */
	GT(gnutls_x509_crt_set_basic_constraints(crt, 1, 0),
	    "basic constraints");
	GT(gnutls_x509_crt_set_key(crt, key), "public key");
	GT(gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0), "sign");
	GT(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &cpem), "export");
	GT(gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &kpem),
	    "export");
	if (write_file(key_path, &kpem, 0600, err) < 0 ||
	    write_file(cert_path, &cpem, 0644, err) < 0)
		goto done;
	*made = 1;
	ret = 0;
done:
	gnutls_free(cpem.data);
	gnutls_free(kpem.data);
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	if (key != NULL)
		gnutls_x509_privkey_deinit(key);
	return ret;
}
