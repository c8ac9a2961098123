"""The network host functions: DNS, HTTP(S), TCP/TLS and SMTP, each behind netguard's checks."""
