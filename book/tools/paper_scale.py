"""Execute chapters at paper scale and record what they measured, with provenance.

    python book/tools/paper_scale.py ch6 ch9     # chapters 6 and 9 at paper scale
    python book/tools/paper_scale.py all         # chapters 6-9 (the ones with fits)
    python book/tools/paper_scale.py --scale book ch1 --results R --executed E

For each chapter the script executes its notebook with ``DD_SCALE`` set (a fresh
kernel of this Python, working directory ``chapters/``, no cell timeout, and
``DD_LIVE_WIDGETS=0``: a live slider needs a browser, and headless at paper scale
chapter 8's hung the notebook client; the precomputed sliders are built), keeps the
executed notebook (default ``_build/paper_scale/<notebook>.ipynb``, not committed: it
holds the figures) and writes a results file ``<results>/<notebook>.json`` (default
``book/paper_scale/``, meant to be committed) with

- ``glue``: every value the chapter glued (the numbers its prose shows), as text;
- ``claims``: the statements of the chapter's ``dd.claim`` calls that held and those
  that did not.  The chapters' prose is written for book scale, so the script sets
  ``DD_CLAIMS=record`` for the kernel: a claim that fails at paper scale is recorded
  (and printed) instead of stopping the notebook (``dd_lib/claims.py``);
- ``provenance``: git commit (and whether the tree had uncommitted changes), or, when
  the environment variable ``DD_SOURCE_COMMIT`` is set, the commit it names and
  ``null`` (for a copy of the tree run elsewhere, whose git metadata can be stale), the
  scale, the device (GPU name, or the CPU model), torch and CUDA versions, Python
  version, the wall time of the execution in seconds, and the date (UTC).

The reproduction report (``book/reproduction.ipynb``) shows these values in its
paper-scale column and says "not run" for chapters without a results file. A chapter
that fails (an error, or a plain ``assert``) stops the script with the cell's error;
nothing is written for it. The unit
tests run the script at book scale on chapter 1, into temporary folders, so that it
cannot rot.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = ROOT / "chapters"
FIT_CHAPTERS = ("ch6", "ch7", "ch8", "ch9")
RECORD_MIME = "application/papermill.record/text/plain"


def notebook_for(name: str) -> Path:
    """``ch6`` (or ``6``, or a notebook path) -> the chapter's notebook."""
    path = Path(name)
    if path.suffix == ".ipynb":
        if not path.is_file():
            raise SystemExit(f"no notebook {name}")
        return path.resolve()
    number = name.removeprefix("ch")
    if not number.isdigit():
        raise SystemExit(f"unknown chapter {name!r}: use ch1 ... ch9, all, or a path")
    found = sorted(CHAPTERS.glob(f"{int(number):02d}_*.ipynb"))
    if len(found) != 1:
        raise SystemExit(f"no chapter notebook for {name!r} in {CHAPTERS}")
    return found[0]


def glued_values(nb: Any) -> dict[str, str]:
    """Every value glued in an executed notebook: key -> its text form."""
    values: dict[str, str] = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            record = out.get("metadata", {}).get("scrapbook")
            if not record:
                continue
            data = out.get("data", {})
            text = data.get(RECORD_MIME, data.get("text/plain"))
            if text is None:
                continue
            # glue stores repr(text) for strings: show what the page shows
            if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
                text = text[1:-1]
            values[record["name"]] = text
    return values


def claim_verdicts(nb: Any) -> dict[str, list[str]]:
    """The verdicts ``dd.claim`` printed: ``{"held": [...], "not_held": [...]}``."""
    verdicts: dict[str, list[str]] = {"held": [], "not_held": []}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") != "stream" or out.get("name") != "stdout":
                continue
            for line in out.get("text", "").splitlines():
                if line.startswith("claim holds: "):
                    verdicts["held"].append(line.removeprefix("claim holds: "))
                elif line.startswith("claim does NOT hold: "):
                    verdicts["not_held"].append(
                        line.removeprefix("claim does NOT hold: ")
                    )
    return verdicts


