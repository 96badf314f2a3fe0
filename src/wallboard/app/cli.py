"""The ``wallboard`` command: run a board, check configs, and the tools IT uses around them.

Objects are built here, in ``main``, never at import. Sub-commands that need
pygame or hardware libraries import them only when chosen.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from wallboard.device import __version__
from wallboard.device.config.named_files import read_secret
from wallboard.device.config.reading import load_config
from wallboard.device.errors import ConfigError
from wallboard.device.util.text import printable

if TYPE_CHECKING:
    from wallboard.app.tools.fleet_web.serve import WebSettings
    from wallboard.app.tools.fleet_web.shots import ShotPolicy
    from wallboard.device.config.checks import SiteFeed

log = logging.getLogger("wallboard")


def _cmd_check(args: argparse.Namespace) -> int:
    from wallboard.device.config.checks import check_paths, feed_config_files

    feeds_failed, site_feeds = _check_feed_configs(feed_config_files(args.paths), quiet=args.quiet)
    results, missing = check_paths(args.paths, site_feeds)
    for line in missing:
        print(line)
    for result in results:
        for warning in result.warnings:
            print(warning)
        if result.ok:
            if not args.quiet:
                print(f"{result.path}: ok")
        else:
            for problem in result.problems:
                print(printable(problem, 1000))  # a value quoted from a file may hold escape sequences
    failed = sum(1 for r in results if not r.ok)
    if not results and not missing and feeds_failed is None:
        print("no config files found")
        return 2
    print(f"{len(results)} board config(s) checked, {failed} invalid", file=sys.stderr)
    return 1 if failed or missing or feeds_failed else 0


def _check_feed_configs(paths: list[Path], *, quiet: bool) -> tuple[int | None, dict[str, list[SiteFeed]]]:
    """Validate feed configs (``[feed]`` and ``[mqtt]``) and list the credentials each reads.

    How many are invalid (None if there were none), and per site id the feeds found with what their
    adapters declare they supply (read from ``feeds.supplies``: no vendor library, no connection).
    """
    site_feeds: dict[str, list[SiteFeed]] = {}
    if not paths:
        return None, site_feeds
    from wallboard.device.config.checks import SiteFeed
    from wallboard.feeds.errors import FeedConfigError
    from wallboard.feeds.feed_config import credential_files, load_feed_config
    from wallboard.feeds.secrets import CREDENTIALS_VARIABLE, resolve_secret_path
    from wallboard.feeds.supplies import DECLARED, for_section

    failed = 0
    for path in paths:
        try:
            config = load_feed_config(path)
        except FeedConfigError as exc:
            failed += 1
            print(exc)
            continue
        adapters = [name for name in config.adapters if name in DECLARED]
        for adapter in adapters:
            supply = for_section(adapter, config.adapters[adapter])
            site_feeds.setdefault(config.feed.site, []).append(SiteFeed(adapter, path, supply))
        if not adapters:
            print(f"{path}: warning: no adapter section ({', '.join(f'[{name}]' for name in sorted(DECLARED))})")
        if quiet:
            continue
        print(f"{path}: ok (feed): {', '.join(adapters) or 'no adapter'} for site {config.feed.site}")
        prefix = f"${CREDENTIALS_VARIABLE}/"
        for key, value in credential_files(config):
            if value.startswith(prefix):
                name = value[len(prefix) :]
                how = f"systemd credential {name}: LoadCredential={name}:/etc/wallboard/secrets/{name}"
            else:
                how = f"file {resolve_secret_path(value, config.base_dir)}, chmod 600"
            print(f"{path}: reads {key} = {value} ({how})")
        if "connect" in adapters:
            print(f"{path}: reads AWS credentials from boto3's chain (instance role, AWS_* environment, ~/.aws)")
    print(f"{len(paths)} feed config(s) checked, {failed} invalid", file=sys.stderr)
    return failed, site_feeds


def _cmd_run(args: argparse.Namespace) -> int:
    from wallboard.app.loop.compose import compose_board
    from wallboard.device.util.stopping import stop_on_signals

    try:
        loaded = load_config(args.config)
    except ConfigError as exc:
        raise ConfigError([*exc.problems, "refusing to start with an invalid config"]) from None
    stop = stop_on_signals()
    board = compose_board(loaded)
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


def _cmd_preview(args: argparse.Namespace) -> int:
    from wallboard.device.config.screen_schema import parse_size
    from wallboard.display.preview.preview import render_preview

    loaded = load_config(args.config)
    try:
        size = parse_size(args.size) or (1920, 1080)
        out = render_preview(loaded.config, args.data, args.out, size, page=args.page, explain=args.explain)
    except ValueError as exc:
        log.error("%s", exc)
        return 2
    print(f"wrote {out} ({size[0]}x{size[1]}, page {args.page})" + (f" and {args.explain}" if args.explain else ""))
    return 0


def _cmd_simulate(args: argparse.Namespace) -> int:
    from wallboard.app.demo.simulator import run_simulator

    return run_simulator(args)


def _cmd_demo(args: argparse.Namespace) -> int:
    from wallboard.app.demo.demo import run_demo

    return run_demo(args)


def _cmd_sound(args: argparse.Namespace) -> int:
    import msgspec

    from wallboard.app.tools.sound_check import list_devices, play_test_tone
    from wallboard.device.config.signals_schema import SoundSettings

    if args.list:
        return list_devices(sys.stdout)
    settings = SoundSettings()
    if args.config:
        settings = load_config(args.config).config.signals.sound
    if args.output:
        settings = msgspec.structs.replace(settings, output=args.output, device="")
    if args.device:
        settings = msgspec.structs.replace(settings, device=args.device)
    return play_test_tone(settings, sys.stdout)


def _cmd_fleet(args: argparse.Namespace) -> int:
    from pathlib import Path

    from wallboard.app.tools.fleet import describe_twin, fetch_screenshot, watch
    from wallboard.app.tools.mqtt_client import ToolClient

    host, _, port = args.broker.rpartition(":")
    if not host or not port.isdigit():
        log.error("--broker: expected HOST:PORT, got %r", args.broker)
        return 2
    serving: tuple[WebSettings, ShotPolicy] | None = None
    if args.serve:
        settings = _fleet_web_settings(args)
        if isinstance(settings, int):
            return settings
        serving = settings
    password = read_secret(args.password_file, Path.cwd()) if args.password_file else None
    client = ToolClient(
        host,
        int(port),
        username=args.username,
        password=password,
        ca_file=args.ca_file,
        cert_file=args.cert_file,
        key_file=args.key_file,
    )
    try:
        client.connect()
    except ConnectionError as exc:
        if serving is None or client.refused:
            log.error("%s", exc)
            return 1
        # The page is a service: it comes up when its broker is not there yet (a centre still booting, a WAN
        # still down), says so on the page, and catches up when the broker answers.
        log.warning("%s: serving the page anyway (it shows the broker down) and trying again", exc)
        client.connect_in_background()
    try:
        if args.screenshot:
            site, _, board = args.screenshot.rpartition("/")
            site = site or args.site
            if site == "+" or not args.out:
                log.error("--screenshot: name the board as SITE/BOARD (or give --site) and give --out FILE.png")
                return 2
            error = fetch_screenshot(client, site, board, Path(args.out), max_width=args.max_width)
            if error is not None:
                log.error("%s", error)
                return 1
            print(f"wrote {args.out}")
            twin_path = Path(args.out).with_suffix(".json")
            if not twin_path.exists():
                print(f"no text twin: the board's {twin_path.name} did not arrive with the PNG", flush=True)
                log.warning(
                    "the screenshot came without its text twin (wallboard/%s/%s/screenshot/text): through a bridge, "
                    "check the site's bridge forwards that topic and the central ACL lets the site write it "
                    "(config/mosquitto/bridge-site.conf, acl-central.example); an older board sends none",
                    site,
                    board,
                )
                return 0
            print(f"wrote {twin_path}: what the screen says")
            for line in describe_twin(json.loads(twin_path.read_text(encoding="utf-8"))):
                print(f"  {line}")
            return 0
        if serving is not None:
            from wallboard.app.tools.fleet_web.serve import serve
            from wallboard.app.tools.fleet_web.watcher import FleetWatcher

            web, policy = serving
            return serve(client, FleetWatcher(policy, hot_celsius=args.hot), web, site=args.site)
        return watch(
            client,
            site=args.site,
            as_json=args.json,
            once=args.once,
            duration=args.timeout,
            hot_celsius=args.hot,
        )
    except KeyboardInterrupt:
        return 0
    finally:
        client.close()


def _fleet_web_settings(args: argparse.Namespace) -> tuple[WebSettings, ShotPolicy] | int:
    """``--serve``'s settings and screenshot policy, or the exit status when they cannot be used."""
    try:
        from wallboard.app.tools.fleet_web.app import Login
        from wallboard.app.tools.fleet_web.serve import WebSettings, check_listen, parse_listen
        from wallboard.app.tools.fleet_web.shots import ShotPolicy
    except ImportError as exc:
        log.error("fleet --serve needs the fleet extra (%s): pip install 'wallboard[fleet]'", exc.name)
        return 2
    try:
        host, port = parse_listen(args.listen)
    except ValueError as exc:
        log.error("%s", exc)
        return 2
    if (args.web_user is None) != (args.web_password_file is None):
        log.error("--web-user and --web-password-file go together")
        return 2
    try:  # the policy checks its own bounds
        policy = ShotPolicy(
            every_s=args.shot_every, per_board_per_minute=args.shots_per_minute, max_width=args.max_width
        )
    except ValueError:
        log.error("--shot-every must be above 0, --shots-per-minute at least 1 and --max-width at least 64")
        return 2
    if args.max_viewers < 1:
        log.error("--max-viewers must be at least 1")
        return 2
    login = None
    if args.web_user is not None:
        try:
            login = Login(args.web_user, read_secret(args.web_password_file, Path.cwd()))
        except (OSError, ConfigError) as exc:
            log.error("--web-password-file: %s", exc)
            return 2
    settings = WebSettings(
        host=host,
        port=port,
        login=login,
        certfile=args.web_cert,
        keyfile=args.web_key,
        max_viewers=args.max_viewers,
    )
    problem = check_listen(settings)
    if problem is not None:
        log.error("%s", problem)
        return 2
    return settings, policy


