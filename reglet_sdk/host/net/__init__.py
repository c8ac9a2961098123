"""The network host functions: DNS, HTTP(S), TCP/TLS and SMTP, each behind net.guard's checks (grant, resolution, SSRF filter, pinning)."""
