/*
 * term.h: what the terminal on a file descriptor can show. Colour only on
 * a terminal, never with NO_COLOR set (https://no-color.org) or TERM=dumb;
 * the width from the terminal itself, else $COLUMNS, else 80.
 */
#ifndef NV_TERM_H
#define NV_TERM_H

/* 1 when fd is a terminal. */
int term_is_tty(int fd);
/* 1 when escape codes (colour, line clearing) may be written to fd. */
int term_escapes_ok(int fd);
/* 1 when colour may be written to fd: term_escapes_ok() and NO_COLOR unset. */
int term_color_ok(int fd);
/* Columns of the terminal on fd; $COLUMNS or 80 when unknown. */
int term_width(int fd);

#endif
