"""The Rust, Zig and AssemblyScript bindings generated from wa_native_api.def:
every app import and every return code is in each, and the wrapper rules map
the C prototypes (or refuse what they cannot map)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ROOT, load_tool

gen = load_tool("gen_native_api")
bindings = load_tool("native_api_bindings")
DEF_TEXT = (ROOT / gen.DEF_FILE).read_text(encoding="utf-8")
NATIVES = [n for n in gen.parse_natives(DEF_TEXT) if n.module == "wamr_agent"]
ERRORS = [e for e in gen.parse_errors((ROOT / gen.ERR_FILE).read_text(encoding="utf-8"))
          if e.value != 0]
RENDERED = gen.render_all()

# What each binding must say for one import and one code (its language's spelling).
EXPECT: dict[str, tuple[str, str]] = {
    "rust": ("        pub fn {name}(", "    pub const {short}: Error = Error(-{value});"),
    "zig": ('    pub extern "wamr_agent" fn {name}(', "pub const ERR_{short}: i32 = -{value};"),
    "as": ('    @external("wamr_agent", "{name}")', "  export const ERR_{short}: i32 = -{value};"),
}
FILES = {"rust": gen.RUST_FILE, "zig": gen.ZIG_FILE, "as": gen.AS_FILE}


@pytest.mark.parametrize("lang", sorted(FILES))
def test_binding_declares_every_import_and_code(lang: str) -> None:
    text = RENDERED[FILES[lang]]
    import_line, code_line = EXPECT[lang]
    for native in NATIVES:
        assert import_line.format(name=native.name) in text, native.name
    for err in ERRORS:
        assert code_line.format(short=bindings.short(err.name), value=err.value) in text, err
    assert "GENERATED" in text and "make gen" in text


def _native(c_ret: str, c_params: str) -> Any:
    return gen.Native("SENSOR", "wamr_agent", "probe", "i()", c_ret, c_params, "doc")


def test_rules_map_strings_out_params_and_status() -> None:
    api = bindings.api_of(_native("int32_t", "const char *key, int32_t key_len, float *value"))
    assert [(p.kind, p.name, p.ctype) for p in api.params] == [
        ("str", "key", "char"), ("out", "value", "float")]
    assert api.status and api.out is not None and [p.name for p in api.args] == ["key"]
    value = bindings.api_of(_native("int64_t", "void"))
    assert not value.status and value.params == []


def test_rules_map_byte_slices() -> None:
    api = bindings.api_of(_native("int32_t", "int32_t bus, const uint8_t *wr, int32_t wr_len, "
                                             "uint8_t *rd, int32_t rd_len"))
    assert [(p.kind, p.name) for p in api.params] == [
        ("scalar", "bus"), ("bytes", "wr"), ("buf", "rd")]
    assert "pub fn i2c_transfer(bus: i32, addr: i32, wr: &[u8], rd: &mut [u8]) -> Result<()> {" \
        in RENDERED[gen.RUST_FILE]
    assert "rd.as_mut_ptr(), rd.len() as i32" in RENDERED[gen.RUST_FILE]
    assert "pub fn i2cTransfer(bus: i32, addr: i32, wr: []const u8, rd: []u8) Error!void {" in \
        RENDERED[gen.ZIG_FILE]
    assert "export function i2cTransfer(bus: i32, addr: i32, wr: Uint8Array, rd: Uint8Array)" \
        in RENDERED[gen.AS_FILE]


@pytest.mark.parametrize(("c_ret", "c_params", "message"), [
    ("int32_t", "struct thing *t", "cannot read parameter 'struct thing \\*t'"),
    ("int32_t", "uint8_t *t", "no binding rule for parameter 't'"),
    ("int32_t", "const char *s", "no binding rule for parameter 's'"),  # no length after it
    ("int32_t", "float *a, float *b", "no binding rule for parameter 'b'"),  # one result only
    ("int64_t", "float *a", "an out parameter needs an int32_t status result"),
    ("char *", "void", "no binding rule for result type"),
])
def test_rules_refuse_what_they_cannot_map(c_ret: str, c_params: str, message: str) -> None:
    with pytest.raises(bindings.BindingError, match=message):
        bindings.api_of(_native(c_ret, c_params))


def test_rust_wrappers_take_str_and_return_results() -> None:
    text = RENDERED[gen.RUST_FILE]
    assert "pub fn log(msg: &str) -> Result<()> {" in text
    assert "pub fn sensor_read(channel: i32) -> Result<f32> {" in text
    assert "pub fn time_ms() -> i64 {" in text
    assert '#[link(wasm_import_module = "wamr_agent")]' in text


def test_zig_and_assemblyscript_wrappers() -> None:
    assert "pub fn sensorRead(channel: i32) Error!f32 {" in RENDERED[gen.ZIG_FILE]
    assert "pub fn telemetryPublish(key: []const u8, value: f32) Error!void {" in \
        RENDERED[gen.ZIG_FILE]
    assert "export function sensorRead(channel: i32): f32 {" in RENDERED[gen.AS_FILE]
    assert "export function log(msg: string): i32 {" in RENDERED[gen.AS_FILE]
