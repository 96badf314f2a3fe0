"""The ``wallboard`` command: run a board, check configs, and the tools IT uses around them.

Objects are built here, in ``main``, never at import. Sub-commands that need
pygame or hardware libraries import them only when chosen.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from device import __version__
from device.errors import ConfigError

log = logging.getLogger("wallboard")


def _cmd_check(args: argparse.Namespace) -> int:
    from device.check import check_paths

    results, missing = check_paths(args.paths)
    for line in missing:
        print(line)
    for result in results:
        if result.ok:
            if not args.quiet:
                print(f"{result.path}: ok")
        else:
            for problem in result.problems:
                print(problem)
    failed = sum(1 for r in results if not r.ok)
    if not results and not missing:
        print("no config files found")
        return 2
    print(f"{len(results)} board config(s) checked, {failed} invalid", file=sys.stderr)
    return 1 if failed or missing else 0


def _cmd_run(args: argparse.Namespace) -> int:
    from device.app import Board
    from device.config import load_config
    from device.outputs import build_outputs

    try:
        loaded = load_config(args.config)
    except ConfigError as exc:
        for problem in exc.problems:
            log.error("%s", problem)
        log.error("refusing to start with an invalid config")
        return 2
    stop = threading.Event()

    def on_signal(number: int, frame: FrameType | None) -> None:
        log.info("received %s, stopping", signal.Signals(number).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    board = Board(loaded)
    board.outputs.extend(build_outputs(board))
    log.info(
        "wallboard %s: board %s/%s from %s (config %s)",
        __version__,
        loaded.config.site.id,
        loaded.config.board.id,
        loaded.path,
        loaded.checksum,
    )
    board.run(stop)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wallboard", description="A contact-centre wallboard for a floor TV.")
    parser.add_argument("--version", action="version", version=f"wallboard {__version__}")
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run a board")
    run.add_argument("--config", required=True, help="the board's TOML config file")
    run.set_defaults(handler=_cmd_run)

    check = commands.add_parser("check", help="validate config files or folders before a rollout")
    check.add_argument("paths", nargs="+", help="files or folders of *.toml")
    check.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    check.set_defaults(handler=_cmd_check)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=getattr(logging, args.log_level),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    result: int = args.handler(args)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
