#!/usr/bin/env python3
"""Generate the app bindings (C, Rust, Zig, AssemblyScript) and the native API docs from
their one source.

Reads firmware/core/runtime/wa_native_api.def (the WA_NATIVE X-macro table) and
firmware/core/runtime/wa_err.h (enum agent_err), and writes

    agent/wamr_agent/appdev/bindings/wamr_agent.h   prototypes and return codes for wasm apps
    agent/wamr_agent/appdev/bindings/wamr_agent.rs, wamr_agent.zig,
        assemblyscript/wamr_agent.ts   the same for Rust, Zig and AssemblyScript apps
        (native_api_bindings.py, binding_*.py)
    docs/native-api.md              the table of every import a module may use

    python3 firmware/tools/gen_native_api.py           write them all
    python3 firmware/tools/gen_native_api.py --check   write nothing; exit 1 if stale

Standard library only.  The functions are importable (tests load this file by
path): parse_natives, parse_errors, check_natives, render_header, render_docs,
stale_files.
"""

from __future__ import annotations

import argparse
import re
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import binding_as
import binding_rust
import binding_zig
from native_api_bindings import BindingError, api_of

ROOT = Path(__file__).resolve().parents[2]
DEF_FILE = Path("firmware/core/runtime/wa_native_api.def")
ERR_FILE = Path("firmware/core/runtime/wa_err.h")
BINDINGS_DIR = Path("agent/wamr_agent/appdev/bindings")
HEADER_FILE = BINDINGS_DIR / "wamr_agent.h"
RUST_FILE = BINDINGS_DIR / "wamr_agent.rs"
ZIG_FILE = BINDINGS_DIR / "wamr_agent.zig"
AS_FILE = BINDINGS_DIR / "assemblyscript" / "wamr_agent.ts"
DOCS_FILE = Path("docs/native-api.md")
TOOL = "firmware/tools/gen_native_api.py"
APP_MODULE = "wamr_agent"

CAPABILITIES: dict[str, str] = {
    "LOG": "write log lines",
    "TIME": "read the monotonic clock, sleep",
    "SENSOR": "read sensor channels",
    "TELEMETRY": "publish telemetry samples",
    "WASI": "the WASI preview1 subset wasi-libc needs (stdout/stderr, clocks, random, exit)",
    "GPIO": "configure, read and write the pins the board profile lists (docs/device-api.md)",
    "I2C": "transactions with the I2C addresses the board profile lists (docs/device-api.md)",
    "NONE": "no grant needed: the app's own inbox of messages (docs/device-api.md, "
            "\"Messages\")",
    "STORAGE": "the app's own keys in flash, within its quota (docs/device-api.md)",
    "CONFIG": "read the configuration pushed from the fleet, get on_config events (docs/config.md)",
}

C_TO_WASM: dict[str, str] = {
    "int32_t": "i",
    "uint32_t": "i",
    "int64_t": "I",
    "uint64_t": "I",
    "float": "f",
    "double": "F",
    "void": "v",
}

FIELDS = ("capability", "module", "name", "wasm_sig", "c_ret", "c_params", "doc")
_TOKEN = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|([A-Za-z_][A-Za-z0-9_]*))\s*')
_ENUM_ITEM = re.compile(
    r"^[ \t]*(WA_[A-Z0-9_]+)\s*=\s*(\d+)[ \t]*,?[ \t]*(?:/\*\s*(.*?)\s*\*/)?", re.M
)
_SIG = re.compile(r"^([vifIF*])\(([ifIF*]*)\)$")


class DefError(ValueError):
    """The .def or the error header could not be parsed."""


@dataclass(frozen=True)
class Native:
    """One WA_NATIVE entry."""

    capability: str
    module: str
    name: str
    wasm_sig: str
    c_ret: str
    c_params: str
    doc: str


@dataclass(frozen=True)
class ErrCode:
    """One enumerator of enum agent_err."""

    name: str
    value: int
    doc: str


def _strip_comments(text: str) -> str:
    return re.sub(r"/\*.*?\*/", " ", text, flags=re.S)


