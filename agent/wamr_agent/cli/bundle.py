"""`wamr-agent bundle keygen / build / verify / show`: OTA bundles (ota/FORMAT.md)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..errors import InputError, ManifestError, UsageError
from ..ota.health import Health, parse_duration_ms
from .common import JsonOpt, app, guard, print_json, split_values

if TYPE_CHECKING:  # cbor2 and cryptography are imported where a command runs
    from ..ota import Bundle
    from ..ota.pack import PackReport

bundle_app = typer.Typer(no_args_is_help=True, help="Signed OTA bundles: a manifest and a "
                         "module (ota/FORMAT.md). Create a key, build, verify, show.")
app.add_typer(bundle_app, name="bundle")
BundleArg = Annotated[Path, typer.Argument(help="The .wab bundle.", show_default=False)]
U32_MAX = 0xFFFFFFFF


class Confirm(StrEnum):
    """Who confirms a version on trial (the manifest's health ``confirm``)."""

    AUTO = "auto"
    MANUAL = "manual"


def duration_ms(text: str | int) -> int:
    """``500ms``, ``5s``, ``2m`` or plain milliseconds, as milliseconds (typer passes
    the default, an int, through here too)."""
    try:
        return parse_duration_ms(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


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


@dataclass(frozen=True)
class _Options:
    """`bundle build`'s options as given (None: not given)."""

    module: Path | None
    key: Path | None
    version: str | None
    seq: int | None
    boards: list[str] | None
    name: str | None
    grants: list[str] | None
    health: dict[str, int | str | None]
    aot: bool = False


def _health(given: dict[str, int | str | None], base: Health) -> Health:
    """``base`` with the options given."""
    chosen: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    return replace(base, **chosen)


def _pack_plain(o: _Options, out: Path | None) -> PackReport:
    from ..ota import load_secret_key
    from ..ota.pack import pack

    missing = [opt for opt, v in (("--key", o.key), ("--version", o.version), ("--seq", o.seq),
                                  ("--board", o.boards)) if v is None]
    if missing:
        raise UsageError(f"missing {', '.join(missing)} (or run it with no module in an app "
                         "folder: its wamr.toml gives them)")
    assert o.module and o.key and o.version and o.seq is not None and o.boards
    return pack(o.module, out, key=load_secret_key(o.key), version=o.version, seq=o.seq,
                boards=o.boards, name=o.name, grants=o.grants, health=_health(o.health, Health()),
                aot=o.aot)


def _pack_app(o: _Options, out: Path | None) -> PackReport:
    """The app in this folder: built when needed; options win over its manifest."""
    from ..appdev.devloop import ensure_built
    from ..appdev.manifest import load_manifest
    from ..ota import load_secret_key
    from ..ota.pack import pack
    from .deploy import print_built

    m = load_manifest(Path.cwd())
    built = ensure_built(m)
    if built is not None:
        print_built(built)
    if o.key is not None:
        key = load_secret_key(o.key)
    elif m.signing is not None:
        key = m.signing.load()
    else:
        raise ManifestError(f"{m.path}: signing: missing (add [signing] key = \"FILE\" or "
                            "key_env = \"VARIABLE\", or give --key)")
    seq = o.seq if o.seq is not None else (m.signing.seq if m.signing else 0)
    return pack(m.out, out, key=key,
                version=o.version or m.version, seq=seq, boards=o.boards or list(m.boards),
                name=o.name or m.name, grants=o.grants or m.grant_list(),
                health=_health(o.health, m.health), aot=o.aot or m.aot)


@bundle_app.command("build")
def build(
    module: Annotated[Path | None, typer.Argument(
        help="The .wasm module (default: the app of the wamr.toml in this folder, built "
        "when a source changed; its manifest gives every option not given here).",
        show_default=False)] = None,
    key: Annotated[Path | None, typer.Option(help="Secret key file (bundle keygen).",
                                             show_default=False)] = None,
    version: Annotated[str | None, typer.Option(help="App version, e.g. 1.2.0.",
                                                show_default=False)] = None,
    seq: Annotated[int | None, typer.Option(min=0, max=0xFFFFFFFF, help="Security counter: "
                                            "devices refuse a lower one than installed.",
                                            show_default=False)] = None,
    board: Annotated[list[str] | None, typer.Option("--board", "-b", help="Target board; "
                                                    "repeatable.", show_default=False)] = None,
    name: Annotated[str | None, typer.Option(help="App name (default: the file's stem).")] = None,
    grant: Annotated[list[str] | None, typer.Option(help="Capabilities to grant (default: "
                                                    "those its imports need).")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Bundle file (default: "
                                             "NAME-VERSION.wab next to the module).")] = None,
    health_loops: Annotated[int | None, typer.Option(
        min=0, max=U32_MAX, help=f"Trial: loop rounds to run before confirming (default: "
        f"{Health.loops}).", show_default=False)] = None,
    health_traps: Annotated[int | None, typer.Option(
        min=0, max=U32_MAX, help=f"Trial: traps tolerated (default: {Health.traps}).",
        show_default=False)] = None,
    health_window: Annotated[int | None, typer.Option(
        parser=duration_ms, metavar="DURATION", help="Trial: least time on trial before "
        "confirming: 500ms, 5s, 2m, or milliseconds (default: 0).", show_default=False)] = None,
    confirm: Annotated[Confirm | None, typer.Option(
        help="Who confirms a healthy version on trial: auto (the default), the device; "
        "manual, an operator.", show_default=False)] = None,
    aot: Annotated[bool, typer.Option("--aot", help="Also compile the module ahead of time "
                                      "for each target board's CPU (docs/aot.md); signed "
                                      "devices of that CPU run the code natively.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Check a module for every target board, then write a signed bundle."""
    options = _Options(module, key, version, seq, board, name, split_values(grant),
                       {"loops": health_loops, "traps": health_traps,
                        "window_ms": health_window, "confirm": confirm and confirm.value}, aot)
    report = guard(as_json, lambda: _pack_plain(options, out) if module is not None
                   else _pack_app(options, out))
    if as_json:
        print_json(report)
    else:
        print(f"wrote {report.path}: {report.name} {report.version} (seq {report.seq}) for "
              f"{', '.join(report.boards)}, grants {', '.join(report.caps) or 'nothing'}, "
              f"{report.bundle_bytes} bytes, key {report.kid}")
        for cpu, size in report.aot.items():
            print(f"  AOT code for {cpu}: {size} bytes")
        if report.no_aot:
            print(f"  no AOT code for {', '.join(report.no_aot)} (its CPU has none): "
                  "interpreted there")


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
    from ..inspection import aot_listing
    from ..ota import parse_bundle
    from .local import describe_aot

    parsed = guard(as_json, lambda: parse_bundle(_read(bundle)))
    m = parsed.manifest
    aot = aot_listing(parsed.module)
    if as_json:
        print_json({**m.as_dict(), "aot": aot})
        return
    rows = [("name", m.name), ("version", m.version), ("seq", str(m.seq)),
            ("boards", ", ".join(m.boards)), ("grants", ", ".join(m.caps) or "nothing"),
            ("module", f"{m.module_len} bytes, sha256 {m.module_sha256.hex()}"),
            ("memory", ", ".join(f"{k} {v}" for k, v in (m.mem or {}).items()) or "-"),
            ("entry", ", ".join(m.entry or ()) or "-"),
            ("health", m.health.describe()),
            ("aot", describe_aot(aot)),
            ("key id", m.kid.hex())]
    for key, value in rows:
        print(f"{key:8} {value}")
    print("(signature not checked: use `wamr-agent bundle verify`)")
