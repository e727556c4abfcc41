"""click's own strings (``Usage:``, ``Options``, ``Show this message and exit.`` ...) in our language.

click marks its strings with the standard library's ``gettext`` (``from gettext import
gettext as _`` in each of its modules), which picks a language from environment
variables. ikrar picks its language from ``--lang``/``$IKRAR_LANG``/ikrar.yaml, so
``install()`` points those module-level names at ``ikrar_cli.i18n`` instead, and the
msgids below put click's strings into ``ikrar.pot`` so ``id.po`` translates them.
A click release that adds a string shows it in English until it is listed here.
"""

from __future__ import annotations

import importlib

from ..i18n import N_, Nn_, gettext, ngettext_raw

#: click modules that translate strings (each binds ``_`` and/or ``ngettext`` at import)
CLICK_MODULES = (
    "click.core",
    "click.decorators",
    "click.exceptions",
    "click.formatting",
    "click.parser",
    "click.termui",
    "click.types",
    "click.utils",
)

#: click's msgids (click 8.1 to 8.3), so extraction puts them in the template
MESSAGES = (
    N_("Usage:"),
    N_("Options"),
    N_("Commands"),
    N_("Positional arguments"),
    N_("Show this message and exit."),
    N_("Show the version and exit."),
    N_("Aborted!"),
    N_("deprecated"),
    N_("(Deprecated)"),
    N_("Missing command."),
    N_("Value must be an iterable."),
    N_("env var: {var}"),
    N_("default: {default}"),
    N_("required"),
    N_("(dynamic)"),
    N_("Error: {message}"),
    N_("Try '{command} {option}' for help."),
    N_("Invalid value: {message}"),
    N_("Invalid value for {param_hint}: {message}"),
    N_("Missing argument"),
    N_("Missing option"),
    N_("Missing parameter"),
    N_("Missing {param_type}"),
    N_("Missing parameter: {param_name}"),
    N_("No such option: {name}"),
    N_("No such option {name!r}."),
    N_("No such command {name!r}."),
    N_("No such command '{name}'."),
    N_("unknown error"),
    N_("Could not open file {filename!r}: {message}"),
    N_("Argument {name!r} takes {nargs} values."),
    N_("Option {name!r} does not take a value."),
    N_("Do you want to continue?"),
    N_("Confirm the action without prompting."),
    N_("Repeat for confirmation"),
    N_("Error: The two entered values do not match."),
    N_("Error: invalid input"),
    N_("Press any key to continue..."),
    N_("Choose from:\n\t{choices}"),
    N_("{value!r} is not a valid {number_type}."),
    N_("{value} is not in the range {range}."),
    N_("{value!r} is not a valid boolean. Recognized values: {states}"),
    N_("{value!r} is not a valid boolean."),
    N_("{value!r} is not a valid UUID."),
    N_("file"),
    N_("directory"),
    N_("path"),
    N_("{name} {filename!r} does not exist."),
    N_("{name} {filename!r} is a file."),
    N_("{name} {filename!r} is a directory."),
    N_("{name} {filename!r} is not readable."),
    N_("{name} {filename!r} is not writable."),
    N_("{name} {filename!r} is not executable."),
    Nn_("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"),
    Nn_("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"),
    Nn_("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."),
    Nn_("{value!r} is not {choice}.", "{value!r} is not one of {choices}."),
    Nn_("{value!r} does not match the format {format}.", "{value!r} does not match the formats {formats}."),
    Nn_("Takes {nargs} values but 1 was given.", "Takes {nargs} values but {len} were given."),
    Nn_(
        "{len_type} values are required, but {len_value} was given.",
        "{len_type} values are required, but {len_value} were given.",
    ),
)

_installed = False


def install() -> None:
    """Route click's ``_``/``ngettext`` through ikrar's catalogues (idempotent, cheap)."""
    global _installed
    if _installed:
        return
    for name in CLICK_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:  # pragma: no cover - a click without that module
            continue
        if hasattr(module, "_"):
            module._ = gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext_raw  # type: ignore[attr-defined]
    _installed = True
