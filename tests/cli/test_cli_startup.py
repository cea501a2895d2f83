"""The CLI starts without its heavy dependencies (issue 11: `import
wamr_agent.cli` took about 650 ms): each command imports what it uses when it
runs. Checked by the modules a fresh interpreter holds, not by time (the time is
bench/startup.py's, in `make bench`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

# The SMP client, MQTT, the OTA crypto and CBOR, serial ports, the controller's
# database, the validator, the help renderer, the C runtime's binding.
HEAVY = ("smpclient", "smp", "paho", "cryptography", "cbor2", "serial", "sqlite3", "wasmtime",
         "rich", "asyncio", "wamr_agent.pywamr")
NOT_FOR_RUN = ("smpclient", "smp", "paho", "cryptography", "cbor2", "serial", "sqlite3", "rich")

# Runs the CLI with ARGS in a fresh interpreter, then prints the modules it holds
# as the last line of stdout.
PROBE = """
import json, sys
from wamr_agent.cli import main
sys.argv = ["wamr-agent", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
print("\\n" + json.dumps(sorted(sys.modules)))
"""


def loaded(*args: str) -> set[str]:
    result = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True,
                            text=True, check=False, env={**os.environ, "COLUMNS": "100"})
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout.splitlines()[-1]))


def heavy(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == n or m.startswith(f"{n}.") for n in names))


def test_the_probe_sees_a_heavy_import(tmp_path: Path) -> None:
    """A command that runs imports what it needs (`bundle show` parses CBOR)."""
    assert "cbor2" in heavy(loaded("bundle", "show", str(tmp_path / "none.wab")), HEAVY)
    assert heavy({"cbor2", "paho.mqtt.client", "smpclientx"}, HEAVY) == ["cbor2",
                                                                         "paho.mqtt.client"]


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["run", "--help"],
                                  ["deploy", "--help"], ["bundle", "build", "--help"]])
def test_help_and_version_import_no_heavy_module(args: list[str]) -> None:
    assert heavy(loaded(*args), HEAVY) == []


def test_import_of_the_cli_imports_no_heavy_module() -> None:
    result = subprocess.run([sys.executable, "-c", "import json, sys, wamr_agent.cli; "
                             "print(json.dumps(sorted(sys.modules)))"],
                            capture_output=True, text=True, check=True)
    assert heavy(set(json.loads(result.stdout)), HEAVY) == []


def test_run_imports_the_runtime_but_no_device_or_broker_module(
        example: Callable[[str], Path]) -> None:
    modules = loaded("run", str(example("hello_wasi")))
    assert "wamr_agent.pywamr" in modules
    assert heavy(modules, NOT_FOR_RUN) == []
