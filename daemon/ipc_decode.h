/*
 * ipc_decode.h - the daemon's readers of what programs write: control
 * requests from api.sock, and UDP records from a socket's tx ring
 * (layouts in include/axnet/ipc.h). Pure functions of their input, no
 * allocation, no I/O, so the fuzzer (tests/fuzz/fuzz_ipc.c) links them
 * without the daemon. Whatever they accept is within the documented
 * bounds; everything else is -EBADMSG.
 */
#ifndef AX_DAEMON_IPC_DECODE_H
#define AX_DAEMON_IPC_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "axnet/ipc.h"

/*
 * One request packet of n bytes. 0 with *out filled (the body of its type;
 * the rest of *out zeroed), or -EBADMSG: shorter than a header, h.len not
 * n, n not the header plus the body of h.type, an unknown type, flags or
 * padding not 0, an address longer than AXIPC_SOCKADDR_MAX, an option
 * longer than AXIPC_OPT_MAX. Semantic checks (versions, socket ids, the
 * order of requests) are the server's.
 */
int ipc_decode_req(const void *buf, size_t n, struct axipc_req *out);

/*
 * The next UDP record of a tx ring (program-written memory at ring, size a
 * power of two), between cons and prod, which the caller has checked:
 * prod - cons <= size. Reads the record header once into *d.
 * Returns the bytes the record takes (its AXIPC_DGRAM_SPACE, or the pad
 * up to the ring's end: then d->family is AXIPC_DGRAM_PAD and the record
 * carries nothing) and sets *payload to the payload's offset in the ring;
 * 0 when the ring is empty; -EBADMSG for a record that runs past prod or
 * the ring's end, a payload over AXIPC_DGRAM_MAX, a pad that does not end
 * exactly at the ring's end, or a family not AF_UNSPEC/AF_INET/AF_INET6/PAD.
 */
long ipc_dgram_next(const uint8_t *ring, uint32_t size, uint32_t cons, uint32_t prod,
		    struct axipc_dgram *d, uint32_t *payload);

#endif /* AX_DAEMON_IPC_DECODE_H */
