"""TLS settings (TLS 1.2 or newer, certificates verified) and the facts reported about a session.

Inspecting a certificate that fails verification (`insecure_skip_verify`) takes two handshakes:
Python's ssl module has no verify callback, so a handshake either verifies (and fails on a bad
certificate, giving OpenSSL's reason) or does not verify at all. The host therefore verifies first,
and only when that fails for a certificate reason reconnects to the same checked address with
`inspection_context()` to read the certificate. A good certificate still costs one handshake.
"""

from __future__ import annotations

import hashlib
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509

from reglet_abi.reglet.v1 import Certificate, TlsInfo


class CaBundleError(ValueError):
    """A CA bundle is not a readable file of PEM certificates; the message says which and why."""


def client_context(ca_bundle: Path | None = None) -> ssl.SSLContext:
    """A verifying client context: system CAs (SSL_CERT_FILE honoured), plus `ca_bundle` if given.

    Raises CaBundleError when `ca_bundle` cannot be read or holds no certificate.
    """
    context = ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if ca_bundle is not None:
        try:
            context.load_verify_locations(cafile=str(ca_bundle))
        except OSError as exc:  # ssl.SSLError is an OSError
            reason = "it holds no PEM certificate" if "NO_CERTIFICATE" in str(exc) else exc.strerror or str(exc)
            raise CaBundleError(
                f"{ca_bundle} is not a usable CA bundle ({reason}). Give a PEM file of CA certificates "
                "(-----BEGIN CERTIFICATE----- blocks); without one every TLS connection would fail."
            ) from exc
    return context


def inspection_context() -> ssl.SSLContext:
    """A client context that completes the handshake (TLS 1.2 or newer) without verifying anything.

    Only for reading a certificate that already failed verification; nothing is sent over it.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


# OpenSSL's X509_V_ERR_* numbers, grouped into the stable codes of TlsInfo.verification_code.
_VERIFY_CODES = {
    9: "NOT_YET_VALID",  # CERT_NOT_YET_VALID
    10: "EXPIRED",  # CERT_HAS_EXPIRED
    2: "UNTRUSTED",  # UNABLE_TO_GET_ISSUER_CERT
    18: "UNTRUSTED",  # DEPTH_ZERO_SELF_SIGNED_CERT
    19: "UNTRUSTED",  # SELF_SIGNED_CERT_IN_CHAIN
    20: "UNTRUSTED",  # UNABLE_TO_GET_ISSUER_CERT_LOCALLY
    21: "UNTRUSTED",  # UNABLE_TO_VERIFY_LEAF_SIGNATURE
    27: "UNTRUSTED",  # CERT_UNTRUSTED
    28: "UNTRUSTED",  # CERT_REJECTED
    62: "NAME_MISMATCH",  # HOSTNAME_MISMATCH
    64: "NAME_MISMATCH",  # IP_ADDRESS_MISMATCH
}


@dataclass(frozen=True)
class VerificationFailure:
    """Why a certificate was not accepted: a stable code (EXPIRED, UNTRUSTED, ...) and OpenSSL's words."""

    code: str
    reason: str

    @classmethod
    def from_exception(cls, exc: ssl.SSLCertVerificationError) -> VerificationFailure:
        """From a failed verifying handshake."""
        reason = exc.verify_message or str(exc.reason or exc)
        return cls(_VERIFY_CODES.get(exc.verify_code, "OTHER"), reason)


def certificate(der: bytes) -> Certificate:
    """The summary of a DER certificate."""
    cert = x509.load_der_x509_certificate(der)
    names: list[str] = []
    try:
        extension = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = [str(n) for n in extension.get_values_for_type(x509.DNSName)]
        names += [str(ip) for ip in extension.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        pass
    return Certificate(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        subject_alt_names=names,
        serial_number=format(cert.serial_number, "X"),
        sha256_fingerprint=hashlib.sha256(der).hexdigest(),
    )


def session_info(sock: ssl.SSLSocket, server_name: str, failure: VerificationFailure | None = None) -> TlsInfo:
    """What was negotiated on a connected TLS socket; `failure` when it was not verified, and why."""
    der = sock.getpeercert(binary_form=True)
    cipher = sock.cipher()
    return TlsInfo(
        version=sock.version() or "",
        cipher_suite=cipher[0] if cipher else "",
        server_name=server_name,
        alpn_protocol=sock.selected_alpn_protocol() or "",
        peer_certificate=certificate(der) if der else None,
        verified=failure is None,
        verification_error=failure.reason if failure else "",
        verification_code=failure.code if failure else "",
    )


def tls_error_message(exc: ssl.SSLError) -> str:
    """A one-line reason for a failed handshake."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (
            f"the certificate was not accepted: {exc.verify_message or exc.reason} (to inspect it anyway, "
            "ask for the handshake without verification: verify=False in the SDK, insecure_skip_verify in the ABI)"
        )
    return f"the TLS handshake failed: {exc.reason or exc}"
