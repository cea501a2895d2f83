"""Build wasm apps from C, Rust, Zig and AssemblyScript with the flags MCU apps need.

One 64 KiB page, a small stack placed first (an overflow traps instead of
overwriting data), no DWARF but the `name` section kept (traps name the
function), and the reactor ABI (exports `setup`/`loop`, imports only
`wamr_agent`) or a WASI command (`_start`). Each language's commands live in
its own module under `langs/`; this module is the interface the CLI calls
(docs/app-languages.md).
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from ..errors import BuildFailed, ToolchainMissing
from .langs import LANGUAGE_MODULES
from .langs.base import BINDINGS, BuildSpec, Toolchain

__all__ = [
    "BINDINGS", "LANGUAGES", "TEMPLATES", "BuildFailed", "BuildResult", "TemplateInfo",
    "Toolchain", "ToolchainMissing", "build", "find_toolchain", "template_info",
    "write_template",
]

LANGUAGES = ("c", "rust", "zig", "assemblyscript")
TEMPLATES = ("sensor", "actuator", "wasi")
NAME_MARK = "{{name}}"

# What each template's code uses (capabilities.CAPABILITIES names).
_GRANTS: dict[str, list[str]] = {
    "sensor": ["log", "sensor", "telemetry"],
    "actuator": ["log", "sensor", "telemetry"],
    "wasi": ["wasi"],
}


@dataclass(frozen=True)
class TemplateInfo:
    sources: list[str]  # globs relative to the app folder; what build() compiles
    kind: str  # "reactor" (exports setup/loop) or "command" (WASI _start)
    grants: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class BuildResult:
    out: Path
    commands: list[list[str]]
    seconds: float


def _check(lang: str, template: str | None = None) -> None:
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; known: {', '.join(LANGUAGES)}")
    if template is not None and template not in TEMPLATES:
        raise ValueError(f"unknown template {template!r}; known: {', '.join(TEMPLATES)}")


def template_info(lang: str, template: str) -> TemplateInfo:
    """What write_template would return, without writing anything."""
    _check(lang, template)
    kind = "command" if template == "wasi" else "reactor"
    sources = LANGUAGE_MODULES[lang].SOURCES[kind]
    return TemplateInfo(sources=list(sources), kind=kind, grants=list(_GRANTS[template]))


def write_template(lang: str, template: str, dest: Path, name: str) -> TemplateInfo:
    """Writes the template's source files into dest (an app folder), with the app's
    name filled in. Writes no manifest, README or .gitignore."""
    info = template_info(lang, template)
    root = resources.files(__package__).joinpath("templates", lang, template)
    for rel, text in _walk(root, ""):
        path = Path(dest) / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.replace(NAME_MARK, name), encoding="utf-8")
    return info


def _walk(node: resources.abc.Traversable, prefix: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        rel = f"{prefix}{child.name}"
        if child.is_dir():
            found += _walk(child, rel + "/")
        else:
            found.append((rel, child.read_text(encoding="utf-8")))
    return found


def find_toolchain(lang: str) -> Toolchain:
    """The compiler this machine has for lang; raises ToolchainMissing (one line
    naming the package that provides it)."""
    _check(lang)
    return LANGUAGE_MODULES[lang].find()


def default_stack(lang: str) -> int:
    """The stack (bytes) an app in lang gets unless its manifest says otherwise."""
    return LANGUAGE_MODULES[lang].STACK


def build(lang: str, app_dir: Path, sources: list[str], out: Path, *,
          kind: str = "reactor", stack_size: int | None = None) -> BuildResult:
    """Compiles the app's sources (globs relative to app_dir) into out, with a stack
    of stack_size bytes (None: the language's default_stack)."""
    _check(lang)
    if kind not in ("reactor", "command"):
        raise ValueError(f"unknown kind {kind!r}; known: reactor, command")
    toolchain = find_toolchain(lang)
    app_dir = Path(app_dir)
    files = _expand(lang, app_dir, sources)
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="wamr-build-") as work:
        stack = default_stack(lang) if stack_size is None else stack_size
        spec = BuildSpec(app_dir.resolve(), files, out, kind, stack, Path(work))
        commands = LANGUAGE_MODULES[lang].commands(toolchain, spec)
        for argv in commands:
            _run(lang, LANGUAGE_MODULES[lang].TOOL, argv, app_dir)
        LANGUAGE_MODULES[lang].finish(spec)
    return BuildResult(out=out, commands=commands, seconds=time.monotonic() - start)


def _expand(lang: str, app_dir: Path, sources: list[str]) -> list[Path]:
    files: list[Path] = []
    for pattern in sources:
        matched = sorted(p.resolve() for p in app_dir.glob(pattern) if p.is_file())
        files += [p for p in matched if p not in files]
    if not files:
        globs = ", ".join(sources) or "(none)"
        raise BuildFailed(f"{lang}: no source file in {app_dir} matches {globs}")
    return files


def _run(lang: str, tool: str, argv: list[str], cwd: Path) -> None:
    try:
        done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise ToolchainMissing(f"{lang}: cannot run {argv[0]}: {exc.strerror}") from exc
    if done.returncode != 0:
        output = (done.stdout + done.stderr).strip()
        raise BuildFailed(f"{lang}: build failed ({tool} exited {done.returncode})", output)

