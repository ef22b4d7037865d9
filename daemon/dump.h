/*
 * dump.h - tables the daemon prints for the control server's requests.
 */
#ifndef AX_DAEMON_DUMP_H
#define AX_DAEMON_DUMP_H

struct ax_stack;

/* `neigh`: one line per neighbour to say(arg, line). */
void neigh_dump(const struct ax_stack *s, void (*say)(void *arg, const char *line),
		void *arg);

#endif /* AX_DAEMON_DUMP_H */
