/*
 * Modbus meters: the map file parser (good maps, the shipped Eastron maps,
 * and each error with its line number), float registers to exact decimals,
 * and reads through libmodbus from a server this test starts: on 127.0.0.1
 * (a free port) and on a pseudo-terminal (RTU at 9600 8N1), holding SDM120
 * and SDM630 register images with known values; request grouping; a server
 * that never answers (timeout and retries, within the expected time) and one
 * that answers with an exception.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <pty.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <modbus/modbus.h>

#include "check.h"
#include "diag.h"
#include "modbus_meter.h"
#include "reading.h"

/* A decimal as "digits e exp", or "unset". */
static const char *dec(const struct decimal *d)
{
	static char ring[8][48];
	static int next;
	char *s = ring[next++ % 8];

	if (!d->set)
		return "unset";
	snprintf(s, sizeof ring[0], "%lld e%d", (long long)d->digits, d->exp);
	return s;
}

#define CHECK_DEC(d, want) CHECK_STREQ(dec(&(d)), want)
#define CHECK_CONTAINS(s, part) check_one(strstr((s), (part)) != NULL, __FILE__, __LINE__, #s " contains " #part, (s), (part))

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* ---- a Modbus server in a thread ---- */

struct server {
	modbus_t *ctx;
	modbus_mapping_t *regs;
	int fd;                   /* the listening socket, or the pty master */
	int port;
	int pty_slave;            /* held open: the master must not see a hang-up between clients */
	char pty_name[128];
	bool rtu, running;
	pthread_t thread;
	atomic_int requests;
	atomic_bool stop;
};

static void serve_one(struct server *s, const uint8_t *query, int n)
{
	atomic_fetch_add(&s->requests, 1);
	modbus_reply(s->ctx, query, n, s->regs);
}

static void *serve_tcp(void *arg)
{
	struct server *s = arg;
	uint8_t query[MODBUS_TCP_MAX_ADU_LENGTH];

	for (;;) {
		int conn = accept(s->fd, NULL, NULL);
		if (conn < 0)
			return NULL;
		modbus_set_socket(s->ctx, conn);
		for (;;) {
			int n = modbus_receive(s->ctx, query);
			if (n < 0)
				break;
			if (n > 0)
				serve_one(s, query, n);
		}
		close(conn);
	}
}

static void *serve_rtu(void *arg)
{
	struct server *s = arg;
	uint8_t query[MODBUS_RTU_MAX_ADU_LENGTH];

	while (!atomic_load(&s->stop)) {
		int n = modbus_receive(s->ctx, query);   /* wakes every 50 ms to look at stop */
		if (n > 0)
			serve_one(s, query, n);
	}
	return NULL;
}

/* Registers as Eastron holds them: input 0x0000-0x01ff, holding 0xfc00-0xfc03. */
static void server_registers(struct server *s)
{
	s->regs = modbus_mapping_new_start_address(0, 0, 0, 0, 0xfc00, 4, 0, 0x200);
}

static void set_float(struct server *s, int reg, float f)
{
	uint32_t bits;

	memcpy(&bits, &f, sizeof bits);
	s->regs->tab_input_registers[reg] = (uint16_t)(bits >> 16);   /* high word first */
	s->regs->tab_input_registers[reg + 1] = (uint16_t)bits;
}

static void set_serial(struct server *s, uint32_t serial)
{
	s->regs->tab_registers[0] = (uint16_t)(serial >> 16);
	s->regs->tab_registers[1] = (uint16_t)serial;
}

/* Listens on 127.0.0.1, on a port the kernel picks; answers only when serve is set. */
static int start_tcp(struct server *s, bool serve)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof addr;

	memset(s, 0, sizeof *s);
	server_registers(s);
	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(s->fd, 4) < 0 ||
	    getsockname(s->fd, (struct sockaddr *)&addr, &len) < 0) {
		printf("  cannot listen on 127.0.0.1: %s\n", strerror(errno));
		return -1;
	}
	s->port = ntohs(addr.sin_port);
	s->ctx = modbus_new_tcp("127.0.0.1", s->port);
	if (serve && pthread_create(&s->thread, NULL, serve_tcp, s) == 0)
		s->running = true;
	return 0;
}

