"""AOT code against the interpreter on every emulated mps2 board (docs/aot.md):
the aotdiff image (firmware/bench/wa_aot_diff_main.c), built per board with
the blobs for its CPU, runs each call of its CALLS table under wasm3 (metered)
and as AOT code (the runtime's AOT path) with the same CPU budget and grants:
the benchmark kernels, the wat fixtures and the examples (results, traps, load refusals,
natives). Results, codes, messages, what the natives logged and ticks must
agree, except the differences listed below with the form they must take.

Every wat fixture in tests/fixtures/wat is either called in CALLS or listed in
EXCLUDED with its reason; a new fixture fails test_every_wat_fixture_... until
it is one or the other (adding it to the differential is one CALLS line)."""

from __future__ import annotations

import fcntl
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import BUILD, ROOT, WAT_DIR, need_aot_tools
from wamr_agent.agent_err import AgentErr
from wamr_agent.aot import AotError, compile_module
from wamr_agent.emulator import EmulatedBoard

# The examples (build/examples, `make examples`): each runs its setup and loops
# (or _start) in the differential; the Makefile's AOT_DIFF_APPS embeds them.
EXAMPLES = ["sensor", "thermostat", "io_probe", "kv_probe", "kv_writer", "hello_wasi"]
BOARDS = ["mps2-an385", "mps2-an386", "mps2-an500", "mps2-an505"]  # M3, M4, M7, M33
MAIN = ROOT / "firmware" / "bench" / "wa_aot_diff_main.c"
LINE = re.compile(r"aotdiff call=(\d+) case=(\S+) engine=(wasm|aot) rc=(-?\d+) result=(\S+) "
                  r"ticks=(\S+) out=([0-9a-f]{8}) msg=(.*)")
REFUSED = re.compile(r"aotdiff call=(\d+) case=(\S+) engine=aot refused")
CALL = re.compile(r'^\s*\{"(\w+)", "([\w ]+)", "(\w*)", \{([^}]*)\}, (\w+), ([\w |]+)\},$', re.M)

# Fixtures not in the differential, each with its reason and, for a module the
# AOT compiler refuses, the refusal it must give: when the compiler learns it,
# this test fails and the fixture moves into CALLS.
EXCLUDED: dict[str, tuple[str, str]] = {
    "summary_fields": ("an imported global (env.base), which the blob does not bind; its env "
                       "imports are refused by both engines anyway", "Z_envZ_base"),
    "imported_memory": ("an imported memory: AOT never compiles it, and the runtime refuses "
                        "it for both engines (an app defines its own memory)",
                        "imports a memory"),
    "no_code": ("no functions at all, nothing to call; the compiler refuses it (no fuel "
                "global in the metered module) where the interpreter loads it",
                "no fuel global"),
}


# Called cases the compiler refuses for one board's CPU ({board: {case: why}}):
# the image runs them interpreted there and says "refused". None since the
# blob brings its own sqrt and rounding (aot_float was refused on the M3).
REFUSED_ON: dict[str, dict[str, str]] = {}


@dataclass(frozen=True)
class Result:
    case: str
    rc: int
    result: str
    ticks: str  # each call's, "+"-separated
    out: str
    msg: str


# Known differences: the case, why, and the form each differing call must take
# (wasm, aot) -> bool; every listed case must differ at least once (a fix fails
# the test until the entry goes).
KNOWN_DIFFERENCES: dict[str, tuple[str, Callable[[Result, Result], bool]]] = {
    "compile_fails_in_else": (
        "wasm3 cannot compile it (its operand stack limit); the AOT code runs it",
        lambda w, a: (w.rc == AgentErr.LOAD_FAILED and "could not compile" in w.msg
                      and a.rc == 0)),
}


def calls_table() -> list[tuple[str, str]]:
    """(case, export) of each line of CALLS, in order."""
    text = MAIN.read_text()
    table = text[text.index("static const call_t CALLS[] = {"):]
    table = table[: table.index("};")]
    return [(m[1], m[2]) for m in CALL.finditer(table)]


def wat_fixtures() -> set[str]:
    return {p.stem for p in WAT_DIR.glob("*.wat")}


