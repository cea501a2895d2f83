"""Native API, Python host functions and the WASI subset, through the real runtime."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from wamr_agent.agent_err import AgentErr
from wamr_agent.errors import LinkError, Trap
from wamr_agent.pywamr import Host, Module, Runtime

Wat = Callable[[str], bytes]
Example = Callable[[str], Path]


class Recorder(Host):
    def __init__(self, samples: dict[int, list[float]] | None = None) -> None:
        super().__init__()
        self.lines: list[tuple[str, str]] = []
        self.telemetry_seen: list[tuple[str, float]] = []
        self.samples = samples or {}

    def log(self, stream: str, text: str) -> None:
        self.lines.append((stream, text))

    def telemetry(self, key: str, value: float) -> None:
        self.telemetry_seen.append((key, value))

    def sensor_read(self, channel: int) -> float | None:
        queue = self.samples.get(channel, [])
        return queue.pop(0) if queue else None


def test_sensor_example_reads_filters_and_publishes(example: Example) -> None:
    host = Recorder({0: [21.0, 22.0, 23.0], 1: [40.0, 41.0, 42.0]})
    rt = Runtime("esp32", grants=["log", "sensor", "telemetry"])
    with rt.instantiate(Module.from_file(example("sensor")), host) as app:
        assert app.call("setup") == 0
        for _ in range(3):
            assert app.call("loop") == 0
        assert app.call("loop") == -int(AgentErr.NOT_FOUND)
    keys = [k for k, _ in host.telemetry_seen]
    assert keys.count("temp_c") == 3 and keys.count("humidity") == 3
    temps = [v for k, v in host.telemetry_seen if k == "temp_c"]
    assert temps[0] == pytest.approx(21.0, abs=0.01)
    assert 21.0 < temps[-1] < 23.0, "filtered value lags the raw samples"
    assert any("no data" in text for _, text in host.lines)


def test_ungranted_import_is_refused_naming_it(example: Example) -> None:
    with pytest.raises(LinkError) as info:
        Runtime("esp32", grants=["log", "telemetry"]).instantiate(
            Module.from_file(example("sensor")))
    assert info.value.code == AgentErr.NOT_GRANTED
    assert "wamr_agent.sensor_read" in str(info.value)
    assert "'sensor'" in str(info.value)


@pytest.mark.parametrize(("fixture", "code", "text"), [
    ("unknown_import", AgentErr.UNKNOWN_IMPORT, "env.mystery_func"),
    ("bad_import_sig", AgentErr.IMPORT_TYPE, "wamr_agent.log"),
])
def test_bad_imports_are_refused(wat: Wat, fixture: str, code: AgentErr, text: str) -> None:
    with pytest.raises(LinkError) as info:
        Runtime("esp32").instantiate(Module(wat(fixture)))
    assert info.value.code == code
    assert text in str(info.value)


def test_exception_in_host_function_traps_then_is_reraised(wat: Wat) -> None:
    class Broken(Recorder):
        def sensor_read(self, channel: int) -> float | None:
            raise RuntimeError("sensor bus on fire")

    with Runtime("esp32").instantiate(Module(wat("imports_sensor")), Broken()) as app:
        with pytest.raises(RuntimeError, match="sensor bus on fire"):
            app.call("run")
        assert app.stats().traps == 1


def test_hello_wasi_prints_through_the_log(example: Example) -> None:
    host = Recorder()
    with Runtime("esp32").instantiate(Module.from_file(example("hello_wasi")), host) as app:
        app.call("_start")
    stdout = [text for stream, text in host.lines if stream == "stdout"]
    assert len(stdout) >= 2
    assert any(ch.isdigit() for ch in "".join(stdout))


def test_a_command_runs_its_export_so_the_exit_flush_keeps_an_unterminated_tail(
        wat: Wat) -> None:
    """The export "_start", not the function the name section calls "_start": only
    the export runs the destructors, where wasi-libc writes what printf("tail")
    left in its buffer (issue 11: the text after the last newline was lost)."""
    host = Recorder()
    with Runtime("esp32").instantiate(Module(wat("wasi_command_tail")), host) as app:
        app.call("_start")
    assert host.lines == [("stdout", "main"), ("stdout", "tail")]


def test_proc_exit_zero_is_a_normal_return_nonzero_a_trap(wat: Wat) -> None:
    with Runtime("esp32").instantiate(Module(wat("proc_exit"))) as app, \
            pytest.raises(Trap) as info:
        app.call("run")
    assert info.value.code == AgentErr.TRAP_EXIT
    assert "status 3" in str(info.value)


def test_other_wasi_functions_return_enosys(wat: Wat) -> None:
    with Runtime("esp32").instantiate(Module(wat("wasi_enosys"))) as app:
        assert app.call("run") == 52


def test_wasi_needs_its_grant(example: Example) -> None:
    with pytest.raises(LinkError, match="capability 'wasi'"):
        Runtime("esp32", grants=["log"]).instantiate(Module.from_file(example("hello_wasi")))


def test_closed_instance_raises_value_error(wat: Wat) -> None:
    app = Runtime("esp32").instantiate(Module(wat("add")))
    assert app.call("add", 2, 3) == 5
    app.close()
    app.close()
    with pytest.raises(ValueError, match="closed"):
        app.call("add", 2, 3)


CLOCK_AND_RANDOM = """
(module
  (import "wamr_agent" "time_ms" (func $time_ms (result i64)))
  (import "wamr_agent" "sleep_ms" (func $sleep_ms (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get"
    (func $clock (param i32 i64 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "now") (result i64) call $time_ms)
  (func (export "nap") (param i32) (result i32) local.get 0 call $sleep_ms)
  (func (export "rand") (result i32) i32.const 64 i32.const 8 call $random)
  (func (export "rand_byte") (param i32) (result i32) local.get 0 i32.load8_u offset=64)
  (func (export "clock_ns") (result i64)
    i32.const 1 i64.const 0 i32.const 128 call $clock drop
    i32.const 128 i64.load))
"""


def test_time_sleep_random_and_clock_reach_the_host() -> None:
    import wasmtime

    class Clocked(Recorder):
        def __init__(self) -> None:
            super().__init__()
            self.now_us = 1_234_000
            self.slept: list[int] = []

        def time_us(self) -> int:
            return self.now_us

        def sleep_ms(self, ms: int) -> None:
            self.slept.append(ms)

        def random(self, size: int) -> bytes:
            return bytes(range(1, size + 1))

    host = Clocked()
    module = Module(bytes(wasmtime.wat2wasm(CLOCK_AND_RANDOM)))
    with Runtime("esp32").instantiate(module, host) as app:
        assert app.call("now") == 1234
        assert app.call("nap", 250) == 0
        assert host.slept == [250]
        assert app.call("rand") == 0
        assert [app.call("rand_byte", i) for i in range(8)] == list(range(1, 9))
        assert app.call("clock_ns") == 1_234_000_000
