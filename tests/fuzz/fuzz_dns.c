/*
 * fuzz_dns.c - libFuzzer target for the preload library's DNS answer
 * reader (preload/dns.c, dns_answer_a): any bytes a server or a forger
 * sends. The first two bytes are the query's id, the next one the length
 * of the name asked (cut from a fixed list), the rest the answer. Checks:
 * no read outside the answer (ASan), at most max addresses, a canonical
 * name that is a terminated string, the id and the question honoured.
 */
#include <stdint.h>
#include <string.h>

#include "preload/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "a.test", "www.example.test", "x", "web.example.test" };
	uint32_t addrs[4];
	char canon[DNS_NAME_MAX];
	int rcode = -1, tc = -1, n;
	uint16_t id;
	const char *qname;

	if (size < 3)
		return 0;
	id = (uint16_t)(data[0] << 8 | data[1]);
	qname = names[data[2] % 4];
	data += 3;
	size -= 3;
	memset(canon, 'z', sizeof(canon));
	n = dns_answer_a(data, size, id, qname, addrs, 4, canon, &rcode, &tc);
	if (n > 4)
		__builtin_trap();
	if (n >= 0) {
		if (size < 12 || (uint16_t)(data[0] << 8 | data[1]) != id || !(data[2] & 0x80))
			__builtin_trap(); /* took an answer to another query */
		if (memchr(canon, '\0', sizeof(canon)) == NULL)
			__builtin_trap();
		if (rcode < 0 || rcode > 15 || (tc != 0 && tc != 1))
			__builtin_trap();
	}
	return 0;
}
