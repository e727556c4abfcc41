"""Receipts: the signed bytes, their verification, QR codes, slips and printers."""