def build(board: str) -> Path:
    """build/aotdiff/<board>/firmware.elf; one build at a time (xdist workers)."""
    need_aot_tools("wat2wasm")
    BUILD.mkdir(exist_ok=True)
    with open(BUILD / ".aotdiff.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        made = subprocess.run(["make", "-s", "aot-diff-firmware", f"BOARD={board}"], cwd=ROOT,
                              capture_output=True, text=True)
    assert made.returncode == 0, made.stdout[-2000:] + made.stderr[-2000:]
    return BUILD / "aotdiff" / board / "firmware.elf"


@dataclass
class Run:
    board: str
    calls: dict[int, dict[str, Result]]  # call -> engine -> its line
    refused: dict[int, str]  # call -> case, where the compiler refused the case


@pytest.fixture(scope="module", params=BOARDS)
def run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Each call's line per engine, from the board's image."""
    board: str = request.param
    elf = build(board)
    with EmulatedBoard.start(board, firmware=elf, workdir=tmp_path_factory.mktemp(board)) as dev:
        status = dev.wait_exit(120)
        lines = dev.console.lines()
    assert status == 0, "\n".join(lines[-10:])
    assert lines[0] == f"wamr-agent firmware aotdiff board={board}"
    assert f"aotdiff done calls={len(calls_table())}" in lines
    result = Run(board, {}, {})
    for line in lines:
        m = LINE.fullmatch(line.strip())
        if m:
            result.calls.setdefault(int(m[1]), {})[m[3]] = Result(
                m[2], int(m[4]), m[5], m[6], m[7], m[8])
        m = REFUSED.fullmatch(line.strip())
        if m:
            result.refused[int(m[1])] = m[2]
    return result


def test_aot_agrees_with_the_interpreter(run: Run) -> None:
    table = calls_table()
    assert sorted(run.calls) == list(range(len(table)))
    assert set(run.refused.values()) == set(REFUSED_ON.get(run.board, {}))
    differed: set[str] = set()
    for n, both in run.calls.items():
        if n in run.refused:
            assert set(both) == {"wasm"}
            continue
        wasm, aot = both["wasm"], both["aot"]
        assert wasm.case == aot.case == table[n][0]
        what = f"call {n} ({wasm.case} {table[n][1]}): wasm {wasm} aot {aot}"
        if wasm.case in KNOWN_DIFFERENCES and (wasm.rc, wasm.result) != (aot.rc, aot.result):
            assert KNOWN_DIFFERENCES[wasm.case][1](wasm, aot), what
            differed.add(wasm.case)
            continue
        assert (aot.rc, aot.result, aot.out, aot.msg) == (wasm.rc, wasm.result, wasm.out,
                                                          wasm.msg), what
        if wasm.rc != AgentErr.TRAP_STACK_OVERFLOW:  # the depth differs: C stack vs wasm3's
            assert aot.ticks == wasm.ticks, what
    assert differed == set(KNOWN_DIFFERENCES), "a known difference is gone: update the list"


def test_the_calls_cover_results_traps_refusals_and_natives(run: Run) -> None:
    aot = [both["aot"] for both in run.calls.values() if "aot" in both]
    traps = {e for e in AgentErr if e.is_trap} - {AgentErr.TRAP_HOST, AgentErr.TRAP_OTHER}
    only_refused = {run.calls[n]["wasm"].rc for n in run.refused}  # e.g. aot_float's on M3
    assert {r.rc for r in aot} >= traps - only_refused | {
        0, AgentErr.NOT_GRANTED, AgentErr.UNKNOWN_IMPORT, AgentErr.IMPORT_TYPE,
        AgentErr.MEMORY_BUDGET, AgentErr.NO_EXPORT, AgentErr.ARG_MISMATCH}
    assert any(r.result.startswith("F:") for r in aot)  # an f64 result
    assert len({r.out for r in aot}) >= 3  # natives logged different things


def test_every_wat_fixture_and_example_is_in_the_differential_or_excluded(
        example: Callable[[str], Path]) -> None:
    assert {p.stem for p in example("sensor").parent.glob("*.wasm")} == set(EXAMPLES)
    called = {case for case, _ in calls_table()} - {"kernels", "coremark_like"}
    assert set(EXAMPLES) <= called, "an example is not called in the differential"
    called -= set(EXAMPLES)
    fixtures = wat_fixtures()
    assert called <= fixtures, "CALLS names a case that is no wat fixture"
    assert not called & set(EXCLUDED), "a fixture is both called and excluded"
    missing = fixtures - called - set(EXCLUDED)
    assert not missing, (f"wat fixtures neither in wa_aot_diff_main.c's CALLS nor in "
                         f"EXCLUDED here: {sorted(missing)}")
    assert set(KNOWN_DIFFERENCES) <= called


def test_memory_is_shrunk_and_grown_as_interpreted(run: Run) -> None:
    """A load past the end of a memory shrunk to __heap_base traps as AOT code
    too (4,109 is inside the declared page); memory.grow gives the old size or
    -1 (past the maximum, or a negative count), and the bounds follow the
    current size (aot_grow run(0): no page yet).
    test_aot_agrees_with_the_interpreter holds them equal to the interpreter's."""
    aot: dict[str, list[tuple[int, str]]] = {}
    for n in sorted(run.calls):
        r = run.calls[n]["aot"]
        aot.setdefault(r.case, []).append((r.rc, r.result))
    oob = AgentErr.TRAP_OUT_OF_BOUNDS
    assert [rc for rc, _ in aot["shrink_memory"][:3]] == [0, oob, oob]
    assert [rc for rc, _ in aot["aot_grow"]] == [0, oob, 0]
    assert aot["grow_memory"][1][0] == 0
    assert aot["grow_memory"][2] == (0, "-1")  # memory.grow(-1): no page count that large


