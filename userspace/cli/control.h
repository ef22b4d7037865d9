/*
 * control.h - the control socket between `axnet run` and the other
 * subcommands: a Unix stream socket <state-dir>/control.sock speaking lines
 * of text.
 *
 * A client sends one request line and reads response lines until the
 * server closes. Requests and responses:
 *
 *   stats                      -> "<group>.<name> <value>" lines, then "end"
 *   neigh                      -> "neigh ..." lines (neigh.c), then "end"
 *   ping DST COUNT INTERVAL_MS SIZE TIMEOUT_MS
 *                              -> "reply seq=N bytes=B ttl=T rtt_ns=R",
 *                                 "timeout seq=N", "baddata seq=N" lines as
 *                                 they happen, then "done sent=S received=R"
 *   anything else              -> "error <message>"
 */
#ifndef AX_CLI_CONTROL_H
#define AX_CLI_CONTROL_H

#include <stddef.h>
#include <stdio.h>

/* Server: listen on path (a stale socket file is replaced). fd or -errno. */
int ctl_listen(const char *path);

/* Client: a connected socket to the instance in state_dir, or -1 with a
 * message printed. */
int ctl_connect(const char *state_dir);

/* Client: connect to the instance in state_dir, send the request line and
 * return a stream to read the response from (NULL: message printed). */
FILE *ctl_request(const char *state_dir, const char *request);

#endif /* AX_CLI_CONTROL_H */
