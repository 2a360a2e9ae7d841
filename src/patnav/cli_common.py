"""What every ``patnav`` sub-command shares: the consoles, the ``--corpus`` option, opening a corpus, failing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from patnav.config import default_corpus
from patnav.i18n import _

console = Console()
err = Console(stderr=True)

CorpusOpt = Annotated[
    Path | None, typer.Option("--corpus", help=_("Corpus folder (default: $PATNAV_CORPUS or var/corpus)."))
]
EngineOpt = Annotated[str, typer.Option("--engine", help=_("Compute engine: duckdb or spark."))]


def _corpus_path(value: Path | None) -> Path:
    return value if value is not None else default_corpus()


def _open_corpus(value: Path | None, *, create: bool = False, read_only: bool = False):  # type: ignore[no-untyped-def]
    import duckdb

    from patnav.corpus.store import Corpus, CorpusNotFoundError

    try:
        return Corpus(_corpus_path(value), create=create, read_only=read_only)
    except CorpusNotFoundError as exc:
        err.print(f"[red]{_('Error')}:[/red] {exc}")
        raise typer.Exit(2) from None
    except duckdb.IOException as exc:
        if "lock" not in str(exc).lower():
            raise
        err.print(
            f"[red]{_('Error')}:[/red] "
            + _(
                "the corpus {path} is in use by another patnav process (a load, or embedding in the background): "
                "wait for it to finish, then try again"
            ).format(path=_corpus_path(value))
        )
        raise typer.Exit(3) from None


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[red]{_('Error')}:[/red] {message}")
    return typer.Exit(code)
