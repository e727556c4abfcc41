"""The workspace: one directory holding all state (config, database, keys, outputs).

Found as ``--home DIR``, else ``$IKRAR_HOME``, else the platform's user data dir.
``ikrar init`` creates it with a commented ``ikrar.yaml`` and the SQLite database.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConflictError, InputError, NotFoundError, StorageError, UsageError
from .fsutil import atomic_write_text
from .i18n import _, normalise_language
from .store.core import Store
from .zones import ZONES, parse_zone

CONFIG_NAME = "ikrar.yaml"
DB_NAME = "ikrar.db"

CONFIG_TEMPLATE = """\
# ikrar workspace configuration / konfigurasi ruang kerja ikrar
# Every setting can be changed later; run 'ikrar init --help' for the options.

institution:
  # Name of the institution whose authority key signs the trust bundle.
  # Nama instansi pemilik kunci otoritas (mis. BKPSDM Kabupaten ...).
  name: {institution}
  # Short code printed on receipts and in reports.
  code: {code}

# Default unit (OPD) of this terminal, as a short code, or empty.
# Unit kerja (OPD) bawaan terminal ini, berupa kode singkat.
unit: {unit}

# Time zone of this terminal: WIB = Asia/Jakarta, WITA = Asia/Makassar, WIT = Asia/Jayapura.
timezone: {timezone}

# Language of messages: id (Bahasa Indonesia) or en (English).
language: {language}

# Extra folders with pledge templates (*.yaml), besides the bundled ones.
templates:
  extra_dirs: []

receipt:
  # Put the officer's name into the receipt QR? Anyone who scans it can read it.
  # Cantumkan nama pegawai di QR tanda terima? Siapa pun yang memindai dapat membacanya.
  include_name: true
  # Optional address of the offline verifier page, e.g. https://bkpsdm.example.go.id/verify.html
  # When set, the QR holds <verify_url>#IKR1:... so a phone camera opens it directly.
  verify_url: null

# Where the records are kept: empty for the SQLite file ikrar.db in this folder, or a PostgreSQL
# address postgresql://USER@HOST:5432/DBNAME (the password is kept in database.pass, 0600, or
# comes from PGPASSWORD / ~/.pgpass; IKRAR_DATABASE_URL overrides this setting).
# Tempat data disimpan: kosong untuk berkas SQLite ikrar.db di folder ini, atau alamat PostgreSQL.
database: {database}
"""
PASSWORD_NAME = "database.pass"


@dataclass
class Config:
    """The parsed ``ikrar.yaml``; unknown keys are kept for later versions."""

    institution_name: str = "Instansi"
    institution_code: str = "INST"
    unit: str | None = None
    timezone: str = "Asia/Jakarta"
    language: str = "id"
    extra_template_dirs: list[Path] = field(default_factory=list)
    include_name: bool = True
    verify_url: str | None = None
    database: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)


def _get(data: dict[str, Any], dotted: str, default: Any = None) -> Any:
    node: Any = data
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return default
        node = node[part]
    return node


def add_template_folder(cfg: Config, folder: Path) -> None:
    """Read the templates in ``folder`` too (once), when it exists: the workspace's own ``templates/``."""
    folder = folder.resolve()
    if folder.is_dir() and folder not in cfg.extra_template_dirs:
        cfg.extra_template_dirs.append(folder)


def load_config(path: Path) -> Config:
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise StorageError(
            _("Cannot read {path}: {reason}", path=path, reason=exc.strerror),
            _("check the workspace folder's permissions"),
        ) from exc
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise InputError(
            _("{where}: not valid YAML", where=where), _("fix the file or recreate it with 'ikrar init --force'")
        ) from exc
    if not isinstance(data, dict):
        raise InputError(
            _("{where}: expected a mapping of settings", where=path),
            _("fix the file or recreate it with 'ikrar init --force'"),
        )

    def need_str(key: str, value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str | int):
            raise InputError(
                _("{where}: setting {key} must be text", where=path, key=key),
                _("fix the file or recreate it with 'ikrar init --force'"),
            )
        return str(value)

    cfg = Config(raw=data)
    cfg.institution_name = need_str("institution.name", _get(data, "institution.name")) or cfg.institution_name
    cfg.institution_code = need_str("institution.code", _get(data, "institution.code")) or cfg.institution_code
    cfg.unit = need_str("unit", data.get("unit")) or None
    tz = need_str("timezone", data.get("timezone"))
    if tz:
        try:
            cfg.timezone = parse_zone(tz)
        except UsageError as exc:
            raise InputError(
                _("{where}: unknown time zone {zone!r}", where=path, zone=tz),
                _("use WIB, WITA or WIT (Asia/Jakarta, Asia/Makassar, Asia/Jayapura)"),
            ) from exc
    lang = need_str("language", data.get("language"))
    if lang:
        code = normalise_language(lang)
        if code is None:
            raise InputError(_("{where}: unknown language {lang!r}", where=path, lang=lang), _("use id or en"))
        cfg.language = code
    dirs = _get(data, "templates.extra_dirs", []) or []
    if not isinstance(dirs, list):
        raise InputError(
            _("{where}: setting {key} must be a list", where=path, key="templates.extra_dirs"),
            _("fix the file or recreate it with 'ikrar init --force'"),
        )
    cfg.extra_template_dirs = [(path.parent / str(d)).resolve() for d in dirs]
    add_template_folder(cfg, path.parent / "templates")  # what 'terminal setup' installed (package_templates)
    include = _get(data, "receipt.include_name", True)
    if not isinstance(include, bool):
        raise InputError(
            _("{where}: setting {key} must be true or false", where=path, key="receipt.include_name"),
            _("fix the file or recreate it with 'ikrar init --force'"),
        )
    cfg.include_name = include
    cfg.verify_url = need_str("receipt.verify_url", _get(data, "receipt.verify_url"))
    cfg.database = need_str("database", data.get("database")) or None
    return cfg


