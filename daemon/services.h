/*
 * services.h - built-in TCP services of `axnet run --serve`, so that kernel
 * tools can exercise axnet's TCP: echo (RFC 862), discard (RFC 863) and
 * chargen (RFC 864: sends its pattern as fast as TCP takes it, until the
 * peer closes or resets).
 */
#ifndef AX_CLI_SERVICES_H
#define AX_CLI_SERVICES_H

#include <stdint.h>

struct ax_stack;

/* Parse "echo:7,discard:9,chargen:19" (before anything is set up, so a
 * typo costs nothing). 0, or -EINVAL with a message printed. */
int services_parse(const char *spec);
/* Listen on every parsed service. 0 or -errno from tcp_listen. */
int services_start(struct ax_stack *s);
/* Stop listening (connections are freed with the stack). */
void services_stop(void);

#endif /* AX_CLI_SERVICES_H */
