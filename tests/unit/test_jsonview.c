/*
 * test_jsonview — the flat view of a JSON object that ledger replay reads
 * events through: members and their kinds, escapes, and what it refuses.
 */
#include "check.h"
#include "jsonview.h"

static int parses(const char *text)
{
	struct jsonview v;
	const char *why;
	return jsonview_parse(&v, text, strlen(text), &why) == 0;
}

static const char *refusal(const char *text)
{
	static struct jsonview v;
	const char *why = "";
	return jsonview_parse(&v, text, strlen(text), &why) == 0 ? "accepted" : why;
}

int main(void)
{
	struct jsonview v;
	struct buf b = BUF_INIT;
	const char *why;
	const char *ev = "{\"a\":\"x\\\"y\\u00e9\",\"hive\":12,\"list\":[[\"]\"],{\"k\":\"}\"}],\"n\":-1.5e+3,"
	                 "\"o\":{\"p\":null},\"t\":true,\"f\":false,\"z\":null,\"e\":\"\"}";
	CHECK_INTEQ(jsonview_parse(&v, ev, strlen(ev), &why), 0);
	CHECK_INTEQ(v.n, 9);
	const struct jsonview_member *m = jsonview_get(&v, "a");
	CHECK(m != NULL && m->kind == JV_STRING_SPAN && m->escaped);
	CHECK_INTEQ(jsonview_string(m, &b), 0);
	CHECK_STREQ(b.data, "x\"y\xc3\xa9");
	m = jsonview_get(&v, "hive");
	CHECK(m != NULL && m->kind == JV_NUMBER_SPAN && m->vlen == 2 && memcmp(m->val, "12", 2) == 0);
	m = jsonview_get(&v, "list");
	CHECK(m != NULL && m->kind == JV_ARRAY_SPAN);
	jv list = jsonview_value(m);
	CHECK(jv_get_kind(list) == JV_KIND_ARRAY && jv_array_length(jv_copy(list)) == 2);
	jv_free(list);
	CHECK(jsonview_get(&v, "o")->kind == JV_OBJECT_SPAN);
	CHECK(jsonview_get(&v, "t")->kind == JV_TRUE_SPAN);
	CHECK(jsonview_get(&v, "f")->kind == JV_FALSE_SPAN);
	CHECK(jsonview_get(&v, "z")->kind == JV_NULL_SPAN);
	CHECK(jsonview_get(&v, "n")->vlen == 7);
	CHECK_INTEQ(jsonview_string(jsonview_get(&v, "e"), &b), 0);
	CHECK_INTEQ(b.len, 0);
	CHECK(jsonview_get(&v, "missing") == NULL);
	CHECK(jsonview_string(jsonview_get(&v, "hive"), &b) != 0);

	CHECK(parses("{}"));
	CHECK(parses(" { \"a\" : 1 , \"b\" : [ ] } "));
	CHECK_STREQ(refusal("[]"), "not a JSON object");
	CHECK_STREQ(refusal("{\"a\":1}x"), "text after the object");
	CHECK_STREQ(refusal("{\"a\":1,\"a\":2}"), "repeated member name");
	CHECK_STREQ(refusal("{\"\\u0061\":1}"), "escaped member name");
	CHECK_STREQ(refusal("{\"a\" 1}"), "missing ':' after a member name");
	CHECK_STREQ(refusal("{\"a\":1 \"b\":2}"), "missing ',' or '}'");
	CHECK_STREQ(refusal("{\"a\":01}"), "missing ',' or '}'");
	CHECK_STREQ(refusal("{\"a\":1.}"), "malformed value");
	CHECK_STREQ(refusal("{\"a\":-}"), "malformed value");
	CHECK_STREQ(refusal("{\"a\":1e}"), "malformed value");
	CHECK_STREQ(refusal("{\"a\":tru}"), "malformed value");
	CHECK_STREQ(refusal("{\"a\":\"\\x\"}"), "malformed value");
	CHECK_STREQ(refusal("{\"a\":\"\\u12g4\"}"), "malformed value");
	CHECK_STREQ(refusal("{\"a\":\"tab\there\"}"), "malformed value");
	CHECK_STREQ(refusal("{\"a\":[1,2}"), "malformed value");
	CHECK_STREQ(refusal("{\"a\":\"open}"), "malformed value");
	CHECK_STREQ(refusal("{\"a\":1,}"), "malformed member name");
	CHECK_STREQ(refusal(""), "not a JSON object");
	CHECK_STREQ(refusal("{\"a\":\"caf\xc3\xa9\"}"), "accepted");
	CHECK_STREQ(refusal("{\"a\":\"caf\xe9\"}"), "malformed value");
	CHECK_STREQ(refusal("{\"s\x94q\":1}"), "malformed member name");
	/* JSONVIEW_MAX members are fine, one more is not. */
	struct buf big = BUF_INIT;
	buf_putc(&big, '{');
	for (int i = 0; i < JSONVIEW_MAX + 1; i++)
		buf_printf(&big, "%s\"k%d\":%d", i ? "," : "", i, i);
	buf_putc(&big, '}');
	CHECK_STREQ(refusal(big.data), "too many members");
	char last[32];
	snprintf(last, sizeof last, ",\"k%d\"", JSONVIEW_MAX);
	char *cut = strstr(big.data, last);
	strcpy(cut, "}");
	CHECK(parses(big.data));
	buf_free(&big);
	buf_free(&b);
	return check_done("test_jsonview");
}
