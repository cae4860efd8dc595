/*
 * EIP-712 typed data hashing: known answers from the EIP, eth-account and
 * MetaMask's eth-sig-util, extra cases checked against ethers, and the errors.
 * Test JSON is written with ' for " (none of it holds an apostrophe).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jv.h>

#include "buf.h"
#include "check.h"
#include "diag.h"
#include "eip712.h"
#include "eth.h"
#include "hex.h"
#include "keccak.h"

/* The EIP-712 "Mail" example (eips.ethereum.org/EIPS/eip-712, assets/eip-712/Example.js). */
static const char MAIL[] =
	"{'types':{'EIP712Domain':[{'name':'name','type':'string'},{'name':'version','type':'string'},"
	"{'name':'chainId','type':'uint256'},{'name':'verifyingContract','type':'address'}],"
	"'Person':[{'name':'name','type':'string'},{'name':'wallet','type':'address'}],"
	"'Mail':[{'name':'from','type':'Person'},{'name':'to','type':'Person'},{'name':'contents','type':'string'}]},"
	"'primaryType':'Mail',"
	"'domain':{'name':'Ether Mail','version':'1','chainId':1,"
	"'verifyingContract':'0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC'},"
	"'message':{'from':{'name':'Cow','wallet':'0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826'},"
	"'to':{'name':'Bob','wallet':'0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB'},'contents':'Hello, Bob!'}}";

#define MAIL_DOMAIN "0xf2cee375fa42b42143804025fc449deafd50cc031ca257e0b194a650a912090f"
#define MAIL_STRUCT "0xc52c0ee5d84264471806290a3f2c4cecfc5490626bf912d01f240d7a274b371e"
#define MAIL_DIGEST "0xbe609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2"

/* MetaMask eth-sig-util's v4 example (test 'signedTypeData_v4'): arrays of addresses and of structs, an unused type. */
static const char MAIL_V4[] =
	"{'types':{'EIP712Domain':[{'name':'name','type':'string'},{'name':'version','type':'string'},"
	"{'name':'chainId','type':'uint256'},{'name':'verifyingContract','type':'address'}],"
	"'Person':[{'name':'name','type':'string'},{'name':'wallets','type':'address[]'}],"
	"'Mail':[{'name':'from','type':'Person'},{'name':'to','type':'Person[]'},{'name':'contents','type':'string'}],"
	"'Group':[{'name':'name','type':'string'},{'name':'members','type':'Person[]'}]},"
	"'domain':{'name':'Ether Mail','version':'1','chainId':1,"
	"'verifyingContract':'0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC'},"
	"'primaryType':'Mail',"
	"'message':{'from':{'name':'Cow','wallets':['0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826',"
	"'0xDeaDbeefdEAdbeefdEadbEEFdeadbeEFdEaDbeeF']},"
	"'to':[{'name':'Bob','wallets':['0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB',"
	"'0xB0BdaBea57B0BDABeA57b0bdABEA57b0BDabEa57','0xB0B0b0b0b0b0B000000000000000000000000000']}],"
	"'contents':'Hello, Bob!'}}";

/* Nested arrays, a fixed-size struct array, every atomic kind, every integer form. */
static const char KITCHEN[] =
	"{'types':{'EIP712Domain':[{'name':'name','type':'string'},{'name':'chainId','type':'uint256'},"
	"{'name':'salt','type':'bytes32'}],"
	"'Order':[{'name':'maker','type':'Party'},{'name':'takers','type':'Party[2]'},{'name':'amounts','type':'uint256[]'},"
	"{'name':'grid','type':'int16[][]'},{'name':'flag','type':'bool'},{'name':'tag','type':'bytes4'},"
	"{'name':'blob','type':'bytes'},{'name':'note','type':'string'},{'name':'deadline','type':'uint64'}],"
	"'Party':[{'name':'who','type':'address'},{'name':'weight','type':'uint8'},{'name':'labels','type':'string[]'}]},"
	"'primaryType':'Order',"
	"'domain':{'name':'Kitchen','chainId':'0x89',"
	"'salt':'0x000000000000000000000000000000000000000000000000000000000000abcd'},"
	"'message':{'maker':{'who':'0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826','weight':255,'labels':['cow','moo']},"
	"'takers':[{'who':'0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb','weight':'0x0','labels':[]},"
	"{'who':'0xDEADBEEFDEADBEEFDEADBEEFDEADBEEFDEADBEEF','weight':'7','labels':['']}],"
	"'amounts':['1000000000000000000000','0x10',7],'grid':[[-1,2],[],['-0x8000',32767]],'flag':true,"
	"'tag':'0xdeadbeef','blob':'0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
	"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff0102030405',"
	"'note':'Hello, 世界','deadline':1700000000}}";

