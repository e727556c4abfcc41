"""Apel sessions and attestations, one by one at a kiosk or from attendance lists."""
