#!/usr/bin/env python3
"""Writes tests/fixtures/sha512/vectors.txt: SHA-512 test vectors for wa_sha512.c.

The inputs and format are sha_vectors.py's: here FIPS 180-4's 896-bit message
and every pattern length 0..258 (the padding edges at 111, 112, 127, 128, 239,
240, 255, 256). tests/crosscompile/test_sha2_c.py runs the C driver
firmware/tests/wa_sha512_test.c over the file and checks it is up to date.

    python3 firmware/tools/gen_sha512_vectors.py [--check]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sha_vectors import Vectors

FIPS_896 = (b"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
            b"hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu")
VECTORS = Vectors(__file__, "sha512", FIPS_896, max_len=258, pattern_terms=(13, 5, 29))
inputs = VECTORS.inputs
render = VECTORS.render

if __name__ == "__main__":
    sys.exit(VECTORS.main(description=__doc__.splitlines()[0]))
