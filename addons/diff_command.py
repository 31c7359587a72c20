"""``stegwatch diff A B``: the aligned, classified differences of two captured requests.

Channel: the same client sending the same prompt with different code points (a look-alike
apostrophe, a changed date separator, an invisible character, a field that appears), found
by putting two of its requests side by side, as ``stegwatch probe`` does across environments.
A and B are JSON request-body files, or one flow of a mitmproxy dump: ``FILE.mitm:FLOW_ID``
(a flow id or a unique prefix of one) or ``FILE.mitm#N`` (the N-th request of the file,
from 1); any capture `addons.captures` reads works with ``#N``.

Left alone, and why: with no varied variable there is nothing to explain by the environment,
so the classification is (see `addons.differ.compare_requests`):

- **noise**: only random identifiers differ, or a date or time moved in the same format
  (request ids, session ids, timestamps: a client writes them anew on every request);
- **explained**: conversation text (user, assistant, tool results), which is not
  client-authored and differs between any two turns, and Content-Length following the body;
- **unexplained**: every other code-point change in client-authored text (system prompt, tool
  definitions, injected context, metadata, headers, query): punctuation variants, date-format
  changes, invisible characters, changed words, and fields or headers that appear or vanish.

Exit status: 0 no unexplained difference, 1 some (the requests differ in client-authored
text), 2 error (unreadable file, unknown flow, a file holding several requests without ``#N``).
Credentials are never printed (see `addons.differ`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from addons.captured import CapturedRequest

EXIT_SAME = 0
EXIT_DIFFERENT = 1
EXIT_ERROR = 2


class DiffInputError(Exception):
    """A request could not be read; the message is meant for the user."""


def register(commands: argparse._SubParsersAction) -> None:
    """Add the ``diff`` subcommand to the ``stegwatch`` parser."""
    parser = commands.add_parser(
        "diff",
        help="compare two captured requests and classify their differences",
        description="Align two requests (JSON body files, FILE.mitm:FLOW_ID or FILE.mitm#N) by API, JSON path "
        "and line, and print each difference classified as unexplained, explained or noise. "
        "Exit 0: no unexplained difference; 1: the requests differ in client-authored text; 2: error.",
    )
    parser.add_argument("a", metavar="A", help="the reference request: BODY.json, FILE.mitm:FLOW_ID or FILE.mitm#N")
    parser.add_argument("b", metavar="B", help="the request to compare with it, in the same forms")
    parser.add_argument("--format", choices=("text", "json", "html"), default="text")
    parser.set_defaults(handler=_diff_handler)


def _diff_handler(args: argparse.Namespace) -> int:
    return diff_command(args.a, args.b, args.format)


def diff_command(a: str, b: str, output_format: str = "text") -> int:
    """Print the differences of requests ``a`` and ``b``; returns the exit status."""
    from addons.differ import compare_requests

    try:
        reference, variant = load_request(a), load_request(b)
    except DiffInputError as error:
        print(f"stegwatch diff: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    differences = compare_requests(reference, variant)
    unexplained = any(d.classification == "unexplained" for d in differences)
    if output_format == "json":
        from addons.probe_output import json_text, summary

        document = {"a": a, "b": b, "summary": summary(differences),
                    "differences": [d.model_dump(mode="json") for d in differences]}
        _write(json_text(document) + "\n")
    elif output_format == "html":
        from addons.probe_model import Cell, ProbeResult
        from addons.probe_output import render_html

        result = ProbeResult(command=["stegwatch", "diff", a, b], reference=Cell(name="A", environment={}),
                             cells=[Cell(name="B", environment={})], differences=differences)
        _write(render_html(result, title=f"stegwatch diff {a} {b}"))
    else:
        from rich.console import Console

        from addons.probe_output import render_differences

        console = Console(highlight=False)
        render_differences(differences, console, title=f"{a} -> {b}")
        console.print("the requests differ in client-authored text" if unexplained
                      else "no unexplained difference", style="bold red" if unexplained else "bold green")
    return EXIT_DIFFERENT if unexplained else EXIT_SAME


def _write(text: str) -> None:
    try:
        sys.stdout.write(text)
    except UnicodeEncodeError:
        encoding = sys.stdout.encoding or "ascii"
        sys.stdout.write(text.encode(encoding, "backslashreplace").decode(encoding))
    sys.stdout.flush()


def split_selector(argument: str) -> tuple[Path, str | None, int | None]:
    """The file, flow id and 1-based index named by one argument.

    A path that exists as given wins, so a file name may contain ``:`` or ``#``.

    >>> split_selector("dump.mitm#3")
    (PosixPath('dump.mitm'), None, 3)
    >>> split_selector("dump.mitm:5f1c2a9e")
    (PosixPath('dump.mitm'), '5f1c2a9e', None)
    >>> split_selector("body.json")
    (PosixPath('body.json'), None, None)
    """
    if Path(argument).exists():
        return Path(argument), None, None
    head, hash_sign, index = argument.rpartition("#")
    if hash_sign and head and index.isdigit():
        return Path(head), None, int(index)
    head, colon, flow = argument.rpartition(":")
    if colon and head and flow and "/" not in flow and "\\" not in flow:
        return Path(head), flow, None
    return Path(argument), None, None


def load_request(argument: str) -> CapturedRequest:
    """The one request ``argument`` names; raises `DiffInputError`."""
    from addons.captured import CapturedRequest

    path, flow_id, index = split_selector(argument)
    if not path.is_file():
        raise DiffInputError(f"{path}: no such file")
    try:
        from addons.captures import CaptureError, read_requests
    except ImportError:   # before addons.captures existed: a bare JSON body
        if flow_id is not None or index is not None:
            raise DiffInputError(f"{argument}: reading flows needs addons.captures") from None
        try:
            return CapturedRequest("POST", "", body=path.read_bytes(), origin=str(path))
        except OSError as error:
            raise DiffInputError(f"{path}: {error.strerror or error}") from error
    try:
        requests = list(read_requests(path))
    except CaptureError as error:
        raise DiffInputError(str(error)) from error
    except OSError as error:
        raise DiffInputError(f"{path}: {error.strerror or error}") from error
    if index is not None:
        if not 1 <= index <= len(requests):
            raise DiffInputError(f"{path} holds {len(requests)} requests; #{index} is not one of them")
        return requests[index - 1]
    if flow_id is not None:
        matching = [r for r in requests if r.flow_id is not None and r.flow_id.startswith(flow_id)]
        flows = {r.flow_id for r in matching}
        if not matching:
            raise DiffInputError(f"{path}: no flow with id {flow_id}")
        if len(flows) > 1:
            raise DiffInputError(f"{path}: {flow_id} is the start of {len(flows)} flow ids; give more of it")
        # The flow's HTTP request, not one of its WebSocket messages (those are FILE#N).
        return next((r for r in matching if not r.websocket), matching[0])
    if len(requests) != 1:
        raise DiffInputError(f"{path} holds {len(requests)} requests; pick one with {path}#N or {path}:FLOW_ID")
    return requests[0]
