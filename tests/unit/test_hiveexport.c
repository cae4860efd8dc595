/*
 * test_hiveexport.c — reading `hive-beekeeper export`: the hive, its
 * stablecoin and members; revoked meters left out; every malformed export
 * refused with one diagnostic naming the line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "diag.h"
#include "hiveexport.h"

#define HEAD "{\"type\":\"hive_export\",\"hive\":3,\"owner\":\"0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F\"," \
	     "\"coin\":\"0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48\",\"coin_code\":\"USDC\",\"coin_decimals\":6," \
	     "\"ledger_head\":\"0x0000000000000000000000000000000000000000000000000000000000000001\"}\n"
#define M1 "{\"type\":\"member\",\"hive\":3,\"meter\":\"0x00000000000000000000000000000000000000a1\",\"status\":\"certified\"}\n"
#define M2 "{\"type\":\"member\",\"hive\":3,\"meter\":\"0x00000000000000000000000000000000000000a2\",\"status\":\"revoked\"}\n"
#define M3 "{\"type\":\"member\",\"hive\":3,\"meter\":\"0x00000000000000000000000000000000000000a3\",\"status\":\"online\"}\r\n"

static char diag[512];

/* Parses text; returns the exit code, the diagnostic in diag. */
static int parse(struct hive_export *h, const char *text)
{
	FILE *f = fmemopen(diag, sizeof diag, "w");
	diag_redirect(f);
	memset(diag, 0, sizeof diag);
	int rc = hive_export_parse(h, "x.ndjson", text, strlen(text));
	fclose(f);
	diag_redirect(NULL);
	return rc;
}

static void refused(const char *text, const char *want)
{
	struct hive_export h;
	CHECK(parse(&h, text) == HIVE_EINPUT);
	CHECK(strstr(diag, want) != NULL);
	if (!strstr(diag, want))
		fprintf(stderr, "  diagnostic: %s  wanted: %s\n", diag, want);
	CHECK(h.members == NULL && h.nmembers == 0);
}

int main(void)
{
	struct hive_export h;
	CHECK(parse(&h, HEAD M1 M2 "\n" M3) == HIVE_OK);
	CHECK_INTEQ(h.hive, 3);
	CHECK_INTEQ(h.decimals, 6);
	CHECK_STREQ(h.coin_code, "USDC");
	CHECK_INTEQ(h.nmembers, 2);
	CHECK_INTEQ(h.nrevoked, 1);
	CHECK(h.members[0][19] == 0xa1 && h.members[1][19] == 0xa3);
	CHECK_STREQ(diag, "");
	hive_export_free(&h);

	refused("", "line 1: no 'hive_export' record");
	refused(M1, "line 1: the first record is not 'hive_export'");
	refused(HEAD HEAD, "line 2: a second 'hive_export' record");
	refused(HEAD M1 M1, "line 3: the meter is listed twice");
	refused(HEAD M2 M2, "line 3: the meter is listed twice");
	refused(HEAD "{\"type\":\"member\",\"hive\":4,\"meter\":\"0x00000000000000000000000000000000000000a1\",\"status\":\"x\"}",
	        "line 2: a member of another hive");
	refused(HEAD "{\"type\":\"member\",\"hive\":3,\"meter\":\"0x00000000000000000000000000000000000000g1\",\"status\":\"x\"}",
	        "line 2: no valid 'meter' address");
	refused(HEAD "{\"type\":\"note\"}", "line 2: neither 'hive_export' nor 'member'");
	refused("{\"type\":\"hive_export\",\"hive\":0}", "line 1: no valid 'hive' id");
	refused("{\"type\":\"hive_export\" \"hive\":1}", "line 1:");
	return check_done("test_hiveexport");
}
