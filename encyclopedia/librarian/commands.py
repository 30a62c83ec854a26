"""``encyclopedia librarian add|list|remove|passwd`` and ``encyclopedia log``."""

from __future__ import annotations

import getpass

import click

from encyclopedia.config import Settings
from encyclopedia.librarian import AccountError, Workspace
from encyclopedia.librarian.accounts import Accounts


def command_line_user() -> str:
    """Who the audit log names for a change made from a shell."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user} (command line)"


def _workspace(ctx: click.Context) -> Workspace:
    settings: Settings = ctx.obj
    return Workspace.from_settings(settings)


def _checked_password(password: str) -> str:
    try:
        return Accounts.check_password(password)
    except AccountError as exc:
        raise click.BadParameter(str(exc)) from None


def _new_password(name: str) -> str:
    """Asked twice, never echoed; a password too short is refused as soon as it is typed
    (click checks ``value_proc`` before asking for the repeat), not after both."""
    return click.prompt(
        f"Password for {name}",
        hide_input=True,
        confirmation_prompt="Repeat the password",
        value_proc=_checked_password,
    )


@click.group()
def librarian() -> None:
    """Librarian accounts, kept in the instance folder's database."""


@librarian.command("add")
@click.argument("name")
@click.pass_context
def add(ctx: click.Context, name: str) -> None:
    """Create an account; asks for the password twice."""
    workspace = _workspace(ctx)
    try:
        workspace.accounts.check_name(name)
        if workspace.accounts.get(name):
            raise AccountError(f"there is already a librarian called {name!r}")
        workspace.accounts.add(name, _new_password(name))
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    workspace.audit.record(command_line_user(), "librarian added", detail=name)
    click.echo(f"Added librarian {name}. They sign in at /librarian/login.")


@librarian.command("list")
@click.pass_context
def list_(ctx: click.Context) -> None:
    """Every account and when it was made."""
    accounts = _workspace(ctx).accounts.all()
    if not accounts:
        click.echo("No librarians yet: add one with 'encyclopedia librarian add NAME'.")
    for account in accounts:
        click.echo(f"{account.name}\tadded {account.created}")


@librarian.command("remove")
@click.argument("name")
@click.confirmation_option(prompt="Remove this librarian? They will no longer be able to sign in.")
@click.pass_context
def remove(ctx: click.Context, name: str) -> None:
    """Delete an account (their history stays, under their name)."""
    workspace = _workspace(ctx)
    try:
        workspace.accounts.remove(name)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    workspace.audit.record(command_line_user(), "librarian removed", detail=name)
    click.echo(f"Removed librarian {name}.")


@librarian.command("passwd")
@click.argument("name")
@click.pass_context
def passwd(ctx: click.Context, name: str) -> None:
    """Set a new password; asks for it twice."""
    workspace = _workspace(ctx)
    try:
        if not workspace.accounts.get(name):
            raise AccountError(f"there is no librarian called {name!r}")
        workspace.accounts.set_password(name, _new_password(name))
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    workspace.audit.record(command_line_user(), "password changed", detail=name)
    click.echo(f"Changed the password of {name}.")


@click.command("log")
@click.option("--limit", type=click.IntRange(1, 100_000), default=50, show_default=True)
@click.option("--slug", default=None, help="Only changes to this article.")
@click.pass_context
def log(ctx: click.Context, limit: int, slug: str | None) -> None:
    """The audit log, newest first: who changed what, and when."""
    entries = _workspace(ctx).audit.recent(limit, slug)
    if not entries:
        click.echo("The audit log is empty.")
    for entry in entries:
        click.echo(str(entry))
