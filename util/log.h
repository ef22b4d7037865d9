/*
 * log.h - one-line log messages on stderr, with the time since start.
 *
 * log_err() logs and returns its error so that an error carries its context
 * once, where it is handled:  return log_err(-ENOMEM, "arp: ...");
 */
#ifndef AX_LOG_H
#define AX_LOG_H

enum ax_log_level { AX_LOG_ERROR, AX_LOG_WARN, AX_LOG_INFO, AX_LOG_DEBUG };

/* Messages above this level are not printed. Default: AX_LOG_INFO. */
void ax_log_set_level(enum ax_log_level lvl);
void ax_log(enum ax_log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int log_err(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_info(...) ax_log(AX_LOG_INFO, __VA_ARGS__)
#define log_warn(...) ax_log(AX_LOG_WARN, __VA_ARGS__)
#define log_debug(...) ax_log(AX_LOG_DEBUG, __VA_ARGS__)

#endif /* AX_LOG_H */
