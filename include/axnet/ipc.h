/* SPDX-License-Identifier: MIT */
/*
 * ipc.h - the wire between a program (libaxnet) and the daemon (sockserv):
 * the control messages on <state_dir>/api.sock and the layout of the
 * shared-memory segment that carries the data. Both sides include this
 * file; nothing else defines these layouts.
 *
 * Control: a SOCK_SEQPACKET connection to AX_API_SOCK (mode 0666; the
 * policy decides by uid and program). Each message is one packet: a fixed
 * header (struct axipc_hdr) and the fixed body of its type, nothing more
 * (a request is exactly sizeof(struct axipc_hdr) + axipc_req_body_len(type)
 * bytes; flags and every pad field are 0, an address's bytes after its len
 * are 0: anything else is malformed and ends the connection).
 * Every request gets exactly one reply with its id echoed and `err`: 0 or a
 * positive result, or -errno (Linux's errno for the same misuse). Requests
 * on one connection are answered in order; a program sends one at a time
 * or reads its replies (the daemon stops reading a connection whose reply
 * it cannot send). File descriptors travel with SCM_RIGHTS where said.
 *
 *   HELLO   -> [memfd of the segment, doorbell eventfd]. Must come first.
 *   ATTACH  -> after fork(): the child opens its own connection and, instead
 *              of HELLO, presents the token from the segment header it
 *              inherited; it joins that segment and takes a reference on
 *              every socket its parent's session holds (the parent from
 *              /proc/PID/stat; not found: every socket of the segment).
 *              No fds: it inherited them. Attach before the parent may
 *              close what the child needs (the parent waits for it).
 *   SOCKET  -> [the socket's eventfd]; ACCEPT -> [the new socket's eventfd].
 *              The library returns that eventfd as the socket's descriptor.
 *   BIND, LISTEN, CONNECT, SHUTDOWN, CLOSE, SETSOCKOPT, GETSOCKOPT, GETNAME.
 * A request naming a socket first syncs that socket's rings as a kick
 * would (so data written before SHUTDOWN or CLOSE goes out before the FIN),
 * and its outcome is in the socket's slot (readiness, rings) before the
 * reply is sent: a program may read the slot as soon as it has the reply.
 *
 * Data: per socket two rings in the segment: rx (daemon produces, program
 * consumes) and tx (program produces, daemon consumes), indices are 32-bit
 * free-running byte counts (position = index & (size - 1)). For TCP the
 * rings ARE the engine's buffers: rx [cons, prod) is received data, tx
 * [prod, cons + size) is free space the program may fill before it
 * advances prod; the daemon advances tx.cons as the peer acknowledges.
 * For UDP both rings hold records (struct axipc_dgram + payload, each
 * record AXIPC_DGRAM_SPACE(len) bytes, 8-aligned, never wrapping: see
 * AXIPC_DGRAM_PAD).
 *
 * Wake-ups, as AF_XDP's need_wakeup:
 *  - program -> daemon: after moving an index (rx.cons or tx.prod) the
 *    program sets the socket's bit in the kick set (atomic OR into
 *    kick_bits, then the summary bit in kick_sum), then a full fence, then
 *    writes 1 to the doorbell eventfd only if hdr->need_wakeup is set. The
 *    daemon sets need_wakeup just before it sleeps (and looks at the kick
 *    set once more after a fence), clears it when it wakes.
 *  - daemon -> program: the daemon publishes rings and readiness in the
 *    slot, bumps slot->seq, then a full fence, then writes the socket's
 *    eventfd only if the event matches bits of slot->want (which the program
 *    sets before it sleeps, then re-checks the slot; it may leave them set).
 *
 * Trust: the daemon trusts nothing the program can write. It reads each
 * program-written field once into a local, checks it against its private
 * copy (monotonic, <= size, <= producer), and on nonsense aborts that
 * connection (RST; counter sockserv.bad_index). A program can only reach
 * its own segment's slots. Nothing the daemon relies on (its allocator,
 * the socket table, the engine's ring heads) lives in shared memory.
 *
 * Memory order: every field below is accessed with __atomic loads and
 * stores: release when publishing (indices after data, seq after the slot's
 * other fields), acquire when reading; seq_cst fences around the wake-up
 * checks as said above.
 */
