#include "eip712.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "eth.h"
#include "hex.h"
#include "keccak.h"

/* Longest piece of input quoted in a message: enough to recognise it. */
#define QUOTE_MAX 80

/*
 * A view of a jv string's bytes. It stays valid while any reference to that
 * string lives: the type table and the input are held for the whole call, so
 * views of type and field names can outlive the jv they were read from.
 */
struct str {
	const char *p;
	size_t n;
};

struct ctx {
	jv types;         /* owned: the input's "types", plus a derived EIP712Domain */
	jv type_hashes;   /* owned cache: struct name -> typeHash in hex */
	struct buf path;  /* the value being encoded, e.g. "message.to[0].wallet" */
	struct buf *err;
	int depth;
};

enum atom {
	ATOM_NONE,     /* not atomic: a struct name (or undefined) */
	ATOM_BAD,      /* looks atomic but is not an EIP-712 type: uint7, bytes33, int */
	ATOM_BOOL,
	ATOM_ADDRESS,
	ATOM_STRING,
	ATOM_BYTES,
	ATOM_BYTESN,
	ATOM_UINT,
	ATOM_INT
};

static struct str str_of(jv s)
{
	return (struct str){ jv_string_value(s), (size_t)jv_string_length_bytes(jv_copy(s)) };
}

static struct str str_lit(const char *s)
{
	return (struct str){ s, strlen(s) };
}

static int str_is(struct str s, const char *lit)
{
	return s.n == strlen(lit) && memcmp(s.p, lit, s.n) == 0;
}

static int str_cmp(const void *a, const void *b)
{
	const struct str *x = a, *y = b;
	int r = memcmp(x->p, y->p, x->n < y->n ? x->n : y->n);

	return r ? r : (x->n > y->n) - (x->n < y->n);
}

/* printf arguments for "%.*s" quoting at most QUOTE_MAX bytes of s. */
#define Q(s) ((s).n > QUOTE_MAX ? QUOTE_MAX : (int)(s).n), (s).p

/* ---- diagnostics ---- */

static void vappend(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void vappend(struct buf *b, const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof msg, fmt, ap);
	buf_puts(b, msg);
}

/* A fault of the type table: reported without a value path. */
static int fail(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vappend(c->err, fmt, ap);
	va_end(ap);
	return -1;
}

/* A fault of the value being encoded: reported after its path. */
static int fail_at(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail_at(struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->path.len)
		buf_printf(c->err, "%s: ", c->path.data);
	va_start(ap, fmt);
	vappend(c->err, fmt, ap);
	va_end(ap);
	return -1;
}

static size_t path_push_field(struct ctx *c, struct str name)
{
	size_t mark = c->path.len;

	buf_putc(&c->path, '.');
	buf_append(&c->path, name.p, name.n);
	return mark;
}

static size_t path_push_index(struct ctx *c, int i)
{
	size_t mark = c->path.len;

	buf_printf(&c->path, "[%d]", i);
	return mark;
}

static void path_cut(struct ctx *c, size_t mark)
{
	c->path.len = mark;
	c->path.data[mark] = '\0';
}

/* Bounds the recursion through nested structs and arrays. */
static int enter(struct ctx *c)
{
	if (c->depth >= EIP712_MAX_DEPTH)
		return fail_at(c, "nested deeper than %d structs and arrays", EIP712_MAX_DEPTH);
	c->depth++;
	return 0;
}

/* ---- jv access ---- */

/* obj[key] as a new reference; invalid when obj is not an object or lacks key. */
static jv member(jv obj, struct str key)
{
	if (jv_get_kind(obj) != JV_KIND_OBJECT)
		return jv_invalid();
	return jv_object_get(jv_copy(obj), jv_string_sized(key.p, (int)key.n));
}

static int has_member(jv obj, struct str key)
{
	return jv_object_has(jv_copy(obj), jv_string_sized(key.p, (int)key.n));
}

