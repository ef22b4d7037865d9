/*
 * daemon.h - the daemon (`axnet run`): one thread, one event loop that owns
 * the device, the engine, the authorizer, the log and the servers (the
 * control server, ctl_server.c). What the daemon's files share; nothing
 * outside daemon/ includes it.
 */
#ifndef AX_DAEMON_H
#define AX_DAEMON_H

#include <limits.h>
#include <poll.h>
#include <stdint.h>

#include "control.h"
#include "net/stack.h"
#include "util/cred.h"

struct netdev;
struct axiom;
struct authz;
struct icmp_echo_reply;
struct sock_layer;
struct sockserv;

#define MAX_CLIENTS CTL_MAX_CLIENTS
/* The longest poll() sleep: the engine's deadlines (stack_next_deadline)
 * are looked up this far ahead, and the once-a-second chores need no
 * better. */
#define MAX_SLEEP_MS 100
#define PING_WINDOW 1024     /* replies matched within this many seqs */
#define PING_MAX_DATA 65507  /* 65535 - IPv4 - ICMP headers (over the MTU: fragments) */
#define RX_BUDGET 256

struct ping_sess {
	struct ip_addr dst; /* either family */
	uint16_t id;
	uint32_t count, sent, received, finished;
	size_t size;
	uint64_t interval_ns, timeout_ns, next_send_ns;
	struct {
		uint32_t seq;     /* 0: slot unused */
		uint64_t sent_ns;
		uint8_t done;
	} win[PING_WINDOW];
};

struct client {
	int fd;
	size_t inlen;
	char in[CTL_REQ_MAX + 1];
	struct ping_sess *ping; /* NULL unless a ping is running */
	int blocking;           /* a table: see client_blocking */
	int waiting;            /* a policy push is committing for it */
	uint64_t gen;           /* which client this slot holds */
	struct ctl_out out;     /* the reply, waiting for the client */
	int asked;              /* its request line came */
	int closing;            /* the reply is complete: close once sent */
	int listing;            /* `conns`: more of the table to walk */
	int list_udp;           /* ... TCP is done, UDP's turn */
	uint32_t list_pos;      /* where the walk goes on (tcp_foreach_from) */
	uint64_t since_ns;      /* accepted at (for CTL_IDLE_MS) */
};

/* An instance's name, an etcd member list, a key prefix: at most this
 * long with their NUL (they go into log entries of AXIOM_PAYLOAD_MAX). */
#define AX_NAME_MAX 128
#define AX_STORE_URL_MAX 512

struct daemon {
	struct netdev *dev;
	struct ax_stack stack;
	int listen_fd, sig_fd, lock_fd;
	struct client clients[MAX_CLIENTS];
	uint16_t next_ping_id;
	int stop;
	int busy_poll; /* never sleep in poll(): lower latency, one core spent */
	char state_dir[PATH_MAX];
	char sock_path[PATH_MAX + 32];
	struct axiom *ax;
	struct authz *authz;
	struct sock_layer *socks; /* the socket layer (sock/): services, programs */
	uint64_t next_gen;
	uint64_t last_tick_ns;
	uint32_t udp_idle_ms;
	struct sockserv *sockserv; /* api.sock: programs' sessions (sockserv.h) */
	/* The daemon itself, the owner of its built-in services' sockets. */
	struct ax_cred self;
	/* The instance's name (--name; default HOSTNAME-IFNAME): what it is
	 * called in etcd (its log's default prefix axnet/log/NAME). */
	char name[AX_NAME_MAX];
	/* --axiom etcd://...: the log's members ("host:port,...") and key
	 * prefix; endpoints "" for today's files in the state directory. */
	char axiom_endpoints[AX_STORE_URL_MAX];
	char axiom_prefix[AX_STORE_URL_MAX];
};

/* Reassembled datagrams meet XDP's flow rules (l4filter.c): sets the
 * stack's l4_filter when the backend is XDP with enforcement on. */
void daemon_l4_filter_install(struct daemon *r);

/* `axnet run ARGS`: the exit status. */
int daemon_main(int argc, char **argv);

/*
 * The control server (ctl_server.c), driven by the loop in run.c:
 * ctlsrv_fds() fills CTLSRV_NFDS pollfds (the listening socket, then one
 * per client slot); ctlsrv_io() acts on what poll() said of them (n: its
 * result) and runs the ping sessions; ctlsrv_flush() sends what replies
 * wait. ctlsrv_deadline() lowers next to the ping sessions' next event.
 */
#define CTLSRV_NFDS (1 + MAX_CLIENTS)
void ctlsrv_fds(struct daemon *d, struct pollfd *fds);
void ctlsrv_io(struct daemon *d, const struct pollfd *fds, int n, uint64_t now);
void ctlsrv_flush(struct daemon *d, uint64_t now);
uint64_t ctlsrv_deadline(struct daemon *d, uint64_t now, uint64_t next);
/* Echo replies from the engine, for the ping sessions (arg: the daemon). */
void ctlsrv_echo_reply(void *arg, const struct icmp_echo_reply *rep);
/* Drop every client (at stop). */
void ctlsrv_close_all(struct daemon *d);

#endif /* AX_DAEMON_H */