#ifndef AXNET_IPC_H
#define AXNET_IPC_H

#include <stdint.h>

#define AXIPC_VERSION 1
#define AXIPC_MAGIC 0x41584950u /* "AXIP" */

/* Limits. */
#define AXIPC_SOCKADDR_MAX 28   /* sizeof(struct sockaddr_in6) */
#define AXIPC_OPT_MAX 256       /* option values (TCP_INFO fits) */
#define AXIPC_TOKEN_LEN 16      /* ATTACH secret, 128 bits */
#define AXIPC_MSG_MAX 512       /* no message is longer */
#define AXIPC_SLOTS 65536       /* sockets per segment (slot ids 0..65535) */
#define AXIPC_CACHELINE 64
/* The daemon's segment size is in hdr->seg_size (virtual: pages cost only
 * when touched; freed rings are punched out). */

enum axipc_type {
	AXIPC_HELLO = 1,
	AXIPC_ATTACH,
	AXIPC_SOCKET,
	AXIPC_BIND,
	AXIPC_LISTEN,
	AXIPC_CONNECT,
	AXIPC_ACCEPT,
	AXIPC_SHUTDOWN,
	AXIPC_CLOSE,
	AXIPC_SETSOCKOPT,
	AXIPC_GETSOCKOPT,
	AXIPC_GETNAME,
	AXIPC_TYPE_MAX /* not a type */
};

/* Every message starts with this. */
struct axipc_hdr {
	uint16_t type;  /* enum axipc_type; a reply carries its request's */
	uint16_t flags; /* 0 */
	uint32_t len;   /* the whole message, this header included */
	uint32_t id;    /* request id, echoed in the reply */
	uint32_t sock;  /* the socket (slot id) a request is about; 0 when none */
};

/* A socket address: the standard struct sockaddr_in / sockaddr_in6 bytes. */
struct axipc_addr {
	uint32_t len; /* <= AXIPC_SOCKADDR_MAX */
	uint8_t addr[AXIPC_SOCKADDR_MAX];
};

/* ---- request bodies ---- */
struct axipc_hello {    /* HELLO */
	uint32_t version; /* AXIPC_VERSION */
	uint32_t flags;   /* 0 */
};
struct axipc_attach {   /* ATTACH */
	uint32_t version;
	uint32_t flags;
	uint8_t token[AXIPC_TOKEN_LEN];
};
struct axipc_socket {   /* SOCKET */
	int32_t domain;   /* AF_INET or AF_INET6 */
	int32_t type;     /* SOCK_STREAM | SOCK_DGRAM (SOCK_NONBLOCK/CLOEXEC ignored) */
	int32_t protocol; /* 0 or IPPROTO_TCP/UDP */
	uint32_t pad;
};
struct axipc_int {      /* LISTEN backlog, SHUTDOWN how, ACCEPT flags, GETNAME peer */
	int32_t val;
	uint32_t pad;
};
/* BIND, CONNECT: struct axipc_addr. CLOSE: no body. */
struct axipc_setopt {   /* SETSOCKOPT */
	int32_t level, name;
	uint32_t len; /* <= AXIPC_OPT_MAX */
	uint32_t pad;
	uint8_t val[AXIPC_OPT_MAX];
};
struct axipc_getopt {   /* GETSOCKOPT */
	int32_t level, name;
	uint32_t len; /* the caller's buffer, <= AXIPC_OPT_MAX */
	uint32_t pad;
};