/* Field i of a struct's field list; -1 unless it is {"name": string, "type": string}. */
static int field_at(jv fields, int i, struct str *name, struct str *type)
{
	jv f = jv_array_get(jv_copy(fields), i);
	jv n = member(f, str_lit("name"));
	jv t = member(f, str_lit("type"));
	int ok = jv_get_kind(n) == JV_KIND_STRING && jv_get_kind(t) == JV_KIND_STRING;

	if (ok) {
		*name = str_of(n);
		*type = str_of(t);
		ok = name->n > 0 && type->n > 0;
	}
	jv_free(n);
	jv_free(t);
	jv_free(f);
	return ok ? 0 : -1;
}

/* ---- type names ---- */

/* The canonical decimal width after an atomic prefix ("256" of "uint256"); 0 if there is none. */
static unsigned width_of(struct str digits)
{
	unsigned w = 0;

	if (digits.n == 0 || digits.n > 3 || digits.p[0] == '0')
		return 0;
	for (size_t i = 0; i < digits.n; i++) {
		if (digits.p[i] < '0' || digits.p[i] > '9')
			return 0;
		w = w * 10 + (unsigned)(digits.p[i] - '0');
	}
	return w;
}

static int all_digits(struct str s)
{
	for (size_t i = 0; i < s.n; i++)
		if (s.p[i] < '0' || s.p[i] > '9')
			return 0;
	return 1;
}

/* Splits a prefix off t: 1 and the rest when t starts with it. */
static int strip_prefix(struct str t, const char *prefix, struct str *rest)
{
	size_t n = strlen(prefix);

	if (t.n < n || memcmp(t.p, prefix, n) != 0)
		return 0;
	*rest = (struct str){ t.p + n, t.n - n };
	return 1;
}

/* intN / uintN, N = 8…256 in steps of 8; bare "int" and "uint" are refused: signers disagree on their type hash. */
static enum atom int_atom(struct str digits, enum atom kind, unsigned *width)
{
	if (!all_digits(digits))
		return ATOM_NONE;
	*width = width_of(digits);
	return *width >= 8 && *width <= 256 && *width % 8 == 0 ? kind : ATOM_BAD;
}

static enum atom atom_of(struct str t, unsigned *width)
{
	struct str rest;

	*width = 0;
	if (str_is(t, "bool"))
		return ATOM_BOOL;
	if (str_is(t, "address"))
		return ATOM_ADDRESS;
	if (str_is(t, "string"))
		return ATOM_STRING;
	if (str_is(t, "bytes"))
		return ATOM_BYTES;
	if (strip_prefix(t, "uint", &rest))
		return int_atom(rest, ATOM_UINT, width);
	if (strip_prefix(t, "int", &rest))
		return int_atom(rest, ATOM_INT, width);
	if (strip_prefix(t, "bytes", &rest) && all_digits(rest)) {
		*width = width_of(rest);
		return *width >= 1 && *width <= 32 ? ATOM_BYTESN : ATOM_BAD;
	}
	return ATOM_NONE;
}

/*
 * "T[k]" gives element type "T" and count k, "T[]" count -1 (the last
 * brackets are the outermost array). Returns 1 for an array type, 0 for any
 * other type, -1 when the brackets are malformed.
 */
static int array_split(struct str t, struct str *elem, long *count)
{
	if (t.n == 0 || t.p[t.n - 1] != ']')
		return memchr(t.p, '[', t.n) || memchr(t.p, ']', t.n) ? -1 : 0;
	size_t open = t.n - 1;
	while (open > 0 && t.p[open] != '[')
		open--;
	struct str digits = { t.p + open + 1, t.n - open - 2 };
	if (t.p[open] != '[' || open == 0 || !all_digits(digits) || digits.n > 9)
		return -1;
	*elem = (struct str){ t.p, open };
	*count = digits.n ? strtol(digits.p, NULL, 10) : -1;
	return 1;
}

