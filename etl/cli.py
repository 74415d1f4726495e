"""The `covenant` command: demo data, builds, status, the return template and the dashboard."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from etl import settings
from etl.sources import SOURCES
from etl.sources.files import INVISIBLE
from etl.settings import RETENTION_DAYS

console = Console(stderr=True)
CONTROL_CHARACTERS = re.compile(f"[\\x00-\\x1f\\x7f-\\x9f{INVISIBLE}]")  # and those that hide or turn text round


def printable(text: object) -> str:
    """Text from the inbox (a file's name, a message naming it) as printed to a terminal: a control character, which
    could move the cursor, recolour the terminal or set its title, is shown as its escape ('\\x1b')."""
    return CONTROL_CHARACTERS.sub(lambda found: f"\\x{ord(found.group()):02x}" if ord(found.group()) < 256 else
                                  f"\\u{ord(found.group()):04x}", str(text))


INBOX = click.option("--inbox", type=click.Path(path_type=Path), default=settings.DEFAULT_INBOX, show_default=True,
                     help="The inbox folder: one folder per source (funding/, organisations/, returns/, issues/, reference/).")
WAREHOUSE = click.option("--warehouse", type=click.Path(path_type=Path), default=settings.DEFAULT_WAREHOUSE,
                         show_default=True, help="The warehouse folder: the published release and its history.")


def _progress() -> Progress:
    return Progress(TextColumn("{task.description:<14}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=False, disable=not console.is_terminal)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Track how UK public bodies and civil society are doing against the Civil Society Covenant.

    Drop files into the inbox folders, run `covenant build`, then `covenant serve`."""


@main.command()
@INBOX
@click.option("--awards", type=click.IntRange(1, 20_000_000), default=settings.DEFAULT_DEMO_AWARDS, show_default=True,
              help="How many awards (grants) to generate; issues and organisations follow in proportion.")
@click.option("--seed", type=int, default=settings.DEFAULT_DEMO_SEED, show_default=True,
              help="The same seed gives the same files.")
@click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="The day the data runs to (default today): the demo spans 2024-25 to that day's quarter.")
@click.option("--defect-rate", type=click.FloatRange(0, 0.5), default=0.01, show_default=True,
              help="Share of records given a defect real files have (DD/MM/YYYY dates, swapped geocodes, ...).")
@click.option("--workers", type=click.IntRange(1, 64), default=None, help="Processes writing files (default: up to 2).")
def demo(inbox: Path, awards: int, seed: int, as_of: dt.datetime | None, defect_rate: float, workers: int | None) -> None:
    """Write a realistic demo inbox: 360Giving funding files, an organisation register, departmental returns and
    issue event logs, spanning the 2024-25 baseline to the current quarter."""
    from etl.demo import DemoSettings, write_demo_inbox

    demo_settings = DemoSettings(awards=awards, seed=seed, defect_rate=defect_rate,
                                 as_of=as_of.date() if as_of else dt.date.today())
    with _progress() as bar:
        tasks = {
            "organisations": bar.add_task("organisations", total=None),
            "funding": bar.add_task("funding awards", total=awards),
            "issues": bar.add_task("issue events", total=None),
            "returns": bar.add_task("return workbooks", total=None),
        }
        try:
            summary = write_demo_inbox(inbox, demo_settings, progress=lambda what, n: bar.advance(tasks[what], n), workers=workers)
        except FileExistsError as error:
            console.print(f"[bold red]Demo refused:[/] {error}")
            sys.exit(1)
    for folder, files in summary.files.items():
        click.echo(f"{folder:<14} {files:>7,} files {summary.rows.get(folder, 0):>12,} rows")
    click.echo(f"defects planted: {sum(summary.defects.values()):,} ({', '.join(f'{k} {v}' for k, v in sorted(summary.defects.items()))})")
    click.echo(f"Wrote the demo inbox to {inbox}. Next: covenant build --inbox {inbox}")


