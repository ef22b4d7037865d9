/*
 * dump.h - tables the daemon prints for the control server's requests.
 */
#ifndef AX_DAEMON_DUMP_H
#define AX_DAEMON_DUMP_H

struct ax_stack;

/* `neigh`: one line per neighbour to say(arg, line). */
void neigh_dump(const struct ax_stack *s, void (*say)(void *arg, const char *line),
		void *arg);

/*
 * `route` (dump_route.c): the routes, IPv4 then IPv6, each family's
 * default first, then by prefix; then the addresses. Lines:
 *   route DST PLEN GW|- PROTO PREFSRC|- EXPIRES_S|-1
 *   addr ADDR PLEN STATE FLAGS
 * PROTO kernel|static|ra; STATE tentative|preferred|duplicate; FLAGS a
 * comma list of static, linklocal, autoconf, or -.
 */
void route_dump(const struct ax_stack *s, void (*say)(void *arg, const char *line),
		void *arg);

#endif /* AX_DAEMON_DUMP_H */
