# Dovecot Pigeonhole: hand TLS report emails (RFC 8460) to tlsrpt-import.
#
# A report email carries a TLS-Report-Domain header (RFC 8460 5.3) and a
# Content-Type of multipart/report; report-type=tlsrpt, or of
# application/tlsrpt+gzip / +json when the report is the whole body.
#
# The "pipe" extension of Pigeonhole runs programs from one folder only;
# enable it in the Dovecot configuration (conf.d/90-sieve.conf and
# 90-sieve-extprograms.conf):
#
#   plugin {
#     sieve_plugins = sieve_extprograms
#     sieve_global_extensions = +vnd.dovecot.pipe
#     sieve_pipe_bin_dir = /usr/lib/dovecot/sieve-pipe
#   }
#
# and link the program there:
#
#   ln -s /usr/local/bin/tlsrpt-import /usr/lib/dovecot/sieve-pipe/
#
# The program runs as the mail user, who needs write access to the store
# (or point --db at a store of its own). tlsrpt-import exits 0 for
# accepted, duplicate or not-a-report, 65 when it rejected the report (kept
# in its quarantine), 75 when the store was busy, 64 usage, 66 cannot open.
#
# A copy is filed into the folder "TLS Reports" whatever the outcome
# (":copy" keeps the message, ":try" goes on when the program fails): a
# report that met a busy store is not lost and can be imported again with
#   tlsrpt-import ~/Maildir/.TLS\ Reports

require ["vnd.dovecot.pipe", "copy", "fileinto", "mailbox"];

if anyof (exists "TLS-Report-Domain",
          header :contains "Content-Type" "tlsrpt") {
	pipe :copy :try "tlsrpt-import" ["-"];
	fileinto :create "TLS Reports";
	stop;
}