def _split_args(body: str, where: int) -> list[str]:
    """Split 'A, "b", "c" "d"' into values; adjacent string literals concatenate."""
    args: list[str] = []
    current: list[str] = []
    pos = 0
    while pos < len(body):
        token = _TOKEN.match(body, pos)
        if token is not None and token.end() > pos:
            text = token.group(1)
            current.append(_unescape(text) if text is not None else token.group(2))
            pos = token.end()
        elif body[pos] == "," and current:
            args.append("".join(current))
            current, pos = [], pos + 1
        else:
            raise DefError(f"WA_NATIVE at offset {where}: unexpected {body[pos : pos + 20]!r}")
    if current:
        args.append("".join(current))
    return args


def _unescape(literal: str) -> str:
    return re.sub(r"\\(.)", r"\1", literal)


def parse_natives(text: str) -> list[Native]:
    """Every WA_NATIVE(...) entry of a .def file, in order."""
    natives: list[Native] = []
    clean = _strip_comments(text)
    for match in re.finditer(r"\bWA_NATIVE\s*\(", clean):
        end = re.compile(r'(?:[^()"]|"(?:[^"\\]|\\.)*")*\)').match(clean, match.end())
        if end is None:
            raise DefError(f"WA_NATIVE at offset {match.start()}: no closing parenthesis")
        args = _split_args(clean[match.end() : end.end() - 1], match.start())
        if len(args) != len(FIELDS):
            raise DefError(f"WA_NATIVE at offset {match.start()}: {len(args)} fields, want 7")
        natives.append(Native(*args))
    return natives


def parse_errors(text: str) -> list[ErrCode]:
    """The enumerators of enum agent_err that have an explicit value."""
    body = re.search(r"enum\s+agent_err\s*\{(.*?)\}", text, re.S)
    if body is None:
        raise DefError("enum agent_err not found")
    return [ErrCode(m[1], int(m[2]), m[3] or "") for m in _ENUM_ITEM.finditer(body.group(1))]


def enosys_rule(text: str) -> str:
    """The .def's comment stating what other WASI imports link to."""
    for comment in re.findall(r"/\*(.*?)\*/", text, re.S):
        if "ENOSYS" in comment:
            lines = (line.strip().lstrip("*").strip() for line in comment.splitlines())
            return " ".join(line for line in lines if line)
    raise DefError("no comment stating the ENOSYS rule for other WASI imports")


def c_type_code(decl: str) -> str:
    """Wasm type letter of one C parameter declaration or return type."""
    if "*" in decl:
        return "*"
    words = decl.replace("const ", " ").split()
    ctype = words[0] if len(words) == 1 else " ".join(words[:-1])
    if ctype not in C_TO_WASM:
        raise DefError(f"C type {ctype!r} has no wasm equivalent")
    return C_TO_WASM[ctype]


def c_signature(native: Native) -> str:
    """The wasm3 signature implied by the entry's C prototype."""
    params = [p.strip() for p in native.c_params.split(",")]
    args = "" if params == ["void"] else "".join(c_type_code(p) for p in params)
    return f"{c_type_code(native.c_ret)}({args})"


def check_natives(natives: list[Native]) -> list[str]:
    """Problems in the table: unknown capability, bad signature, duplicate name."""
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    for n in natives:
        where = f"{n.module}.{n.name}"
        if n.capability not in CAPABILITIES:
            problems.append(f"{where}: unknown capability {n.capability}")
        if (n.module, n.name) in seen:
            problems.append(f"{where}: declared twice")
        seen.add((n.module, n.name))
        if not _SIG.match(n.wasm_sig):
            problems.append(f"{where}: malformed wasm_sig {n.wasm_sig!r}")
        elif n.module == APP_MODULE:
            try:
                implied = c_signature(n)
            except DefError as exc:
                problems.append(f"{where}: {exc}")
                continue
            if implied != n.wasm_sig:
                problems.append(f"{where}: C prototype means {implied}, wasm_sig is {n.wasm_sig}")
    return problems


def _comment(text: str, indent: str = "") -> list[str]:
    lines = textwrap.wrap(text, 96 - len(indent))
    if len(lines) == 1:
        return [f"{indent}/* {lines[0]} */"]
    return [f"{indent}/*", *(f"{indent} * {line}" for line in lines), f"{indent} */"]


