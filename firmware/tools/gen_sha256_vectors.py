#!/usr/bin/env python3
"""Writes tests/fixtures/sha256/vectors.txt: SHA-256 test vectors for wa_sha256.c.

The inputs and format are sha_vectors.py's: here FIPS 180-4's 448-bit message
and every pattern length 0..130 (the padding edges at 55, 56, 63, 64, ...).
tests/crosscompile/test_sha2_c.py runs the C driver firmware/tests/wa_sha256_test.c
over the file and checks it is up to date.

    python3 firmware/tools/gen_sha256_vectors.py [--check]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sha_vectors import Vectors

VECTORS = Vectors(__file__, "sha256", b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                  max_len=130, pattern_terms=(7, 3, 31))
inputs = VECTORS.inputs
render = VECTORS.render

if __name__ == "__main__":
    sys.exit(VECTORS.main(description=__doc__.splitlines()[0]))
