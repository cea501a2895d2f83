"""A small certificate authority for a local secured broker (mqtt/secure_broker.py):
a CA, a server certificate for the loopback names, and client certificates, as PEM
files. Made with the ``cryptography`` package; keys are ECDSA P-256, written 0600.

For one machine's broker, tests and trying TLS out: a fleet's broker gets its
certificates from the fleet's own PKI (docs/mqtt.md, "Security").
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["LOOPBACK_NAMES", "Authority", "Issued"]

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
CA_DAYS = 3650
LEAF_DAYS = 825


@dataclass(frozen=True)
class Issued:
    """A certificate and its private key, as PEM files."""

    cert: Path
    key: Path


def _write_key(key: ec.EllipticCurvePrivateKey, path: Path) -> None:
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "wamr-agent"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _san(names: Sequence[str]) -> x509.SubjectAlternativeName:
    entries: list[x509.GeneralName] = []
    for name in names:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return x509.SubjectAlternativeName(entries)


def _builder(subject: x509.Name, issuer: x509.Name, public: ec.EllipticCurvePublicKey,
             days: int) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
            .public_key(public).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False))


class Authority:
    """A CA whose certificate and key live in ``directory`` (``ca.pem``, ``ca.key``)."""

    def __init__(self, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey,
                 cert_path: Path) -> None:
        self.cert = cert
        self.key = key
        self.cert_path = cert_path

    @classmethod
    def create(cls, directory: Path, common_name: str = "wamr-agent local CA") -> Authority:
        directory.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (_builder(_name(common_name), _name(common_name), key.public_key(), CA_DAYS)
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .add_extension(x509.KeyUsage(False, False, False, False, False, True, True,
                                             False, False), critical=True)
                .sign(key, hashes.SHA256()))
        path = directory / "ca.pem"
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        _write_key(key, directory / "ca.key")
        return cls(cert, key, path)

    @classmethod
    def load(cls, directory: Path) -> Authority:
        """The CA that :meth:`create` wrote in ``directory``."""
        path = directory / "ca.pem"
        cert = x509.load_pem_x509_certificate(path.read_bytes())
        key = serialization.load_pem_private_key((directory / "ca.key").read_bytes(), None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError(f"{directory / 'ca.key'}: not an EC private key")
        return cls(cert, key, path)

    @classmethod
    def ensure(cls, directory: Path) -> Authority:
        """The CA in ``directory``, created if there is none."""
        exists = (directory / "ca.pem").is_file() and (directory / "ca.key").is_file()
        return cls.load(directory) if exists else cls.create(directory)

    def issue(self, directory: Path, stem: str, common_name: str, *,
              server_names: Sequence[str] = ()) -> Issued:
        """``<stem>.pem`` and ``<stem>.key`` in ``directory``: a server certificate for
        ``server_names`` (host names or IP addresses), else a client certificate."""
        directory.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        usage = ExtendedKeyUsageOID.SERVER_AUTH if server_names else \
            ExtendedKeyUsageOID.CLIENT_AUTH
        builder = (_builder(_name(common_name), self.cert.subject, key.public_key(), LEAF_DAYS)
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None),
                                  critical=True)
                   .add_extension(x509.KeyUsage(True, False, False, False, False, False, False,
                                                False, False), critical=True)
                   .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                       self.key.public_key()), critical=False))
        if server_names:
            builder = builder.add_extension(_san(server_names), critical=False)
        issued = Issued(directory / f"{stem}.pem", directory / f"{stem}.key")
        issued.cert.write_bytes(builder.sign(self.key, hashes.SHA256())
                                .public_bytes(serialization.Encoding.PEM))
        _write_key(key, issued.key)
        return issued
