"""`wamr-agent controller` (keep rollouts and drive them) and `wamr-agent rollout`
(start, watch and steer them through the controller); docs/rollouts.md."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..controller.plan import DEFAULT_MAX_FAILURES, DEFAULT_WAVES, parse_duration
from ..mqtt.url import BrokerOptions, resolve
from .broker_options import broker_options
from .common import JsonOpt, app, fail, guard, print_json, split_values

if TYPE_CHECKING:  # paho and sqlite3 are imported where a command runs
    from ..rollouts import RolloutClient

rollout_app = typer.Typer(no_args_is_help=True, help="Staged rollouts through the "
                          "controller: start one, watch it, pause, resume or abort it.")
app.add_typer(rollout_app, name="rollout")

ViaBroker = Annotated[str, typer.Option("--via", help="The MQTT broker the controller "
                                        "serves: mqtt://[USER@]HOST:PORT, or mqtts:// for "
                                        "TLS.", show_default=False)]
IdArg = Annotated[str, typer.Argument(help="The rollout's id (r-...; see `rollout list`).",
                                      show_default=False)]


def _say(line: str) -> None:
    print(line, flush=True)


@app.command()
@broker_options
def controller(
    broker: Annotated[str, typer.Option(help="The MQTT broker the gateways use: "
                                        "mqtt://[USER@]HOST:PORT, or mqtts:// for TLS.",
                                        show_default=False)],
    db: Annotated[Path | None, typer.Option(help="The rollouts' SQLite database (default: "
                                            "$WAMR_AGENT_STATE/.controller/"
                                            "rollouts.sqlite3).", show_default=False)] = None,
    *, broker_options: BrokerOptions,
) -> None:
    """Keep rollouts in a database and drive them through the gateways, until Ctrl-C or
    SIGTERM; `wamr-agent rollout` talks to it."""
    from ..controller.run import serve

    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(message)s")
    guard(False, lambda: serve(resolve(broker, broker_options), db, _say))


def _client(via: str, options: BrokerOptions) -> RolloutClient:
    from ..rollouts import RolloutClient

    return RolloutClient(resolve(via, options))


def _ago(t: float | None, now: float) -> str:
    return "-" if t is None else f"{max(0.0, now - t):.0f} s ago"


def _counts(r: dict[str, Any]) -> str:
    c = r["counts"]
    return ", ".join(f"{k} {c[k]}" for k in ("succeeded", "failed", "deploying", "soaking",
                                              "unreachable", "pending") if c.get(k))


def _headline(r: dict[str, Any]) -> str:
    waves = len(r["sizes"])
    where = f": wave {r['wave'] + 1} of {waves}" if r["state"] in ("running", "paused") else ""
    reason = f" ({r['reason']})" if r.get("reason") else ""
    app_name = f"{r['app']} {r['version']}" if r.get("version") else r["app"]
    return f"rollout {r['id']}  {app_name} ({r['deploy']})  {r['state']}{where}{reason}"


def _print_rollout(r: dict[str, Any]) -> None:
    print(_headline(r))
    print(f"targets {' and '.join(r['targets']) or 'every device'}; waves "
          f"{','.join(map(str, r['waves']))} -> {', '.join(map(str, r['sizes']))} device(s); "
          f"soak {r['soak']:g} s; max failures {r['max_failures']}")
    print(_counts(r) or "no devices")
    rows = [("wave", "device", "board", "outcome", "tries", "detail")]
    rows += [(str(d["wave"] + 1), f"{d['gw']}/{d['dev']}", d["board"], d["outcome"],
              str(d["attempts"]), d["detail"] or "-") for d in r.get("devices", [])]
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    for row in rows:
        print("  ".join([*(c.ljust(w) for c, w in zip(row[:5], widths, strict=True)),
                         row[5]]).rstrip())


@rollout_app.command("start")
@broker_options
def rollout_start(
    file: Annotated[Path, typer.Argument(help="The signed bundle (.wab) or module (.wasm).",
                                         show_default=False)],
    via: ViaBroker,
    target: Annotated[list[str] | None, typer.Option(
        "--target", help="KEY=VALUE: the devices to update (board=esp32, gw=gw1, "
        "device=gw1/dev1, fw=..., app=...; globs, a,b alternatives). Repeat to narrow: "
        "a device must match every one. Default: every device on the broker.",
        show_default=False)] = None,
    waves: Annotated[list[str] | None, typer.Option(
        help="Devices updated after each wave, in all: counts and percentages of the "
        "targets, e.g. 1,10%,50%,100%.", show_default=False)] = None,
    soak: Annotated[str, typer.Option(help="How long a confirmed version must keep "
                                      "running before its device counts as a success "
                                      "(30s, 2m, ...).")] = "30s",
    max_failures: Annotated[str, typer.Option(help="Halt the rollout past this many "
                                              "failed devices: a count, or a percentage "
                                              "of the devices that answered.")] =
        DEFAULT_MAX_FAILURES,
    name: Annotated[str | None, typer.Option(help="The app's name for a bare module "
                                             "(default: the file's stem).",
                                             show_default=False)] = None,
    as_json: JsonOpt = False, *, broker_options: BrokerOptions,
) -> None:
    """Start a staged rollout of FILE; print its id."""
    def start() -> dict[str, Any]:
        seconds = parse_duration(soak)
        with _client(via, broker_options) as client:
            return client.start(file, target or [], split_values(waves) or
                                list(DEFAULT_WAVES), seconds, max_failures, name)

    from ..verdicts import label

    rollout: dict[str, Any] = guard(as_json, start)
    if as_json:
        print_json(rollout)
        return
    print(rollout["id"])
    print(f"rollout {rollout['id']}: {label(rollout['app'], rollout['version'])} to "
          f"{sum(rollout['counts'].values())} device(s) in waves of "
          f"{', '.join(map(str, rollout['sizes']))}; `wamr-agent rollout status "
          f"{rollout['id']} --via {via} --wait` follows it", file=sys.stderr)


@rollout_app.command("status")
@broker_options
def rollout_status(
    rollout_id: IdArg, via: ViaBroker,
    wait: Annotated[bool, typer.Option("--wait", help="Wait until the rollout is "
                                       "completed, halted or aborted (exit 0, 17, 18).")
                    ] = False,
    timeout: Annotated[float | None, typer.Option(help="With --wait: give up after this "
                                                  "many seconds (exit 16).",
                                                  show_default=False)] = None,
    as_json: JsonOpt = False, *, broker_options: BrokerOptions,
) -> None:
    """Show a rollout: its waves and each device's outcome."""
    last: list[str] = []

    def shown(r: dict[str, Any]) -> None:
        line = f"{r['state']}: wave {r['wave'] + 1} of {len(r['sizes'])}; {_counts(r)}"
        if not last or last[-1] != line:
            last.append(line)
            print(f"[{time.strftime('%H:%M:%S')}] {line}", file=sys.stderr, flush=True)

    def read() -> dict[str, Any]:
        with _client(via, broker_options) as client:
            if wait:
                return client.wait(rollout_id, timeout, shown)
            return client.status(rollout_id)

    rollout: dict[str, Any] = guard(as_json, read)
    from ..rollouts import finished_error

    error = finished_error(rollout) if wait else None
    if as_json and error is None:
        print_json(rollout)
    elif not as_json:
        _print_rollout(rollout)
    if error is not None:
        fail(error, as_json, extra={"rollout": rollout})


