#!/usr/bin/python3
# Generates the seccomp filter every sandbox is started with
# (src/engine/sandbox/syscall-filter.ts holds its output). libseccomp, from
# Debian's python3-seccomp, builds it: the BPF is not written by hand.
#
# It refuses the kernel keyring calls with EPERM, as Flatpak and Docker do:
# keyrings are kept per uid, and every sandbox of a root server runs as the
# same one. Everything else is allowed. A call made through another ABI of
# the same machine (i386 or x32 on x86_64, AArch32 on arm64) is matched too.
#
#   /usr/bin/python3 packages/sidex/scripts/syscall-filter.py
# prints {"x64": "<base64>", "arm64": "<base64>"}, keyed by Node's process.arch.
import base64, errno, json, os, sys, tempfile
import seccomp

BLOCKED = ('add_key', 'keyctl', 'request_key')
ARCHES = {
    'x64': (seccomp.Arch.X86_64, seccomp.Arch.X86, seccomp.Arch.X32),
    'arm64': (seccomp.Arch.AARCH64, seccomp.Arch.ARM),
}

def build(arches):
    f = seccomp.SyscallFilter(seccomp.ALLOW)
    f.remove_arch(seccomp.Arch.NATIVE)
    for arch in arches:
        f.add_arch(arch)
    for name in BLOCKED:
        f.add_rule(seccomp.ERRNO(errno.EPERM), name)
    with tempfile.TemporaryFile() as out:
        f.export_bpf(out)
        out.seek(0)
        return base64.b64encode(out.read()).decode('ascii')

json.dump({key: build(arches) for key, arches in ARCHES.items()}, sys.stdout)
sys.stdout.write('\n')
