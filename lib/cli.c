#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "eth.h"
#include "timeutil.h"
#include "tz.h"

void cli_help(const char *usage)
{
	fputs(usage, stdout);
	exit(cli_finish(HIVE_OK));
}

void cli_version(void)
{
	printf("%s %s\n", diag_progname(), HIVE_VERSION);
	exit(cli_finish(HIVE_OK));
}

void cli_usage_error(const char *usage, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	diag_warn("%s", msg);
	fputs(usage, stderr);
	exit(HIVE_EUSAGE);
}

void cli_address(uint8_t addr[20], const char *opt, const char *value, const char *usage)
{
	enum eth_addr_status st = eth_address_parse(addr, value, strlen(value));

	if (st != ETH_ADDR_OK)
		cli_usage_error(usage, "%s '%s': %s", opt, value, eth_addr_status_str(st));
}

int64_t cli_time(const char *opt, const char *value, const char *usage)
{
	int64_t ms;
	const char *why;
	if (rfc3339_parse(&ms, value, strlen(value), &why) != 0)
		cli_usage_error(usage, "%s '%s': %s", opt, value, why);
	return ms;
}

int64_t cli_duration(const char *opt, const char *value, const char *usage)
{
	int64_t ms;
	if (duration_parse(&ms, value) < 0)
		cli_usage_error(usage, "%s '%s': want a duration such as 900, 15m, 1h or 1d", opt, value);
	return ms;
}

uint64_t cli_uint(const char *opt, const char *value, uint64_t min, uint64_t max, const char *usage)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(value, &end, 10);
	if (value[0] < '0' || value[0] > '9' || *end != '\0' || errno == ERANGE || v < min || v > max)
		cli_usage_error(usage, "%s '%s': want a whole number from %llu to %llu", opt, value,
		                (unsigned long long)min, (unsigned long long)max);
	return v;
}

double cli_number(const char *opt, const char *value, double lo, double hi, const char *usage)
{
	char *end;
	errno = 0;
	double d = strtod(value, &end);
	if (end == value || *end || errno || !(d >= lo && d <= hi))
		cli_usage_error(usage, "%s: '%s' is not a number from %g to %g", opt, value, lo, hi);
	return d;
}

int cli_finish(int code)
{
	/* stdout is part of the result: a full disk must not pass for success. */
	if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0) {
		diag_warn_errno("cannot write output");
		return HIVE_EOUTPUT;
	}
	return code;
}

int cli_getopt(int argc, char **argv, const struct option *options, int version_opt, const char *cmd,
               const char *usage)
{
	opterr = 0;   /* getopt would prefix its messages with the subcommand, not the program */
	int opt = getopt_long(argc, argv, "+:h", options, NULL);
	if (opt == 'h')
		cli_help(usage);
	if (opt == version_opt)
		cli_version();
	if (opt == '?' || opt == ':')
		cli_usage_error(usage, "'%s': invalid option or missing value: '%s'", cmd, argv[optind - 1]);
	return opt;
}

int cli_accepts(const int *accepted, int opt)
{
	for (const int *o = accepted; *o; o++)
		if (*o == opt)
			return 1;
	return 0;
}

const char *cli_option_name(const struct option *options, int opt)
{
	for (const struct option *o = options; o->name; o++)
		if (o->val == opt)
			return o->name;
	return "?";
}

void cli_day_period(const char *day, const char *zone, int64_t *from_ms, int64_t *to_ms, const char *usage)
{
	struct tz *z;
	const char *why;
	if (tz_load_any(&z, zone ? zone : "UTC", &why) != 0)
		cli_usage_error(usage, "--tz: '%s': %s", zone ? zone : "UTC", why);
	int bad = tz_day_range(z, day, now_ms(), from_ms, to_ms);
	tz_free(z);
	if (bad)
		cli_usage_error(usage, "--day: '%s' is not a date YYYY-MM-DD (or yesterday, today)", day);
}
