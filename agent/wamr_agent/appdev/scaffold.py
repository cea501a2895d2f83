"""`wamr-agent new`: a small app folder that builds as it is: ``wamr.toml``, the
template's sources (``toolchains.write_template``), a ``.gitignore`` and a README
of five lines."""

from __future__ import annotations

import json
from pathlib import Path

from ..capabilities import CAPABILITIES
from ..errors import UsageError
from ..ota.bundle import Health
from ..smp.app_names import name_problem
from .manifest import DEFAULT_BOARD, LANGUAGES, MANIFEST
from .toolchains import default_stack

__all__ = ["IGNORED", "new_app"]

# What each language's build leaves in the folder besides build/ (ignored by git).
IGNORED = {"c": [], "rust": ["target/"], "zig": [],
           "assemblyscript": ["node_modules/"]}


def _toml(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a TOML basic string


def manifest_text(name: str, lang: str, sources: list[str], kind: str,
                  grants: list[str]) -> str:
    h = Health()
    ordered = [c for c in CAPABILITIES if c in grants]
    return "\n".join([
        "# The app's manifest (docs/app-manifest.md). Options given to a command win.",
        f"name = {_toml(name)}",
        'version = "0.1.0"',
        f"language = {_toml(lang)}",
        f"boards = [{_toml(DEFAULT_BOARD)}]  # the first is the one `up` and `deploy` use",
        f"grants = [{', '.join(map(_toml, ordered))}]",
        "",
        "[build]",
        f"sources = [{', '.join(map(_toml, sources))}]",
        f"kind = {_toml(kind)}  # reactor: setup() once, then loop(); command: _start()",
        f"stack_size = {default_stack(lang)}",
        f"out = {_toml(f'build/{name}.wasm')}",
        "",
        "[health]  # when the device confirms a new version on trial",
        f"loops = {h.loops}",
        f"traps = {h.traps}",
        'window = "0s"',
        f"confirm = {_toml(h.confirm)}",
        "",
        "# With a key, `deploy` and `bundle build` send a signed bundle:",
        "# [signing]",
        f"# key = {_toml(f'keys/{name}.key')}  # or key_env = \"WAMR_SIGNING_KEY\"",
        "# seq = 1",
        "",
    ])


def readme_text(name: str, lang: str, template: str) -> str:
    return "\n".join([
        f"# {name}",
        f"A wamr-agent app in {lang} (from the {template} template); wamr.toml describes it.",
        "Build it and check it fits its boards: `wamr-agent build`.",
        "Run it on a local simulated board and follow its log: `wamr-agent up`.",
        "Rebuild and redeploy on every save: `wamr-agent watch` (see docs/dev-loop.md).",
        "",
    ])


def target_folder(name: str, folder: Path | None) -> Path:
    """``folder``, or ./NAME; UsageError for a bad app name or a non-empty folder."""
    problem = name_problem(name)
    if problem is not None:
        raise UsageError(f"app name {name!r} {problem}")
    if folder is None:
        if "/" in name or "\\" in name or name in (".", ".."):
            raise UsageError(f"app name {name!r} is not a folder name: give --dir")
        folder = Path(name)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise UsageError(f"{folder} exists and is not an empty folder")
    return folder


def new_app(name: str, lang: str, template: str, folder: Path | None = None) -> Path:
    """Writes the app folder (default ./NAME); its path."""
    from .toolchains import TEMPLATES, write_template

    if lang not in LANGUAGES:
        raise UsageError(f"unknown language {lang!r}; use one of {', '.join(LANGUAGES)}")
    if template not in TEMPLATES:
        raise UsageError(f"unknown template {template!r}; use one of {', '.join(TEMPLATES)}")
    dest = target_folder(name, folder)
    dest.mkdir(parents=True, exist_ok=True)
    info = write_template(lang, template, dest, name)
    (dest / MANIFEST).write_text(manifest_text(name, lang, info.sources, info.kind,
                                               info.grants), encoding="utf-8")
    (dest / ".gitignore").write_text("\n".join(["build/", *IGNORED[lang], ""]))
    (dest / "README.md").write_text(readme_text(name, lang, template), encoding="utf-8")
    return dest
