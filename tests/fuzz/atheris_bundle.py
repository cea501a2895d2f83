"""atheris harness: the host's bundle parser and verifier (wamr_agent.ota.bundle).

Run by ``make fuzz`` and tests/fuzz/test_fuzz_smoke.py as
``python atheris_bundle.py [libFuzzer options] [corpus dirs]``. parse_bundle and
verify_bundle report every failure as a WamrAgentError subclass (InputError,
SignatureError, BoardError): any other exception is a crash. What parse accepts,
verify must not call malformed, and the module it points to lies in the input.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from wamr_agent.errors import InputError, WamrAgentError
    from wamr_agent.ota.bundle import parse_bundle, verify_bundle
    from wamr_agent.ota.keys import load_public_key

ROOT = Path(__file__).resolve().parents[2]
TRUSTED = [load_public_key(ROOT / "ota" / "vectors" / "test.pub")]


def one_input(data: bytes) -> None:
    try:
        bundle = parse_bundle(data)
    except WamrAgentError:
        bundle = None
    try:
        verify_bundle(data, TRUSTED, board="esp32")
    except InputError as exc:
        if bundle is not None and str(exc).startswith("not a valid bundle"):
            raise AssertionError(f"parse accepted what verify calls malformed: {exc}") from exc
    except WamrAgentError:
        pass
    if bundle is not None and bytes(bundle.module) not in data:
        raise AssertionError("the parsed module is not the input's")


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
