"""Network wrappers: `dns`, `http`, `tcp`, `smtp`, each over a host function, plus ready-made checks.

Every call sends the call's remaining time to the host, raises a RegletError subclass carrying the
host's ErrorDetail (CapabilityError when not granted, HostTimeoutError, NotFoundError, NetworkError),
and takes an injected port (`resolver=`, `client=`, `dialer=`) so unit tests run natively.

`from reglet_sdk.net import dns`, or `from reglet_sdk import net` and `net.dns.lookup_txt(...)`; the
built-in plugins' ready-made checks are in `reglet_sdk.net.checks`. `TlsDetails` (with the
`CertificateInfo` of the peer) is what `tcp`, `smtp` and `http` report about a TLS session.
"""

from reglet_sdk.net import dns, http, smtp, tcp
from reglet_sdk.net._common import CertificateInfo, TlsDetails

__all__ = ["CertificateInfo", "TlsDetails", "dns", "http", "smtp", "tcp"]