/* Integer bounds and forms; no EIP712Domain, so the domain type is derived ("EIP712Domain(string name)"). */
static const char NUMS[] =
	"{'types':{'Nums':[{'name':'a','type':'uint8'},{'name':'b','type':'int8'},{'name':'c','type':'uint256'},"
	"{'name':'d','type':'int256'},{'name':'e','type':'int256'},{'name':'f','type':'int32'},"
	"{'name':'g','type':'uint256'}]},"
	"'primaryType':'Nums','domain':{'name':'Nums'},"
	"'message':{'a':'0xff','b':-128,'c':'0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',"
	"'d':'-57896044618658097711785492504343953926634992332820282019728792003956564819968',"
	"'e':'57896044618658097711785492504343953926634992332820282019728792003956564819967',"
	"'f':-2147483648,'g':'000123'}}";

/* One field n of the given type holding the given JSON value. */
static char one_field[1024];
static const char *one(const char *type, const char *value)
{
	snprintf(one_field, sizeof one_field,
	         "{'types':{'T':[{'name':'n','type':'%s'}]},'primaryType':'T','domain':{},'message':{'n':%s}}",
	         type, value);
	return one_field;
}

static jv parse_q(const char *json)
{
	char *s = xstrdup(json);

	for (char *p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	jv v = jv_parse(s);
	free(s);
	if (!jv_is_valid(v))
		fprintf(stderr, "bad test JSON: %s\n", json);
	return v;
}

/* base with the value at path replaced by value, or deleted when value is NULL (all in ' notation). */
static jv variant(const char *base, const char *path, const char *value)
{
	jv t = parse_q(base);
	jv p = parse_q(path);

	if (value == NULL)
		return jv_delpaths(t, JV_ARRAY(p));
	return jv_setpath(t, p, parse_q(value));
}

/* Hashes t (consumed). */
static int hash_jv(struct eip712_digest *d, jv t, struct buf *err)
{
	buf_reset(err);
	int rc = eip712_hash(d, t, err);
	jv_free(t);
	return rc;
}

static void check_hex_at(int line, const uint8_t *p, const char *want)
{
	char got[67] = "0x";

	hex_encode(p, 32, got + 2);
	check_one(strcmp(got, want) == 0, __FILE__, line, want, got, want);
}
#define CHECK_HEX(p, want) check_hex_at(__LINE__, (p), (want))

static void expect_ok_at(int line, jv t, const char *ds, const char *sh, const char *digest)
{
	struct eip712_digest d;
	struct buf err = BUF_INIT;

	int rc = hash_jv(&d, t, &err);
	check_one(rc == 0, __FILE__, line, "eip712_hash succeeds", buf_str(&err), "");
	if (ds)
		check_hex_at(line, d.domain_separator, ds);
	if (sh)
		check_hex_at(line, d.struct_hash, sh);
	if (digest)
		check_hex_at(line, d.digest, digest);
	buf_free(&err);
}
#define EXPECT_OK(t, ds, sh, digest) expect_ok_at(__LINE__, (t), (ds), (sh), (digest))

static void expect_err_at(int line, jv t, const char *want)
{
	static const uint8_t zero[32];
	struct eip712_digest d;
	struct buf err = BUF_INIT;

	int rc = hash_jv(&d, t, &err);
	check_one(rc == -1, __FILE__, line, "eip712_hash fails", "0", "-1");
	check_one(strstr(buf_str(&err), want) != NULL, __FILE__, line, want, buf_str(&err), want);
	check_one(memcmp(d.digest, zero, 32) == 0, __FILE__, line, "digest zeroed on failure", NULL, NULL);
	buf_free(&err);
}
#define EXPECT_ERR(t, want) expect_err_at(__LINE__, (t), (want))

static void sign_and_compare(const uint8_t digest[32], const char *key_hex, const char *sig_hex, const char *addr)
{
	uint8_t key[32], sig[65], a[20], back[20];
	char hx[131], as[43];

	CHECK_INTEQ(hex_decode(key_hex, strlen(key_hex), key, 32), 0);
	CHECK_INTEQ(eth_sign_hash(sig, digest, key), 0);
	hex_encode(sig, 65, hx);
	CHECK_STREQ(hx, sig_hex);
	CHECK_INTEQ(eth_seckey_address(a, key), 0);
	eth_address_format(as, a);
	CHECK_STREQ(as, addr);
	CHECK_INTEQ(eth_recover(back, digest, sig), ETH_SIG_OK);
	CHECK_MEMEQ(back, a, 20);
}

static void test_mail(void)
{
	struct eip712_digest d;
	struct buf err = BUF_INIT;
	uint8_t key[32], sig[65];
	char hx[65];

	CHECK_INTEQ(hash_jv(&d, parse_q(MAIL), &err), 0);
	CHECK_HEX(d.domain_separator, MAIL_DOMAIN);
	CHECK_HEX(d.struct_hash, MAIL_STRUCT);
	CHECK_HEX(d.digest, MAIL_DIGEST);

	/* The EIP's signature with keccak256("cow"), whose address is Cow's wallet. */
	keccak256("cow", 3, key);
	hex_encode(key, 32, hx);
	CHECK_STREQ(hx, "c85ef7d79691fe79573b1a7064c19c1a9819ebdbd1faaab1a8ec92344438aaf4");
	CHECK_INTEQ(eth_sign_hash(sig, d.digest, key), 0);
	CHECK_INTEQ(sig[64], 28);
	CHECK_HEX(sig, "0x4355c47d63924e8a72e509b65029052eb6c299d53a04e167c5775fd466751c9d");
	CHECK_HEX(sig + 32, "0x07299936d304c153f6443dfa05f40ff007d72911b6f72307f996231605b91562");
	sign_and_compare(d.digest, "c85ef7d79691fe79573b1a7064c19c1a9819ebdbd1faaab1a8ec92344438aaf4",
	                 "4355c47d63924e8a72e509b65029052eb6c299d53a04e167c5775fd466751c9d"
	                 "07299936d304c153f6443dfa05f40ff007d72911b6f72307f996231605b915621c",
	                 "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826");

	/*
	 * ../shared/data/eth/eip712_mail_unicorns_key.json: ethereum/eth-account
	 * tests/core/test_accounts.py::test_sign_typed_data_produces_expected_hash,
	 * case 1 (the same Mail data), key b'unicorns' * 4.
	 */
	sign_and_compare(d.digest, "0x756e69636f726e73756e69636f726e73756e69636f726e73756e69636f726e73",
	                 "33600224dbc5a598b7c443b0cc9241b4b12ea10441244cc058442b31065b3723"
	                 "2258c5d0b55f22362b1fa97d5c7fca4f40bfc1545417d974a22dfd4a8ac2de8b1b",
	                 "0xa79F6f349C853F9Ea0B29636779ae3Cb4E3BA729");
	buf_free(&err);

	/* Without types.EIP712Domain the domain type is derived from the domain's fields: same answer. */
	EXPECT_OK(variant(MAIL, "['types','EIP712Domain']", NULL), MAIL_DOMAIN, MAIL_STRUCT, MAIL_DIGEST);
	/* Members a type does not declare are ignored (as ethers' TypedDataEncoder does). */
	jv extra = variant(MAIL, "['message','extra']", "{'x':[1,2]}");
	extra = jv_setpath(extra, parse_q("['message','from','nickname']"), jv_string("Moo"));
	EXPECT_OK(extra, MAIL_DOMAIN, MAIL_STRUCT, MAIL_DIGEST);
	/* chainId as a string, in decimal or hex, is the same integer. */
	EXPECT_OK(variant(MAIL, "['domain','chainId']", "'0x01'"), MAIL_DOMAIN, MAIL_STRUCT, MAIL_DIGEST);
	EXPECT_OK(variant(MAIL, "['domain','chainId']", "'1'"), MAIL_DOMAIN, MAIL_STRUCT, MAIL_DIGEST);
	/* All-lower-case addresses carry no checksum and are accepted. */
	EXPECT_OK(variant(MAIL, "['message','from','wallet']", "'0xcd2a3d9f938e13cd947ec05abc7fe734df8dd826'"),
	          MAIL_DOMAIN, MAIL_STRUCT, MAIL_DIGEST);
}

static void test_mail_v4_arrays(void)
{
	struct eip712_digest d;
	struct buf err = BUF_INIT;

	/*
	 * Expected values from MetaMask eth-sig-util's test 'signedTypeData_v4'
	 * (hashStruct(Mail), hashStruct(EIP712Domain), eip712Hash and the
	 * signature with keccak256("cow")); ethers 6.17 TypedDataEncoder.hash gives
	 * the same digest once the unused Group type is dropped.
	 */
	CHECK_INTEQ(hash_jv(&d, parse_q(MAIL_V4), &err), 0);
	CHECK_HEX(d.domain_separator, MAIL_DOMAIN);
	CHECK_HEX(d.struct_hash, "0xeb4221181ff3f1a83ea7313993ca9218496e424604ba9492bb4052c03d5c3df8");
	CHECK_HEX(d.digest, "0xa85c2e2b118698e88db68a8105b794a8cc7cec074e89ef991cb4f5f533819cc2");
	sign_and_compare(d.digest, "c85ef7d79691fe79573b1a7064c19c1a9819ebdbd1faaab1a8ec92344438aaf4",
	                 "65cbd956f2fae28a601bebc9b906cea0191744bd4c4247bcd27cd08f8eb6b71c"
	                 "78efdf7a31dc9abee78f492292721f362d296cf86b4538e07b51303b67f749061b",
	                 "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826");
	buf_free(&err);

	EXPECT_ERR(variant(MAIL_V4, "['message','to',0,'wallets',1]", "'0xB0BdaBea57B0BDABeA57b0bdABEA57b0BDabEa5'"),
	           "message.to[0].wallets[1]: not an address");
	EXPECT_ERR(variant(MAIL_V4, "['message','to']", "{'name':'Bob','wallets':[]}"),
	           "message.to: not an array");
	EXPECT_ERR(variant(MAIL_V4, "['message','to',1]", "7"),
	           "message.to[1]: not an object (want struct 'Person')");
}

static void test_ethers_cases(void)
{
	/*
	 * Values from ethers 6.17 TypedDataEncoder: hashStruct("EIP712Domain", …)
	 * for an explicit domain type or hashDomain for a derived one, hashStruct
	 * for the message.
	 */
	EXPECT_OK(parse_q(KITCHEN),
	          "0x419a55f9a02d7dade00142e908d57dc89d4f1f4e84f2894fda9f7d2da563bd90",
	          "0xc5d893bfd8b99281cd7fd04cc18da72b54ee8a6367f31ee0671a02563afe81f6",
	          "0x7e13c91c8a91a9e3129a1e6d750780707cf83244794a0c8d7af3fcb422801a49");
	EXPECT_OK(parse_q(NUMS),
	          "0xc7fae161330e23792c2a0f3f04d96c47f73e1e6761eac25ba13b09ebc02d9ca2",
	          "0x6944b0b7ffb3e018632a74dc7220144b35aca49cbab56fa1531d2ff420061fcc",
	          "0xc9ea6861e2129135f8efc78e49bf855c744bec072d7147e495018bd29ea9ee20");
	/* A null domain member is left out of the derived type, as ethers does. */
	EXPECT_OK(variant(NUMS, "['domain','version']", "null"),
	          "0xc7fae161330e23792c2a0f3f04d96c47f73e1e6761eac25ba13b09ebc02d9ca2", NULL, NULL);
	/* All five standard domain fields, given out of order: hashDomain orders them canonically. */
	EXPECT_OK(variant(NUMS, "['domain']",
	                  "{'salt':'0xabababababababababababababababababababababababababababababababab',"
	                  "'verifyingContract':'0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC',"
	                  "'name':'Ether Mail','chainId':'137','version':'1'}"),
	          "0x51cffbf0ad3a22205de03c2c898abfd3bc88a131697ab75faea6ca0edf1bf987", NULL, NULL);
	/* The same integer in each accepted form (ethers: hashStruct of {uint256 n: 5} and {int8 n: -128}). */
	static const char *const five[] = { "5", "'5'", "'0x5'", "'0X05'", "5.0", "'0005'" };
	for (size_t i = 0; i < sizeof five / sizeof five[0]; i++)
		EXPECT_OK(parse_q(one("uint256", five[i])), NULL,
		          "0x6dd7a931b815f32c5c4a794dee62616753e304f1d0e2746f1754ab65edef8827", NULL);
	static const char INT8_MIN_HASH[] = "0x798db003a7283301fc06ee611b27cc2163daef20089043d22b3e2fb8b43edbc3";
	EXPECT_OK(parse_q(one("int8", "-128")), NULL, INT8_MIN_HASH, NULL);
	EXPECT_OK(parse_q(one("int8", "'-0x80'")), NULL, INT8_MIN_HASH, NULL);
	EXPECT_OK(parse_q(one("int8", "127")), NULL,
	          "0xe3fd173def92d1b1dbc209fc196c249825aed07954cc9af69d4dbdf84baa54d6", NULL);
	EXPECT_OK(parse_q(one("uint256", "9007199254740991")), NULL,
	          "0x3c300f2cbcfdf71241561c975ae079ebb9b2a9882f90ec0f8041681067c6e7bf", NULL);
}

static void test_integer_errors(void)
{
	EXPECT_ERR(parse_q(one("uint8", "300")), "message.n: uint8 value 300 out of range");
	EXPECT_ERR(parse_q(one("uint8", "'0x100'")), "message.n: uint8 value 0x100 out of range");
	EXPECT_ERR(parse_q(one("int8", "-129")), "message.n: int8 value -129 out of range");
	EXPECT_ERR(parse_q(one("int8", "'128'")), "message.n: int8 value 128 out of range");
	EXPECT_ERR(parse_q(one("uint256", "-1")), "message.n: uint256 value -1 out of range");
	EXPECT_ERR(parse_q(one("uint256", "'-0x5'")), "uint256 value -0x5 out of range");
	EXPECT_ERR(parse_q(one("int256", "'57896044618658097711785492504343953926634992332820282019728792003956564819968'")),
	           "out of range");
	EXPECT_ERR(parse_q(one("int256", "'-57896044618658097711785492504343953926634992332820282019728792003956564819969'")),
	           "out of range");
	EXPECT_ERR(parse_q(one("uint256", "'0x10000000000000000000000000000000000000000000000000000000000000000'")),
	           "does not fit in 256 bits");
	EXPECT_ERR(parse_q(one("uint256", "9007199254740992")), "give it as a decimal or 0x-hex string");
	EXPECT_ERR(parse_q(one("int64", "-1e300")), "give it as a decimal or 0x-hex string");
	EXPECT_ERR(parse_q(one("uint256", "1.5")), "message.n: number 1.5 is not an integer");
	EXPECT_ERR(parse_q(one("uint256", "'12a'")), "uint256 value '12a' is not a decimal or 0x-hex integer");
	EXPECT_ERR(parse_q(one("uint256", "''")), "is not a decimal or 0x-hex integer");
	EXPECT_ERR(parse_q(one("uint256", "'0x'")), "is not a decimal or 0x-hex integer");
	EXPECT_ERR(parse_q(one("uint256", "' 5'")), "is not a decimal or 0x-hex integer");
	EXPECT_ERR(parse_q(one("uint256", "'--5'")), "is not a decimal or 0x-hex integer");
	EXPECT_ERR(parse_q(one("uint256", "true")), "message.n: not an integer");
	EXPECT_ERR(parse_q(one("uint256", "null")), "message.n: not an integer");
}

static void test_value_errors(void)
{
	EXPECT_ERR(variant(MAIL, "['message','contents']", NULL), "message.contents: missing");
	EXPECT_ERR(variant(MAIL, "['message','from','wallet']", NULL), "message.from.wallet: missing");
	EXPECT_ERR(variant(MAIL, "['domain','version']", NULL), "domain.version: missing");
	EXPECT_ERR(variant(MAIL, "['message','to','wallet']", "'0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBb'"),
	           "message.to.wallet: not an address");
	EXPECT_ERR(variant(MAIL, "['message','to','wallet']", "42"), "message.to.wallet: not an address");
	EXPECT_ERR(variant(MAIL, "['message','from','wallet']", "'0xcD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826'"),
	           "message.from.wallet: address fails its EIP-55 checksum");
	EXPECT_ERR(variant(MAIL, "['domain','verifyingContract']", "'0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccc'"),
	           "domain.verifyingContract: address fails its EIP-55 checksum");
	EXPECT_ERR(variant(MAIL, "['message','from']", "null"), "message.from: not an object (want struct 'Person')");
	EXPECT_ERR(variant(MAIL, "['message','contents']", "7"), "message.contents: not a string");
	EXPECT_ERR(variant(MAIL, "['message']", NULL), "message: missing");
	EXPECT_ERR(variant(MAIL, "['message']", "[]"), "message: not an object");

	EXPECT_ERR(parse_q(one("bytes4", "'0x112233'")), "message.n: not a bytes4 value (want 0x and 8 hex digits)");
	EXPECT_ERR(parse_q(one("bytes4", "'0x1122334455'")), "not a bytes4 value");
	EXPECT_ERR(parse_q(one("bytes4", "'11223344'")), "not a bytes4 value");
	EXPECT_ERR(parse_q(one("bytes32", "'0xabcd'")), "not a bytes32 value");
	EXPECT_ERR(parse_q(one("bytes", "'0x123'")), "message.n: not a byte string");
	EXPECT_ERR(parse_q(one("bytes", "'0xzz'")), "message.n: not a byte string");
	EXPECT_ERR(parse_q(one("bytes", "'hello'")), "message.n: not a byte string");
	EXPECT_ERR(parse_q(one("bool", "'true'")), "message.n: not a boolean");
	EXPECT_ERR(parse_q(one("bool", "1")), "message.n: not a boolean");
	EXPECT_ERR(parse_q(one("uint8[2]", "[1,2,3]")), "message.n: array has 3 elements, its type wants 2");
	EXPECT_ERR(parse_q(one("uint8[2][]", "[[1,2],[3]]")), "message.n[1]: array has 1 elements, its type wants 2");
	EXPECT_ERR(parse_q(one("uint8[][]", "[[1],[2,300]]")), "message.n[1][1]: uint8 value 300 out of range");
}

static void test_type_errors(void)
{
	EXPECT_ERR(variant(MAIL, "['primaryType']", "'Mails'"), "type 'Mails' is not defined");
	EXPECT_ERR(variant(MAIL, "['types','Mail',0,'type']", "'Persn'"),
	           "type 'Persn' is not defined (field 'from' of 'Mail')");
	EXPECT_ERR(variant(MAIL, "['types','Mail',1,'name']", "'from'"), "type 'Mail': field 'from' is declared twice");
	EXPECT_ERR(variant(MAIL, "['types','Person',1]", "{'name':'wallet'}"), "type 'Person': field 1 is not");
	EXPECT_ERR(variant(MAIL, "['types','Person']", "{}"), "type 'Person' is not an array");
	EXPECT_ERR(parse_q(one("uint", "1")), "type 'uint' is not an EIP-712 type");
	EXPECT_ERR(parse_q(one("int", "1")), "type 'int' is not an EIP-712 type");
	EXPECT_ERR(parse_q(one("uint7", "1")), "type 'uint7' is not an EIP-712 type");
	EXPECT_ERR(parse_q(one("uint264", "1")), "type 'uint264' is not an EIP-712 type");
	EXPECT_ERR(parse_q(one("uint08", "1")), "type 'uint08' is not an EIP-712 type");
	EXPECT_ERR(parse_q(one("bytes0", "'0x'")), "type 'bytes0' is not an EIP-712 type");
	EXPECT_ERR(parse_q(one("bytes33", "'0x'")), "type 'bytes33' is not an EIP-712 type");
	EXPECT_ERR(parse_q(one("uint8[", "[]")), "malformed array brackets");
	EXPECT_ERR(parse_q(one("uint8[x]", "[]")), "malformed array brackets");
	EXPECT_ERR(parse_q(one("[2]", "[]")), "malformed array brackets");
	EXPECT_ERR(parse_q(one("Foo", "{}")), "type 'Foo' is not defined (field 'n' of 'T')");

	EXPECT_ERR(parse_q("[]"), "typed data is not a JSON object");
	EXPECT_ERR(variant(MAIL, "['types']", NULL), "'types' is missing or not an object");
	EXPECT_ERR(variant(MAIL, "['primaryType']", NULL), "'primaryType' is missing or not a string");
	EXPECT_ERR(variant(MAIL, "['primaryType']", "'EIP712Domain'"), "primaryType 'EIP712Domain' is not supported");
	EXPECT_ERR(variant(MAIL, "['domain']", NULL), "domain: missing");
	jv derived = variant(MAIL, "['types','EIP712Domain']", NULL);
	derived = jv_setpath(derived, parse_q("['domain','foo']"), jv_number(1));
	EXPECT_ERR(derived, "domain.foo: not a standard EIP712Domain field");
}

/* Recursive types (allowed by EIP-712 and MetaMask; ethers refuses them), checked against a hand-built encoding. */
static void test_recursion(void)
{
	static const char TREE_TYPES[] =
		"{'types':{'Tree':[{'name':'name','type':'string'},{'name':'kids','type':'Tree[]'}]},"
		"'primaryType':'Tree','domain':{},'message':";
	struct buf json = BUF_INIT;
	uint8_t th[32], w[96], leaf[32], kids[32], root[32];

	/* leaf = keccak(typeHash ‖ keccak("leaf") ‖ keccak(""))
	   root = keccak(typeHash ‖ keccak("root") ‖ keccak(leaf)) */
	keccak256("Tree(string name,Tree[] kids)", 29, th);
	memcpy(w, th, 32);
	keccak256("leaf", 4, w + 32);
	keccak256("", 0, w + 64);
	keccak256(w, 96, leaf);
	keccak256(leaf, 32, kids);
	keccak256("root", 4, w + 32);
	memcpy(w + 64, kids, 32);
	keccak256(w, 96, root);
	char want[67] = "0x";
	hex_encode(root, 32, want + 2);
	buf_puts(&json, TREE_TYPES);
	buf_puts(&json, "{'name':'root','kids':[{'name':'leaf','kids':[]}]}}");
	EXPECT_OK(parse_q(buf_str(&json)), NULL, want, NULL);

	/* Each level is a struct and an array: 32 levels reach the depth limit of 64, 33 pass it. */
	for (int levels = 32; levels <= 33; levels++) {
		buf_reset(&json);
		buf_puts(&json, TREE_TYPES);
		for (int i = 0; i < levels; i++)
			buf_puts(&json, "{'name':'x','kids':[");
		for (int i = 0; i < levels; i++)
			buf_puts(&json, "]}");
		buf_puts(&json, "}");
		if (levels == 32)
			EXPECT_OK(parse_q(buf_str(&json)), NULL, NULL, NULL);
		else
			EXPECT_ERR(parse_q(buf_str(&json)), "nested deeper than 64 structs and arrays");
	}
	/* The same limit for arrays of arrays. */
	buf_reset(&json);
	buf_puts(&json, "{'types':{'T':[{'name':'n','type':'uint8");
	for (int i = 0; i < 70; i++)
		buf_puts(&json, "[]");
	buf_puts(&json, "'}]},'primaryType':'T','domain':{},'message':{'n':");
	for (int i = 0; i < 70; i++)
		buf_puts(&json, "[");
	for (int i = 0; i < 70; i++)
		buf_puts(&json, "]");
	buf_puts(&json, "}}");
	EXPECT_ERR(parse_q(buf_str(&json)), "nested deeper than 64");
	buf_free(&json);
}

int main(void)
{
	test_mail();
	test_mail_v4_arrays();
	test_ethers_cases();
	test_integer_errors();
	test_value_errors();
	test_type_errors();
	test_recursion();
	return check_done("test_eip712");
}