/* The type with every array suffix removed, or -1 when the brackets are malformed. */
static int base_type(struct str t, struct str *base)
{
	long count;
	int r;

	while ((r = array_split(t, &t, &count)) == 1)
		;
	*base = t;
	return r;
}

/* ---- encodeType and typeHash ---- */

static int fail_bad_atom(struct ctx *c, struct str type)
{
	return fail(c, "type '%.*s' is not an EIP-712 type (integers are int8…int256 and uint8…uint256 "
	            "in steps of 8, fixed byte arrays bytes1…bytes32)", Q(type));
}

/* Checks a struct's field list: {name, type} strings, names unique. */
static int check_fields(struct ctx *c, struct str type, jv fields)
{
	int n = jv_array_length(jv_copy(fields));
	jv seen = jv_object();
	int rc = 0;

	for (int i = 0; rc == 0 && i < n; i++) {
		struct str fname, ftype;
		if (field_at(fields, i, &fname, &ftype) < 0) {
			rc = fail(c, "type '%.*s': field %d is not {\"name\": string, \"type\": string}", Q(type), i);
		} else if (has_member(seen, fname)) {
			rc = fail(c, "type '%.*s': field '%.*s' is declared twice", Q(type), Q(fname));
		} else {
			seen = jv_object_set(seen, jv_string_sized(fname.p, (int)fname.n), jv_true());
		}
	}
	jv_free(seen);
	return rc;
}

/* The checked field list of struct type name (a new reference), or invalid with err set. */
static jv struct_fields(struct ctx *c, struct str name)
{
	jv fields = member(c->types, name);

	if (!jv_is_valid(fields)) {
		fail(c, "type '%.*s' is not defined", Q(name));
		return fields;
	}
	if (jv_get_kind(fields) != JV_KIND_ARRAY) {
		jv_free(fields);
		fail(c, "type '%.*s' is not an array of {name, type} fields", Q(name));
		return jv_invalid();
	}
	if (check_fields(c, name, fields) < 0) {
		jv_free(fields);
		return jv_invalid();
	}
	return fields;
}

/* Queues the struct types that the fields of type refer to and that are not yet seen. */
static int queue_children(struct ctx *c, struct str type, jv *seen, jv *queue)
{
	jv fields = struct_fields(c, type);
	int n = jv_is_valid(fields) ? jv_array_length(jv_copy(fields)) : 0;
	int rc = jv_is_valid(fields) ? 0 : -1;

	for (int i = 0; rc == 0 && i < n; i++) {
		struct str fname, ftype, base;
		unsigned width;
		field_at(fields, i, &fname, &ftype);
		if (base_type(ftype, &base) < 0) {
			rc = fail(c, "type '%.*s': field '%.*s' has malformed array brackets in '%.*s'",
			          Q(type), Q(fname), Q(ftype));
			break;
		}
		enum atom a = atom_of(base, &width);
		if (a == ATOM_BAD)
			rc = fail_bad_atom(c, base);
		if (a != ATOM_NONE || has_member(*seen, base))
			continue;
		if (!has_member(c->types, base)) {
			rc = fail(c, "type '%.*s' is not defined (field '%.*s' of '%.*s')", Q(base), Q(fname), Q(type));
			break;
		}
		*seen = jv_object_set(*seen, jv_string_sized(base.p, (int)base.n), jv_true());
		*queue = jv_array_append(*queue, jv_string_sized(base.p, (int)base.n));
	}
	jv_free(fields);
	return rc;
}

/* Every struct type reachable from primary, primary first (cycles allowed, each type once). */
static int collect_types(struct ctx *c, struct str primary, jv *queue)
{
	jv seen = jv_object_set(jv_object(), jv_string_sized(primary.p, (int)primary.n), jv_true());
	int rc = 0;

	*queue = jv_array_append(jv_array(), jv_string_sized(primary.p, (int)primary.n));
	for (int i = 0; rc == 0 && i < jv_array_length(jv_copy(*queue)); i++) {
		jv t = jv_array_get(jv_copy(*queue), i);
		rc = queue_children(c, str_of(t), &seen, queue);
		jv_free(t);
	}
	jv_free(seen);
	return rc;
}

