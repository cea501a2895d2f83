"""The AOT blob format is defined once (firmware/core/runtime/wa_aot.h) and
mirrored by agent/wamr_agent/aot: the header's fields, the constants and the
table of firmware entries the blob calls must agree."""

from __future__ import annotations

import re

from tests.conftest import ROOT
from wamr_agent.aot import blob, ram

WA_AOT_H = (ROOT / "firmware/core/runtime/wa_aot.h").read_text()
BLOB_H = (ROOT / "agent/wamr_agent/aot/c/wa_aot_blob.h").read_text()


def _struct(text: str, name: str) -> str:
    m = re.search(r"typedef struct " + name + r" \{(.*?)\} " + name + "_t;", text, re.S)
    assert m, name
    return re.sub(r"/\*.*?\*/", "", m.group(1), flags=re.S)


def test_header_fields_match_the_c_struct() -> None:
    text = _struct(WA_AOT_H, "wa_aot_header")
    fields = re.findall(r"\w+(?=[,;])", text)
    assert 4 * len(fields) == blob.HEADER.size == blob.HEADER_LEN == 80
    # the fields blob.pack fills, by name and place (tests/crosscompile/test_aot.py FIELDS)
    assert fields[11] == "mem_bytes" and fields[17:] == ["mem_max_pages", "mem_size_off",
                                                         "reserved"]


def test_constants_match() -> None:
    assert f"#define WA_AOT_MAGIC 0x{blob.MAGIC:X}u" in WA_AOT_H
    assert f"#define WA_AOT_ABI {blob.ABI}u" in WA_AOT_H
    assert f"#define WA_AOT_HEADER_LEN {blob.HEADER_LEN}u" in WA_AOT_H
    # the loader's state before an app's data (its RAM estimate, aot/ram.py)
    assert f"#define WA_AOT_STATE_BYTES {ram.STATE_BYTES}u" in WA_AOT_H


def test_the_blob_calls_the_same_entry_table_the_loader_fills() -> None:
    def entries(text: str) -> list[str]:
        return [" ".join(line.split()) for line in _struct(text, "wa_aot_env").splitlines()
                if line.strip()]

    assert entries(BLOB_H) == entries(WA_AOT_H)
    assert len(entries(WA_AOT_H)) == 4
