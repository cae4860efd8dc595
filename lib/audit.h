/*
 * audit.h — re-checking a settlement archive from its archived inputs: the
 * hive's export, its tariff, the Workers' signed intervals and bids.
 *
 * Every line of the archive must name the keccak256 of the line before it
 * in "prev" (zeros for the first) and be signed by the Queen. Then each
 * period the archive holds (its Worker records and the hive record that
 * closes it) is derived again, the way hive-clear and hive-settle derive
 * it: the period's intervals are cleared under the rule, fees, missing
 * policy and slot length its hive record names, with the tariff given,
 * and settled after the archive lines before it. Each derived record must
 * equal the archived one, byte for byte in RFC 8785 form, apart from
 * "prev" and "sig", which the chain and signature checks cover.
 *
 * Each period is derived with the export whose ledger_head its hive record
 * names (one export per registry state the archive went through), and with
 * the bids found among the bid files and the interval files.
 *
 * A period is cleared on its own ([period_start, period_end)), as
 * `hive-clear --from --to` clears it; an archive made from clearings over
 * longer spans re-derives the same unless an interval was refused as out
 * of order because of an interval outside the period.
 *
 * Ownership: everything in the configuration is borrowed.
 */
#ifndef HIVE_AUDIT_H
#define HIVE_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "hiveexport.h"

struct audit_config {
	const struct hive_export *const *exports;   /* one or more: each period uses the one of its ledger head */
	size_t nexports;
	const char *tariff_file;
	const char *archive_file;
	const uint8_t *queen;                 /* the address every archive line must be signed by */
	const char *const *bid_files;
	size_t nbid_files;
	const char *const *interval_files;    /* none: standard input */
	size_t ninterval_files;
};

/*
 * Runs the audit. Prints one "audit" record on standard output and returns
 * HIVE_OK when everything matches. Otherwise one diagnostic names the first
 * problem — the archive line, the record (Worker or hive, period) and the
 * field that differs, with both values — and the return is HIVE_EAUTH for a
 * broken chain or a bad, missing or foreign signature, HIVE_ERULE for a
 * record that differs from its re-derivation, HIVE_EINPUT for inputs that
 * cannot be read or an archive that cannot be parsed.
 */
int audit_run(const struct audit_config *cfg);

#endif
