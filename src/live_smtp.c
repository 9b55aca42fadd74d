/* live_smtp: see include/live_smtp.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <gnutls/dane.h>
#include <gnutls/x509.h>

#include "buf.h"
#include "clock.h"
#include "fmt.h"
#include "live_smtp.h"
#include "banned.h"

static void
text_set(char *dst, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A bounded message; a cut one ends with "...". */
static void
text_set(char *dst, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfmt_cut(dst, len, fmt, ap);
	va_end(ap);
}

/* Connect within the deadline; the socket is left blocking. */
static int
dial(const char *addr, int port, int64_t deadline, char *why, size_t wl)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl;
	struct pollfd pfd;
	int fd, e = 0, n;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		sl = sizeof(*s4);
	} else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		sl = sizeof(*s6);
	} else {
		text_set(why, wl, "\"%s\" is not an IP address", addr);
		return -1;
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) < 0) {
		text_set(why, wl, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0) {
		if (errno != EINPROGRESS) {
			e = errno;
			goto fail;
		}
		pfd.fd = fd;
		pfd.events = POLLOUT;
		n = poll(&pfd, 1, (int)(deadline - clock_ms() > 0 ?
		    deadline - clock_ms() : 0));
		if (n == 0) {
			text_set(why, wl, "connect: no answer in time");
			close(fd);
			return -1;
		}
		sl = sizeof(e);
		if (n < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) < 0)
			e = errno;
		if (e)
			goto fail;
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0) {
		e = errno;
		goto fail;
	}
	return fd;
fail:
	text_set(why, wl, "connect: %s", strerror(e));
	close(fd);
	return -1;
}

/*
 * One SMTP reply, read a byte at a time so that nothing after it (the
 * server's TLS bytes) is taken from the socket. Returns the code, or -1
 * with why set. The lines are left in reply.
 */
static int
read_reply(int fd, int64_t deadline, struct buf *reply, char *why, size_t wl)
{
	struct error err;
	size_t line = 0;
	struct pollfd pfd;
	char c;
	ssize_t n;

	reply->len = 0;
	for (;;) {
		int64_t left = deadline - clock_ms();

		pfd.fd = fd;
		pfd.events = POLLIN;
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0) {
			text_set(why, wl, "no reply in time");
			return -1;
		}
		if ((n = recv(fd, &c, 1, 0)) <= 0) {
			text_set(why, wl, n == 0 ? "the server closed the "
			    "connection" : "recv: %s", strerror(errno));
			return -1;
		}
		if (buf_append(reply, &c, 1, &err) < 0) {
			text_set(why, wl, "reply longer than %d bytes",
			    LIVE_SMTP_REPLY_MAX);
			return -1;
		}
		reply->data[reply->len] = '\0';
		if (c != '\n')
			continue;
		/* A last line is "NNN" then a space or the line end. */
		if (reply->len - line >= 5 && (reply->data[line + 3] == ' ' ||
		    reply->data[line + 3] == '\r' ||
		    reply->data[line + 3] == '\n'))
			return atoi(reply->data + line) >= 100 &&
			    atoi(reply->data + line) < 600 ?
			    atoi(reply->data + line) : -1;
		line = reply->len;
	}
}

