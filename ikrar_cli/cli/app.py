"""The root ``ikrar`` command: global options, lazy sub-commands, error mapping.

Sub-commands live one group per file in this package and are imported only when
used, so ``ikrar --help`` and ``ikrar --version`` load nothing but click.

Language: ``--lang`` (or ``$IKRAR_LANG``) is processed before every other option,
even an earlier ``--help``; sub-command modules are imported after that, so their
``help=_(...)`` texts come out in the chosen language. The root's own help texts and
the shared options (``json_option``, ``cli/options.py``) are msgids translated when
help is formatted, and click's own strings go through our catalogues (``click_i18n``).
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .. import __version__
from ..i18n import N_, _, set_language
from .click_i18n import install as install_click_translations
from .errors import report
from .options import TranslatedOption

install_click_translations()

if TYPE_CHECKING:
    from ..workspace import Workspace

#: name -> (module, attribute, short help msgid); order is the order in --help
COMMANDS: dict[str, tuple[str, str, str]] = {
    "init": ("ikrar_cli.cli.init", "init", N_("Create a workspace (configuration and database)")),
    "demo": ("ikrar_cli.cli.demo", "demo", N_("Run the whole flow once in a throwaway workspace")),
    "pledge": ("ikrar_cli.cli.pledge", "pledge", N_("List, show, validate and compare pledge templates")),
    "roster": ("ikrar_cli.cli.roster.roster", "roster", N_("Import, list and export the staff roster")),
    "key": ("ikrar_cli.cli.keys.key", "key", N_("Create, certify, list and revoke signing keys")),
    "trust": ("ikrar_cli.cli.keys.trust", "trust", N_("Export and pin trust bundles for auditors")),
    "session": ("ikrar_cli.cli.recitation.session", "session", N_("Open, list, show and close apel sessions")),
    "recite": ("ikrar_cli.cli.recitation.recite", "recite", N_("Run the kiosk: officers pledge one by one")),
    "attest": ("ikrar_cli.cli.recitation.attest", "attest", N_("Record attestations from scripts or attendance lists")),
    "receipt": ("ikrar_cli.cli.receipts.receipt", "receipt", N_("Show a receipt as a QR code, PNG, SVG or PDF slip")),
    "verify": ("ikrar_cli.cli.receipts.verify", "verify", N_("Verify receipts: text, stdin, images or PDF slips")),
    "ledger": ("ikrar_cli.cli.ledger.ledger", "ledger", N_("Checkpoint, prove, verify, export and merge the ledger")),
    "report": ("ikrar_cli.cli.reports.report", "report", N_("Compliance reports per unit and per officer")),
    "verifier": ("ikrar_cli.cli.receipts.verifier", "verifier", N_("Build the offline verifier web page")),
    "pakta": ("ikrar_cli.cli.documents.pakta", "pakta", N_("Write the Pakta Integritas of officers who pledged")),
    "terminal": ("ikrar_cli.cli.keys.terminal", "terminal", N_("Package and set up apel terminals in one file")),
    "db": ("ikrar_cli.cli.db", "db", N_("Move the workspace database to PostgreSQL")),
    "witness": ("ikrar_cli.cli.witness", "witness", N_("Run an independent witness that cosigns checkpoints")),
    "serve": ("ikrar_cli.cli.serve", "serve", N_("Serve the central HTTP API: push, proofs, reports")),
}


class AppContext:
    """What every command may need; the workspace is opened on first use. (A plain class: the
    ``dataclasses`` module and the ``inspect`` it imports cost ~15 ms of every cold start.)"""

    def __init__(
        self, home_arg: str | None = None, lang: str = "id", lang_explicit: bool = False, json: bool = False
    ) -> None:
        self.home_arg = home_arg
        self.lang = lang
        self.lang_explicit = lang_explicit
        self.json = json
        self._workspace: Workspace | None = None

    @property
    def home(self) -> Path:
        from ..workspace import resolve_home

        return resolve_home(self.home_arg)

    def has_workspace(self) -> bool:
        """Whether ``--home`` (or its default) is an initialised workspace, without opening it."""
        from ..api import workspace_exists

        return workspace_exists(self.home)

    def workspace(self) -> Workspace:
        if self._workspace is None:
            from ..api import open_workspace

            self._workspace = open_workspace(self.home)
            if not self.lang_explicit:
                # precedence: --lang, $IKRAR_LANG, the workspace's ikrar.yaml, Indonesian
                self.lang = set_language(self._workspace.config.language)
        return self._workspace

    def close(self) -> None:
        if self._workspace is not None:
            self._workspace.close()
            self._workspace = None


pass_app = click.make_pass_decorator(AppContext, ensure=True)


def json_option(func: Any) -> Any:
    """Add ``--json`` to a reporting command (same effect as the global ``ikrar --json``)."""

    def callback(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
        if value:
            ctx.ensure_object(AppContext).json = True

    return click.option(
        "--json",
        "json_output",
        is_flag=True,
        expose_value=False,
        callback=callback,
        cls=TranslatedOption,
        help=N_("Print machine-readable JSON on stdout"),
    )(func)


def _library_reads_files(command: click.Command) -> None:
    """User files are opened by the library, which reports every failure (missing, a folder, no
    permission) as one translated line through the one error map; click's own readability check
    would answer first, in English, and stop a batch command (``ledger merge``) from reporting the
    file with the others."""
    for param in command.params:
        if isinstance(param.type, click.Path):
            param.type.readable = False
    for sub in getattr(command, "commands", {}).values():
        _library_reads_files(sub)


class LazyGroup(click.Group):
    """A group whose sub-commands are imported only when invoked or listed in help."""

    def __init__(self, *args: Any, lazy: dict[str, tuple[str, str, str]] | None = None, **kw: Any):
        super().__init__(*args, **kw)
        self.lazy = lazy or {}

    def _available(self, name: str) -> bool:
        module = self.lazy[name][0]
        try:
            return importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            return False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [n for n in self.lazy if self._available(n)] + sorted(super().list_commands(ctx))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and self._available(cmd_name):
            module, attr, _help = self.lazy[cmd_name]
            command: click.Command = getattr(importlib.import_module(module), attr)
            _library_reads_files(command)
            return command
        return super().get_command(ctx, cmd_name)

    def make_parser(self, ctx: click.Context) -> Any:
        """Process ``--lang`` first, so that ``--help`` and errors come out in the chosen language."""
        parser = super().make_parser(ctx)
        first = [p for p in self.get_params(ctx) if p.name == "lang"]
        parse = parser.parse_args

        def parse_args(args: list[str]) -> tuple[Any, list[str], list[click.Parameter]]:
            opts, rest, order = parse(args=args)
            return opts, rest, first + [p for p in order if p not in first]

        parser.parse_args = parse_args  # type: ignore[method-assign]
        return parser

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        """click builds (and caches) ``--help`` before ``--lang`` is known: its text is set on each call,
        and help is formatted after ``--lang`` was processed."""
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = _("Show this message and exit.")
        return option

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The root's help is a msgid, translated now (the language is known by now)."""
        msgid = self.help
        self.help = _(msgid) if msgid else msgid
        try:
            super().format_help_text(ctx, formatter)
        finally:
            self.help = msgid

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List commands with their short help without importing their modules."""
        rows = [(n, _(self.lazy[n][2])) for n in self.lazy if self._available(n)]
        if rows:
            with formatter.section(_("Commands")):
                formatter.write_dl(rows)

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        from .errors import OneLineUsageError

        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.exceptions.NoArgsIsHelpError:
            raise
        except click.exceptions.UsageError as exc:
            raise OneLineUsageError(exc, "--json" in args) from None

    def invoke(self, ctx: click.Context) -> Any:
        app = ctx.ensure_object(AppContext)
        try:
            return super().invoke(ctx)
        except click.exceptions.NoArgsIsHelpError:
            raise
        except click.exceptions.UsageError as exc:
            from .errors import OneLineUsageError

            if isinstance(exc, OneLineUsageError):
                raise
            raise OneLineUsageError(exc, app.json) from None
        except (click.exceptions.ClickException, click.exceptions.Exit):
            raise
        except click.exceptions.Abort as exc:
            ctx.exit(report(exc, app.json))
        except Exception as exc:  # noqa: BLE001 - the single place errors become exit codes
            ctx.exit(report(exc, app.json))
        except KeyboardInterrupt as exc:
            ctx.exit(report(exc, app.json))
        finally:
            app.close()


def _set_lang(ctx: click.Context, _param: click.Parameter, value: str | None) -> str:
    chosen = set_language(value)
    app = ctx.ensure_object(AppContext)
    app.lang = chosen
    app.lang_explicit = value is not None
    return chosen


@click.group(
    cls=LazyGroup,
    lazy=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    help=N_(
        "ikrar: signed, verifiable Ikrar Netralitas ASN (neutrality pledges).\n\n"
        "Staff at an apel record each officer's pledge with a signed receipt; auditors "
        "verify receipts offline; HR imports rosters and reports compliance per unit."
    ),
)
@click.version_option(
    __version__,
    "--version",
    prog_name="ikrar",
    message="%(prog)s %(version)s",
    cls=TranslatedOption,
    help=N_("Show the version and exit."),
)
@click.option(
    "--home",
    metavar="DIR",
    envvar="IKRAR_HOME",
    cls=TranslatedOption,
    help=N_("Workspace folder (default: $IKRAR_HOME or the user data folder)"),
)
@click.option(
    "--lang",
    type=click.Choice(["id", "en"]),
    envvar="IKRAR_LANG",
    callback=_set_lang,
    is_eager=True,
    cls=TranslatedOption,
    help=N_("Language of messages: id (default) or en; also $IKRAR_LANG"),
)
@click.option(
    "--json", "json_output", is_flag=True, cls=TranslatedOption, help=N_("Print machine-readable JSON on stdout")
)
@click.pass_context
def cli(ctx: click.Context, home: str | None, lang: str, json_output: bool) -> None:
    app = ctx.ensure_object(AppContext)
    app.home_arg = home
    app.json = app.json or json_output