HEADER_INTRO = """\
/*
 * wamr_agent.h - the device API for wasm apps run by wamr-agent.
 *
 * GENERATED by {tool}
 * from {deffile} and {errfile}.
 * Do not edit: change the .def (or the enum) and run `make gen`.
 *
 * App ABI
 *   A reactor module (clang -mexec-model=reactor) exports `loop`, which the
 *   device calls periodically: int32_t loop(void), 0 = ok, non-zero = error
 *   (the value is reported as the app's status). It may export
 *   int32_t setup(void), same convention, called once after load. When
 *   clang's reactor `_initialize` is exported it is called first.
 *   A WASI command module (exports `_start`, i.e. a plain `main`) runs once.
 *
 * Every function below needs a capability granted in the app's manifest
 * (LOG, TIME, SENSOR, TELEMETRY; WASI for libc). An import the grants do
 * not allow is refused at load with a message naming it.
 *
 * Return codes: functions return WA_OK (0) or a negated agent_err code,
 * e.g. WA_ERR_NOT_FOUND (-4). Codes from 16 up are load failures and traps
 * the device reports; a call never returns them to a module, they are here
 * so numbers in device logs can be looked up.
 */
#ifndef WAMR_AGENT_H
#define WAMR_AGENT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {{
#endif

/* Exports a function under `name`: WA_EXPORT(loop) int32_t loop(void) {{ ... }} */
#define WA_EXPORT(name) __attribute__((export_name(#name)))

#define WA_OK 0
"""

HEADER_OUTRO = """
/* Length of a NUL-terminated string (no libc needed). */
static inline int32_t wa_strlen(const char *s) {
    int32_t n = 0;
    while (s[n] != '\\0') {
        n++;
    }
    return n;
}

/* Logs a NUL-terminated string. */
static inline int32_t wa_log_str(const char *s) {
    return wa_log(s, wa_strlen(s));
}

/* Publishes a telemetry sample under a NUL-terminated key. */
static inline int32_t wa_publish(const char *key, float value) {
    return wa_telemetry_publish(key, wa_strlen(key), value);
}

/*
 * A log line built in a fixed buffer (no libc); what does not fit is dropped.
 * WA_LINE_FN keeps one copy of each helper: inlined at every call, they would
 * grow a module by more than a kilobyte.
 */
#define WA_LINE_FN static inline __attribute__((noinline))

typedef struct wa_line {
    char text[96];
    int32_t len;
} wa_line_t;

WA_LINE_FN void wa_line_char(wa_line_t *l, char c) {
    if (l->len < (int32_t)sizeof(l->text)) {
        l->text[l->len++] = c;
    }
}

WA_LINE_FN void wa_line_str(wa_line_t *l, const char *s) {
    while (*s != '\\0') {
        wa_line_char(l, *s++);
    }
}

WA_LINE_FN void wa_line_int(wa_line_t *l, int32_t v) {
    char digits[10];
    int n = 0;
    uint32_t u = v < 0 ? 0u - (uint32_t)v : (uint32_t)v;
    if (v < 0) {
        wa_line_char(l, '-');
    }
    do {
        digits[n++] = (char)('0' + u % 10u);
        u /= 10u;
    } while (u != 0u);
    while (n > 0) {
        wa_line_char(l, digits[--n]);
    }
}

/* Appends v with one decimal, rounded half away from zero ("-0.5", "21.3"). */
WA_LINE_FN void wa_line_tenths(wa_line_t *l, float v) {
    int32_t tenths = (int32_t)(v < 0.0f ? v * 10.0f - 0.5f : v * 10.0f + 0.5f);
    uint32_t u = tenths < 0 ? 0u - (uint32_t)tenths : (uint32_t)tenths;
    if (tenths < 0) {
        wa_line_char(l, '-');
    }
    wa_line_int(l, (int32_t)(u / 10u));
    wa_line_char(l, '.');
    wa_line_char(l, (char)('0' + u % 10u));
}

/* Logs the line. */
static inline int32_t wa_line_log(const wa_line_t *l) {
    return wa_log(l->text, l->len);
}

#ifdef __cplusplus
}
#endif

#endif /* WAMR_AGENT_H */
"""


