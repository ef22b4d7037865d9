/*
 * fuzz_dns.c - libFuzzer target for the preload resolver's DNS answer
 * parser (preload/dns.c): any bytes as the answer to a query for
 * "www.example.test" with id 0x4242 (the input's first byte picks how many
 * addresses may be taken). Whatever it returns, it never reads outside
 * the message nor writes past max addresses or the canonical name.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "preload/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in_addr out[8];
	char canon[AXP_DNS_NAME_MAX];
	uint8_t *m;
	int max, r;

	if (size < 1)
		return 0;
	max = 1 + data[0] % 8;
	m = malloc(size - 1 ? size - 1 : 1); /* exact size: ASan sees overreads */
	memcpy(m, data + 1, size - 1);
	r = axp_dns_answer(m, size - 1, 0x4242, "www.example.test", out, max, canon);
	if (r > max)
		abort();
	if (r >= 0 && strnlen(canon, sizeof(canon)) == sizeof(canon))
		abort();
	free(m);
	return 0;
}
