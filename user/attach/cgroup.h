/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_CGROUP_H
#define TLSMEM_CGROUP_H

/*
 * A process's container and Kubernetes pod, from the text of
 * /proc/PID/cgroup. Pure parsing (the text comes from the host, but a
 * process can choose its cgroup names only within what it was delegated),
 * plus one read. Covers the paths of docker (cgroupfs and systemd drivers),
 * containerd (cri-containerd-), CRI-O (crio-), podman (libpod-) and the
 * kubepods hierarchy (pod<uid> with '-' or '_').
 */
#include <stddef.h>

#define CGROUP_ID_MAX	65		/* 64 hex digits and the NUL */
#define CGROUP_POD_MAX	37		/* a UUID and the NUL */

/*
 * Fills id with the container id (lower-case hex, 12 to 64 digits) and pod
 * with the pod uid ("" when none). 0, or -ENOENT when neither was found.
 */
int cgroup_parse(const char *text, size_t len, char *id, char *pod);
/* cgroup_parse() on /proc/PID/cgroup; -errno when it cannot be read. */
int cgroup_of(int pid, char *id, char *pod);
/* 1 if s is a plausible container id or prefix of one (hex, 4 to 64 digits). */
int cgroup_id_valid(const char *s);

#endif /* TLSMEM_CGROUP_H */
