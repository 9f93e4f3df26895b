// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* tlsmem: parse the command line, run one observation session. */
#include <string.h>
#include "compare.h"
#include "log.h"
#include "opts.h"
#include "plot.h"
#include "session.h"

int main(int argc, char **argv)
{
	struct opts o;

	if (argc > 1 && !strcmp(argv[1], "plot"))
		return plot_main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "compare"))
		return compare_main(argc - 1, argv + 1);
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
