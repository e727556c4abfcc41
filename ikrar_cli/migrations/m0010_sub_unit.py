"""Rosters from SIASN/SAPK name the OPD (unorIndukNama) and the sub-unit inside it (unorNama):
the OPD is the unit, the sub-unit is kept beside it."""

NAME = "0010_sub_unit"

SQL = """
ALTER TABLE officers ADD COLUMN sub_unit TEXT
"""
