"""`wamr-agent bundle keygen / build / verify / show`: OTA bundles (ota/FORMAT.md)."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..errors import InputError
from ..ota.health import Health
from .common import JsonOpt, ModuleArg, app, guard, print_json, split_values

if TYPE_CHECKING:  # cbor2 and cryptography are imported where a command runs
    from ..ota import Bundle

bundle_app = typer.Typer(no_args_is_help=True, help="Signed OTA bundles: a manifest and a "
                         "module (ota/FORMAT.md). Create a key, build, verify, show.")
app.add_typer(bundle_app, name="bundle")
BundleArg = Annotated[Path, typer.Argument(help="The .wab bundle.", show_default=False)]
_DURATION = re.compile(r"(\d+)(ms|s|m)?")
_UNIT_MS = {None: 1, "ms": 1, "s": 1000, "m": 60_000}
U32_MAX = 0xFFFFFFFF


class Confirm(StrEnum):
    """Who confirms a version on trial (the manifest's health ``confirm``)."""

    AUTO = "auto"
    MANUAL = "manual"


def duration_ms(text: str | int) -> int:
    """``500ms``, ``5s``, ``2m`` or plain milliseconds, as milliseconds (typer passes
    the default, an int, through here too)."""
    found = _DURATION.fullmatch(str(text).strip())
    if found is None:
        raise typer.BadParameter(f"{text!r} is not a duration (500ms, 5s, 2m, or milliseconds)")
    ms = int(found[1]) * _UNIT_MS[found[2]]
    if ms > U32_MAX:
        raise typer.BadParameter(f"{text} is longer than {U32_MAX} ms")
    return ms


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc


@bundle_app.command("keygen")
def keygen(stem: Annotated[Path, typer.Argument(help="Writes STEM.key (secret, mode 0600) "
                                                "and STEM.pub.", show_default=False)],
           as_json: JsonOpt = False) -> None:
    """Create a signing key pair."""
    from ..ota import new_key_pair

    pair = new_key_pair()
    secret, public = guard(as_json, lambda: pair.save(stem))
    if as_json:
        print_json({"key": str(secret), "pub": str(public), "kid": pair.kid.hex()})
    else:
        print(f"wrote {secret} (keep it secret) and {public}; key id {pair.kid.hex()}")


@bundle_app.command("build")
def build(
    module: ModuleArg,
    key: Annotated[Path, typer.Option(help="Secret key file (bundle keygen).",
                                      show_default=False)],
    version: Annotated[str, typer.Option(help="App version, e.g. 1.2.0.", show_default=False)],
    seq: Annotated[int, typer.Option(min=0, max=0xFFFFFFFF, help="Security counter: devices "
                                     "refuse a lower one than installed.", show_default=False)],
    board: Annotated[list[str], typer.Option("--board", "-b", help="Target board; repeatable.",
                                             show_default=False)],
    name: Annotated[str | None, typer.Option(help="App name (default: the file's stem).")] = None,
    grant: Annotated[list[str] | None, typer.Option(help="Capabilities to grant (default: "
                                                    "those its imports need).")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Bundle file (default: "
                                             "NAME-VERSION.wab next to the module).")] = None,
    health_loops: Annotated[int, typer.Option(min=0, max=U32_MAX, help="Trial: loop rounds "
                                              "to run before confirming.")] = Health.loops,
    health_traps: Annotated[int, typer.Option(min=0, max=U32_MAX, help="Trial: traps "
                                              "tolerated.")] = Health.traps,
    health_window: Annotated[int, typer.Option(
        parser=duration_ms, metavar="DURATION", help="Trial: least time on trial before "
        "confirming: 500ms, 5s, 2m, or milliseconds.")] = Health.window_ms,
    confirm: Annotated[Confirm, typer.Option(help="Who confirms a healthy version on "
                                             "trial: auto, the device; manual, an "
                                             "operator.")]
    = Confirm.AUTO,
    as_json: JsonOpt = False,
) -> None:
    """Check a module for every target board, then write a signed bundle."""
    from ..ota import load_secret_key
    from ..ota.pack import pack

    health = Health(loops=health_loops, traps=health_traps, window_ms=health_window,
                    confirm=confirm.value)
    report = guard(as_json, lambda: pack(module, out, key=load_secret_key(key), version=version,
                                         seq=seq, boards=board, name=name,
                                         grants=split_values(grant), health=health))
    if as_json:
        print_json(report)
    else:
        print(f"wrote {report.path}: {report.name} {report.version} (seq {report.seq}) for "
              f"{', '.join(report.boards)}, grants {', '.join(report.caps) or 'nothing'}, "
              f"{report.bundle_bytes} bytes, key {report.kid}")


@bundle_app.command("verify")
def verify(bundle: BundleArg,
           pub: Annotated[list[Path], typer.Option(help="Trusted public key file; repeatable.",
                                                   show_default=False)],
           board: Annotated[str | None, typer.Option("--board", "-b", help="Also check the "
                                                     "bundle targets this board.")] = None,
           as_json: JsonOpt = False) -> None:
    """Check a bundle as a device would: layout, key, signature, module hash, board."""
    from ..ota import load_public_key, verify_bundle

    def run() -> Bundle:
        return verify_bundle(_read(bundle), [load_public_key(p) for p in pub], board)
    checked = guard(as_json, run)
    m = checked.manifest
    if as_json:
        print_json({"ok": True, "manifest": m.as_dict()})
    else:
        print(f"ok: {m.name} {m.version} (seq {m.seq}), signed by key {m.kid.hex()}"
              + (f", for {board}" if board else ""))


@bundle_app.command("show")
def show(bundle: BundleArg, as_json: JsonOpt = False) -> None:
    """Print a bundle's manifest (the signature is not checked: use verify)."""
    from ..ota import parse_bundle

    parsed = guard(as_json, lambda: parse_bundle(_read(bundle)))
    m = parsed.manifest
    if as_json:
        print_json(m.as_dict())
        return
    rows = [("name", m.name), ("version", m.version), ("seq", str(m.seq)),
            ("boards", ", ".join(m.boards)), ("grants", ", ".join(m.caps) or "nothing"),
            ("module", f"{m.module_len} bytes, sha256 {m.module_sha256.hex()}"),
            ("memory", ", ".join(f"{k} {v}" for k, v in (m.mem or {}).items()) or "-"),
            ("entry", ", ".join(m.entry or ()) or "-"),
            ("health", m.health.describe()),
            ("key id", m.kid.hex())]
    for key, value in rows:
        print(f"{key:8} {value}")
    print("(signature not checked: use `wamr-agent bundle verify`)")