/* An RTU server on a pty master; clients open the slave at 9600 8N1. */
static int start_rtu(struct server *s)
{
	struct termios raw;

	memset(s, 0, sizeof *s);
	server_registers(s);
	if (openpty(&s->fd, &s->pty_slave, s->pty_name, NULL, NULL) < 0) {
		printf("  openpty: %s\n", strerror(errno));
		return -1;
	}
	tcgetattr(s->pty_slave, &raw);
	cfmakeraw(&raw);
	cfsetspeed(&raw, B9600);
	tcsetattr(s->pty_slave, TCSANOW, &raw);
	s->ctx = modbus_new_rtu(s->pty_name, 9600, 'N', 8, 1);
	modbus_set_slave(s->ctx, 1);
	modbus_set_socket(s->ctx, s->fd);
	modbus_set_indication_timeout(s->ctx, 0, 50000);
	s->rtu = true;
	if (pthread_create(&s->thread, NULL, serve_rtu, s) == 0)
		s->running = true;
	return 0;
}

/* Stops the server; its clients must be closed already. */
static void stop_server(struct server *s)
{
	atomic_store(&s->stop, true);
	if (!s->rtu)
		shutdown(s->fd, SHUT_RDWR);
	if (s->running)
		pthread_join(s->thread, NULL);
	close(s->fd);
	if (s->rtu)
		close(s->pty_slave);
	modbus_free(s->ctx);       /* never connected: modbus_close() would restore a tty it never saved */
	modbus_mapping_free(s->regs);
}

static modbus_t *connect_client(const struct server *s)
{
	modbus_t *ctx = s->rtu ? modbus_new_rtu(s->pty_name, 9600, 'N', 8, 1) : modbus_new_tcp("127.0.0.1", s->port);

	if (ctx == NULL)
		return NULL;
	modbus_set_slave(ctx, 1);
	if (modbus_connect(ctx) < 0) {
		printf("  cannot connect: %s\n", modbus_strerror(errno));
		modbus_free(ctx);
		return NULL;
	}
	return ctx;
}

static void close_client(modbus_t *ctx)
{
	if (ctx != NULL) {
		modbus_close(ctx);
		modbus_free(ctx);
	}
}

/* ---- maps ---- */

static int parse(struct modbus_map *map, const char *text, char *err, size_t errlen)
{
	return modbus_map_parse(map, "t.csv", text, strlen(text), err, errlen);
}

/* Expects text to be refused with exactly the message want. */
static void check_refused(const char *text, const char *want)
{
	struct modbus_map map;
	char err[256] = "";

	CHECK_INTEQ(parse(&map, text, err, sizeof err), -1);
	CHECK_STREQ(err, want);
	CHECK(map.entry == NULL && map.nentries == 0);
}

#define H "field,register,function,type,scale,unit\n"