@main.command()
@INBOX
@WAREHOUSE
@click.option("--strict", is_flag=True, help="Refuse to publish if any file is rejected or any row quarantined.")
def build(inbox: Path, warehouse: Path, strict: bool) -> None:
    """Load the inbox into a new warehouse and publish it. Exits 0 when a new warehouse was published, 1 when the
    build was refused or failed (what was published before stays as it was)."""
    from etl.build import BuildFailed, BuildRejected
    from etl.build import build as run_build

    files = sum(1 for folder in (s.folder for s in SOURCES) if (inbox / folder).is_dir()
                for p in (inbox / folder).iterdir() if not p.name.startswith("."))
    try:
        with _progress() as bar:
            task = bar.add_task("reading files", total=files)
            result = run_build(inbox, warehouse, strict=strict, progress=lambda what, n: bar.advance(task, n))
    except BuildRejected as error:
        console.print(f"[bold red]Build {'failed' if isinstance(error, BuildFailed) else 'refused'}:[/] {error}")
        sys.exit(1)
    rejected = [f for f in result.files if f.rejected]
    read = sum(f.rows_read for f in result.files)
    loaded = sum(f.rows_loaded for f in result.files)
    quarantined = sum(f.rows_quarantined for f in result.files)
    click.echo(f"Published {result.release}")
    click.echo(f"{len(result.files):,} files: {read:,} rows read, {loaded:,} loaded, {quarantined:,} quarantined; "
               f"{len(rejected)} file(s) rejected")
    for f in rejected[:20]:
        click.echo(f"  rejected: {printable(f.rejected)}")
    for reason, count in list(result.quarantine_reasons.items())[:10]:
        click.echo(f"  quarantined {count:>7,}  {printable(reason)}")
    if result.disclosure:
        click.echo("Issue figures (disclosure control): published / suppressed / withheld")
        for where, counts in result.disclosure.items():
            shown = counts["published"] / counts["counts"] if counts["counts"] else 0
            click.echo(f"  {where:<24} {counts['published']:>6,} / {counts['suppressed']:>6,} / {counts['withheld']:>6,}"
                       f"  ({shown:.0%} published)")


def release_problem(release: Path) -> str | None:
    """Why the published release cannot be read as its manifest records (a database cut short or changed, a table
    with other rows than it had), or None when its database has the size and checksum the manifest records, opens,
    and every table the manifest names holds the rows it recorded."""
    import duckdb

    from etl.warehouse_files import DATABASE_FILE, MANIFEST_FILE

    from etl.sources.files import sha256

    try:
        manifest = json.loads((release / MANIFEST_FILE).read_text())
        recorded, database = manifest["tables"], release / DATABASE_FILE
        if database.stat().st_size != manifest.get("database_bytes", database.stat().st_size):
            return (f"the database is {database.stat().st_size:,} bytes where the manifest records "
                    f"{manifest['database_bytes']:,} (cut short, or replaced)")
        if manifest.get("database_sha256") and sha256(database) != manifest["database_sha256"]:
            return "the database's checksum is not the one the manifest records (changed since it was published)"
        con = duckdb.connect(str(database), read_only=True)
    except (OSError, ValueError, KeyError, duckdb.Error) as error:
        return f"the release cannot be opened ({type(error).__name__}: {str(error).splitlines()[0][:120]})"
    try:
        found = {}
        for schema, table in con.execute("select schema_name, table_name from duckdb_tables() "
                                         "where database_name = current_database()").fetchall():
            # identifiers from the database's own catalogue, not from a file
            found[f"{schema}.{table}"] = con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0]
    except duckdb.Error as error:
        return f"the release's database cannot be read ({type(error).__name__})"
    finally:
        con.close()
    for name, rows in recorded.items():
        if name not in found:
            return f"table {name} is missing from the database"
        if found[name] != rows:
            return f"table {name} holds {found[name]:,} rows where the manifest records {rows:,}"
    return None