/* ---- reply bodies (after struct axipc_rep) ---- */
struct axipc_rep {
	struct axipc_hdr h;
	int32_t err; /* >= 0 result, or -errno */
	uint32_t pad;
};
struct axipc_hello_rep {  /* HELLO and ATTACH (err 0); fds only for HELLO */
	uint32_t version;
	uint32_t nslots;   /* slots in the segment */
	uint64_t seg_size; /* bytes to mmap (MAP_SHARED) from the memfd */
};
struct axipc_sock_rep {   /* SOCKET and ACCEPT (err 0): [eventfd] */
	uint32_t sock;        /* slot id */
	uint32_t pad;
	struct axipc_addr peer; /* ACCEPT: the peer's address; SOCKET: len 0 */
};
struct axipc_getopt_rep { /* GETSOCKOPT (err 0) */
	uint32_t len;
	uint32_t pad;
	uint8_t val[AXIPC_OPT_MAX];
};
/* GETNAME (err 0): struct axipc_addr. Other replies: no body. */

/* A request: header + body (the decoder fills it; see daemon/ipc_decode.h). */
struct axipc_req {
	struct axipc_hdr h;
	union {
		struct axipc_hello hello;
		struct axipc_attach attach;
		struct axipc_socket socket;
		struct axipc_int i;
		struct axipc_addr addr;
		struct axipc_setopt setopt;
		struct axipc_getopt getopt;
	} u;
};

/* The body size of each request type (-1: unknown type). */
static inline long axipc_req_body_len(unsigned type)
{
	switch (type) {
	case AXIPC_HELLO: return sizeof(struct axipc_hello);
	case AXIPC_ATTACH: return sizeof(struct axipc_attach);
	case AXIPC_SOCKET: return sizeof(struct axipc_socket);
	case AXIPC_BIND: case AXIPC_CONNECT: return sizeof(struct axipc_addr);
	case AXIPC_LISTEN: case AXIPC_SHUTDOWN: case AXIPC_ACCEPT: case AXIPC_GETNAME:
		return sizeof(struct axipc_int);
	case AXIPC_CLOSE: return 0;
	case AXIPC_SETSOCKOPT: return sizeof(struct axipc_setopt);
	case AXIPC_GETSOCKOPT: return sizeof(struct axipc_getopt);
	default: return -1;
	}
}
/* The body size of each reply type when err >= 0 (a reply with err < 0 has
 * no body: its length is sizeof(struct axipc_rep)). */
static inline long axipc_rep_body_len(unsigned type)
{
	switch (type) {
	case AXIPC_HELLO: case AXIPC_ATTACH: return sizeof(struct axipc_hello_rep);
	case AXIPC_SOCKET: case AXIPC_ACCEPT: return sizeof(struct axipc_sock_rep);
	case AXIPC_GETSOCKOPT: return sizeof(struct axipc_getopt_rep);
	case AXIPC_GETNAME: return sizeof(struct axipc_addr);
	default: return 0;
	}
}

/* ---- the shared-memory segment ---- */

/* Slot ids in the kick set: bit (id % 64) of kick_bits[id / 64]; summary
 * bit ((id / 64) % 64) of kick_sum[id / 4096]. */
#define AXIPC_KICK_WORDS (AXIPC_SLOTS / 64)
#define AXIPC_KICK_SUM_WORDS (AXIPC_KICK_WORDS / 64)

struct axipc_seg_hdr {
	/* written by the daemon at HELLO, then never */
	uint32_t magic;   /* AXIPC_MAGIC */
	uint32_t version; /* AXIPC_VERSION */
	uint64_t seg_size;
	uint64_t slot_off; /* struct axipc_slot[nslots] at this offset */
	uint32_t nslots;
	uint32_t ifindex; /* the interface's index: a link-local peer's sin6_scope_id */
	uint8_t token[AXIPC_TOKEN_LEN]; /* ATTACH secret */
	/* written by the daemon: 1 while it sleeps (or is about to) */
	_Alignas(AXIPC_CACHELINE) uint32_t need_wakeup;
	/* written by programs (atomic OR), cleared by the daemon (exchange) */
	_Alignas(AXIPC_CACHELINE) uint64_t kick_sum[AXIPC_KICK_SUM_WORDS];
	_Alignas(AXIPC_CACHELINE) uint64_t kick_bits[AXIPC_KICK_WORDS];
};

