/*
 * secret.c: see secret.h. A token sits in several buffers (the environment,
 * the client's header, curl's copies), so wiping them is not enough: a core
 * dump of a process that ever held one must not be written at all.
 */
#include "util/secret.h"

#include <sys/prctl.h>
#include <sys/resource.h>

void secret_guard_process(void)
{
	static int guarded;
	struct rlimit none = {0, 0};

	if (__atomic_exchange_n(&guarded, 1, __ATOMIC_SEQ_CST))
		return;
	setrlimit(RLIMIT_CORE, &none);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}
