"""Compliance reports from signed inputs, their proof and their renderings."""
