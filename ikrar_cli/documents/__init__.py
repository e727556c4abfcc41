"""Office documents: Pakta Integritas, berita acara, follow-up letters, receipt lists, sealing."""
