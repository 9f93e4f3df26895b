/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_SESSION_H
#define TLSMEM_SESSION_H

/*
 * One observation run: check the system, find the targets (or start the
 * command), attach, consume events until told to stop, print the outputs,
 * detach. Returns the process exit status of the contract (0, 1, 2, 3).
 */
struct opts;

int session_run(const struct opts *o);

#endif /* TLSMEM_SESSION_H */
