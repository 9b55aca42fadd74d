/* version: the release of tlsrptd and its tools. */
#ifndef TLSRPT_VERSION_H
#define TLSRPT_VERSION_H

#define TLSRPT_VERSION "0.1.0"

#endif
