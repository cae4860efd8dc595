/*
 * A Modbus TCP server holding an Eastron SDM120's register image, for the
 * bats tests of hive-read modbus. Usage: modbus-meter PORT REQUESTS
 * Serves REQUESTS requests (or until 10 s pass without a client), then exits.
 * Values: 230.1 V, 1.234 A, -1919.7 W (export), import 1551.374 kWh,
 * export 1335.694 kWh, serial number 12345678.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

#include <modbus/modbus.h>

static void set_float(modbus_mapping_t *m, int reg, float f)
{
	uint32_t bits;

	/* Eastron: IEEE-754, high word first, each word big-endian on the wire. */
	memcpy(&bits, &f, sizeof bits);
	m->tab_input_registers[reg] = (uint16_t)(bits >> 16);
	m->tab_input_registers[reg + 1] = (uint16_t)(bits & 0xffff);
}

int main(int argc, char **argv)
{
	int port = argc > 1 ? atoi(argv[1]) : 1502, requests = argc > 2 ? atoi(argv[2]) : 10;
	modbus_t *ctx = modbus_new_tcp("127.0.0.1", port);
	modbus_mapping_t *m = modbus_mapping_new_start_address(0, 0, 0, 0, 0xfc00, 2, 0, 0x100);
	uint8_t query[MODBUS_TCP_MAX_ADU_LENGTH];
	int server, client;

	if (ctx == NULL || m == NULL)
		return 2;
	set_float(m, 0x00, 230.1f);
	set_float(m, 0x06, 1.234f);
	set_float(m, 0x0c, -1919.7f);
	set_float(m, 0x48, 1551.374f);
	set_float(m, 0x4a, 1335.694f);
	m->tab_registers[0] = 12345678 >> 16;
	m->tab_registers[1] = 12345678 & 0xffff;
	server = modbus_tcp_listen(ctx, 1);
	if (server < 0) {
		fprintf(stderr, "modbus-meter: cannot listen on %d: %s\n", port, modbus_strerror(errno));
		return 2;
	}
	printf("listening\n");
	fflush(stdout);
	while (requests > 0) {
		fd_set fds;
		struct timeval tv = { 10, 0 };
		FD_ZERO(&fds);
		FD_SET(server, &fds);
		if (select(server + 1, &fds, NULL, NULL, &tv) <= 0)
			break;
		client = modbus_tcp_accept(ctx, &server);
		if (client < 0)
			break;
		for (;;) {
			int n = modbus_receive(ctx, query);
			if (n <= 0)
				break;
			modbus_reply(ctx, query, n, m);
			if (--requests == 0)
				break;
		}
		close(client);
	}
	close(server);
	modbus_mapping_free(m);
	modbus_free(ctx);
	return 0;
}