def _cmd_feed(args: argparse.Namespace) -> int:
    from wallboard.feeds.main import run_feed

    return run_feed(args)


def add_broker_login(parser: argparse.ArgumentParser, who: str) -> None:
    """The broker login options, named like a board's ``[mqtt]`` keys (username, password_file, tls.*)."""
    parser.add_argument("--username", default=None, help=f"broker user ({who})")
    parser.add_argument("--password-file", default=None, help="file holding that user's password (its first line)")
    parser.add_argument("--ca-file", default=None, help="CA certificate to verify the broker: connect with TLS")
    parser.add_argument("--cert-file", default=None, help="client certificate (TLS, with --ca-file)")
    parser.add_argument("--key-file", default=None, help="the client certificate's key")


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

    preview = commands.add_parser("preview", help="render a board to PNG from sample data (no broker, no screen)")
    preview.add_argument("--config", required=True, help="the board's TOML config file")
    preview.add_argument("--data", required=True, help="sample data (JSON), e.g. config/sample-data.json")
    preview.add_argument("--out", required=True, help="the PNG to write")
    preview.add_argument("--size", default="1920x1080", help="WIDTHxHEIGHT (default 1920x1080)")
    preview.add_argument("--page", type=int, default=1, help="which page, from 1 (default 1)")
    preview.add_argument("--explain", default=None, metavar="FILE",
                         help="also write the screen's text twin (JSON: what each widget says) to FILE")  # fmt: skip
    preview.set_defaults(handler=_cmd_preview)

    simulate = commands.add_parser("simulate", help="publish a simulated contact centre to a broker")
    simulate.add_argument("--broker", default="127.0.0.1:1883", help="HOST:PORT (default 127.0.0.1:1883)")
    simulate.add_argument("--site", default="demo", help="site id in the topics (default demo)")
    simulate.add_argument("--queues", default="sales,support", help="comma-separated queue names")
    simulate.add_argument("--rate", type=float, default=1.0, help="queue updates per second per queue (default 1)")
    simulate.add_argument("--speed", type=float, default=1.0, help="simulated seconds per real second (default 1)")
    simulate.add_argument(
        "--duration", type=float, default=0.0, help="stop after this many seconds (default: never; Ctrl+C stops)"
    )
    simulate.add_argument("--seed", type=int, default=None, help="random seed, for a repeatable run")
    simulate.add_argument("--timezone", default="UTC", help="the site's time zone, e.g. Europe/London (default UTC)")
    simulate.add_argument("--day-start", type=float, default=None,
                          help="start the simulated day at this hour, site time (default: now)")  # fmt: skip
    add_broker_login(simulate, "the site's feed or ACD account: it writes cc/<site>/#")
    simulate.set_defaults(handler=_cmd_simulate)

    demo = commands.add_parser("demo", help="a live demo board: embedded broker, simulator and board in one")
    demo.add_argument("--config", default=None, help="board config (default: the demo config shipped in the package)")
    demo.add_argument(
        "--duration", type=float, default=0.0, help="stop after this many seconds (default: never; Ctrl+C stops)"
    )
    demo.add_argument(
        "--screenshots",
        default=None,
        help="folder for the screenshots: each state's first frame (01-normal.png ...), and the latest "
        "frame when there is no display",
    )
    demo.add_argument("--screenshot-every", type=float, default=5.0, help="seconds between screenshots offscreen")
    demo.add_argument("--size", default=None, help="WIDTHxHEIGHT of the window or offscreen screen")
    demo.set_defaults(handler=_cmd_demo)

    sound = commands.add_parser("sound", help="list the audio outputs SDL sees, or play a test tone")
    which = sound.add_mutually_exclusive_group(required=True)
    which.add_argument("--list", action="store_true", help="print SDL's audio driver and output device names")
    which.add_argument("--test", action="store_true", help="play a short test tone as the board would")
    sound.add_argument("--config", default=None, help="take [signals.sound] from this board config")
    sound.add_argument("--output", choices=["auto", "hdmi", "headphones"], default=None, help="which speaker")
    sound.add_argument("--device", default=None, help="an SDL device name, as --list prints it")
    sound.set_defaults(handler=_cmd_sound)

    fleet = commands.add_parser("fleet", help="every board's health from the broker, live; or fetch a screenshot")
    fleet.add_argument("--broker", required=True, help="HOST:PORT of the site's (or central) broker")
    fleet.add_argument("--site", default="+", help="only this site (default: all)")
    fleet.add_argument("--json", action="store_true", help="JSON for scripts (one array per refresh)")
    fleet.add_argument("--once", action="store_true", help="collect for --timeout seconds (default 2), print, exit")
    fleet.add_argument("--timeout", type=float, default=None, help="seconds to collect (--once) or to keep watching")
    fleet.add_argument("--hot", type=float, default=None, help="flag boards at or above this many degrees C")
    add_broker_login(fleet, "an admin or monitoring account")
    fleet.add_argument("--screenshot", metavar="SITE/BOARD", default=None, help="fetch a PNG of what a board shows")
    fleet.add_argument("--out", default=None, help="where --screenshot writes the PNG")
    fleet.add_argument("--max-width", type=int, default=960, help="screenshot width limit in pixels (default 960)")
    web = fleet.add_argument_group(
        "the fleet page (--serve; needs the extra: pip install 'wallboard[fleet]'; docs/fleet.md)"
    )
    web.add_argument("--serve", action="store_true", help="serve a live web page of the fleet instead of the table")
    web.add_argument("--listen", default="127.0.0.1:8080", help="HOST:PORT to serve on (default 127.0.0.1:8080)")
    web.add_argument("--web-user", default=None, help="the page's login (required off loopback)")
    web.add_argument("--web-password-file", default=None, help="file holding the page's password (its first line)")
    web.add_argument("--web-cert", default=None, help="TLS certificate for the page (required off loopback)")
    web.add_argument("--web-key", default=None, help="its private key")
    web.add_argument(
        "--shot-every", type=float, default=60.0, help="seconds a thumbnail may age before a new one is asked (60)"
    )
    web.add_argument(
        "--shots-per-minute", type=int, default=2, help="at most this many screenshot requests a minute per board (2)"
    )
    web.add_argument("--max-viewers", type=int, default=20, help="pages open at once (default 20)")
    fleet.set_defaults(handler=_cmd_fleet)

    feed = commands.add_parser("feed", help="read a contact-centre platform and publish the wire contract")
    feed.add_argument("adapter", help="the platform: asterisk, connect or genesys")
    feed.add_argument("--config", required=True, help="the feed's TOML config file")
    feed.add_argument(
        "--once",
        action="store_true",
        help="read the platform once, then log in to the broker and publish the status; print the snapshot; "
        "exit 0 if both worked, 1 with the cause, 2 for a bad config or secret (with --dry-run: no broker)",
    )
    feed.add_argument("--dry-run", action="store_true", help="print what would be published; no broker")
    feed.add_argument("--record", metavar="DIR", default=None, help="save the raw vendor payloads (callers hashed)")
    feed.add_argument("--state-dir", default=None, help="where the day counters live (default: from the config)")
    feed.set_defaults(handler=_cmd_feed)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=getattr(logging, args.log_level),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        result: int = args.handler(args)
    except ConfigError as exc:
        # Every command reports config problems the same way: one line each, naming file and key; exit 2.
        for problem in exc.problems:
            log.error("%s", problem)
        return 2
    return result


if __name__ == "__main__":
    raise SystemExit(main())
