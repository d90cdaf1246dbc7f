"""What the npm and PyPI packaging scripts share: the version, the release targets, and a
check that a binary is what its target triple says (a release that ships the arm64 binary in
the x64 package fails on users' machines with `exec format error`, not here).

Standard library only: the release job runs these scripts with a bare python3 (>= 3.11).
"""
import struct
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Target:
    os: str  # node's process.platform: npm's `os` field and the platform package's name
    cpu: str  # node's process.arch: npm's `cpu` field
    wheel_tag: str  # the wheel's platform tag (dot-separated: several tags, one wheel)
    exe: str  # the binary's name inside both packages
    format: str  # ELF, Mach-O or PE
    machine: int  # e_machine (ELF), cputype (Mach-O), Machine (PE)

    @property
    def npm_name(self):
        return f"@devtasks/{self.os}-{self.cpu}"


# The Linux binaries are static (musl), so one wheel carries both the manylinux (glibc) and
# the musllinux tags, and the npm packages need no `libc` field.
TARGETS = {
    "x86_64-unknown-linux-musl": Target(
        "linux", "x64",
        "manylinux_2_17_x86_64.manylinux2014_x86_64.musllinux_1_1_x86_64",
        "dev", "ELF", 62),
    "aarch64-unknown-linux-musl": Target(
        "linux", "arm64",
        "manylinux_2_17_aarch64.manylinux2014_aarch64.musllinux_1_1_aarch64",
        "dev", "ELF", 183),
    "x86_64-apple-darwin": Target("darwin", "x64", "macosx_10_12_x86_64", "dev", "Mach-O", 0x01000007),
    "aarch64-apple-darwin": Target("darwin", "arm64", "macosx_11_0_arm64", "dev", "Mach-O", 0x0100000C),
    "x86_64-pc-windows-msvc": Target("win32", "x64", "win_amd64", "dev.exe", "PE", 0x8664),
}


def fail(message):
    sys.exit(f"error: {message}")


def cargo_package():
    """The [package] table of Cargo.toml: the one source of the version and description."""
    with open(ROOT / "Cargo.toml", "rb") as file:
        return tomllib.load(file)["package"]


# The release target that runs on this machine, by `uname -s` and `uname -m`.
HOSTS = {("Linux", "x86_64"): "x86_64-unknown-linux-musl", ("Linux", "aarch64"): "aarch64-unknown-linux-musl",
         ("Linux", "arm64"): "aarch64-unknown-linux-musl",
         ("Darwin", "x86_64"): "x86_64-apple-darwin", ("Darwin", "arm64"): "aarch64-apple-darwin"}


def host_triple():
    """This machine's release target, or None when no release runs here."""
    import platform
    return HOSTS.get((platform.system(), platform.machine()))


def target(triple):
    if triple not in TARGETS:
        fail(f"unknown target `{triple}`; known targets: {', '.join(TARGETS)}")
    return TARGETS[triple]


def binary(path, triple):
    """The binary at `path`, checked against `triple`: exists, and its header says the
    format and CPU the target runs. Warns when a Linux binary is dynamically linked."""
    wanted = target(triple)
    path = Path(path)
    if not path.is_file():
        fail(f"no binary at {path} (for {triple}); build it first, or give the right path")
    with open(path, "rb") as file:
        data = file.read(65536)  # the headers: ELF program headers, the PE header offset
    found = describe(data)
    if found is None:
        fail(f"{path} is not an executable (ELF, Mach-O or PE); expected the {triple} binary")
    if found[:2] != (wanted.format, wanted.machine):
        fail(f"{path} is built for {found[2]}, not for {triple}")
    if wanted.format == "ELF" and has_interpreter(data):
        print(f"warning: {path} is dynamically linked: it will not run on every Linux "
              f"(Alpine's musl, old glibc); the release ships a static build", file=sys.stderr)
    return path


CPUS = {62: "x86_64", 183: "aarch64", 0x01000007: "x86_64", 0x0100000C: "arm64", 0x8664: "x86_64"}


def describe(data):
    """(format, machine, what a message calls it) from an executable's header, or None."""
    if data[:4] == b"\x7fELF" and len(data) > 20:
        endian = "<" if data[5] == 1 else ">"
        found = "ELF", struct.unpack_from(endian + "H", data, 18)[0]
    elif data[:4] == b"\xcf\xfa\xed\xfe" and len(data) > 8:
        found = "Mach-O", struct.unpack_from("<I", data, 4)[0]
    elif data[:2] == b"MZ" and len(data) > 0x40 and data[(pe := struct.unpack_from("<I", data, 0x3C)[0]):pe + 4] == b"PE\0\0":
        found = "PE", struct.unpack_from("<H", data, pe + 4)[0]
    else:
        return None
    return *found, f"{CPUS.get(found[1], f'machine {found[1]:#x}')} ({found[0]})"


def has_interpreter(data):
    """Whether a 64-bit little-endian ELF asks for a dynamic loader (a PT_INTERP header)."""
    if data[4] != 2 or data[5] != 1:
        return False
    offset, = struct.unpack_from("<Q", data, 32)
    size, count = struct.unpack_from("<HH", data, 54)
    if size < 4:  # no program headers, or a header too damaged to read
        return False
    headers = range(offset, min(offset + size * count, len(data) - 4 + 1), size)
    return any(struct.unpack_from("<I", data, at)[0] == 3 for at in headers)