/* "Name(type1 name1,type2 name2)", with the types as written. */
static int append_signature(struct ctx *c, struct str name, struct buf *sig)
{
	jv fields = struct_fields(c, name);

	if (!jv_is_valid(fields))
		return -1;
	buf_append(sig, name.p, name.n);
	buf_putc(sig, '(');
	for (int i = 0; i < jv_array_length(jv_copy(fields)); i++) {
		struct str fname, ftype;
		field_at(fields, i, &fname, &ftype);
		if (i)
			buf_putc(sig, ',');
		buf_append(sig, ftype.p, ftype.n);
		buf_putc(sig, ' ');
		buf_append(sig, fname.p, fname.n);
	}
	buf_putc(sig, ')');
	jv_free(fields);
	return 0;
}

/* encodeType: the primary type's signature, then those of the structs it reaches, sorted by name. */
static int encode_type(struct ctx *c, struct str primary, struct buf *sig)
{
	jv queue = jv_invalid();
	int rc = collect_types(c, primary, &queue);
	int n = jv_array_length(jv_copy(queue)) - 1;
	struct str *deps = xcalloc(n > 0 ? (size_t)n : 1, sizeof *deps);

	for (int i = 0; i < n; i++) {
		jv t = jv_array_get(jv_copy(queue), i + 1);
		deps[i] = str_of(t); /* kept alive by queue */
		jv_free(t);
	}
	if (n > 1)
		qsort(deps, (size_t)n, sizeof *deps, str_cmp);
	if (rc == 0)
		rc = append_signature(c, primary, sig);
	for (int i = 0; rc == 0 && i < n; i++)
		rc = append_signature(c, deps[i], sig);
	free(deps);
	jv_free(queue);
	return rc;
}

/* typeHash = keccak256(encodeType), computed once per struct type. */
static int type_hash(struct ctx *c, struct str name, uint8_t out[32])
{
	jv cached = member(c->type_hashes, name);
	struct buf sig = BUF_INIT;
	char hex[65];

	if (jv_get_kind(cached) == JV_KIND_STRING) {
		hex_decode(jv_string_value(cached), 64, out, 32);
		jv_free(cached);
		return 0;
	}
	jv_free(cached);
	if (encode_type(c, name, &sig) < 0) {
		buf_free(&sig);
		return -1;
	}
	keccak256(sig.data, sig.len, out);
	buf_free(&sig);
	hex_encode(out, 32, hex);
	c->type_hashes = jv_object_set(c->type_hashes, jv_string_sized(name.p, (int)name.n), jv_string(hex));
	return 0;
}

/* ---- 256-bit integers, big-endian ---- */

/* v = v * mul + add; returns 1 when the result does not fit in 256 bits. */
static int u256_mul_add(uint8_t v[32], unsigned mul, unsigned add)
{
	unsigned carry = add;

	for (int i = 31; i >= 0; i--) {
		unsigned x = v[i] * mul + carry;
		v[i] = (uint8_t)x;
		carry = x >> 8;
	}
	return carry != 0;
}

/* Two's complement: v = 2^256 - v. */
static void u256_negate(uint8_t v[32])
{
	unsigned carry = 1;

	for (int i = 31; i >= 0; i--) {
		unsigned x = (uint8_t)~v[i] + carry;
		v[i] = (uint8_t)x;
		carry = x >> 8;
	}
}

static unsigned u256_bitlen(const uint8_t v[32])
{
	for (int i = 0; i < 32; i++) {
		if (v[i] == 0)
			continue;
		unsigned bits = 0;
		for (unsigned b = v[i]; b; b >>= 1)
			bits++;
		return (unsigned)(31 - i) * 8 + bits;
	}
	return 0;
}