def status_document(warehouse: Path) -> dict | None:
    from etl.warehouse_files import MANIFEST_FILE, current_release, restricted_release

    release = current_release(warehouse)
    if release is None or not (release / MANIFEST_FILE).is_file():
        return None
    # the operator running builds may read the restricted manifest (with issue logs' row counts) when it is there
    restricted = restricted_release(warehouse, release.name) / MANIFEST_FILE
    try:
        manifest = json.loads(restricted.read_text())
    except OSError:  # another user, or the restricted folder is elsewhere
        manifest = json.loads((release / MANIFEST_FILE).read_text())
    return {
        "warehouse": str(release),
        "database": str(release / "covenant.duckdb"),
        "problem": release_problem(release),
        "load_id": manifest["load_id"],
        "built_at": manifest["built_at"],
        "files": [
            {k: f[k] for k in ("path", "source", "sha256", "rows_read", "rows_loaded", "rows_quarantined", "rejected", "duplicate_of")}
            for f in manifest["files"]
        ],
        "tables": manifest["tables"],
        "quarantine_reasons": manifest["quarantine_reasons"],
        "releases": kept_releases_listed(warehouse),
    }


def kept_releases_listed(warehouse: Path) -> list[dict]:
    """Every release still kept (a link may pin any of them with ?release=<load id>), oldest first, with when it was
    built and whether it is the one published now."""
    from etl.warehouse_files import current_release, kept_releases, release_manifest

    latest = current_release(warehouse)
    return [{"load_id": r.name, "built_at": release_manifest(r).get("built_at"), "current": latest is not None and r.name == latest.name}
            for r in kept_releases(warehouse)]


@main.command()
@WAREHOUSE
@click.option("--json", "as_json", is_flag=True, help="Print the same as JSON.")
def status(warehouse: Path, as_json: bool) -> None:
    """What is published, when, from which files, with rows read, loaded and quarantined per file."""
    document = status_document(warehouse)
    if document is None:
        if as_json:
            click.echo(json.dumps({"warehouse": None, "message": f"nothing is published in {warehouse}"}))
        else:
            console.print(f"Nothing is published in {warehouse}. Run `covenant build`.")
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(document, indent=2))
        sys.exit(1 if document["problem"] else 0)
    click.echo(f"Published: {document['warehouse']}\nBuilt at:  {document['built_at']}")
    if document["problem"]:
        console.print(f"[bold red]The published release is damaged:[/] {printable(document['problem'])}. The dashboard "
                      "cannot show it; build again to publish a sound one.")
    else:
        click.echo("Checked:   the database opens, and every table holds the rows its manifest records")
    click.echo(f"\n{'rows read':>12} {'loaded':>12} {'quarantined':>12}  file")

    def number(value: int | None) -> str:
        return "–" if value is None else f"{value:,}"  # withheld: an issue log's counts in the public manifest

    for f in document["files"]:
        click.echo(f"{number(f['rows_read']):>12} {number(f['rows_loaded']):>12} {number(f['rows_quarantined']):>12}  {printable(f['path'])}")
        note = f["rejected"] or (f"same bytes as {f['duplicate_of']}: loaded once" if f["duplicate_of"] else "")
        if note:
            click.echo(f"{'':>40}  {'rejected: ' if f['rejected'] else ''}{printable(note)}")
    totals = {k: sum(f[k] or 0 for f in document["files"]) for k in ("rows_read", "rows_loaded", "rows_quarantined")}
    click.echo(f"Total: {totals['rows_read']:,} read = {totals['rows_loaded']:,} loaded + {totals['rows_quarantined']:,} quarantined")
    for name, rows in document["tables"].items():
        if name.startswith("marts."):
            click.echo(f"  {name:<28} {rows:>12,} rows")
    click.echo(f"\nReleases kept (a link pins one with ?release=<load id>; {RETENTION_DAYS:g} days after it is superseded):")
    for kept in document["releases"]:
        click.echo(f"  {kept['load_id']}  built {kept['built_at']}{'  (published now)' if kept['current'] else ''}")
    if document["problem"]:
        sys.exit(1)


@main.command()
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=Path("covenant-return-template.xlsx"),
              show_default=True, help="Where to write the workbook.")
