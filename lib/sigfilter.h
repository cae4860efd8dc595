/*
 * sigfilter.h — the record filters of hive-sign: sign, verify, recover, hash.
 *
 * Ownership: a struct sigfilter owns its scratch buffers and a copy of the
 * secret key (wiped by sigfilter_free); option strings are borrowed and must
 * outlive it.
 */
#ifndef HIVE_SIGFILTER_H
#define HIVE_SIGFILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "eth.h"
#include "record.h"
#include "recsig.h"

enum sigfilter_mode { SIGFILTER_SIGN, SIGFILTER_VERIFY, SIGFILTER_RECOVER, SIGFILTER_HASH };

struct sigfilter {
	enum sigfilter_mode mode;
	char **types;               /* records of these types only; others pass untouched */
	size_t ntypes;              /* 0: every record */
	/* sign */
	uint8_t seckey[ETH_SECKEY_SIZE];
	bool resign;                /* replace an existing "sig" instead of rejecting the record */
	/* verify */
	uint8_t (*signers)[ETH_ADDR_SIZE];  /* accepted signers (any of them) */
	size_t nsigners;
	const char *signer_field;   /* the signer must equal this member of the record */
	bool require_sig;           /* an unsigned record is bad */
	/* recover, hash */
	const char *field;          /* name of the member added */
	/* scratch */
	struct recsig rs;
	struct buf out;
};

void sigfilter_init(struct sigfilter *f, enum sigfilter_mode mode);
void sigfilter_free(struct sigfilter *f);
/* The rec_handler for every mode; arg is the struct sigfilter. */
int sigfilter_handle(struct rec_loop *loop, const struct rec *r, void *arg);

#endif
