"""Shared fixtures: every test gets its own workspace folder and Indonesian by default."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from engines import engine, pytest_generate_tests  # noqa: F401 - fixture and hook: both storage engines

from ikrar_cli.i18n import set_language


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: str) -> Path:  # noqa: F811
    """Point the workspace at tmp_path; clear variables that would leak from the machine."""
    home = tmp_path / "home"
    monkeypatch.setenv("IKRAR_HOME", str(home))
    for var in ("IKRAR_LANG", "IKRAR_PASSPHRASE", "IKRAR_DEBUG", "IKRAR_TEST_PAUSE_AT", "LANG", "LC_ALL"):
        monkeypatch.delenv(var, raising=False)
    # On 2 cores the signature helpers' default follows the machine's load (receipts/verify_pool.py,
    # core_free): a test must not take one path or the other by how busy the machine happens to be.
    # The helpers' own tests (test_verify_pool.py) ask for them, and for the default, explicitly.
    monkeypatch.setenv("IKRAR_VERIFY_WORKERS", "0")
    set_language("id")
    yield home
    set_language("id")


@pytest.fixture(autouse=True)
def cheap_kdf(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """New key files in tests use scrypt n=2^14, the lowest cost a key file may name (each file
    stores its own parameters), instead of 2^17 (~0.3-0.8 s per derivation, and hundreds of keys
    are made and unlocked across the suite). Tests marked ``real_kdf`` keep the real cost; they
    check what ikrar writes for users."""
    if request.node.get_closest_marker("real_kdf") is None:
        monkeypatch.setattr("ikrar_cli.keys.keyfiles.SCRYPT_N", 2**14)


class Ikrar:
    """Run the CLI in-process and keep stdout and stderr apart."""

    def __init__(self, home: Path):
        self.home = home

    def __call__(self, *args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        from ikrar_cli.cli.app import cli
        from ikrar_cli.cli.output import reset_consoles

        reset_consoles()
        runner = CliRunner()
        result = runner.invoke(cli, list(args), input=input, env=env, catch_exceptions=True)
        set_language("id")
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result


@pytest.fixture
def ikrar(isolated_home: Path) -> Ikrar:
    return Ikrar(isolated_home)


@pytest.fixture
def workspace(ikrar: Ikrar, isolated_home: Path) -> Path:
    """An initialised workspace (WITA, institution code TEST)."""
    result = ikrar("init", "--institution", "BKPSDM Kabupaten Uji", "--code", "UJI", "--timezone", "WITA")
    assert result.exit_code == 0, result.output
    return isolated_home


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("HYPOTHESIS_PROFILE", "default")
    # No property test may fail because the machine is busy: no per-example deadline and no
    # "data generation too slow" health check (both measure wall-clock time).
    from hypothesis import HealthCheck, settings

    settings.register_profile("ikrar", deadline=None, suppress_health_check=[HealthCheck.too_slow])
    settings.load_profile("ikrar")
