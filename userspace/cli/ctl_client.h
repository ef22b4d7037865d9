/*
 * ctl_client.h - the subcommands' side of the control socket (the protocol
 * is in daemon/control.h): connect, send one request line, read the reply.
 */
#ifndef AX_CLI_CTL_CLIENT_H
#define AX_CLI_CTL_CLIENT_H

#include <stdio.h>

/* Client: a connected socket to the instance in state_dir, or -1 with a
 * message printed. Sets SIGPIPE to be ignored: a write to an instance
 * that went away fails with EPIPE, for the caller to report. */
int ctl_connect(const char *state_dir);

/* Client: connect to the instance in state_dir, send the request line and
 * return a stream to read the response from (NULL: message printed). A
 * request the instance would not take (it closed first, e.g. too many
 * clients) still returns the stream: its "error" line is the answer. */
FILE *ctl_request(const char *state_dir, const char *request);

/*
 * Client: read the reply on f (from ctl_request) and close f. Each line
 * before "end" goes to line(arg, text), text with its '\n', which prints it
 * and returns 0 (more to come), 1 (that was the whole answer: no "end"
 * follows) or -1 (not understood). An "error MESSAGE" line is said as
 * "axnet CMD: MESSAGE", a line not understood as "axnet CMD: unexpected
 * answer: LINE". Returns 0 (answered), 1 (one of those said), or -1: the
 * instance closed before the answer was complete (nothing said).
 */
int ctl_reply(FILE *f, const char *cmd, int (*line)(void *arg, const char *text), void *arg);

#endif /* AX_CLI_CTL_CLIENT_H */
