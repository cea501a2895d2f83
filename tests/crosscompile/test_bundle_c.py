"""firmware/core/ota/wa_bundle.c: the C bundle verifier gives every shared
vector in ota/vectors/ its expected verdict (built with the host compiler, also
under ASan and UBSan, and run), builds for the Cortex-M cores with -Werror, and
fits a small device: its code size and worst-case stack on Cortex-M4 are
printed (run pytest with -s to see them), the stack checked against the bound
wa_bundle.h states."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import pytest

from tests.conftest import ROOT, load_tool, need
from tests.crosscompile.ctools import (
    CORTEX_M,
    SANITIZE,
    TEST_TEXT,
    WARN,
    arm_gcc,
    build_driver,
    build_for_cortex_m,
    fetch_deps,
    host_cc,
    run,
    run_driver,
)

OTA = ROOT / "firmware" / "core" / "ota"
RUNTIME = ROOT / "firmware" / "core" / "runtime"
CRYPTO = ROOT / "firmware" / "core" / "crypto"
MONOCYPHER = ROOT / "build" / "deps" / "monocypher"
ZCBOR = ROOT / "build" / "deps" / "zcbor"
DRIVER = ROOT / "firmware" / "tests" / "wa_bundle_test.c"
VECTORS = ROOT / "ota" / "vectors" / "vectors.txt"
TEST_PUB = ROOT / "ota" / "vectors" / "test.pub"
INCLUDES = [f"-I{d}" for d in (OTA, RUNTIME, CRYPTO, MONOCYPHER, ZCBOR)]
OURS = [OTA / "wa_bundle.c", CRYPTO / "wa_sha256.c", CRYPTO / "wa_sha512.c",
        CRYPTO / "wa_ed25519.c"]
THIRD_PARTY = [MONOCYPHER / "monocypher.c", ZCBOR / "zcbor_decode.c", ZCBOR / "zcbor_common.c"]
STACK_BOUND = 2048  # bytes; wa_bundle.h promises wa_bundle_verify stays below it


@pytest.fixture(scope="module")
def deps() -> None:
    """Monocypher and zcbor in build/deps (fetched, never committed)."""
    fetch_deps("monocypher", "zcbor")


def compile_all(cc: str, flags: list[str], out: Path, extra: Iterable[str] = ()) -> list[Path]:
    """Objects of our sources (-Werror) and the third-party ones (-w) in out."""
    objs = []
    for src in [*OURS, *THIRD_PARTY]:
        warn = ["-w"] if src in THIRD_PARTY else WARN
        obj = out / (src.stem + ".o")
        build = run([cc, *flags, *warn, *extra, *INCLUDES, "-c", src, "-o", obj])
        assert build.returncode == 0, build.stderr
        objs.append(obj)
    return objs


def vector_names() -> list[str]:
    lines = VECTORS.read_text().splitlines()
    return [ln.split()[0] for ln in lines if ln.strip() and not ln.startswith("#")]


@pytest.mark.parametrize("sanitize", [False, True], ids=["plain", "asan-ubsan"])
def test_c_verifier_passes_the_vectors(deps: None, sanitize: bool, tmp_path: Path) -> None:
    cc = host_cc()
    flags = ["-O1", *SANITIZE] if sanitize else ["-O2"]  # -g: ASan's build of Monocypher 8 s
    if sanitize:
        probe = tmp_path / "probe.c"
        probe.write_text("int main(void) { return 0; }\n")
        need(run([cc, *flags, probe, "-o", tmp_path / "probe"]).returncode == 0,
             "the ASan/UBSan runtime for cc", "install gcc (Debian: libgcc-12-dev)")
    objs = [o for o in compile_all(cc, flags, tmp_path) if o.stem != "wa_bundle"]
    exe = build_driver(tmp_path / "wa_bundle_test", [DRIVER, TEST_TEXT, OTA / "wa_bundle.c", *objs],
                       [*flags, "-g", *INCLUDES])
    out = run_driver(exe, VECTORS, load_tool("gen_trusted_keys").read_key(TEST_PUB).hex())
    names = vector_names()
    for name in names:
        assert re.search(rf"^ok   {re.escape(name)} ", out, re.M), name
    assert re.search(rf"^{len(names)} vectors checked, \d+ own checks, 0 failures$", out,
                     re.M), out


@pytest.mark.parametrize("cpu", CORTEX_M)
def test_builds_for_cortex_m(cpu: str, deps: None, tmp_path: Path) -> None:
    build_for_cortex_m(cpu, OTA / "wa_bundle.c", tmp_path, INCLUDES)


# ---- code size (from the link map) ---------------------------------------------------

INPUT_SECTION = re.compile(r"^ (\.(?:text|rodata|data)\S*)\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(\S+)$",
                           re.M)


def flash_by_part(map_text: str) -> dict[str, int]:
    """Flash bytes (code, constants, initial data) each part of the link keeps."""
    ours = [src.name for src in OURS]
    parts = {**dict.fromkeys(ours, 0), "Monocypher": 0, "zcbor": 0, "libc, libgcc": 0}
    body = map_text.split("Linker script and memory map", 1)[1]  # not the discarded ones
    for _section, size, source in INPUT_SECTION.findall(body):
        name = Path(source).name
        part = (name.replace(".o", ".c") if name.replace(".o", ".c") in ours else
                "Monocypher" if name == "monocypher.o" else
                "zcbor" if name.startswith("zcbor_") else "libc, libgcc")
        parts[part] += int(size, 16)
    return parts


# ---- worst-case stack (from gcc -fcallgraph-info=su) ---------------------------------

# How many frames of a function can be live at once (any other recursion fails
# the test): zcbor_any_skip recurses once per nesting level, which wa_bundle.c
# bounds; decode_map decodes the manifest and, in it, the module, mem or health
# map, whose value functions never call decode_manifest_value again.
CBOR_DEPTH = int(re.search(r"#define WA_BUNDLE_CBOR_DEPTH (\d+)u",
                           (OTA / "wa_bundle.h").read_text())[1])  # type: ignore[index]
RECURSION = {"zcbor_any_skip": CBOR_DEPTH, "decode_map": 2, "decode_manifest_value": 1}
INDIRECT = {"decode_map": ("decode_manifest_value", "decode_module_value", "decode_mem_value",
                           "decode_health_value")}
NODE = re.compile(r'node: \{ title: "([^"]+)" label: "([^"\\]+)[^"]*?'
                  r'(?:\\n(\d+) bytes \(([^)]*)\))?"')
EDGE = re.compile(r'edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"')


class CallGraph:
    def __init__(self, ci_files: Iterable[Path]) -> None:
        self.frame: dict[str, int] = {}
        self.name: dict[str, str] = {}
        self.calls: dict[str, list[str]] = {}
        for ci in ci_files:
            text = ci.read_text()
            for title, name, size, kind in NODE.findall(text):
                self.name[title] = name
                if size:
                    assert kind == "static", f"{name}: {kind} stack"
                    self.frame[title] = int(size)
            for src, dst in EDGE.findall(text):
                self.calls.setdefault(src, []).append(dst)
        self.uncounted: set[str] = set()

    def title_of(self, name: str) -> str:
        """The title of a function of wa_bundle.c (static ones carry the file's path)."""
        return next(t for t in self.frame if t == name or t.endswith(f"wa_bundle.c:{name}"))

    def callees(self, title: str) -> list[str]:
        out = []
        for dst in self.calls.get(title, []):
            if dst == "__indirect_call":
                assert self.name[title] in INDIRECT, f"{self.name[title]}: indirect call"
                out += [self.title_of(n) for n in INDIRECT[self.name[title]]]
            else:
                out.append(dst)
        return out

    def deepest(self, title: str, live: tuple[str, ...] = ()) -> tuple[int, list[str]]:
        """Bytes of the deepest call chain from title, and that chain."""
        name = self.name.get(title, title)
        if title not in self.frame:
            self.uncounted.add(name)  # libc leaves (memcpy, strlen, ...)
            return 0, [name]
        live = (*live, name)
        best: tuple[int, list[str]] = (0, [])
        for callee in self.callees(title):
            callee_name = self.name.get(callee, callee)
            if callee_name in live:
                assert callee_name in RECURSION, f"{callee_name}: unbounded recursion?"
                if live.count(callee_name) >= RECURSION[callee_name]:
                    continue
            best = max(best, self.deepest(callee, live))
        return self.frame[title] + best[0], [f"{name}({self.frame[title]})", *best[1]]


def test_size_and_stack_on_cortex_m4(deps: None, tmp_path: Path) -> None:
    gcc = arm_gcc()
    cpu = load_tool("runtime_size").CPU_FLAGS["cortex-m4"]
    flags = [*cpu, "-Os", "-std=gnu11", "-ffunction-sections", "-fdata-sections",
             "-fcallgraph-info=su"]
    objs = compile_all(gcc, flags, tmp_path)
    elf, link_map = tmp_path / "verifier.elf", tmp_path / "verifier.map"
    link = run([gcc, *cpu, "--specs=nano.specs", "--specs=nosys.specs", "-nostartfiles",
                "-Wl,--gc-sections", "-Wl,-e,wa_bundle_verify", f"-Wl,-Map={link_map}",
                "-o", elf, *objs])
    assert link.returncode == 0, link.stderr
    parts = flash_by_part(link_map.read_text())
    graph = CallGraph(tmp_path.glob("*.ci"))
    stack = {f: graph.deepest(graph.title_of(f)) for f in ("wa_bundle_parse", "wa_bundle_verify")}
    print("\nwa_bundle_verify on Cortex-M4, -Os, linked with --gc-sections:")
    for part, size in parts.items():
        print(f"  {size:7} bytes flash  {part}")
    print(f"  {sum(parts.values()):7} bytes flash  total")
    for func, (depth, chain) in stack.items():
        print(f"  {depth:7} bytes stack  {func}: {' > '.join(chain)}")
    print(f"  (not counted: {', '.join(sorted(graph.uncounted))})")
    assert parts["wa_bundle.c"] > 0 and parts["Monocypher"] > 0 and parts["wa_sha512.c"] > 0
    assert stack["wa_bundle_verify"][0] < STACK_BOUND
    symbols = run(["arm-none-eabi-nm", elf]).stdout
    assert "crypto_blake2b" not in symbols  # Ed25519 needs no BLAKE2b, nor does the kid