def device_description() -> dict[str, Any]:
    """The accelerator (or CPU) and the software versions the chapters ran with."""
    import torch

    info: dict[str, Any] = {
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "python": platform.python_version(),
    }
    if torch.cuda.is_available():
        info["device"] = torch.cuda.get_device_name(0)
    else:
        model = platform.processor() or platform.machine()
        cpuinfo = Path("/proc/cpuinfo")
        if cpuinfo.is_file():
            for line in cpuinfo.read_text().splitlines():
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
        info["device"] = f"CPU: {model} ({os.cpu_count()} logical cores)"
    return info


def git_state() -> dict[str, Any]:
    def git(*args: str) -> str:
        try:
            done = subprocess.run(
                ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
            )
        except OSError:  # no git program
            return ""
        return done.stdout.strip() if done.returncode == 0 else ""

    source = os.environ.get("DD_SOURCE_COMMIT", "").strip()
    if source:
        # a copy of the tree sent elsewhere (e.g. to a GPU machine), whose own git
        # metadata may be missing or stale: the sender names the commit it copied
        return {"commit": source, "uncommitted_changes": None}
    commit = git("rev-parse", "HEAD")
    if not commit:
        return {"commit": "unknown", "uncommitted_changes": None}
    return {
        "commit": commit,
        "uncommitted_changes": bool(
            git("status", "--porcelain", "--untracked-files=no")
        ),
    }


def run_chapter(
    path: Path, scale: str, executed_dir: Path, results_dir: Path
) -> dict[str, Any]:
    """Execute one notebook at ``scale``; write the executed copy and its results
    file, and return the results."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=None,
        kernel_name="python3",
        resources={"metadata": {"path": str(CHAPTERS)}},
    )
    # the kernel inherits the environment; the caller's is restored afterwards
    env = {"DD_SCALE": scale, "DD_CLAIMS": "record", "DD_LIVE_WIDGETS": "0"}
    with mock.patch.dict(os.environ, env):
        os.environ.pop("MPLBACKEND", None)  # keep the figures (CONTRIBUTING.md)
        start = time.perf_counter()
        client.execute()
        wall = time.perf_counter() - start
    executed_dir.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, executed_dir / path.name)
    record = {
        "notebook": str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path),
        "glue": glued_values(nb),
        "claims": claim_verdicts(nb),
        "provenance": {
            "scale": scale,
            **git_state(),
            **device_description(),
            "wall_time_s": round(wall, 1),
            "date_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
    }
    results_dir.mkdir(parents=True, exist_ok=True)
    out = results_dir / f"{path.stem}.json"
    out.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "chapters", nargs="+", help="ch1 ... ch9, 'all' (ch6-9), or paths"
    )
    parser.add_argument("--scale", choices=("paper", "book"), default="paper")
    parser.add_argument(
        "--results",
        type=Path,
        default=None,
        help="folder of the results files (default book/paper_scale at paper scale)",
    )
    parser.add_argument(
        "--executed",
        type=Path,
        default=ROOT / "_build" / "paper_scale",
        help="folder of the executed notebooks (default _build/paper_scale)",
    )
    args = parser.parse_args(argv)
    if args.results is None:
        if args.scale != "paper":
            parser.error(
                "at book scale, give --results (book/paper_scale is for paper)"
            )
        args.results = ROOT / "book" / "paper_scale"
    names = [
        c for name in args.chapters for c in (FIT_CHAPTERS if name == "all" else [name])
    ]
    paths = [notebook_for(name) for name in names]
    for path in paths:
        print(f"== {path.relative_to(ROOT)} at {args.scale} scale ...", flush=True)
        record = run_chapter(path, args.scale, args.executed, args.results)
        wall = record["provenance"]["wall_time_s"]
        print(f"   done in {wall:.1f} s -> {args.results / (path.stem + '.json')}")
        for statement in record["claims"]["not_held"]:
            print(f"   claim does NOT hold at {args.scale} scale: {statement}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