static int u256_is_pow2(const uint8_t v[32])
{
	int ones = 0;

	for (int i = 0; i < 32; i++)
		ones += __builtin_popcount(v[i]);
	return ones == 1;
}

/* Parses [-]decimal or [-]0x-hex. Returns 0, -1 on bad syntax, -2 past 256 bits. */
static int u256_parse(struct str s, uint8_t mag[32], int *neg)
{
	size_t i = 0;
	unsigned base = 10;

	memset(mag, 0, 32);
	*neg = s.n > 0 && s.p[0] == '-';
	i = (size_t)*neg;
	if (s.n - i >= 2 && s.p[i] == '0' && (s.p[i + 1] == 'x' || s.p[i + 1] == 'X')) {
		base = 16;
		i += 2;
	}
	if (i == s.n)
		return -1;
	for (; i < s.n; i++) {
		int d = hex_digit((unsigned char)s.p[i]);
		if (d < 0 || (unsigned)d >= base)
			return -1;
		if (u256_mul_add(mag, base, (unsigned)d))
			return -2;
	}
	return 0;
}

/* True when ±mag fits intN (is_signed) or uintN. */
static int int_fits(const uint8_t mag[32], int neg, int is_signed, unsigned width)
{
	unsigned bits = u256_bitlen(mag);

	if (!is_signed)
		return neg ? bits == 0 : bits <= width;
	if (!neg)
		return bits <= width - 1;
	return bits <= width - 1 || (bits == width && u256_is_pow2(mag)); /* down to -2^(N-1) */
}

/* ---- atomic values ---- */

/* A JSON number is a double: only integers below 2^53 (as ethers) are exact. */
static int number_magnitude(struct ctx *c, double x, uint8_t mag[32], int *neg)
{
	if (!isfinite(x) || x != floor(x))
		return fail_at(c, "number %g is not an integer", x);
	if (fabs(x) >= 0x1p53)
		return fail_at(c, "number %.17g is not exact in JSON (2^53 or more): "
		               "give it as a decimal or 0x-hex string", x);
	uint64_t u = (uint64_t)fabs(x);
	memset(mag, 0, 32);
	for (int i = 0; i < 8; i++)
		mag[31 - i] = (uint8_t)(u >> (8 * i));
	*neg = x < 0;
	return 0;
}

static int int_magnitude(struct ctx *c, struct str type, jv v, uint8_t mag[32], int *neg)
{
	if (jv_get_kind(v) == JV_KIND_NUMBER)
		return number_magnitude(c, jv_number_value(v), mag, neg);
	if (jv_get_kind(v) != JV_KIND_STRING)
		return fail_at(c, "not an integer (want a number or a decimal or 0x-hex string)");
	struct str s = str_of(v);
	int r = u256_parse(s, mag, neg);
	if (r == -1)
		return fail_at(c, "%.*s value '%.*s' is not a decimal or 0x-hex integer", Q(type), Q(s));
	if (r == -2)
		return fail_at(c, "%.*s value '%.*s' does not fit in 256 bits", Q(type), Q(s));
	return 0;
}

/* intN in two's complement over 256 bits, uintN as is; both range-checked against N. */
static int encode_int(struct ctx *c, struct str type, int is_signed, unsigned width, jv v, uint8_t word[32])
{
	uint8_t mag[32];
	int neg = 0;

	if (int_magnitude(c, type, v, mag, &neg) < 0)
		return -1;
	if (!int_fits(mag, neg, is_signed, width)) {
		if (jv_get_kind(v) == JV_KIND_NUMBER)
			return fail_at(c, "%.*s value %.0f out of range", Q(type), jv_number_value(v));
		return fail_at(c, "%.*s value %.*s out of range", Q(type), Q(str_of(v)));
	}
	if (neg)
		u256_negate(mag);
	memcpy(word, mag, 32);
	return 0;
}

