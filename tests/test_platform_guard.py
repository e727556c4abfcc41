"""Static checks over ikrar_cli's source: POSIX-only calls stay in platform_guard, children start
only through childproc, no broad except turns a bug into a verdict, every exit uses the one map."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "ikrar_cli"

#: modules that exist only on POSIX (or only on Windows)
PLATFORM_MODULES = {"fcntl", "resource", "termios", "tty", "pty", "pwd", "grp", "msvcrt", "winreg", "posix"}
#: os functions missing on Windows (3.11) or meaningless there
POSIX_OS_FUNCS = {
    "fchmod", "lchmod", "fchown", "chown", "lchown", "getuid", "geteuid", "getgid", "getegid", "setuid", "setgid",
    "getpgid", "setpgid", "setsid", "killpg", "fork", "forkpty", "mkfifo", "mknod", "getloadavg", "sync",
    "sched_setaffinity", "nice", "getpwuid", "O_NOFOLLOW", "O_CLOEXEC", "pipe2", "posix_fadvise", "statvfs",
}  # fmt: skip
#: signals and stat bits that only mean something on POSIX
POSIX_ATTRS = {
    ("signal", "SIGHUP"), ("signal", "SIGKILL"), ("signal", "SIGQUIT"), ("signal", "SIGUSR1"), ("signal", "SIGUSR2"),
    ("signal", "SIGPIPE"), ("signal", "SIGALRM"), ("signal", "alarm"), ("signal", "pause"), ("signal", "setitimer"),
    ("stat", "S_IRWXG"), ("stat", "S_IRWXO"), ("stat", "S_IRGRP"), ("stat", "S_IROTH"), ("stat", "S_IWGRP"),
    ("stat", "S_IWOTH"),
}  # fmt: skip
GUARD = PACKAGE / "platform_guard.py"
CHILDPROC = PACKAGE / "childproc.py"


def _sources() -> list[tuple[Path, ast.Module]]:
    return [(p, ast.parse(p.read_text(encoding="utf-8"), str(p))) for p in sorted(PACKAGE.rglob("*.py"))]


def _posix_only_uses(tree: ast.Module) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if a.name.split(".")[0] in PLATFORM_MODULES]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] in PLATFORM_MODULES:
                found.append(f"from {node.module} import")
            if node.module == "os":
                found += [f"from os import {a.name}" for a in node.names if a.name in POSIX_OS_FUNCS]
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            base, attr = node.value.id, node.attr
            if (base == "os" and attr in POSIX_OS_FUNCS) or (base, attr) in POSIX_ATTRS:
                found.append(f"{base}.{attr} (line {node.lineno})")
        elif isinstance(node, ast.Attribute) and node.attr == "st_mode":
            found.append(f".st_mode (line {node.lineno})")
    return found


def test_posix_only_calls_live_only_in_platform_guard() -> None:
    offenders = {
        str(p.relative_to(ROOT)): uses for p, tree in _sources() if p != GUARD and (uses := _posix_only_uses(tree))
    }
    assert offenders == {}


def test_the_scan_catches_what_it_should() -> None:
    """The scanner itself: each kind of POSIX-only use is found (so an empty result means something)."""
    code = (
        "import fcntl\nimport os, stat\nfrom resource import setrlimit\n"
        "os.fchmod(1, 0o600)\nos.getuid()\nx = stat.S_IRWXG\np.stat().st_mode\n"
    )
    assert len(_posix_only_uses(ast.parse(code))) == 6
    assert _posix_only_uses(ast.parse(GUARD.read_text())) != []  # the guard is where they are


def test_children_start_only_through_childproc() -> None:
    """Every subprocess gets childproc.child_env() (no $IKRAR_PASSPHRASE); nothing else spawns."""
    spawners = {"subprocess.run", "subprocess.Popen", "subprocess.call", "subprocess.check_call",
                "subprocess.check_output", "os.system", "os.popen", "os.execv", "os.execvp", "os.spawnv",
                "os.startfile", "pty.spawn"}  # fmt: skip
    offenders = []
    for p, tree in _sources():
        if p == CHILDPROC:
            continue
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and f"{node.func.value.id}.{node.func.attr}" in spawners
            ):
                offenders.append(f"{p.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def _broad(handler: ast.ExceptHandler) -> bool:
    names = []
    if handler.type is None:
        return True
    for t in handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]:
        if isinstance(t, ast.Name):
            names.append(t.id)
    return bool({"Exception", "BaseException"} & set(names))


def _reraises_unchanged(handler: ast.ExceptHandler) -> bool:
    """`except BaseException: cleanup(); raise` only tidies up: the error goes on as it was."""
    last = handler.body[-1]
    return isinstance(last, ast.Raise) and last.exc is None


def test_no_broad_except_turns_a_bug_into_an_answer() -> None:
    """Only the root command's handler (cli/app.py) may catch everything: it turns a bug into exit 70."""
    allowed = {("ikrar_cli/cli/app.py", "Exception")}
    offenders = []
    for p, tree in _sources():
        rel = str(p.relative_to(ROOT))
        for node in ast.walk(tree):
            if isinstance(node, ast.ExceptHandler) and _broad(node) and not _reraises_unchanged(node):
                kind = ast.unparse(node.type) if node.type else "bare"
                if (rel, kind) not in allowed:
                    offenders.append(f"{rel}:{node.lineno} except {kind}")
    assert offenders == []


