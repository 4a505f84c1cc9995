"""Certificates of origin (ATIGA e-Form D): issue, exchange, verify, answer."""
