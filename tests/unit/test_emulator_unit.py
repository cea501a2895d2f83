"""wamr_agent.emulator logic that needs neither QEMU nor a subprocess."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from wamr_agent.boards import BoardError, load_board
from wamr_agent.emulator import Console, EmulatorError, ExpectTimeout, QemuNotFound
from wamr_agent.emulator.firmware import firmware_path, needs_build, repo_root, source_files
from wamr_agent.emulator.preload import PreloadApp, load_apps, write_preload
from wamr_agent.emulator.qemu import Ports, check_emulated, find_qemu, qemu_command
from wamr_agent.emulator.state import STATE_ENV, InstanceState, instance_dir, pid_alive
from wamr_agent.errors import InputError, UsageError


def _log(tmp_path: Path, text: bytes = b"") -> Path:
    path = tmp_path / "console.log"
    path.write_bytes(text)
    return path


def _append(path: Path, text: bytes) -> None:
    with path.open("ab") as stream:
        stream.write(text)


def test_expect_scans_only_output_after_the_previous_match(tmp_path: Path) -> None:
    path = _log(tmp_path, b"wamr-agent firmware 1.0\r\nvalue 1\r\nvalue 2\r\n")
    console = Console(path)
    assert console.expect(r"wamr-agent firmware (\S+)").group(1) == "1.0"
    assert console.expect(r"value (\d)").group(1) == "1"
    assert console.expect(r"value (\d)").group(1) == "2"
    with pytest.raises(ExpectTimeout):
        console.expect(r"value (\d)", timeout=0.05)
    _append(path, b"value 3\r\n")
    assert console.expect(r"value (\d)", timeout=0.05).group(1) == "3"
    assert console.lines() == ["wamr-agent firmware 1.0", "value 1", "value 2", "value 3"]


def test_skip_ignores_earlier_output(tmp_path: Path) -> None:
    path = _log(tmp_path, b"boot\r\n")
    console = Console(path)
    console.skip()
    with pytest.raises(ExpectTimeout):
        console.expect("boot", timeout=0.05)
    _append(path, b"boot\r\n")
    console.expect("boot", timeout=0.05)


def test_utf8_split_across_reads(tmp_path: Path) -> None:
    data = "temp 21.5 °C\n".encode()
    path = _log(tmp_path, data[:11])
    console = Console(path)
    assert console.text == "temp 21.5 "
    _append(path, data[11:])
    assert console.expect("°C").group(0) == "°C"


def test_timeout_message_has_last_lines_and_log_path(tmp_path: Path) -> None:
    path = _log(tmp_path, b"".join(b"line %d\n" % i for i in range(30)))
    with pytest.raises(ExpectTimeout) as caught:
        Console(path).expect(r"ready", timeout=0.05)
    message = str(caught.value)
    assert message.startswith("timed out after 0.05 s waiting for 'ready'")
    assert "last 20 console line(s)" in message
    assert "| line 29" in message and "| line 10" in message and "line 9\n" not in message
    assert message.endswith(f"console log: {path}")


def test_expect_stops_when_the_emulator_exits(tmp_path: Path) -> None:
    path = _log(tmp_path, b"bye\n")
    console = Console(path, lambda: "QEMU exited with status 3")
    with pytest.raises(ExpectTimeout, match="QEMU exited with status 3 while waiting"):
        console.expect("never", timeout=60)
    assert console.expect("bye").group(0) == "bye"  # output before the exit still counts


def test_missing_log_reads_as_empty(tmp_path: Path) -> None:
    console = Console(tmp_path / "none.log")
    assert console.lines() == []
    with pytest.raises(ExpectTimeout, match=r"\(no output\)"):
        console.expect("x", timeout=0.01)


def test_qemu_command() -> None:
    command = qemu_command("qemu-system-arm", "mps2-an386", Path("/fw/firmware.elf"),
                           Ports(mgmt=4000, qmp=4001))
    text = " ".join(command)
    assert command[:3] == ["qemu-system-arm", "-M", "mps2-an386"]
    assert "-nographic -monitor none" in text
    assert "-semihosting-config enable=on,target=native" in text
    assert "-kernel /fw/firmware.elf" in text
    serials = [command[i + 1] for i, arg in enumerate(command) if arg == "-serial"]
    assert serials == ["chardev:console", "tcp:127.0.0.1:4000,server=on,wait=off"]
    assert "file,id=console,path=console.log,append=on" in command
    assert "tcp:127.0.0.1:4001,server=on,wait=off" in command
    with_parts = qemu_command("qemu-system-arm", "mps2-an386", Path("/fw/firmware.elf"),
                              Ports(mgmt=4000, qmp=4001), ["-S"], ["tmp105,address=0x48"])
    assert with_parts[-3:] == ["-device", "tmp105,address=0x48", "-S"]


def test_ports_are_distinct() -> None:
    ports = Ports.pick()
    assert ports.mgmt != ports.qmp and min(ports.mgmt, ports.qmp) > 0


def test_check_emulated() -> None:
    assert check_emulated(load_board("mps2-an386")) == "mps2-an386"
    with pytest.raises(BoardError, match="64 KiB of RAM"):
        check_emulated(load_board("lm3s6965evb"))
    with pytest.raises(BoardError, match=r"simulated board .* `sim` command"):
        check_emulated(load_board("esp32"))


def test_find_qemu_names_the_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAMR_AGENT_QEMU", "qemu-system-nonesuch")
    with pytest.raises(QemuNotFound, match=r"apt-get install qemu-system-arm.*make setup"):
        find_qemu()


def test_needs_build(tmp_path: Path) -> None:
    source, elf = tmp_path / "main.c", tmp_path / "firmware.elf"
    source.write_text("int main;\n")
    assert needs_build(elf, [source])
    elf.write_bytes(b"\x7fELF")
    os.utime(source, (1000, 1000))
    os.utime(elf, (2000, 2000))
    assert not needs_build(elf, [source, tmp_path / "deleted.c"])
    os.utime(source, (3000, 3000))
    assert needs_build(elf, [source])


def test_repo_root_and_sources() -> None:
    root = repo_root()
    assert (root / "Makefile").is_file()
    board = load_board("mps2-an386")
    sources = set(source_files(board, root))
    assert root / "Makefile" in sources and board.path in sources
    assert firmware_path("mps2-an386", root) == (
        root / "build" / "firmware" / "mps2-an386" / "firmware.elf")


def test_repo_root_not_found(tmp_path: Path) -> None:
    with pytest.raises(EmulatorError, match="--firmware"):
        repo_root(tmp_path / "site-packages" / "wamr_agent" / "emulator" / "firmware.py")


def test_state_round_trip(tmp_path: Path) -> None:
    state = InstanceState.now(name="a", board="mps2-an386", pid=123, mgmt_port=4000,
                              qmp_port=4001, workdir=str(tmp_path), firmware="/fw.elf")
    state.save(tmp_path)
    loaded = InstanceState.load(tmp_path)
    assert loaded == state
    assert loaded.mgmt_address == "socket://127.0.0.1:4000"
    assert loaded.console_log == tmp_path / "console.log"


def test_state_unreadable(tmp_path: Path) -> None:
    (tmp_path / "state.json").write_text('{"name": "a"}')
    with pytest.raises(EmulatorError, match="unreadable instance state"):
        InstanceState.load(tmp_path)


def test_instance_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(STATE_ENV, str(tmp_path))
    assert instance_dir("ci-1.board_a") == tmp_path / "ci-1.board_a"
    for bad in ("", "../up", "a/b", "-x", "x" * 65):
        with pytest.raises(UsageError):
            instance_dir(bad)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_pid_alive_checks_the_command_line() -> None:
    assert pid_alive(os.getpid(), "python")
    assert not pid_alive(os.getpid(), "qemu-system-arm 127.0.0.1:1")


def test_load_apps(tmp_path: Path) -> None:
    app = tmp_path / "sensor.wasm"
    app.write_bytes(b"\0asm\1\0\0\0")
    limited = PreloadApp("spin", b"\0asm", cpu_ticks=0)
    assert load_apps([app, ("blink", b"\0asm"), limited]) == [
        PreloadApp("sensor", b"\0asm\1\0\0\0"), PreloadApp("blink", b"\0asm"), limited]
    with pytest.raises(InputError, match="cannot read app to preload"):
        load_apps([tmp_path / "missing.wasm"])


def test_write_preload(tmp_path: Path) -> None:
    flash = tmp_path / "flash.bin"
    flash.write_bytes(b"old")
    write_preload(flash, load_board("mps2-an386"), [("blink", b"\0asm\1\0\0\0")])
    image = flash.read_bytes()
    assert len(image) > 4096 and b"blink" in image and b"\0asm\1\0\0\0" in image


def test_emulator_errors_have_their_exit_code() -> None:
    assert EmulatorError.exit_code == ExpectTimeout.exit_code == QemuNotFound.exit_code == 11