static void test_map_errors(void)
{
	check_refused(H "import_wh,0x48,4,float64,1,kWh\n",
		"t.csv:2: unknown type 'float64' (float32, int16, uint16, int32, uint32)");
	check_refused("# a meter\n" H "\nimport_wh,0x10000,4,float32,1,kWh\n",
		"t.csv:4: bad register '0x10000' (0 to 65535, decimal or 0x hex)");
	check_refused(H "import_wh,-1,4,float32,1,kWh\n", "t.csv:2: bad register '-1' (0 to 65535, decimal or 0x hex)");
	check_refused(H "import_wh,12a,4,float32,1,kWh\n", "t.csv:2: bad register '12a' (0 to 65535, decimal or 0x hex)");
	check_refused(H "import_wh,,4,float32,1,kWh\n", "t.csv:2: bad register '' (0 to 65535, decimal or 0x hex)");
	check_refused(H "import_wh,0x48,4,float32,1,kWh\nexport_wh,0x4a,4,float32,1,kWh\nimport_wh,0x156,4,float32,1,kWh\n",
		"t.csv:4: duplicate field 'import_wh' (first on line 2)");
	check_refused(H "import_wh,0x48,6,float32,1,kWh\n",
		"t.csv:2: bad function '6' (3 for holding registers, 4 for input registers)");
	check_refused("import_wh,0x48,4,float32,1,kWh\n", "t.csv:1: expected the header '" "field,register,function,type,scale,unit" "'");
	check_refused("field,register,function,type,unit\n", "t.csv:1: expected the header 'field,register,function,type,scale,unit'");
	check_refused(H "import_wh,0x48,4,float32,kWh\n",
		"t.csv:2: expected 6 columns (field,register,function,type,scale,unit), found 5");
	check_refused(H "import_wh,0x48,4,float32,1,W\n", "t.csv:2: unit 'W' does not fit field 'import_wh' (Wh, kWh or MWh)");
	check_refused(H "l1_current_a,6,4,float32,1,V\n", "t.csv:2: unit 'V' does not fit field 'l1_current_a' (A or mA)");
	check_refused(H "power_w,0xffff,4,float32,1,W\n", "t.csv:2: register '0xffff' runs past 65535 for float32");
	check_refused(H "power_w,12,4,float32,0,W\n", "t.csv:2: bad scale '0' (a non-zero decimal, e.g. 1, 0.01, 1e-3)");
	check_refused(H "power_w,12,4,float32,1e99,W\n", "t.csv:2: bad scale '1e99' (a non-zero decimal, e.g. 1, 0.01, 1e-3)");
	check_refused(H "power_w,12,4,float32,x,W\n", "t.csv:2: bad scale 'x' (a non-zero decimal, e.g. 1, 0.01, 1e-3)");
	check_refused(H "l4_voltage_v,0,4,float32,1,V\n", "t.csv:2: unknown field 'l4_voltage_v'");
	check_refused(H "import_tariff9_wh,0,4,float32,1,kWh\n", "t.csv:2: unknown field 'import_tariff9_wh'");
	check_refused(H "meter_id,0xfc00,3,float32,,\n", "t.csv:2: meter_id takes an integer type and no scale");
	check_refused(H "@max_registers,200\npower_w,12,4,float32,1,W\n", "t.csv:2: @max_registers takes one number from 2 to 125");
	check_refused(H "@speed,9600\n", "t.csv:2: unknown option '@speed' (@max_registers, @timeout_ms, @retries)");
	check_refused(H "# nothing yet\n", "t.csv:2: no register in the map");
	check_refused("", "t.csv:1: expected the header 'field,register,function,type,scale,unit'");

	struct modbus_map map;
	char err[256];
	CHECK_INTEQ(modbus_map_load(&map, "share/meters/no-such-meter.csv", err, sizeof err), -1);
	CHECK_STREQ(err, "share/meters/no-such-meter.csv: No such file or directory");
}