static int encode_bool(struct ctx *c, jv v, uint8_t word[32])
{
	jv_kind k = jv_get_kind(v);

	if (k != JV_KIND_TRUE && k != JV_KIND_FALSE)
		return fail_at(c, "not a boolean (want true or false)");
	memset(word, 0, 32);
	word[31] = k == JV_KIND_TRUE;
	return 0;
}

static int encode_address(struct ctx *c, jv v, uint8_t word[32])
{
	enum eth_addr_status st = ETH_ADDR_SYNTAX;
	struct str s;

	memset(word, 0, 32);
	if (jv_get_kind(v) == JV_KIND_STRING) {
		s = str_of(v);
		st = eth_address_parse(word + 12, s.p, s.n);
	}
	return st == ETH_ADDR_OK ? 0 : fail_at(c, "%s", eth_addr_status_str(st));
}

static int encode_string(struct ctx *c, jv v, uint8_t word[32])
{
	if (jv_get_kind(v) != JV_KIND_STRING)
		return fail_at(c, "not a string");
	struct str s = str_of(v);
	keccak256(s.p, s.n, word);
	return 0;
}

/* The hex digits of a "0x…" string with an even number of them; -1 otherwise. */
static int hex_digits(jv v, struct str *digits)
{
	if (jv_get_kind(v) != JV_KIND_STRING)
		return -1;
	struct str s = str_of(v);
	if (s.n < 2 || s.p[0] != '0' || (s.p[1] != 'x' && s.p[1] != 'X') || s.n % 2)
		return -1;
	for (size_t i = 2; i < s.n; i++)
		if (hex_digit((unsigned char)s.p[i]) < 0)
			return -1;
	*digits = (struct str){ s.p + 2, s.n - 2 };
	return 0;
}

/* bytes: keccak256 of the bytes, decoded a chunk at a time. */
static int encode_bytes(struct ctx *c, jv v, uint8_t word[32])
{
	struct keccak256_ctx k;
	struct str hex;
	uint8_t chunk[64];

	if (hex_digits(v, &hex) < 0)
		return fail_at(c, "not a byte string (want 0x and an even number of hex digits)");
	keccak256_init(&k);
	for (size_t i = 0; i < hex.n; i += 2 * sizeof chunk) {
		size_t digits = hex.n - i < 2 * sizeof chunk ? hex.n - i : 2 * sizeof chunk;
		hex_decode(hex.p + i, digits, chunk, digits / 2);
		keccak256_update(&k, chunk, digits / 2);
	}
	keccak256_final(&k, word);
	return 0;
}

/* bytesN: exactly N bytes, left-aligned in the word and padded with zeros. */
static int encode_bytesn(struct ctx *c, struct str type, unsigned width, jv v, uint8_t word[32])
{
	struct str hex;

	memset(word, 0, 32);
	if (hex_digits(v, &hex) < 0 || hex.n != 2 * width)
		return fail_at(c, "not a %.*s value (want 0x and %u hex digits)", Q(type), 2 * width);
	hex_decode(hex.p, hex.n, word, width);
	return 0;
}

/* ---- encodeData ---- */

static int encode_value(struct ctx *c, struct str type, jv v, uint8_t word[32]);

