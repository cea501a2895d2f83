"""deploy's RAM estimate of AOT code (agent/wamr_agent/device_fit.py, docs/aot.md):
a signed bundle built by `bundle build --aot` (the real pipeline) is estimated as
the device's AOT loader allocates it, not as the interpreter would run it; the
interpreter's estimate stays for the module uploaded unsigned, a board whose CPU
has no AOT code and a bundle with AOT code for another CPU only. The device's
own figures: tests/qemu/test_aot_deploy.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import ROOT, need_aot_tools
from tests.qemu.signed_bundle import build_signed
from wamr_agent.aot.section import aot_sections
from wamr_agent.device_fit import (
    RamEstimate,
    Survey,
    check_fit,
    estimate_payload,
    estimate_ram,
)
from wamr_agent.errors import FitError
from wamr_agent.ota import build_bundle, load_secret_key, parse_bundle
from wamr_agent.payload import Payload, check_payload
from wamr_agent.pywamr.module import read_info
from wamr_agent.smp.app_results import DeviceStatus

BOARD = "mps2-an386"  # Cortex-M4; linear memory budget 2 pages
TEST_KEY = load_secret_key(ROOT / "ota" / "vectors" / "test.key")


@pytest.fixture(scope="module")
def sensor_bundle(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The sensor example signed with AOT code for the an385 (M3) and the an386 (M4)."""
    need_aot_tools()
    sensor = ROOT / "build" / "examples" / "sensor.wasm"
    out = tmp_path_factory.mktemp("aotram") / "sensor.wab"
    built = build_signed(sensor, ["mps2-an385", BOARD, "esp32"], out, "--aot")
    assert built.exit_code == 0, built.output
    return out.read_bytes()


def payload(data: bytes, board: str = BOARD) -> Payload:
    return check_payload(data, "app.wab", board, None)[1]


def interpreted(p: Payload, board: str = BOARD) -> RamEstimate:
    return estimate_ram("app.wab", board, p.module, p.grants)


def survey(free: int) -> Survey:
    """What an otherwise idle mps2-an386 with ``free`` bytes of heap answers."""
    return Survey(DeviceStatus(BOARD, "0.1.0", 1000, 1, "power-on", free, 8, 0, 4096,
                               ("console",), 7), [])


def test_a_bundle_with_aot_code_for_the_boards_cpu_is_estimated_as_its_loader_allocates(
        sensor_bundle: bytes) -> None:
    p = payload(sensor_bundle)
    need, old = estimate_payload("app.wab", BOARD, p), interpreted(p)
    assert need.aot == "cortex-m4" and need.least is None and need.module_copy == 0
    # one block: the linear memory the interpreter gives it (shrunk to __heap_base) and
    # the loader's state, data, GOT, import table and instance: no compiled code, no stack
    assert need.pool - need.engine == read_info(p.module.data).linear_memory == 2256
    assert 144 < need.engine < 1024
    assert need.allowance == 2048 + need.engine // 8
    assert need.total == need.needed < old.total // 4, (need, old)
    # a nearly full board: the interpreter's estimate refused it, this one sends it
    free = (need.total + old.total) // 2
    check_fit(survey(free), "sensor", need)
    with pytest.raises(FitError, match=r"it needs about [0-9,]+ bytes of RAM and"):
        check_fit(survey(free), "sensor", old)
    with pytest.raises(FitError, match=f"it needs about {need.total:,} bytes of RAM as AOT code "
                       "for cortex-m4 and mps2-an386 has"):
        check_fit(survey(need.total - 1), "sensor", need)
    m3 = estimate_payload("app.wab", "mps2-an385", payload(sensor_bundle, "mps2-an385"))
    assert m3.aot == "cortex-m3" and m3.pool - m3.engine == 2256


def test_the_interpreters_estimate_where_the_device_interprets_the_module(
        sensor_bundle: bytes) -> None:
    """Unsigned (AOT code runs from a signed bundle only), a CPU without AOT code
    (esp32), or AOT code for another CPU only."""
    unsigned = payload(parse_bundle(sensor_bundle).module)
    assert estimate_payload("app.wasm", BOARD, unsigned) == interpreted(unsigned)
    esp32 = payload(sensor_bundle, "esp32")
    assert estimate_payload("app.wab", "esp32", esp32) == interpreted(esp32, "esp32")
    module = parse_bundle(sensor_bundle).module
    m3 = next(s.blob for s in aot_sections(module) if s.cpu == "cortex-m3")
    other = payload(build_bundle(
        (ROOT / "build" / "examples" / "sensor.wasm").read_bytes(), name="other",
        version="1.0.0", seq=1, boards=[BOARD], caps=["log", "sensor", "telemetry"],
        key=TEST_KEY, aot={"cortex-m3": m3}))
    need = estimate_payload("app.wab", BOARD, other)
    assert need.aot is None and need == interpreted(other)


def test_a_memory_that_grows_is_reserved_at_load_and_steps_down_to_its_initial_size(
        wat_file: Callable[[str], Path], tmp_path: Path) -> None:
    """aot_grow (no page at load, at most 1) and grow_memory (1 page, no maximum: the
    board's budget of 2): the pool is the reservation, what must be free its least."""
    need_aot_tools()
    needs = {}
    for name in ("aot_grow", "grow_memory"):
        out = tmp_path / f"{name}.wab"
        built = build_signed(wat_file(name), [BOARD], out, "--aot")
        assert built.exit_code == 0, built.output
        needs[name] = estimate_payload(out, BOARD, payload(out.read_bytes()))
    grow, grow_memory = needs["aot_grow"], needs["grow_memory"]
    assert grow.aot == "cortex-m4" and (grow.pool, grow.least) == (grow.engine + 65536,
                                                                    grow.engine)
    assert (grow_memory.pool, grow_memory.least) == (grow_memory.engine + 131072,
                                                     grow_memory.engine + 65536)
    assert grow_memory.needed == grow_memory.least + grow_memory.allowance
    check_fit(survey(grow_memory.needed), "grow_memory", grow_memory)  # fewer pages
    with pytest.raises(FitError) as refused:
        check_fit(survey(grow_memory.needed - 1), "grow_memory", grow_memory)
    assert str(refused.value) == (
        f"grow_memory: not sent: it needs at least {grow_memory.needed:,} bytes of RAM as AOT "
        "code for cortex-m4 (its memory grows: the device reserves up to "
        f"{grow_memory.total:,} bytes at load, fewer pages when its heap has less, down to "
        f"the memory's initial size) and mps2-an386 has {grow_memory.needed - 1:,} free with "
        "no other app running (--no-ram-check sends it anyway)")
