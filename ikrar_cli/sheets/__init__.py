"""Spreadsheets in and out: CSV/XLSX reading, XLSX guards, formula-safe exports."""