def default_home() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("ikrar", appauthor=False))


def resolve_home(home: str | os.PathLike[str] | None) -> Path:
    """--home, else $IKRAR_HOME, else the platform's user data directory."""
    if home:
        return Path(home).expanduser()
    env = os.environ.get("IKRAR_HOME")
    if env:
        return Path(env).expanduser()
    return default_home()


class Workspace:
    """An initialised workspace directory; open it with :meth:`open`."""

    def __init__(self, root: Path, config: Config):
        self.root = root
        self.config = config
        self._store: Store | None = None

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def db_path(self) -> Path:
        return self.root / DB_NAME

    @property
    def keys_dir(self) -> Path:
        return self.root / "keys"

    @property
    def output_dir(self) -> Path:
        return self.root / "out"

    @classmethod
    def exists(cls, root: Path) -> bool:
        if not (root / CONFIG_NAME).is_file():
            return False
        return (root / DB_NAME).is_file() or bool(os.environ.get("IKRAR_DATABASE_URL")) or bool(
            load_config(root / CONFIG_NAME).database
        )

    @property
    def database_url(self) -> str | None:
        """The PostgreSQL address ($IKRAR_DATABASE_URL, else ikrar.yaml), or None for SQLite."""
        return os.environ.get("IKRAR_DATABASE_URL") or self.config.database

    @classmethod
    def open(cls, root: Path) -> Workspace:
        if not cls.exists(root):
            raise NotFoundError(
                _("No ikrar workspace at {path}", path=root),
                _("run 'ikrar init' first, or point --home / IKRAR_HOME at your workspace"),
            )
        ws = cls(root, load_config(root / CONFIG_NAME))
        ws.store  # noqa: B018 - open the database now so migrations run and errors surface early
        return ws

    @classmethod
    def init(
        cls,
        root: Path,
        *,
        institution: str,
        code: str,
        unit: str | None,
        timezone: str,
        language: str,
        force: bool = False,
        database: str | None = None,
    ) -> Workspace:
        """Create the folder, the commented config and the database (idempotent for the db)."""
        tz = parse_zone(timezone)
        abbrev = next((k for k, v in ZONES.items() if v == tz), tz)
        if (root / CONFIG_NAME).exists() and not force:
            raise ConflictError(
                _("A workspace already exists at {path}", path=root),
                _("use it as it is, or pass --force to rewrite its ikrar.yaml"),
            )
        try:
            root.mkdir(parents=True, exist_ok=True)
            (root / "keys").mkdir(mode=0o700, exist_ok=True)
        except OSError as exc:
            raise StorageError(
                _("Cannot create the workspace {path}: {reason}", path=root, reason=exc.strerror),
                _("choose a folder you can write to with --home"),
            ) from exc
        import yaml

        def q(value: str | None) -> str:
            dumped = yaml.safe_dump(value, allow_unicode=True, default_flow_style=True)
            return dumped.strip().removesuffix("...").strip()

        from .store.setup import check_database_url, save_password

        stored_url = check_database_url(database) if database else None
        text = CONFIG_TEMPLATE.format(
            database=q(stored_url or ""),
            institution=q(institution),
            code=q(code),
            unit=q(unit or ""),
            timezone=q(f"{tz}") + f"  # {abbrev}",
            language=q(language),
        )
        atomic_write_text(root / CONFIG_NAME, text)
        if database:
            save_password(root / PASSWORD_NAME, database)
        ws = cls(root, load_config(root / CONFIG_NAME))
        store = ws.store
        with store.transaction() as conn:
            if store.get_meta("created_at") is None:
                from .store.core import now

                store.set_meta(conn, "created_at", str(now()))
        return ws

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = self.open_store()
        return self._store

    def open_store(self) -> Store:
        """A connection of its own to the workspace's database (the caller closes it). ``store`` is
        the workspace's shared one; a second one lets two things run at once (``ledger/swap_ahead.py``)."""
        from .store.postgres import open_store

        url = self.database_url
        password = (self.root / PASSWORD_NAME).read_text(encoding="utf-8").strip() if url and (
            self.root / PASSWORD_NAME
        ).is_file() else None
        return open_store(url, self.db_path, password)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
