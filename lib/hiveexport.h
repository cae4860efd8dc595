/*
 * hiveexport.h — a hive as `hive-beekeeper export` describes it: one
 * "hive_export" record (the hive's id, owner, stablecoin and its decimals,
 * the ledger head it was taken at) followed by one "member" record per
 * meter. hive-clear takes its members from it, hive-settle its stablecoin,
 * and an audit the same file from the archive.
 *
 * Members whose meter is revoked are left out: a revoked meter's key is no
 * longer trusted to sign what it metered. Other statuses are members.
 *
 * Ownership: struct hive_export owns its member list (hive_export_free).
 */
#ifndef HIVE_HIVEEXPORT_H
#define HIVE_HIVEEXPORT_H

#include <stddef.h>
#include <stdint.h>

struct hive_export {
	uint32_t hive;
	uint8_t owner[20];
	uint8_t coin[20];
	char coin_code[16];
	unsigned decimals;
	char ledger_head[67];        /* "0x" and 64 hex digits, as exported */
	size_t nmembers;
	uint8_t (*members)[20];      /* in the file's order (sorted by address) */
	size_t nrevoked;             /* members listed but left out */
};

/*
 * Reads the export at path. Returns HIVE_OK, or HIVE_EINPUT after one
 * diagnostic naming the file, the line and what is wrong (no hive_export
 * record first, a second hive, a member of another hive, a repeated meter,
 * a malformed field).
 */
int hive_export_load(struct hive_export *h, const char *path);

/* The same over text[0..len), which name stands for in diagnostics. */
int hive_export_parse(struct hive_export *h, const char *name, const char *text, size_t len);

void hive_export_free(struct hive_export *h);

#endif