def render_header(natives: list[Native], errors: list[ErrCode]) -> str:
    """The C header, agent/wamr_agent/appdev/bindings/wamr_agent.h."""
    out = [HEADER_INTRO.format(tool=TOOL, deffile=DEF_FILE, errfile=ERR_FILE.name)]
    width = max((len(e.name) for e in errors), default=0)
    for err in errors:
        if err.value != 0:
            define = f"#define {err.name:<{width}} (-{err.value})"
            out.append((f"{define:<{width + 15}} /* {err.doc} */" if err.doc else define) + "\n")
    for n in natives:
        if n.module != APP_MODULE:
            continue
        out.append("\n" + "\n".join(_comment(f"[{n.capability}] {n.doc}")) + "\n")
        attrs = f'import_module("{n.module}"), import_name("{n.name}")'
        out.append(f"__attribute__(({attrs}))\n{n.c_ret} wa_{n.name}({n.c_params});\n")
    out.append(HEADER_OUTRO)
    return "".join(out)


def render_docs(natives: list[Native], errors: list[ErrCode], enosys: str) -> str:
    """docs/native-api.md."""
    out = [
        "# Native API for wasm apps\n\n",
        f"Generated by `{TOOL}` from `{DEF_FILE}`\n",
        f"and `{ERR_FILE}`; do not edit, change the `.def` and run `make gen`.\n",
        "C apps include `wamr_agent.h`; Rust, Zig and AssemblyScript apps use the bindings\n"
        "beside it in `agent/wamr_agent/appdev/bindings/` (see `docs/app-languages.md`).\n\n",
        "## Capabilities\n\nAn app may import a function only if its manifest grants the\n",
        "function's capability; any other import is refused at load, naming the import.\n\n",
    ]
    out += [f"- **{cap}**: {text}\n" for cap, text in CAPABILITIES.items()]
    out += [
        "\n## Functions\n\nSignatures use wasm3 notation: `ret(args)`, `i`=i32 `I`=i64 `f`=f32\n",
        "`F`=f64, `*`=pointer into linear memory (i32), `v`=no result.\n\n",
        "| capability | import module | name | wasm signature | description |\n",
        "|---|---|---|---|---|\n",
    ]
    for n in natives:
        doc = n.doc.replace("|", "\\|")
        out.append(f"| {n.capability} | `{n.module}` | `{n.name}` | `{n.wasm_sig}` | {doc} |\n")
    out += [f"\n### Other WASI imports\n\n{enosys}\n\n## Return codes\n\n"]
    out.append("Functions return 0 or a negated code (`-4` is `WA_ERR_NOT_FOUND`).\n\n")
    out += ["| code | name | meaning |\n", "|---|---|---|\n"]
    out += [f"| {e.value} | `{e.name}` | {e.doc} |\n" for e in errors]
    return "".join(out)


def render_all(root: Path = ROOT) -> dict[Path, str]:
    """Every generated file (relative path) with the text it should hold."""
    def_text = (root / DEF_FILE).read_text(encoding="utf-8")
    natives = parse_natives(def_text)
    errors = parse_errors((root / ERR_FILE).read_text(encoding="utf-8"))
    problems = check_natives(natives)
    if problems:
        raise DefError(f"{DEF_FILE}: " + "; ".join(problems))
    try:
        apis = [api_of(n) for n in natives if n.module == APP_MODULE]
    except BindingError as exc:
        raise DefError(f"{DEF_FILE}: {exc}") from exc
    names = {"tool": TOOL, "deffile": str(DEF_FILE), "errfile": ERR_FILE.name}
    return {
        HEADER_FILE: render_header(natives, errors),
        RUST_FILE: binding_rust.render(apis, errors, **names),
        ZIG_FILE: binding_zig.render(apis, errors, **names),
        AS_FILE: binding_as.render(apis, errors, **names),
        DOCS_FILE: render_docs(natives, errors, enosys_rule(def_text)),
    }


def stale_files(root: Path = ROOT) -> list[Path]:
    """Generated files whose committed text differs from a fresh rendering."""
    stale = []
    for rel, text in render_all(root).items():
        path = root / rel
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            stale.append(rel)
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale files")
    args = parser.parse_args(argv)
    try:
        if args.check:
            stale = stale_files()
            for rel in stale:
                print(f"stale: {rel} (run `make gen`)", file=sys.stderr)
            return 1 if stale else 0
        for rel, text in render_all().items():
            (ROOT / rel).parent.mkdir(parents=True, exist_ok=True)
            (ROOT / rel).write_text(text, encoding="utf-8")
            print(f"wrote {rel}")
    except (DefError, OSError) as exc:
        print(f"gen_native_api: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