/* hashStruct = keccak256(typeHash ‖ encodeData of each declared field); undeclared members are ignored. */
static int hash_struct(struct ctx *c, struct str type, jv v, uint8_t out[32])
{
	struct keccak256_ctx k;
	uint8_t word[32];

	if (jv_get_kind(v) != JV_KIND_OBJECT)
		return fail_at(c, "not an object (want struct '%.*s')", Q(type));
	if (type_hash(c, type, word) < 0 || enter(c) < 0)
		return -1;
	jv fields = struct_fields(c, type); /* checked by type_hash: cannot fail here */
	int n = jv_is_valid(fields) ? jv_array_length(jv_copy(fields)) : 0;
	int rc = jv_is_valid(fields) ? 0 : -1;
	keccak256_init(&k);
	keccak256_update(&k, word, 32);
	for (int i = 0; rc == 0 && i < n; i++) {
		struct str fname, ftype;
		field_at(fields, i, &fname, &ftype);
		size_t mark = path_push_field(c, fname);
		jv m = member(v, fname);
		if (!jv_is_valid(m))
			rc = fail_at(c, "missing (a field of type '%.*s')", Q(ftype));
		else
			rc = encode_value(c, ftype, m, word);
		jv_free(m);
		path_cut(c, mark);
		if (rc == 0)
			keccak256_update(&k, word, 32);
	}
	jv_free(fields);
	keccak256_final(&k, out);
	c->depth--;
	return rc;
}

/* T[] and T[k]: keccak256 of the elements' encodings, concatenated. */
static int encode_array(struct ctx *c, struct str elem, long count, jv v, uint8_t out[32])
{
	struct keccak256_ctx k;
	uint8_t word[32];

	if (jv_get_kind(v) != JV_KIND_ARRAY)
		return fail_at(c, "not an array");
	int n = jv_array_length(jv_copy(v));
	if (count >= 0 && n != count)
		return fail_at(c, "array has %d elements, its type wants %ld", n, count);
	if (enter(c) < 0)
		return -1;
	int rc = 0;
	keccak256_init(&k);
	for (int i = 0; rc == 0 && i < n; i++) {
		size_t mark = path_push_index(c, i);
		jv e = jv_array_get(jv_copy(v), i);
		rc = encode_value(c, elem, e, word);
		jv_free(e);
		path_cut(c, mark);
		if (rc == 0)
			keccak256_update(&k, word, 32);
	}
	keccak256_final(&k, out);
	c->depth--;
	return rc;
}

/* The 32-byte encodeData word of v as a value of type. */
static int encode_value(struct ctx *c, struct str type, jv v, uint8_t word[32])
{
	struct str elem;
	long count;
	unsigned width;
	int arr = array_split(type, &elem, &count);

	if (arr < 0)
		return fail(c, "type '%.*s' has malformed array brackets", Q(type));
	if (arr)
		return encode_array(c, elem, count, v, word);
	switch (atom_of(type, &width)) {
	case ATOM_NONE: return hash_struct(c, type, v, word);
	case ATOM_BAD: return fail_bad_atom(c, type);
	case ATOM_BOOL: return encode_bool(c, v, word);
	case ATOM_ADDRESS: return encode_address(c, v, word);
	case ATOM_STRING: return encode_string(c, v, word);
	case ATOM_BYTES: return encode_bytes(c, v, word);
	case ATOM_BYTESN: return encode_bytesn(c, type, width, v, word);
	case ATOM_UINT: return encode_int(c, type, 0, width, v, word);
	case ATOM_INT: return encode_int(c, type, 1, width, v, word);
	}
	return fail(c, "internal error: unknown atom");
}

/* ---- the typed data object ---- */

static const char *const domain_field_names[] = { "name", "version", "chainId", "verifyingContract", "salt" };
static const char *const domain_field_types[] = { "string", "string", "uint256", "address", "bytes32" };
#define DOMAIN_FIELDS (sizeof domain_field_names / sizeof domain_field_names[0])

static int is_domain_field(struct str key)
{
	for (size_t i = 0; i < DOMAIN_FIELDS; i++)
		if (str_is(key, domain_field_names[i]))
			return 1;
	return 0;
}

