"""TLS settings (TLS 1.2 or newer, certificates verified) and the facts reported about a session."""

from __future__ import annotations

import hashlib
import ssl
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


def session_info(sock: ssl.SSLSocket, server_name: str) -> TlsInfo:
    """What was negotiated on a connected TLS socket."""
    der = sock.getpeercert(binary_form=True)
    cipher = sock.cipher()
    return TlsInfo(
        version=sock.version() or "",
        cipher_suite=cipher[0] if cipher else "",
        server_name=server_name,
        alpn_protocol=sock.selected_alpn_protocol() or "",
        peer_certificate=certificate(der) if der else None,
    )


def tls_error_message(exc: ssl.SSLError) -> str:
    """A one-line reason for a failed handshake."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"the certificate was not accepted: {exc.verify_message or exc.reason}"
    return f"the TLS handshake failed: {exc.reason or exc}"