static void test_map_good(void)
{
	struct modbus_map map;
	char err[256] = "";
	const char *text =
		"# comment line\r\n"
		"\n"
		"  field , register , function , type , scale , unit  # the header\r\n"
		"@timeout_ms,600\n"
		"@retries,0\n"
		"export_wh, 74, 4, uint32, 0.01, kWh\r\n"
		"import_wh,0x0048,4,float32,,kWh   # Total import kWh\n"
		"l2_power_import_w,0x0100,3,int16,1e-1,kW\n"
		"meter_id,0xFC00,3,uint32,,\n";

	CHECK_INTEQ(parse(&map, text, err, sizeof err), 0);
	CHECK_STREQ(err, "");
	CHECK_INTEQ(map.nentries, 4);
	CHECK_INTEQ(map.timeout_ms, 600);
	CHECK_INTEQ(map.retries, 0);
	CHECK_INTEQ(map.max_registers, 125);
	if (map.nentries == 4) {
		/* Sorted by function, then register. */
		CHECK_INTEQ(map.entry[0].function, 3);
		CHECK_INTEQ(map.entry[0].reg, 0x100);
		CHECK_INTEQ(map.entry[0].field, MODBUS_FIELD_PHASE_POWER_IMPORT_W);
		CHECK_INTEQ(map.entry[0].index, 1);
		CHECK_INTEQ(map.entry[0].scale_digits, 1);
		CHECK_INTEQ(map.entry[0].scale_exp, -1);
		CHECK_INTEQ(map.entry[0].unit_exp, 3);
		CHECK_INTEQ(map.entry[1].reg, 0xfc00);
		CHECK_INTEQ(map.entry[2].reg, 0x48);
		CHECK_INTEQ(map.entry[2].line, 7);
		CHECK_INTEQ(map.entry[3].reg, 74);
		CHECK_INTEQ(map.entry[3].type, MODBUS_REG_UINT32);
		CHECK_INTEQ(map.entry[3].scale_exp, -2);
	}
	/* 0x48-0x4b in one request; 0x100 and 0xfc00 one each. */
	CHECK_INTEQ(modbus_map_requests(&map), 3);
	modbus_map_free(&map);

	CHECK_INTEQ(modbus_map_load(&map, "share/meters/eastron-sdm120.csv", err, sizeof err), 0);
	CHECK_INTEQ(map.nentries, 7);
	CHECK_INTEQ(modbus_map_requests(&map), 5);
	modbus_map_free(&map);
	CHECK_INTEQ(modbus_map_load(&map, "share/meters/eastron-sdm630.csv", err, sizeof err), 0);
	CHECK_INTEQ(map.nentries, 13);
	CHECK_INTEQ(map.max_registers, 80);
	CHECK_INTEQ(modbus_map_requests(&map), 4);
	modbus_map_free(&map);
}

/* ---- floats ---- */

static const char *float_dec(float f)
{
	struct decimal d;

	if (modbus_float_to_decimal(&d, f) < 0)
		return "refused";
	return dec(&d);
}

static void test_floats(void)
{
	CHECK_STREQ(float_dec(1234.567f), "1234567 e-3");
	CHECK_STREQ(float_dec(0.1f), "1 e-1");
	CHECK_STREQ(float_dec(230.0f), "230 e0");
	CHECK_STREQ(float_dec(-1919.7f), "-19197 e-1");
	CHECK_STREQ(float_dec(16777216.0f), "16777216 e0");
	CHECK_STREQ(float_dec(98765.43f), "9876543 e-2");
	CHECK_STREQ(float_dec(1e-7f), "1 e-7");
	CHECK_STREQ(float_dec(0.0f), "0 e0");
	CHECK_STREQ(float_dec(-0.0f), "0 e0");
	CHECK_STREQ(float_dec(NAN), "refused");
	CHECK_STREQ(float_dec(INFINITY), "refused");
	CHECK_STREQ(float_dec(-INFINITY), "refused");
	CHECK_STREQ(float_dec(3.4028235e38f), "refused");   /* more digits than an int64 */
	CHECK_STREQ(float_dec(1e-30f), "refused");          /* below 10^-18 */

	/* Any float in range: the decimal reads back as the very same float, with no needless digit. */
	uint32_t x = 12345;
	int bad = 0, tried = 0;
	for (int i = 0; i < 200000; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		float f;
		struct decimal d;
		char text[64];
		memcpy(&f, &x, sizeof f);
		if (modbus_float_to_decimal(&d, f) < 0)
			continue;
		tried++;
		snprintf(text, sizeof text, "%llde%d", (long long)d.digits, d.exp);
		if (strtof(text, NULL) != f || (d.exp < 0 && d.digits % 10 == 0))
			bad++;
	}
	CHECK(tried > 10000);
	CHECK_INTEQ(bad, 0);
}

/* ---- reading meters ---- */

