"""Signing keys, certificates, trust bundles and what a command trusts."""
