"""motcua: digitize, sign, archive and route one-stop-shop dossiers (hồ sơ TTHC)."""

__version__ = "0.1.0"