static int
send_all(int fd, const char *s)
{
	size_t n = strlen(s);
	ssize_t w;

	while (n > 0) {
		if ((w = send(fd, s, n, MSG_NOSIGNAL)) <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Is keyword a line of the EHLO reply (RFC 5321 4.1.1.1)? */
static int
ehlo_has(const char *reply, const char *keyword)
{
	size_t kl = strlen(keyword);
	const char *l;

	for (l = reply; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 :
	    l + strlen(l)) {
		if (strlen(l) > 4 + kl && strncasecmp(l + 4, keyword, kl) == 0 &&
		    (l[4 + kl] == '\r' || l[4 + kl] == '\n' ||
		    l[4 + kl] == ' '))
			return 1;
	}
	return 0;
}

static void
first_line(char *dst, size_t len, const char *s)
{
	text_set(dst, len, "%.*s", (int)strcspn(s, "\r\n"), s);
}

static void
cert_info(struct live_smtp *r, gnutls_x509_crt_t crt)
{
	gnutls_datum_t d;
	char name[256];
	size_t nl, o = 0;
	unsigned i;
	int rc;

	if (gnutls_x509_crt_get_dn3(crt, &d, 0) == 0) {
		text_set(r->subject, sizeof(r->subject), "%s", d.data);
		gnutls_free(d.data);
	}
	if (gnutls_x509_crt_get_issuer_dn3(crt, &d, 0) == 0) {
		text_set(r->issuer, sizeof(r->issuer), "%s", d.data);
		gnutls_free(d.data);
	}
	r->not_before = (int64_t)gnutls_x509_crt_get_activation_time(crt);
	r->not_after = (int64_t)gnutls_x509_crt_get_expiration_time(crt);
	for (i = 0; i < 16; i++) {
		nl = sizeof(name);
		rc = gnutls_x509_crt_get_subject_alt_name(crt, i, name, &nl,
		    NULL);
		if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (rc != GNUTLS_SAN_DNSNAME)
			continue;
		text_set(r->names + o, sizeof(r->names) - o, "%s%s",
		    o ? ", " : "", name);
		o = strlen(r->names);
	}
	r->have_cert = 1;
}

/* RFC 7672: match the chain against DNSSEC-secure TLSA records. */
static void
dane_match(struct live_smtp *r, const gnutls_datum_t *chain, unsigned n,
	   const struct dns_answer *tlsa)
{
	char *data[DNS_RR_MAX + 1];
	int len[DNS_RR_MAX + 1];
	dane_state_t st = NULL;
	dane_query_t q = NULL;
	unsigned verify = 0;
	size_t i, k = 0;
	int rc;

	memset(data, 0, sizeof(data));
	for (i = 0; i < tlsa->n; i++) {
		if ((data[k] = malloc(tlsa->rr.tlsa[i].len + 3)) == NULL)
			goto done;
		data[k][0] = (char)tlsa->rr.tlsa[i].usage;
		data[k][1] = (char)tlsa->rr.tlsa[i].selector;
		data[k][2] = (char)tlsa->rr.tlsa[i].mtype;
		memcpy(data[k] + 3, tlsa->rr.tlsa[i].data,
		    tlsa->rr.tlsa[i].len);
		len[k++] = (int)tlsa->rr.tlsa[i].len + 3;
	}
	if ((rc = dane_state_init(&st, DANE_F_IGNORE_LOCAL_RESOLVER)) < 0 ||
	    (rc = dane_raw_tlsa(st, &q, data, len, 1, 0)) < 0 ||
	    (rc = dane_verify_crt_raw(st, chain, n, GNUTLS_CRT_X509, q, 0, 0,
	    &verify)) < 0) {
		r->dane = 0;
		text_set(r->dane_detail, sizeof(r->dane_detail), "%s",
		    dane_strerror(rc));
		goto done;
	}
	r->dane = verify == 0;
	if (verify) {
		gnutls_datum_t out;

		if (dane_verification_status_print(verify, &out, 0) == 0) {
			text_set(r->dane_detail, sizeof(r->dane_detail), "%s",
			    out.data);
			gnutls_free(out.data);
		}
	} else {
		text_set(r->dane_detail, sizeof(r->dane_detail), "a TLSA "
		    "record matches the certificate");
	}
done:
	if (q)
		dane_query_deinit(q);
	if (st)
		dane_state_deinit(st);
	for (i = 0; i < k; i++)
		free(data[i]);
}

static void
tls_probe(struct live_smtp *r, int fd, gnutls_certificate_credentials_t
	  cred, const char *host, const struct dns_answer *tlsa,
	  int64_t deadline)
{
	gnutls_session_t s = NULL;
	const gnutls_datum_t *chain;
	gnutls_x509_crt_t crt = NULL;
	unsigned status = 0, n = 0;
	int rc;

	if ((rc = gnutls_init(&s, GNUTLS_CLIENT)) < 0 ||
	    (rc = gnutls_set_default_priority(s)) < 0 ||
	    (rc = gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred)) < 0 ||
	    (rc = gnutls_server_name_set(s, GNUTLS_NAME_DNS, host,
	    strlen(host))) < 0) {
		text_set(r->error, sizeof(r->error), "TLS: %s",
		    gnutls_strerror(rc));
		goto done;
	}
	gnutls_transport_set_int(s, fd);
	gnutls_handshake_set_timeout(s, (unsigned)(deadline - clock_ms() > 1 ?
	    deadline - clock_ms() : 1));
	do {
		rc = gnutls_handshake(s);
	} while (rc < 0 && !gnutls_error_is_fatal(rc));
	if (rc < 0) {
		text_set(r->error, sizeof(r->error), "TLS handshake: %s",
		    gnutls_strerror(rc));
		goto done;
	}
	r->tls = 1;
	text_set(r->tls_version, sizeof(r->tls_version), "%s",
	    gnutls_protocol_get_name(gnutls_protocol_get_version(s)));

	/* The name is the MX host's (RFC 8461 4.2), never the address. */
	rc = gnutls_certificate_verify_peers3(s, host, &status);
	if (rc < 0) {
		r->cert_faults |= SMTP_CERT_OTHER;
		text_set(r->verify, sizeof(r->verify), "%s",
		    gnutls_strerror(rc));
	} else if (status) {
		gnutls_datum_t out;

		if (status & GNUTLS_CERT_EXPIRED)
			r->cert_faults |= SMTP_CERT_EXPIRED;
		if (status & GNUTLS_CERT_NOT_ACTIVATED)
			r->cert_faults |= SMTP_CERT_NOT_YET;
		if (status & GNUTLS_CERT_UNEXPECTED_OWNER)
			r->cert_faults |= SMTP_CERT_WRONG_NAME;
		if (status & GNUTLS_CERT_SIGNER_NOT_FOUND)
			r->cert_faults |= SMTP_CERT_UNTRUSTED;
		if (r->cert_faults == 0)
			r->cert_faults = SMTP_CERT_OTHER;
		if (gnutls_certificate_verification_status_print(status,
		    GNUTLS_CRT_X509, &out, 0) == 0) {
			size_t vl;

			text_set(r->verify, sizeof(r->verify), "%s", out.data);
			gnutls_free(out.data);
			vl = strlen(r->verify);
			while (vl > 0 && r->verify[vl - 1] == ' ')
				r->verify[--vl] = '\0';
		}
	}
	chain = gnutls_certificate_get_peers(s, &n);
	if (chain && n > 0 && gnutls_x509_crt_init(&crt) == 0 &&
	    gnutls_x509_crt_import(crt, &chain[0], GNUTLS_X509_FMT_DER) == 0)
		cert_info(r, crt);
	if (chain && n > 0 && tlsa && tlsa->n > 0)
		dane_match(r, chain, n, tlsa);

	/* QUIT inside TLS; the answer does not matter. */
	gnutls_record_set_timeout(s, 1000);
	gnutls_record_send(s, "QUIT\r\n", 6);
	gnutls_bye(s, GNUTLS_SHUT_WR);
done:
	if (crt)
		gnutls_x509_crt_deinit(crt);
	if (s)
		gnutls_deinit(s);
}

/*
 * Send the command verb (and its argument, or NULL) and read the reply
 * into reply: 0 when its code is want; -1 when the connection failed
 * (r->error says how), 1 when the server answered otherwise (r->error
 * has its first line): the caller says QUIT then.
 */
static int
command(int fd, const char *verb, const char *arg, int want,
	struct buf *reply, int64_t deadline, struct live_smtp *r)
{
	char line[300];
	int code;

	if (fmt_whole(line, sizeof(line), "%s%s%s\r\n", verb, arg ? " " : "",
	    arg ? arg : "") < 0 || send_all(fd, line) < 0) {
		text_set(r->error, sizeof(r->error), "cannot send %s", verb);
		return -1;
	}
	code = read_reply(fd, deadline, reply, r->error, sizeof(r->error));
	if (code < 0)
		return -1;
	if (code == want)
		return 0;
	first_line(line, sizeof(line), reply->data);
	text_set(r->error, sizeof(r->error), "%s: %s", verb, line);
	return 1;
}

int
live_smtp_probe(const struct live_options *o,
		gnutls_certificate_credentials_t cred, const char *host,
		const char *addr, int port, const struct dns_answer *tlsa,
		struct live_smtp *r, struct error *err)
{
	int64_t deadline = clock_ms() + (int64_t)o->smtp_timeout * 1000;
	struct buf reply;
	int fd, code;

	(void)err;
	memset(r, 0, sizeof(*r));
	r->dane = -1;
	text_set(r->address, sizeof(r->address), port == 25 ? "%s" :
	    strchr(addr, ':') ? "[%s]:%d" : "%s:%d", addr, port);
	buf_init(&reply, LIVE_SMTP_REPLY_MAX);
	if ((fd = dial(addr, port, deadline, r->error, sizeof(r->error))) < 0)
		goto done;
	r->connected = 1;
	code = read_reply(fd, deadline, &reply, r->error, sizeof(r->error));
	if (code < 0)
		goto done;
	first_line(r->banner, sizeof(r->banner), reply.data);
	if (code != 220) {
		text_set(r->error, sizeof(r->error), "greeting: %s", r->banner);
		goto quit;
	}
	code = command(fd, "EHLO", o->ehlo, 250, &reply, deadline, r);
	if (code == 0 && !(r->starttls_offered = ehlo_has(reply.data,
	    "STARTTLS")))
		goto quit;
	if (code == 0)
		code = command(fd, "STARTTLS", NULL, 220, &reply, deadline, r);
	if (code == 0) {
		tls_probe(r, fd, cred, host, tlsa, deadline);
		goto done;
	}
	if (code < 0)
		goto done;
quit:
	send_all(fd, "QUIT\r\n");
done:
	if (fd >= 0)
		close(fd);
	buf_release(&reply);
	return 0;
}
