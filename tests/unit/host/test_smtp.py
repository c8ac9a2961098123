"""host.net.smtp (SmtpConnect) natively: bad input and denials (real servers: conformance)."""

from __future__ import annotations

from reglet_abi.reglet.v1 import SmtpRequest
from tests.unit.host.support import handlers


def test_bad_input_is_refused() -> None:
    h = handlers("network:*:*")
    for request in (SmtpRequest(host="", port=25), SmtpRequest(host="mail.test", port=70000)):
        response = h.smtp_connect(request)
        assert response.error is not None and response.error.code == "INVALID_REQUEST"


def test_an_ungranted_server_is_denied() -> None:
    response = handlers().smtp_connect(SmtpRequest(host="mail.test", port=25))
    assert response.error is not None and (response.error.type, response.error.code) == (
        "capability",
        "network:mail.test:25",
    )