static void load_sdm120(struct server *s)
{
	set_float(s, 0x00, 230.1f);
	set_float(s, 0x06, 1.234f);
	set_float(s, 0x0c, -1919.7f);
	set_float(s, 0x48, 1551.374f);
	set_float(s, 0x4a, 1335.694f);
	set_serial(s, 20370849);
}

static void check_sdm120(const struct reading *r)
{
	CHECK_STREQ(r->protocol, "modbus");
	CHECK(r->checked);
	CHECK_STREQ(r->meter_id, "20370849");
	CHECK_INTEQ(r->phases, 1);
	CHECK_DEC(r->phase[0].voltage_v, "2301 e-1");
	CHECK_DEC(r->phase[0].current_a, "1234 e-3");
	CHECK_DEC(r->phase[0].power_import_w, "0 e0");
	CHECK_DEC(r->phase[0].power_export_w, "19197 e-1");
	CHECK_DEC(r->power_import_w, "0 e0");
	CHECK_DEC(r->power_export_w, "19197 e-1");
	CHECK_DEC(r->import_wh, "1551374 e0");
	CHECK_DEC(r->export_wh, "1335694 e0");
	CHECK_DEC(r->phase[1].voltage_v, "unset");
	CHECK_INTEQ(r->tariffs, 0);
}

static void load_sdm630(struct server *s)
{
	static const float values[] = { 229.9f, 230.4f, 231.0f, 5.25f, 0.0f, 12.5f, 1200.5f, -300.25f, 0.0f };
	for (int i = 0; i < 9; i++)
		set_float(s, 2 * i, values[i]);
	set_float(s, 0x34, 900.25f);
	set_float(s, 0x48, 98765.43f);
	set_float(s, 0x4a, 1234.567f);
	set_serial(s, 4000000001u);
}

static void check_sdm630(const struct reading *r)
{
	CHECK_STREQ(r->meter_id, "4000000001");
	CHECK_INTEQ(r->phases, 3);
	CHECK_DEC(r->phase[0].voltage_v, "2299 e-1");
	CHECK_DEC(r->phase[1].voltage_v, "2304 e-1");
	CHECK_DEC(r->phase[2].voltage_v, "231 e0");
	CHECK_DEC(r->phase[0].current_a, "525 e-2");
	CHECK_DEC(r->phase[1].current_a, "0 e0");
	CHECK_DEC(r->phase[2].current_a, "125 e-1");
	CHECK_DEC(r->phase[0].power_import_w, "12005 e-1");
	CHECK_DEC(r->phase[0].power_export_w, "0 e0");
	CHECK_DEC(r->phase[1].power_import_w, "0 e0");
	CHECK_DEC(r->phase[1].power_export_w, "30025 e-2");
	CHECK_DEC(r->phase[2].power_import_w, "0 e0");
	CHECK_DEC(r->power_import_w, "90025 e-2");
	CHECK_DEC(r->power_export_w, "0 e0");
	CHECK_DEC(r->import_wh, "98765430 e0");
	CHECK_DEC(r->export_wh, "1234567 e0");
}

static void read_meter(bool rtu, const char *map_path, void (*load)(struct server *), void (*check)(const struct reading *))
{
	struct server s;
	struct modbus_map map;
	struct reading r;
	char err[256];
	const char *why = "";

	if ((rtu ? start_rtu(&s) : start_tcp(&s, true)) < 0) {
		check_failed++;
		return;
	}
	load(&s);
	CHECK_INTEQ(modbus_map_load(&map, map_path, err, sizeof err), 0);
	modbus_t *ctx = connect_client(&s);
	CHECK(ctx != NULL);
	if (ctx != NULL) {
		for (int round = 0; round < 3; round++) {
			int before = atomic_load(&s.requests);
			int rc = modbus_meter_read(ctx, &map, &r, &why);
			if (rc < 0)
				printf("  %s over %s: %s\n", map_path, rtu ? "RTU" : "TCP", why);
			CHECK_INTEQ(rc, 0);
			check(&r);
			/* As few requests as the map allows, no retry. */
			CHECK_INTEQ(atomic_load(&s.requests) - before, (long long)modbus_map_requests(&map));
		}
	}
	close_client(ctx);
	stop_server(&s);
	modbus_map_free(&map);
}

