// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* tlsmem: parse the command line, run one observation session. */
#include "log.h"
#include "opts.h"
#include "session.h"

int main(int argc, char **argv)
{
	struct opts o;

	switch (opts_parse(argc, argv, &o)) {
	case OPTS_RUN:
		break;
	case OPTS_EXIT_OK:
		return 0;
	default:
		return 2;
	}
	log_init(o.verbose);
	return session_run(&o);
}