@click.option("--force", is_flag=True, help="Overwrite OUTPUT if it exists.")
def template(output: Path, force: bool) -> None:
    """Write the blank departmental return workbook public bodies fill in each quarter, generated from the
    returns data contract: a sheet of instructions, then one sheet per part of the return."""
    from data_contracts.to_template import template as return_template

    if output.exists() and not force:
        console.print(f"[bold red]Not written:[/] {output} exists (it may be a filled-in return); use --force to overwrite it.")
        sys.exit(1)
    output.write_bytes(return_template("returns"))
    click.echo(f"Wrote the return template to {output}")


@main.command()
@WAREHOUSE
@click.option("--body", help="A public body's code (as in the dashboard's links: ?body=DCMS).")
@click.option("--principle", help="A principle's code: recognition, partnership, participation, transparency, accountability.")
@click.option("--place", help="A place's GSS code: a district, combined authority, region or nation (E08000016).")
@click.option("--year", help="A financial year (2025-26); default: the latest complete one, as the dashboard shows.")
@click.option("--release", help="A release kept (its load id, as in ?release=...); default: the latest.")
@click.option("--url", default=settings.DEFAULT_URL, show_default=True, help="The dashboard's address, for the pack's link.")
@click.option("--out", "output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="The PDF to write.")
def briefing(warehouse: Path, body: str | None, principle: str | None, place: str | None, year: str | None,
             release: str | None, url: str, output: Path) -> None:
    """Write a briefing pack (PDF) on one public body, principle or place: headline figures, each principle's
    figures with numerators, changes, peers' median and rank, charts, caveats, definitions, the release and a citation."""
    if not output.parent.is_dir():
        raise click.ClickException(f"There is no folder {printable(output.parent)} to write the pack in")
    os.environ["COVENANT_WAREHOUSE"] = str(warehouse.resolve())
    from streamlit import logger as streamlit_logger

    streamlit_logger.set_log_level("error")  # its query cache says it has no server, which is expected here
    from dashboard import briefing as packs
    from dashboard import queries
    from etl.warehouse_files import kept_release

    if release and kept_release(warehouse.resolve(), release) is None:
        raise click.ClickException(f"The release '{printable(release[:40])}' is not kept in {warehouse}; "
                                   "`covenant status` lists those that are")
    queries.pin_release(release)
    if queries.database() is None:
        raise click.ClickException(f"Nothing has been published in {warehouse}: run `covenant build` first")
    try:
        view = packs.subject_of(body, principle, place)
        if year:
            view |= {"from": f"{year} Q1", "to": f"{year} Q4"}
            if year not in queries.financial_years():
                raise ValueError(f"The published data has no financial year '{year[:20]}': it has "
                                 + ", ".join(queries.financial_years()))
        document = packs.pack(view, release, url)
    except (ValueError, RuntimeError) as problem:  # RuntimeError: no Chromium to draw the charts with
        raise click.ClickException(printable(str(problem))) from None
    output.write_bytes(document)
    click.echo(f"Wrote the briefing pack to {output} ({len(document):,} bytes)")
    if url == settings.DEFAULT_URL and "COVENANT_URL" not in os.environ:
        click.echo(f"Its link points at {url}, which only this machine can open: give the dashboard's public address "
                   "with --url (or COVENANT_URL) before you share it.")


@main.command()
@WAREHOUSE
@click.option("--port", type=int, default=settings.DEFAULT_PORT, show_default=True, help="Port to serve on.")
@click.option("--address", default="127.0.0.1", show_default=True, help="Address to serve on.")
def serve(warehouse: Path, port: int, address: str) -> None:
    """Start the dashboard on http://ADDRESS:PORT over the published warehouse."""
    app = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
    env = os.environ | {"COVENANT_WAREHOUSE": str(warehouse.resolve())}
    command = [sys.executable, "-m", "streamlit", "run", str(app), "--server.headless", "true",
               "--server.address", address, "--server.port", str(port), "--browser.gatherUsageStats", "false"]
    click.echo(f"Serving the Covenant dashboard on http://{address}:{port} (Ctrl+C to stop)")
    os.chdir(app.parent.parent)
    os.execve(sys.executable, command, env)  # this process becomes the dashboard's: a signal to it reaches the server


if __name__ == "__main__":
    main()