static void test_reads(void)
{
	read_meter(false, "share/meters/eastron-sdm120.csv", load_sdm120, check_sdm120);
	read_meter(true, "share/meters/eastron-sdm120.csv", load_sdm120, check_sdm120);
	read_meter(false, "share/meters/eastron-sdm630.csv", load_sdm630, check_sdm630);
	read_meter(true, "share/meters/eastron-sdm630.csv", load_sdm630, check_sdm630);
}

/* Integer registers, scales, units, NaN, and requests split at max_registers. */
static void test_scaling_and_grouping(void)
{
	struct server s;
	struct modbus_map map;
	struct reading r;
	char err[256];
	const char *why = "";
	struct buf_text { char s[4096]; size_t n; } text = { "", 0 };

	if (start_tcp(&s, true) < 0) {
		check_failed++;
		return;
	}
	text.n += (size_t)snprintf(text.s, sizeof text.s, H "@max_registers,10\n");
	for (int t = 1; t <= 8; t++) {
		text.n += (size_t)snprintf(text.s + text.n, sizeof text.s - text.n, "import_tariff%d_wh,%d,4,float32,1,kWh\n", t, 2 * (t - 1));
		text.n += (size_t)snprintf(text.s + text.n, sizeof text.s - text.n, "export_tariff%d_wh,%d,4,float32,,Wh\n", t, 16 + 2 * (t - 1));
		set_float(&s, 2 * (t - 1), (float)t + 0.5f);
		set_float(&s, 16 + 2 * (t - 1), (float)(t * 1000));
	}
	text.n += (size_t)snprintf(text.s + text.n, sizeof text.s - text.n,
		"power_w,0x100,4,int16,0.1,kW\n"         /* -123 → -12.3 kW */
		"import_wh,0x102,4,uint32,0.01,kWh\n"    /* 123456789 → 1234567.89 kWh */
		"export_wh,0x104,4,int32,1,MWh\n"
		"l1_voltage_v,0x106,4,float32,1,V\n"     /* NaN: left out */
		"l1_current_a,0x108,4,uint16,1,mA\n");   /* 1500 mA */
	s.regs->tab_input_registers[0x100] = (uint16_t)-123;
	s.regs->tab_input_registers[0x102] = 123456789 >> 16;
	s.regs->tab_input_registers[0x103] = 123456789 & 0xffff;
	s.regs->tab_input_registers[0x104] = 0;
	s.regs->tab_input_registers[0x105] = 7;
	set_float(&s, 0x106, NAN);
	s.regs->tab_input_registers[0x108] = 1500;
	CHECK_INTEQ(parse(&map, text.s, err, sizeof err), 0);
	/* 32 registers by 10; 0x100 alone (0x101 is in no field), then 0x102-0x108 in one. */
	CHECK_INTEQ(modbus_map_requests(&map), 6);
	modbus_t *ctx = connect_client(&s);
	if (ctx != NULL) {
		int before = atomic_load(&s.requests);
		CHECK_INTEQ(modbus_meter_read(ctx, &map, &r, &why), 0);
		CHECK_INTEQ(atomic_load(&s.requests) - before, 6);
		CHECK_INTEQ(r.tariffs, 8);
		CHECK_DEC(r.import_tariff_wh[0], "1500 e0");
		CHECK_DEC(r.import_tariff_wh[7], "8500 e0");
		CHECK_DEC(r.export_tariff_wh[3], "4000 e0");
		CHECK_DEC(r.export_tariff_wh[7], "8000 e0");
		CHECK_DEC(r.power_export_w, "12300 e0");
		CHECK_DEC(r.power_import_w, "0 e0");
		CHECK_DEC(r.import_wh, "1234567890 e0");
		CHECK_DEC(r.export_wh, "7000000 e0");
		CHECK_DEC(r.phase[0].voltage_v, "unset");
		CHECK_DEC(r.phase[0].current_a, "1500 e-3");
		/* Without the limit: the 32 tariff registers in one request. */
		map.max_registers = 125;
		before = atomic_load(&s.requests);
		CHECK_INTEQ(modbus_meter_read(ctx, &map, &r, &why), 0);
		CHECK_INTEQ(atomic_load(&s.requests) - before, 3);
		CHECK_DEC(r.export_tariff_wh[7], "8000 e0");
	}
	close_client(ctx);
	stop_server(&s);
	modbus_map_free(&map);
}

