"""The network host functions: DNS, HTTP(S), TCP/TLS and SMTP, one module each.

Each goes through net.guard first: grant check, one resolution, SSRF filter, address pinning.
"""
