/*
 * secret.h: keeping the process that holds an API token from leaking it
 * through a core dump or a debugger (issue 15 #11). Every place that loads a
 * token calls secret_guard_process() first: the Notion key, and each
 * database's tokenEnv token.
 */
#ifndef NV_SECRET_H
#define NV_SECRET_H

/*
 * Makes this process write no core dump and refuse ptrace attaches from
 * other processes of the user (RLIMIT_CORE 0, PR_SET_DUMPABLE 0). Idempotent,
 * cheap after the first call; the limits last for the process's lifetime.
 */
void secret_guard_process(void);

#endif
