/*
 * cli_io.c: opening the store and loading the config for a command, with
 * errors reported the CLI way; see cli.h.
 */
#include "cli/cli.h"

#include "store/store.h"

int cli_open_store(struct cli_ctx *ctx, unsigned flags, struct store **out)
{
	const struct settings *st;
	struct nv_err err;
	int rc;

	if ((rc = cli_settings(ctx, &st)))
		return rc;
	nv_err_clear(&err);
	if (store_open(st->db_path, flags, out, &err))
		return cli_error(ctx, &err);
	return 0;
}

int cli_load_config(struct cli_ctx *ctx, struct config **out)
{
	const struct settings *st;
	struct nv_err err;
	int rc;

	if ((rc = cli_settings(ctx, &st)))
		return rc;
	nv_err_clear(&err);
	if (config_load(st->config_path, out, &err))
		return cli_error(ctx, &err);
	return 0;
}
