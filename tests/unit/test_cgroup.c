// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Container ids and pod uids from the cgroup paths of the usual runtimes. */
#include <errno.h>
#include <unistd.h>

#define TEST_IMPLEMENTATION
#include "test.h"
#include "cgroup.h"

#define ID "4f3e2d1c0b0a99887766554433221100ffeeddccbbaa00112233445566778899"
#define POD "0a1b2c3d-1111-2222-3333-444455556666"

static void check(const char *text, const char *want_id, const char *want_pod, const char *what)
{
	char id[CGROUP_ID_MAX], pod[CGROUP_POD_MAX];
	int err = cgroup_parse(text, strlen(text), id, pod);

	ASSERT_EQ(err, want_id[0] || want_pod[0] ? 0 : -ENOENT, what);
	ASSERT_STREQ(id, want_id, what);
	ASSERT_STREQ(pod, want_pod, what);
}

static void test_runtimes(void)
{
	check("0::/system.slice/docker-" ID ".scope\n", ID, "", "docker, systemd driver");
	check("12:memory:/docker/" ID "\n0::/docker/" ID "\n", ID, "", "docker, cgroupfs");
	check("0::/system.slice/containerd.service/kubepods-besteffort-pod0a1b2c3d_1111_2222_3333_444455556666.slice:cri-containerd:" ID "\n",
	      ID, POD, "containerd under kubepods, systemd driver");
	check("0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0a1b2c3d_1111_2222_3333_444455556666.slice/cri-containerd-" ID ".scope\n",
	      ID, POD, "containerd scope");
	check("0::/kubepods/burstable/pod" POD "/" ID "\n", ID, POD, "kubepods, cgroupfs");
	check("0::/kubepods.slice/kubepods-pod0a1b2c3d_1111_2222_3333_444455556666.slice/crio-" ID ".scope\n",
	      ID, POD, "CRI-O");
	check("0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID ".scope/container\n",
	      ID, "", "podman");
	check("0::/docker/" "4F3E2D1C0B0A99887766554433221100FFEEDDCCBBAA00112233445566778899" "\n",
	      ID, "", "upper case is lowered");
}

static void test_none(void)
{
	check("0::/user.slice/user-0.slice/session-3.scope\n", "", "", "a login session");
	check("0::/\n", "", "", "the root");
	check("0::/docker/" "4f3e2d1c" "\n", "", "", "too short an id");
	check("0::/docker/" ID "0\n", "", "", "too long an id");
	check("0::/podcast/x\n", "", "", "pod without a uid");
	check("", "", "", "empty");
}

static void test_valid_and_self(void)
{
	char id[CGROUP_ID_MAX], pod[CGROUP_POD_MAX];
	int err = cgroup_of(getpid(), id, pod);

	ASSERT_TRUE(err == 0 || err == -ENOENT, "own cgroup reads");
	ASSERT_EQ(cgroup_of(-1, id, pod), -ENOENT, "no such process");
	ASSERT_EQ(cgroup_id_valid("4f3e2d1c0b0a"), 1, "short id");
	ASSERT_EQ(cgroup_id_valid(ID), 1, "full id");
	ASSERT_EQ(cgroup_id_valid("nginx"), 0, "not hex");
	ASSERT_EQ(cgroup_id_valid("abc"), 0, "too short");
	ASSERT_EQ(cgroup_id_valid(ID "0"), 0, "too long");
}

static const struct test_case tests[] = {
	TEST(test_runtimes),
	TEST(test_none),
	TEST(test_valid_and_self),
};

int main(void)
{
	return test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