/* Where a ring lives: daemon-written; size 0 until the ring exists, then
 * fixed (TCP: both when the connection is established, with indices that
 * start where the engine's stream offsets are, not at 0; UDP: tx at
 * SOCKET, from 0; rx when the first datagram comes). Back to 0 when the
 * ring is gone (a reset or aborted connection). Read it after an acquire
 * load of slot->seq. */
struct axipc_ringdesc {
	uint64_t off;  /* from the segment's start */
	uint32_t size; /* power of two, or 0 */
	uint32_t pad;
};

/* A ring's indices, each on its own cache line. */
struct axipc_ring {
	_Alignas(AXIPC_CACHELINE) uint32_t prod;
	_Alignas(AXIPC_CACHELINE) uint32_t cons;
};

struct axipc_slot {
	/* written by the daemon */
	uint32_t ready;    /* EPOLL* bits (<sys/epoll.h>) as sock_poll says */
	int32_t so_error;  /* pending error (-errno) or 0: a hint; GETSOCKOPT
	                    * SO_ERROR reads and clears it */
	uint32_t seq;      /* +1 after every publication */
	uint32_t type;     /* SOCK_STREAM, SOCK_DGRAM; 0 while free */
	struct axipc_ringdesc rx, tx;
	/* written by the program */
	_Alignas(AXIPC_CACHELINE) uint32_t want; /* EPOLL* bits to be woken for */
	struct axipc_ring rx_ring; /* daemon prod, program cons */
	struct axipc_ring tx_ring; /* program prod, daemon cons */
};

/*
 * A datagram record in a UDP ring. rx: the sender's address; tx: the
 * destination (family AF_UNSPEC (0): the connected peer). port and addr in
 * network byte order: family AF_INET, addr[0..3]; AF_INET6, all 16 (never
 * a mapped ::ffff:a.b.c.d: IPv4 is always AF_INET; the library shows it
 * to an AF_INET6 socket as mapped). The payload follows; the next
 * record starts AXIPC_DGRAM_SPACE(len) bytes later. A record never wraps:
 * when it would not fit before the ring's end, the producer writes a pad
 * record (family AXIPC_DGRAM_PAD, len = the rest up to the end minus the
 * header) there, or, when fewer than sizeof(struct axipc_dgram) bytes are
 * left, nothing: the consumer skips them itself. Payload at most
 * AXIPC_DGRAM_MAX bytes.
 */
struct axipc_dgram {
	uint32_t len;
	uint16_t port;
	uint16_t family;
	uint8_t addr[16];
};
#define AXIPC_DGRAM_PAD 0xffffu
#define AXIPC_DGRAM_MAX 65507u /* IPv4: 65535 - 20 - 8 */
#define AXIPC_DGRAM_SPACE(len) \
	(((uint32_t)sizeof(struct axipc_dgram) + (uint32_t)(len) + 7u) & ~7u)

_Static_assert(sizeof(struct axipc_hdr) == 16, "axipc_hdr");
_Static_assert(sizeof(struct axipc_addr) == 32, "axipc_addr");
_Static_assert(sizeof(struct axipc_rep) == 24, "axipc_rep");
_Static_assert(sizeof(struct axipc_dgram) == 24, "axipc_dgram");
_Static_assert(sizeof(struct axipc_slot) == 6 * AXIPC_CACHELINE, "axipc_slot");
_Static_assert(sizeof(struct axipc_req) <= AXIPC_MSG_MAX, "axipc_req");
_Static_assert(sizeof(struct axipc_rep) + sizeof(struct axipc_getopt_rep) <= AXIPC_MSG_MAX,
               "axipc_rep");

#endif /* AXNET_IPC_H */
