"""`singlewindow classify …`: the subheadings the assistant suggests for a goods description,
or for every line of a JSON-lines file; in this process, from the packaged nomenclature and
model (no node, no network)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from singlewindow.classification.model import MOST_SUGGESTIONS
from singlewindow.remote import CommandFailed

console = Console()
errors = Console(stderr=True, soft_wrap=True, highlight=False)

BATCH = 32  # descriptions embedded together in the batch form

TopOption = Annotated[int, typer.Option(
    "--top", min=1, max=MOST_SUGGESTIONS, help="How many subheadings to suggest")]


def classify(
    text: Annotated[str | None, typer.Argument(
        help="The goods description, e.g. a product title")] = None,
    top: TopOption = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print the suggestions as JSON")] = False,
    file: Annotated[Path | None, typer.Option(
        "--file", help="JSON lines in, each an object with a `text` field")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", help="JSON lines out: each input line with `codes` and `confidences`")] = None,
) -> None:
    """Suggest the HS 2022 subheadings of a goods description (or of every line of --file,
    written to --out with `codes`, best first, and `confidences`)."""
    if file is not None:
        if text is not None:
            raise typer.BadParameter("give a description or --file, not both")
        if out is None:
            raise typer.BadParameter("--file needs --out, the file to write")
        _classify_file(file, out, top)
        return
    if text is None:
        raise typer.BadParameter("give a goods description, or --file IN.jsonl --out OUT.jsonl")
    from singlewindow.classification.services import suggest_offline

    suggestions = suggest_offline([text], top)[0]
    if as_json:
        console.print_json(json.dumps([
            {"code": s.code, "confidence": round(s.confidence, 4), "text": s.text}
            for s in suggestions]))
        return
    table = Table("", "subheading", "confidence", "description", title=escape(text))
    for rank, s in enumerate(suggestions, 1):
        table.add_row(str(rank), f"{s.code[:4]}.{s.code[4:]}", f"{s.confidence:.1%}",
                      escape(s.text))
    console.print(table)


def _lines(source: TextIO) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(source, 1):
        if line.strip():
            yield number, line


def _parse(number: int, line: str) -> tuple[dict[str, Any], str | None]:
    """The line's object and its description, or the object with the error to write."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        return {"line": number, "error": f"not JSON ({error.msg}, column {error.colno})"}, None
    if not isinstance(record, dict):
        return {"line": number, "error": "not a JSON object"}, None
    text = record.get("text")
    if not isinstance(text, str):
        return {**record, "error": "no `text` field with the goods description"}, None
    return record, text


def _classify_file(file: Path, out: Path, top: int) -> None:
    from singlewindow.classification.assistant import assistant
    from singlewindow.classification.errors import DescriptionRefused
    from singlewindow.classification.model import check_description

    try:
        with file.open(encoding="utf-8") as source:
            lines = list(_lines(source))
    except FileNotFoundError:
        raise CommandFailed(f"{file}: no such file") from None
    except UnicodeDecodeError as error:
        raise CommandFailed(f"{file}: not UTF-8 text (byte {error.start})") from None
    ranker = assistant()
    refused = 0
    progress = Progress(TextColumn("classifying"), BarColumn(), MofNCompleteColumn(),
                        TimeRemainingColumn(), console=errors, transient=True)
    with out.open("w", encoding="utf-8") as target, progress:
        task = progress.add_task("classifying", total=len(lines))
        for start in range(0, len(lines), BATCH):
            chunk = lines[start : start + BATCH]
            records: list[dict[str, Any]] = []
            wanted: list[tuple[int, str]] = []
            for number, line in chunk:
                record, text = _parse(number, line)
                if text is not None:
                    try:
                        wanted.append((len(records), check_description(text)))
                    except DescriptionRefused as refusal:
                        record = {**record, "error": refusal.problems[0].message}
                records.append(record)
            ranked = ranker.rank([t for _, t in wanted], top)
            for (position, _), found in zip(wanted, ranked, strict=True):
                records[position]["codes"] = [r.code for r in found]
                records[position]["confidences"] = [round(r.confidence, 4) for r in found]
            for (number, _), record in zip(chunk, records, strict=True):
                if "error" in record:
                    refused += 1
                    errors.print(f"[yellow]line {number}[/]: {escape(str(record['error']))}")
                target.write(json.dumps(record, ensure_ascii=False) + "\n")
            progress.advance(task, len(chunk))
    done = len(lines) - refused
    errors.print(f"{done} descriptions classified into {out}"
                 + (f"; {refused} lines with an error (written with `error`)" if refused else ""))
    if refused and not done:
        sys.exit(1)