@rollout_app.command("list")
@broker_options
def rollout_list(via: ViaBroker, as_json: JsonOpt = False, *,
                 broker_options: BrokerOptions) -> None:
    """List the controller's rollouts."""
    def read() -> list[dict[str, Any]]:
        with _client(via, broker_options) as client:
            return client.list()

    rollouts: list[dict[str, Any]] = guard(as_json, read)
    if as_json:
        print_json({"rollouts": rollouts})
        return
    if not rollouts:
        print("no rollouts")
        return
    now = time.time()
    rows = [("id", "state", "app", "version", "devices", "started", "outcomes")]
    rows += [(r["id"], r["state"], r["app"], r["version"] or "-",
              str(sum(r["counts"].values())), _ago(r["created"], now), _counts(r) or "-")
             for r in rollouts]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def _act(verb: str, rollout_id: str, via: str, as_json: bool, options: BrokerOptions) -> None:
    def run() -> dict[str, Any]:
        with _client(via, options) as client:
            return client.act(verb, rollout_id)

    rollout: dict[str, Any] = guard(as_json, run)
    if as_json:
        print_json(rollout)
    else:
        print(_headline(rollout))


@rollout_app.command("pause")
@broker_options
def rollout_pause(rollout_id: IdArg, via: ViaBroker, as_json: JsonOpt = False, *,
                  broker_options: BrokerOptions) -> None:
    """Start no new device (those in progress finish)."""
    _act("pause", rollout_id, via, as_json, broker_options)


@rollout_app.command("resume")
@broker_options
def rollout_resume(rollout_id: IdArg, via: ViaBroker, as_json: JsonOpt = False, *,
                   broker_options: BrokerOptions) -> None:
    """Go on with a paused rollout."""
    _act("resume", rollout_id, via, as_json, broker_options)


@rollout_app.command("abort")
@broker_options
def rollout_abort(rollout_id: IdArg, via: ViaBroker, as_json: JsonOpt = False, *,
                  broker_options: BrokerOptions) -> None:
    """End a rollout for good: no new device (those in progress finish)."""
    _act("abort", rollout_id, via, as_json, broker_options)
