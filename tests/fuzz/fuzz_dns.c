/*
 * fuzz_dns.c - libFuzzer target for the preload resolver's DNS answer
 * parser (preload/dns.c): any bytes as the answer to a query for
 * "www.example.test" with id 0x4242 (the input's first byte picks how many
 * addresses may be taken, and with its top bit, AAAA rather than A). Whatever it returns, it never reads outside
 * the message nor writes past max addresses or the canonical name.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "preload/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct axp_addr out[8];
	char canon[AXP_DNS_NAME_MAX];
	uint8_t *m;
	int max, r, qtype;

	if (size < 1)
		return 0;
	max = 1 + data[0] % 8;
	qtype = data[0] & 0x80 ? AXP_DNS_AAAA : AXP_DNS_A;
	m = malloc(size - 1 ? size - 1 : 1); /* exact size: ASan sees overreads */
	memcpy(m, data + 1, size - 1);
	r = axp_dns_answer(m, size - 1, 0x4242, "www.example.test", qtype, out, max, canon);
	if (r > max)
		abort();
	for (int i = 0; i < r; i++)
		if (out[i].family != (qtype == AXP_DNS_A ? AF_INET : AF_INET6))
			abort();
	if (r >= 0 && strnlen(canon, sizeof(canon)) == sizeof(canon))
		abort();
	free(m);
	return 0;
}
