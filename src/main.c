/*
 * main.c: the nvault binary. All behaviour lives in the library; this only
 * hands the command line to the CLI front end.
 */
#include "cli/cli.h"

int main(int argc, char **argv)
{
	return cli_main(argc, argv);
}