def ramp_digest(change: Callable[[bytearray], None]) -> str:
    """aot_ops's digest of bytes 0..47 after the ramp (1..32) and a change, as
    the image prints an i32."""
    mem = bytearray(range(1, 33)) + bytearray(16)
    change(mem)
    h = 0
    for b in mem:
        h = (h * 31 + b) & 0xFFFFFFFF
    return str(h - (1 << 32) if h >= 1 << 31 else h)


def copy(dst: int, src: int, n: int) -> Callable[[bytearray], None]:
    def run(mem: bytearray) -> None:
        mem[dst:dst + n] = mem[src:src + n]  # memmove: as if through a buffer
    return run


def bits(x: int) -> int:
    """aot_ops's bits(x): rotl 13 XOR rotr 71 (= 7), + clz + 1000 ctz + 10^6 popcnt."""
    m = (1 << 64) - 1
    rot = ((x << 13 | x >> 51) ^ (x >> 7 | x << 57)) & m
    clz = 64 - x.bit_length()
    ctz = (x & -x).bit_length() - 1 if x else 64
    return (rot + clz + 1000 * ctz + 1000000 * bin(x).count("1")) & m


def test_post_mvp_operators_answer_as_the_spec_says(run: Run) -> None:
    """aot_ops's calls in CALLS order, checked against the spec's values, so that
    the engines cannot agree on a wrong answer."""
    oob, overflow = AgentErr.TRAP_OUT_OF_BOUNDS, AgentErr.TRAP_INT_OVERFLOW
    ones = "I:ffffffffffffffff"
    expected = [
        (0, "-128"), (0, "I:ffffffffffff8000"), (0, "I:ffffffff80000000"),  # sign extension
        (0, "0"), (0, "2147483647"), (0, "-2147483648"),  # trunc_sat: NaN, 2^31, below -2^31
        (0, "I:0000000000000000"), (0, ones), (0, ones),  # unsigned: -1.0, 2^64, infinity
        (0, ramp_digest(copy(4, 0, 16))), (0, ramp_digest(copy(0, 4, 16))), (oob, "-"),
        (0, ramp_digest(lambda mem: None)),  # 0 bytes at the end: no trap
        (0, ramp_digest(lambda mem: mem.__setitem__(slice(10, 30), bytes([0xAB] * 20)))),
        (oob, "-"),
        (0, "20"), (0, "30"),  # br_table: an entry, the default
        (0, f"I:{bits(0x0123456789abcdef):016x}"), (0, f"I:{bits(0):016x}"),
        (overflow, "-"), (0, "0"), (0, "-1"), (overflow, "-"),  # INT_MIN / -1, % -1; -7 % 2
        (0, str(-(1 << 31))), (0, "0"),  # f32.min(-0, +0) = -0, max = +0
        (0, f"I:{int.from_bytes(bytes(range(5, 13)), 'little') + 0x0403:016x}"), (oob, "-"),
    ]
    got = [(r.rc, r.result) for n in sorted(run.calls)
           for r in [run.calls[n]["aot"]] if r.case == "aot_ops"]
    assert got == expected


