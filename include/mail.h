/*
 * mail: report emails (RFC 8460 section 5) to report payloads, with GMime.
 *
 * mail_parse() takes one message as bytes and finds its report parts
 * (doc/mail.md): first by media type (application/tlsrpt+gzip,
 * application/tlsrpt+json, any case), else by a file name ending .json.gz
 * or .json, else by sniffing gzip or '{'. text/plain and text/html parts
 * are never reports. A report forwarded as an attached message/rfc822 is
 * found inside it; a report that is the whole body of the message is found
 * too. It copes with folded headers, white space before a fold, a missing
 * closing boundary, LF or CRLF, base64 or quoted-printable.
 *
 * The payloads are handed back decoded from their transfer encoding but
 * still as sent (gzip or JSON): the caller puts them through the same
 * pipeline as files and HTTP bodies. A message owns its parts' bytes and
 * strings; mail_release() frees them.
 */
#ifndef TLSRPT_MAIL_H
#define TLSRPT_MAIL_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "bounds.h"
#include "error.h"

struct mail_part {
	unsigned char *data;	/* transfer-decoded bytes; owned */
	size_t len;
	char *content_type;	/* "application/tlsrpt+gzip", ... */
	char *filename;		/* attachment file name, or NULL */
};

struct mail_message {
	char *message_id;	/* without <>, or NULL */
	char *subject;		/* decoded, or NULL */
	char *date;		/* the Date header as sent, or NULL */
	int64_t date_t;		/* the Date header in Unix seconds, or -1 */
	char *report_domain;	/* TLS-Report-Domain, or NULL */
	char *report_submitter;	/* TLS-Report-Submitter, or NULL */
	char *from;		/* the From address, or NULL */
	struct mail_part parts[MAIL_PARTS_MAX];
	size_t nparts;
	size_t nleft;		/* named report parts beyond MAIL_PARTS_MAX */
	void *priv;		/* private: the parsed GMime message */
	struct arena strings;	/* private: the strings above and the
				 * parts' names, freed together */
};

/* Start GMime once per process (idempotent, not thread-safe). */
void mail_init(void);

/*
 * Parse one message of len bytes into m. Returns 0 (nparts may be 0: not a
 * report), or -1 with ERR_INPUT when the bytes are not a message at all, or
 * ERR_TOO_BIG when a decoded part exceeds part_max bytes.
 */
int mail_parse(const void *bytes, size_t len, size_t part_max,
	       struct mail_message *m, struct error *err);

/*
 * Free the parsed message tree, keeping the strings and parts copied from
 * it; mail_dkim_verify() fails afterwards. For a caller done with the
 * headers, so that the tree is freed by the thread that built it.
 */
void mail_forget_tree(struct mail_message *m);

/* Free what mail_parse() allocated. Safe on a zeroed message. */
void mail_release(struct mail_message *m);

/*
 * The DKIM rule of doc/mail.md (RFC 8601, RFC 8460 section 5.3):
 * only the topmost Authentication-Results header whose authserv-id is
 * authserv_id counts (the border MTA's; those below it may come from the
 * sender), and in it only a dkim=pass whose header.d (or, without it, the
 * domain of header.i) is the From: domain or a parent of it. 0 with that
 * domain in domain (len bytes, lower case): the reporter's verified
 * identity. -1 with ERR_INPUT and a reason that names the rule that
 * failed. Needs the message tree (before mail_forget_tree()).
 */
int mail_dkim_verify(const struct mail_message *m, const char *authserv_id,
		     char *domain, size_t len, struct error *err);

/*
 * Do these bytes look like a message (a header block of "Name: value"
 * lines)? Used to tell a message on stdin from a report.
 */
int mail_sniff(const void *bytes, size_t len);

#endif
