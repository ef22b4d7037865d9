/*
 * fuzz_fleet.c - libFuzzer target for the fleet's value parsers
 * (daemon/fleet.h): F/policy's first line and an instance's report, both
 * read from etcd, where anyone with write access may have put anything.
 *
 * An accepted header must name a version of at least 1, a sha256 of 64
 * lowercase hex digits and a text offset inside the value. An accepted
 * report must format back to a value that parses to the same fields.
 * Any failure aborts, so libFuzzer keeps the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/fleet.c" /* its static helpers with it: one translation unit */

const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fleet_policy_hdr h;
	struct fleet_report r, back;
	char buf[4096];

	if (fleet_policy_hdr_parse(data, size, &h) == 0) {
		if (h.version < 1 || !is_hex64(h.sha256, strlen(h.sha256)) || h.text_off > size)
			abort();
		if (h.text_off < size && data[h.text_off - 1] != '\n')
			abort();
	}
	if (fleet_report_parse(data, size, &r) == 0) {
		int n = fleet_report_format(&r, buf, sizeof(buf));

		if (n < 0 || (size_t)n >= sizeof(buf))
			abort();
		if (fleet_report_parse(buf, (size_t)n, &back) != 0)
			abort();
		if (back.version != r.version || back.seq != r.seq || back.ts != r.ts ||
		    strcmp(back.sha256, r.sha256) || strcmp(back.state, r.state))
			abort();
		if (strcmp(r.state, "applied") && strcmp(back.reason, r.reason))
			abort();
	}
	return 0;
}
