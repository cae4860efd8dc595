#include "sigfilter.h"

#include <stdio.h>
#include <string.h>

#include "hex.h"
#include "jcs.h"
#include "secret.h"

void sigfilter_init(struct sigfilter *f, enum sigfilter_mode mode)
{
	memset(f, 0, sizeof *f);
	f->mode = mode;
	recsig_init(&f->rs);
}

void sigfilter_free(struct sigfilter *f)
{
	secret_wipe(f->seckey, sizeof f->seckey);
	recsig_free(&f->rs);
	buf_free(&f->out);
}

static bool selected(const struct sigfilter *f, const struct rec *r)
{
	const char *type;

	if (f->ntypes == 0)
		return true;
	type = rec_type(r);
	if (type == NULL)
		return false;
	for (size_t i = 0; i < f->ntypes; i++)
		if (strcmp(type, f->types[i]) == 0)
			return true;
	return false;
}

static bool has_sig(const struct rec *r)
{
	return jv_object_has(jv_copy(r->value), jv_string(RECSIG_FIELD));
}

static int sign_record(struct sigfilter *f, struct rec_loop *loop, const struct rec *r)
{
	const char *why;

	if (has_sig(r) && !f->resign) {
		rec_reject(loop, r, "record is already signed (use --resign to replace its signature)");
		return -1;
	}
	buf_reset(&f->out);
	if (recsig_sign(&f->rs, &f->out, r->value, f->seckey, &why) < 0) {
		rec_reject(loop, r, "cannot sign: %s", why);
		return -1;
	}
	return rec_write(loop, f->out.data, f->out.len);
}

static bool signer_accepted(const struct sigfilter *f, const uint8_t addr[ETH_ADDR_SIZE])
{
	for (size_t i = 0; i < f->nsigners; i++)
		if (memcmp(f->signers[i], addr, ETH_ADDR_SIZE) == 0)
			return true;
	return false;
}

/* Checks the signer against --signer-field; returns NULL when it matches, else the reason. */
static const char *signer_field_mismatch(const struct sigfilter *f, const struct rec *r,
                                         const uint8_t addr[ETH_ADDR_SIZE], char *why, size_t size)
{
	const char *value = rec_string(r, f->signer_field);
	uint8_t want[ETH_ADDR_SIZE];
	enum eth_addr_status st;

	if (value == NULL) {
		snprintf(why, size, "field '%s' is missing or not a string", f->signer_field);
		return why;
	}
	st = eth_address_parse(want, value, strlen(value));
	if (st != ETH_ADDR_OK) {
		snprintf(why, size, "field '%s': %s", f->signer_field, eth_addr_status_str(st));
		return why;
	}
	if (memcmp(want, addr, ETH_ADDR_SIZE) != 0) {
		char got[ETH_ADDR_STRLEN + 1];
		eth_address_format(got, addr);
		snprintf(why, size, "signature is by %s, not by field '%s' (%s)", got, f->signer_field, value);
		return why;
	}
	return NULL;
}

static int verify_record(struct sigfilter *f, struct rec_loop *loop, const struct rec *r)
{
	uint8_t addr[ETH_ADDR_SIZE];
	const char *why;
	char reason[256];
	enum recsig_status st = recsig_recover(&f->rs, addr, r->value, &why);

	if (st == RECSIG_UNSIGNED) {
		if (f->require_sig) {
			rec_reject(loop, r, "record is not signed");
			return -1;
		}
		return rec_pass(loop, r);
	}
	if (st != RECSIG_OK) {
		rec_reject(loop, r, "%s", why);
		return -1;
	}
	if (f->nsigners > 0 && !signer_accepted(f, addr)) {
		char got[ETH_ADDR_STRLEN + 1];
		eth_address_format(got, addr);
		rec_reject(loop, r, "signature is by %s, not by an accepted signer (--signer)", got);
		return -1;
	}
	if (f->signer_field != NULL && signer_field_mismatch(f, r, addr, reason, sizeof reason) != NULL) {
		rec_reject(loop, r, "%s", reason);
		return -1;
	}
	return rec_pass(loop, r);
}

/* Writes the record in canonical form with one string member added. */
static int write_with_field(struct sigfilter *f, struct rec_loop *loop, const struct rec *r, const char *value)
{
	const char *why;
	jv out;
	int ok;

	/* Replacing a member the record already has would change what it says (and its hash). */
	if (jv_object_has(jv_copy(r->value), jv_string(f->field))) {
		rec_reject(loop, r, "record already has a member '%s' (name another with --field)", f->field);
		return -1;
	}
	out = jv_object_set(jv_copy(r->value), jv_string(f->field), jv_string(value));
	buf_reset(&f->out);
	ok = jcs_append(&f->out, out, NULL, &why);
	jv_free(out);
	if (ok < 0) {
		rec_reject(loop, r, "cannot canonicalise: %s", why);
		return -1;
	}
	return rec_write(loop, f->out.data, f->out.len);
}

static int recover_record(struct sigfilter *f, struct rec_loop *loop, const struct rec *r)
{
	uint8_t addr[ETH_ADDR_SIZE];
	char text[ETH_ADDR_STRLEN + 1];
	const char *why;

	if (recsig_recover(&f->rs, addr, r->value, &why) != RECSIG_OK) {
		rec_reject(loop, r, "%s", why);
		return -1;
	}
	eth_address_format(text, addr);
	return write_with_field(f, loop, r, text);
}

static int hash_record(struct sigfilter *f, struct rec_loop *loop, const struct rec *r)
{
	uint8_t hash[32];
	char text[2 + 64 + 1] = "0x";
	const char *why;

	if (recsig_hash(&f->rs, hash, r->value, &why) < 0) {
		rec_reject(loop, r, "cannot canonicalise: %s", why);
		return -1;
	}
	hex_encode(hash, sizeof hash, text + 2);
	return write_with_field(f, loop, r, text);
}

int sigfilter_handle(struct rec_loop *loop, const struct rec *r, void *arg)
{
	struct sigfilter *f = arg;

	if (!selected(f, r))
		return rec_pass(loop, r);
	switch (f->mode) {
	case SIGFILTER_SIGN: return sign_record(f, loop, r);
	case SIGFILTER_VERIFY: return verify_record(f, loop, r);
	case SIGFILTER_RECOVER: return recover_record(f, loop, r);
	case SIGFILTER_HASH: return hash_record(f, loop, r);
	}
	return -1;
}
