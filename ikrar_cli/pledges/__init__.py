"""Pledge templates: parsing, canonical text and digest, new templates."""
