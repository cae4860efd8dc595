/*
 * libFuzzer target for the Modbus register-map parser: any text as a map file.
 * Properties: no crash or leak; a map that parses plans at least one request
 * per entry group and never more requests than entries; parsing it again
 * gives the same plan.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "modbus_meter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct modbus_map a, b;
	char err[512];

	if (modbus_map_parse(&a, "fuzz", (const char *)data, size, err, sizeof err) < 0)
		return 0;
	size_t requests = modbus_map_requests(&a);
	if (a.nentries > 0 && (requests == 0 || requests > a.nentries))
		abort();
	if (modbus_map_parse(&b, "fuzz", (const char *)data, size, err, sizeof err) < 0 ||
	    modbus_map_requests(&b) != requests || b.nentries != a.nentries)
		abort();
	modbus_map_free(&a);
	modbus_map_free(&b);
	return 0;
}