/* A meter that never answers: every attempt waits the timeout, then a clear error. */
static void test_timeout(void)
{
	struct server s;
	struct modbus_map map;
	struct reading r;
	char err[256];
	const char *why = "";

	if (start_tcp(&s, false) < 0) {
		check_failed++;
		return;
	}
	CHECK_INTEQ(modbus_map_load(&map, "share/meters/eastron-sdm120.csv", err, sizeof err), 0);
	map.timeout_ms = 150;
	map.retries = 2;
	modbus_t *ctx = connect_client(&s);
	if (ctx != NULL) {
		double t0 = now_ms();
		CHECK_INTEQ(modbus_meter_read(ctx, &map, &r, &why), -1);
		double elapsed = now_ms() - t0;
		CHECK_INTEQ(errno, ETIMEDOUT);
		CHECK_STREQ(why, "no answer from the meter within 150 ms, 3 attempts (function 3, registers 64512 to 64513)");
		/* Three full waits; the upper bound leaves room for a loaded test machine. */
		if (elapsed < 420 || elapsed > 2500)
			printf("  3 attempts of 150 ms took %.0f ms\n", elapsed);
		CHECK(elapsed >= 420 && elapsed <= 2500);
		CHECK_DEC(r.import_wh, "unset");
		CHECK_STREQ(r.protocol, "modbus");

		map.retries = 0;
		t0 = now_ms();
		CHECK_INTEQ(modbus_meter_read(ctx, &map, &r, &why), -1);
		elapsed = now_ms() - t0;
		CHECK(elapsed >= 140 && elapsed <= 1500);
		CHECK_CONTAINS(why, "within 150 ms, 1 attempt (");
	}
	close_client(ctx);
	stop_server(&s);
	modbus_map_free(&map);
}

/* A meter that answers "illegal data address": final at once, not retried. */
static void test_exception(void)
{
	struct server s;
	struct modbus_map map;
	struct reading r;
	char err[256];
	const char *why = "";

	if (start_tcp(&s, true) < 0) {
		check_failed++;
		return;
	}
	CHECK_INTEQ(parse(&map, H "import_wh,0x48,4,float32,1,kWh\nexport_wh,0x300,4,float32,1,kWh\n", err, sizeof err), 0);
	modbus_t *ctx = connect_client(&s);
	if (ctx != NULL) {
		double t0 = now_ms();
		int before = atomic_load(&s.requests);
		CHECK_INTEQ(modbus_meter_read(ctx, &map, &r, &why), -1);
		CHECK_INTEQ(errno, EMBXILADD);
		CHECK_STREQ(why, "the meter answered with an exception: Illegal data address after 1 attempt "
		            "(function 4, registers 768 to 769)");
		CHECK_INTEQ(atomic_load(&s.requests) - before, 2);
		CHECK(now_ms() - t0 < 500);
		CHECK_DEC(r.import_wh, "unset");    /* nothing of a failed read is kept */
	}
	close_client(ctx);
	stop_server(&s);
	modbus_map_free(&map);
}

int main(void)
{
	FILE *null = fopen("/dev/null", "w");
	if (null == NULL)
		return 2;
	diag_redirect(null);
	diag_init("test_modbus");
	test_map_errors();
	test_map_good();
	test_floats();
	test_reads();
	test_scaling_and_grouping();
	test_timeout();
	test_exception();
	diag_redirect(NULL);
	fclose(null);
	return check_done("test_modbus");
}
