#include "csum.h"

#include <string.h>

uint32_t csum_partial(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *p = buf;
	uint64_t acc = sum;

	/* Sum 16-bit words as they lie in memory: the one's complement sum
	 * is byte-order independent (RFC 1071 2(B)), so the result is
	 * already in network order when stored back the same way. */
	while (len >= 8) {
		uint64_t w;

		memcpy(&w, p, 8);
		acc += (w & 0xffffffffu) + (w >> 32);
		p += 8;
		len -= 8;
	}
	while (len >= 2) {
		uint16_t w;

		memcpy(&w, p, 2);
		acc += w;
		p += 2;
		len -= 2;
	}
	if (len) {
		uint16_t w = 0;

		memcpy(&w, p, 1); /* odd byte, padded with zero */
		acc += w;
	}
	while (acc >> 32)
		acc = (acc & 0xffffffffu) + (acc >> 32);
	return (uint32_t)acc;
}

uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint16_t csum_l4(uint32_t src, uint32_t dst, uint8_t proto, const void *seg, size_t len)
{
	uint8_t ph[12];
	uint32_t sum;

	memcpy(ph, &src, 4);
	memcpy(ph + 4, &dst, 4);
	ph[8] = 0;
	ph[9] = proto;
	ph[10] = (uint8_t)(len >> 8);
	ph[11] = (uint8_t)len;
	sum = csum_partial(ph, sizeof(ph), 0);
	return csum_fold(csum_partial(seg, len, sum));
}