def _literal_code(expr: ast.expr) -> bool:
    """An exit code written as a number: 3, `x if y else 1`, `a or 1`, `CODES.get(kind, 1)`."""
    if isinstance(expr, ast.Constant):
        return type(expr.value) is int
    if isinstance(expr, ast.IfExp):
        return _literal_code(expr.body) or _literal_code(expr.orelse)
    if isinstance(expr, ast.BoolOp):
        return any(_literal_code(v) for v in expr.values)
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr == "get":
        return any(_literal_code(a) for a in expr.args)
    return False


def _exit_calls_with_literal_codes(tree: ast.Module) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name not in {"exit", "Exit", "_exit"}:
            continue
        if any(_literal_code(arg) for arg in [*node.args, *(k.value for k in node.keywords)]):
            lines.append(node.lineno)
    return lines


def test_every_exit_code_comes_from_the_one_map() -> None:
    """No `sys.exit(3)`, `ctx.exit(1)`, `Exit(1)` or `.get(kind, 1)`: codes come from ikrar_cli/cli/errors.py."""
    offenders = {
        str(p.relative_to(ROOT)): lines
        for p, tree in _sources()
        if p != PACKAGE / "cli" / "errors.py" and (lines := _exit_calls_with_literal_codes(tree))
    }
    assert offenders == {}
    code = "raise click.exceptions.Exit(1)\nsys.exit(3)\nctx.exit(CODES.get(k, 1))\nsys.exit(main(argv[1:]))\n"
    assert _exit_calls_with_literal_codes(ast.parse(code)) == [1, 2, 3]


@pytest.mark.parametrize("tool", ["fcntl", "resource"])
def test_platform_guard_imports_on_windows_without_posix_modules(tool: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """With os.name == 'nt' the guard never touches POSIX-only modules (they would not import)."""
    import ikrar_cli.platform_guard as guard

    monkeypatch.setitem(sys.modules, tool, None)  # importing it now raises ImportError
    monkeypatch.setattr(guard, "IS_WINDOWS", True)
    guard.disable_core_dumps()
    assert guard.core_dumps_disabled()
    guard.set_fd_mode(0, 0o600)
    assert guard.split_command('"C:\\Program Files\\Sumatra\\SumatraPDF.exe" -print-to-default') == [
        "C:\\Program Files\\Sumatra\\SumatraPDF.exe",
        "-print-to-default",
    ]


def test_on_windows_key_files_rely_on_the_profile_acl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Mode bits are checked on POSIX only; on Windows a key file is not refused for them."""
    import ikrar_cli.platform_guard as guard

    f = tmp_path / "k.key"
    f.write_text("x")
    f.chmod(0o644)
    assert guard.exposed_mode(f) == 0o644
    monkeypatch.setattr(guard, "IS_WINDOWS", True)
    assert guard.exposed_mode(f) is None


def test_new_file_without_hard_links_is_still_never_overwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno
    import os

    from ikrar_cli.platform_guard import create_new_file

    def no_links(_src: object, _dst: object) -> None:
        raise OSError(errno.EPERM, "hard links not supported")

    monkeypatch.setattr(os, "link", no_links)  # as on a FAT-formatted USB stick
    f = tmp_path / "k.key"
    create_new_file(f, b"pertama")
    with pytest.raises(FileExistsError):
        create_new_file(f, b"kedua")
    assert f.read_bytes() == b"pertama" and f.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["k.key"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/loadavg is Linux's")
def test_machine_load_counts_this_running_thread() -> None:
    from ikrar_cli.platform_guard import machine_load

    load = machine_load()
    assert load is not None
    average, runnable = load
    assert average >= 0.0
    assert runnable >= 1  # this very thread is running while it reads the file
