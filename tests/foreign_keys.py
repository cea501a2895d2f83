"""Ed25519 key pairs made by other tools than ours, as their users make them:
OpenSSL (Debian's ``openssl``) and MCUboot's ``imgtool`` (a dev extra, in the
venv). Each returns (private key PEM, public key PEM); a missing tool skips
(CI=true: fails) with the install hint."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import need


def _run(cmd: list[str]) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, f"{' '.join(cmd)}: {done.stderr.strip()}"
    return done.stdout


def openssl_pair(folder: Path, name: str = "openssl") -> tuple[Path, Path]:
    """`openssl genpkey -algorithm ed25519` and `openssl pkey -pubout`."""
    openssl = shutil.which("openssl")
    need(openssl is not None, "openssl", "run `make setup` (Debian: openssl)")
    assert openssl is not None
    key, pub = folder / f"{name}.pem", folder / f"{name}.pub"
    _run([openssl, "genpkey", "-algorithm", "ed25519", "-out", str(key)])
    _run([openssl, "pkey", "-in", str(key), "-pubout", "-out", str(pub)])
    return key, pub


def imgtool_pair(folder: Path, name: str = "imgtool") -> tuple[Path, Path]:
    """`imgtool keygen -t ed25519` and `imgtool getpub -e pem`."""
    imgtool = shutil.which("imgtool", path=str(Path(sys.executable).parent)) or \
        shutil.which("imgtool")
    need(imgtool is not None, "imgtool", "run `make setup` (the dev extras install it)")
    assert imgtool is not None
    key, pub = folder / f"{name}.pem", folder / f"{name}.pub"
    _run([imgtool, "keygen", "-k", str(key), "-t", "ed25519"])
    pub.write_text(_run([imgtool, "getpub", "-k", str(key), "-e", "pem"]))
    return key, pub