# aot_multi's calls in CALLS order: the export and what the AOT code gives
# (the results in order, each with its type; an agent_err code for a trap).
MULTI = [("quad", "1715,I:0000000500000009,f:40200000,F:4001e3779b97f4a8"),
         ("quad", "2147483305,I:7fffffff00000009,f:4e800000,F:40e6a09e66689b2e"),
         ("swap", "9,I:fffffffffffffffe"), ("divmod", "3,2"),
         ("divmod", f"rc={AgentErr.TRAP_DIV_BY_ZERO:d}"), ("pick", "4660,22136"),
         ("pick", "18,120"), ("pick", f"rc={AgentErr.TRAP_INDIRECT_CALL:d}"),
         ("pick", f"rc={AgentErr.TRAP_INDIRECT_CALL:d}"), ("spin", "500500,I:0000000000000000"),
         ("spin", f"rc={AgentErr.TRAP_CPU_BUDGET:d}"), ("five", f"rc={AgentErr.TOO_LARGE:d}")]


def test_several_results_come_back_in_order_with_their_types(run: Run) -> None:
    """Multi-value exports through the device's export trampoline: every
    result (test_aot_agrees_with_the_interpreter holds them equal to the
    interpreter's); an export of more results than the caller
    takes fails as interpreted, after the call."""
    table = calls_table()
    got = [(table[n][1], (run.calls[n]["aot"].result if run.calls[n]["aot"].rc == 0
                          else f"rc={run.calls[n]['aot'].rc}"))
           for n in sorted(run.calls) if table[n][0] == "aot_multi"]
    assert got == MULTI
    five = next(run.calls[n] for n in run.calls if table[n] == ("aot_multi", "five"))
    assert five["aot"].msg == five["wasm"].msg == "five: cannot read its 5 results"
    # wasm3 gives this block's results out of order: refused, AOT code or not
    block = next(run.calls[n] for n in run.calls if table[n][0] == "multi_float_block")
    assert block["aot"].rc == block["wasm"].rc == AgentErr.NOT_SUPPORTED
    assert "a block of several results, the last a float" in block["aot"].msg


# aot_convert's calls in CALLS order: the export and its correctly rounded
# result (one rounding to nearest even), as the image prints it.
CONVERSIONS = [("u64f32", "f:5f212ce2"), ("u64f32", "f:40a00000"), ("s64f32", "f:debda63c"),
               ("s64f32", "f:53800000"), ("u64f64", "F:43e4259c4569db32"),
               ("u64f64", "F:4340000000000000"), ("s64f64", "F:c3d7b4c7752c499c"),
               ("s64f64", "F:c008000000000000")]


def test_64_bit_integers_convert_to_floats_as_the_spec_says(run: Run) -> None:
    """Under both engines. The interpreter's f32.convert_i64_u/_s on the
    hard-float boards (and f64's on the M7) read the run-time ABI helper's
    result from r0 where small_libc.c left it in s0 (d0): the input's low word."""
    table = calls_table()
    for engine in ("wasm", "aot"):
        got = [(table[n][1], run.calls[n][engine].result) for n in sorted(run.calls)
               if table[n][0] == "aot_convert"]
        assert got == CONVERSIONS, engine


@pytest.mark.parametrize("name", sorted(EXCLUDED))
def test_an_excluded_fixture_is_refused_as_listed(
        name: str, wat: Callable[[str], bytes]) -> None:
    need_aot_tools()
    with pytest.raises(AotError, match=EXCLUDED[name][1]):
        compile_module(wat(name), "cortex-m4")
