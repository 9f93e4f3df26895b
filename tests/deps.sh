#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Installs the Debian packages that building and testing tlsmem need, when
# they are missing. Root installs them with apt-get; anyone else is told what
# to install. Prints nothing when everything is present.
set -euo pipefail

pkgs=(clang llvm bpftrace libbpf-dev bpftool libelf-dev zlib1g-dev libssl-dev openssl
      pkg-config libncurses-dev libcapstone-dev make gcc jq tmux procps iproute2
      gnuplot-nox curl file util-linux nginx-light android-libboringssl-dev
      liblzma-dev xz-utils elfutils debuginfod libdebuginfod-dev binutils
      stunnel4 postgresql apache2 python3 openjdk-17-jdk-headless libnetty-java
      python3-yaml prometheus
      libnetty-tcnative-java libnetty-tcnative-jni)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages: ${missing[*]}" >&2
	echo "deps: run as root, or: sudo apt-get install ${missing[*]}" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
