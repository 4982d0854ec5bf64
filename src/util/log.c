/*
 * One line per event on stderr: "<time> <role>[pid] <message>".  The parent
 * collects its children's stderr, so every process logs the same way.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kiln/util.h"

static const char *log_role = "kiln";
static int log_debug_on;

void
log_init(const char *role, int debug)
{
	log_role = role;
	log_debug_on = debug;
}

static void
log_vline(const char *level, int errnum, const char *fmt, va_list ap)
{
	char msg[1024], stamp[32];
	struct timespec ts;
	struct tm tm;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	if (errnum)
		fprintf(stderr, "%s.%03ldZ %s[%d] %s%s: %s\n", stamp,
		    ts.tv_nsec / 1000000, log_role, (int)getpid(), level, msg,
		    strerror(errnum));
	else
		fprintf(stderr, "%s.%03ldZ %s[%d] %s%s\n", stamp,
		    ts.tv_nsec / 1000000, log_role, (int)getpid(), level, msg);
}

#define LOG_BODY(level, errnum)				\
	do {						\
		va_list ap;				\
		va_start(ap, fmt);			\
		log_vline(level, errnum, fmt, ap);	\
		va_end(ap);				\
	} while (0)

void
log_info(const char *fmt, ...)
{
	LOG_BODY("", 0);
}

void
log_debug(const char *fmt, ...)
{
	if (log_debug_on)
		LOG_BODY("debug: ", 0);
}

void
log_warn(const char *fmt, ...)
{
	int e = errno;

	LOG_BODY("warning: ", e);
}

void
log_warnx(const char *fmt, ...)
{
	LOG_BODY("warning: ", 0);
}

void
log_fatal(const char *fmt, ...)
{
	int e = errno;

	LOG_BODY("fatal: ", e);
	exit(1);
}

void
log_fatalx(const char *fmt, ...)
{
	LOG_BODY("fatal: ", 0);
	exit(1);
}