/* ethers' rule without types.EIP712Domain: the standard fields present (not null), in canonical order. */
static int derive_domain_type(struct ctx *c, jv domain, jv *fields)
{
	jv keys = jv_keys(jv_copy(domain));
	int rc = 0;

	for (int i = 0; rc == 0 && i < jv_array_length(jv_copy(keys)); i++) {
		jv key = jv_array_get(jv_copy(keys), i);
		jv v = member(domain, str_of(key));
		if (jv_get_kind(v) != JV_KIND_NULL && !is_domain_field(str_of(key)))
			rc = fail(c, "domain.%.*s: not a standard EIP712Domain field (declare it in types.EIP712Domain)",
			          Q(str_of(key)));
		jv_free(v);
		jv_free(key);
	}
	jv_free(keys);
	*fields = jv_array();
	for (size_t i = 0; rc == 0 && i < DOMAIN_FIELDS; i++) {
		jv v = member(domain, str_lit(domain_field_names[i]));
		if (jv_is_valid(v) && jv_get_kind(v) != JV_KIND_NULL)
			*fields = jv_array_append(*fields, JV_OBJECT(jv_string("name"), jv_string(domain_field_names[i]),
			                                             jv_string("type"), jv_string(domain_field_types[i])));
		jv_free(v);
	}
	return rc;
}

/* Takes the type table, adding a derived EIP712Domain when it has none. */
static int load_types(struct ctx *c, jv typed, jv domain)
{
	jv types = member(typed, str_lit("types"));
	jv fields;

	if (jv_get_kind(types) != JV_KIND_OBJECT) {
		jv_free(types);
		return fail(c, "'types' is missing or not an object");
	}
	c->types = types;
	if (has_member(types, str_lit("EIP712Domain")) || jv_get_kind(domain) != JV_KIND_OBJECT)
		return 0;
	if (derive_domain_type(c, domain, &fields) < 0) {
		jv_free(fields);
		return -1;
	}
	c->types = jv_object_set(c->types, jv_string("EIP712Domain"), fields);
	return 0;
}

static int check_primary(struct ctx *c, jv primary)
{
	if (jv_get_kind(primary) != JV_KIND_STRING)
		return fail(c, "'primaryType' is missing or not a string");
	/* MetaMask would then sign keccak256(0x19 0x01 ‖ domainSeparator) alone: refused as a likely mistake. */
	if (str_is(str_of(primary), "EIP712Domain"))
		return fail(c, "primaryType 'EIP712Domain' is not supported");
	return 0;
}

/* hashStruct of one top-level member ("domain" or "message"). */
static int hash_top(struct ctx *c, const char *label, struct str type, jv v, uint8_t out[32])
{
	buf_reset(&c->path);
	buf_puts(&c->path, label);
	if (!jv_is_valid(v))
		return fail_at(c, "missing");
	return hash_struct(c, type, v, out);
}

int eip712_hash(struct eip712_digest *out, jv typed, struct buf *err)
{
	struct ctx c = { jv_invalid(), jv_object(), BUF_INIT, err, 0 };
	jv primary = member(typed, str_lit("primaryType"));
	jv domain = member(typed, str_lit("domain"));
	jv message = member(typed, str_lit("message"));
	int rc = 0;

	if (jv_get_kind(typed) != JV_KIND_OBJECT)
		rc = fail(&c, "typed data is not a JSON object");
	if (rc == 0)
		rc = check_primary(&c, primary);
	if (rc == 0)
		rc = load_types(&c, typed, domain);
	if (rc == 0)
		rc = hash_top(&c, "domain", str_lit("EIP712Domain"), domain, out->domain_separator);
	if (rc == 0)
		rc = hash_top(&c, "message", str_of(primary), message, out->struct_hash);
	if (rc == 0) {
		struct keccak256_ctx k;
		keccak256_init(&k);
		keccak256_update(&k, "\x19\x01", 2);
		keccak256_update(&k, out->domain_separator, 32);
		keccak256_update(&k, out->struct_hash, 32);
		keccak256_final(&k, out->digest);
	} else {
		memset(out, 0, sizeof *out);
	}
	jv_free(primary);
	jv_free(domain);
	jv_free(message);
	jv_free(c.types);
	jv_free(c.type_hashes);
	buf_free(&c.path);
	return rc;
}
