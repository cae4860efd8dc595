#include "recsig.h"

#include <string.h>

#include "hex.h"
#include "jcs.h"
#include "keccak.h"

void recsig_init(struct recsig *rs)
{
	memset(rs, 0, sizeof *rs);
}

void recsig_free(struct recsig *rs)
{
	buf_free(&rs->canon);
}

static int canonical_unsigned(struct recsig *rs, jv record, const char **why)
{
	buf_reset(&rs->canon);
	return jcs_append(&rs->canon, record, RECSIG_FIELD, why);
}

int recsig_hash(struct recsig *rs, uint8_t hash[32], jv record, const char **why)
{
	if (canonical_unsigned(rs, record, why) < 0)
		return -1;
	keccak256(rs->canon.data, rs->canon.len, hash);
	return 0;
}

int recsig_sign(struct recsig *rs, struct buf *out, jv record, const uint8_t seckey[ETH_SECKEY_SIZE], const char **why)
{
	uint8_t digest[32], sig[ETH_SIG_SIZE];
	char hex[2 + 2 * ETH_SIG_SIZE + 1] = "0x";

	if (canonical_unsigned(rs, record, why) < 0)
		return -1;
	eth_personal_hash(digest, rs->canon.data, rs->canon.len);
	if (eth_sign_hash(sig, digest, seckey) < 0) {
		*why = "invalid secret key";
		return -1;
	}
	hex_encode(sig, sizeof sig, hex + 2);
	jv signed_record = jv_object_set(jv_copy(record), jv_string(RECSIG_FIELD), jv_string(hex));
	int r = jcs_append(out, signed_record, NULL, why);
	jv_free(signed_record);
	return r;
}

enum recsig_status recsig_recover(struct recsig *rs, uint8_t addr[ETH_ADDR_SIZE], jv record, const char **why)
{
	uint8_t digest[32], sig[ETH_SIG_SIZE];
	enum recsig_status st = RECSIG_OK;
	jv field = jv_object_get(jv_copy(record), jv_string(RECSIG_FIELD));

	if (!jv_is_valid(field)) {
		*why = "record is not signed";
		st = RECSIG_UNSIGNED;
	} else if (jv_get_kind(field) != JV_KIND_STRING) {
		*why = "\"sig\" is not a string";
		st = RECSIG_MALFORMED;
	} else {
		const char *s = jv_string_value(field);
		size_t len = (size_t)jv_string_length_bytes(jv_copy(field));
		if (len != 2 + 2 * ETH_SIG_SIZE || s[0] != '0' || s[1] != 'x' ||
		    hex_decode(s, len, sig, sizeof sig) < 0) {
			*why = len < 2 + 2 * ETH_SIG_SIZE ? "\"sig\" is truncated: want 0x and 130 hex digits"
			                                   : "\"sig\" is not 0x and 130 hex digits";
			st = RECSIG_MALFORMED;
		}
	}
	jv_free(field);
	if (st != RECSIG_OK)
		return st;
	if (canonical_unsigned(rs, record, why) < 0)
		return RECSIG_MALFORMED;
	eth_personal_hash(digest, rs->canon.data, rs->canon.len);
	enum eth_sig_status es = eth_recover(addr, digest, sig);
	if (es != ETH_SIG_OK) {
		*why = eth_sig_status_str(es);
		return RECSIG_INVALID;
	}
	return RECSIG_OK;
}
