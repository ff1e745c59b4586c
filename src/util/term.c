/*
 * term.c: terminal capabilities; see term.h.
 */
#include "util/term.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int term_is_tty(int fd)
{
	return isatty(fd) == 1;
}

int term_escapes_ok(int fd)
{
	const char *term = getenv("TERM");

	return term_is_tty(fd) && !(term && !strcmp(term, "dumb"));
}

int term_color_ok(int fd)
{
	const char *no_color = getenv("NO_COLOR");

	return term_escapes_ok(fd) && !(no_color && *no_color);
}

int term_width(int fd)
{
	struct winsize ws;
	const char *cols = getenv("COLUMNS");

	if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	if (cols && atoi(cols) > 0)
		return atoi(cols);
	return 80;
}
