"""The per-request JSON line (portal/logs.py, issue 14 §4): request id,
route (the matched rule, never the raw path), method, status, latency."""

from __future__ import annotations

import json

import pytest

from portal import logs
from tests.observe.scrape import BEARER, TOKEN, scrape, value

TRACKING_TOKEN = "AbCdEfGhIjKlMnOpQrStUv"  # a tracking link's shape: 22 characters


def request_lines(caplog) -> list[dict]:
    """The request lines as the JSON formatter writes them."""
    formatter = logs.JsonFormatter()
    return [json.loads(formatter.format(r)) for r in caplog.records if r.name == "portal.request"]


@pytest.fixture
def fake_clock(monkeypatch):
    """The hook's clock: each request (two readings, start and end) takes 0.25 s."""
    calls = iter(range(1_000))
    monkeypatch.setattr(logs, "perf_counter", lambda: 100.0 + 0.25 * (next(calls) % 2))


def test_the_line_has_the_request_id_the_rule_the_method_the_status_and_the_latency(
    client, caplog, fake_clock
):
    response = client.get(f"/t/{TRACKING_TOKEN}")
    [line] = request_lines(caplog)
    assert line == {
        "time": line["time"],
        "level": "INFO",
        "logger": "portal.request",
        "message": "request",
        "request_id": response.headers["X-Request-ID"],
        "event": "request",
        "route": "/t/<token>",
        "method": "GET",
        "status": response.status_code,
        "latency_ms": 250.0,
    }
    assert TRACKING_TOKEN not in json.dumps(line)  # the rule, never the raw path


def test_the_latency_is_also_the_histogram_s_observation(app, client, fake_clock, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)
    labels = {"route": "/t/<token>", "method": "GET"}
    name = "portal_http_request_duration_seconds"
    before = scrape(client)
    client.get(f"/t/{TRACKING_TOKEN}")
    after = scrape(client)

    def delta(sample, **extra):
        return value(after, sample, **labels, **extra) - value(before, sample, **labels, **extra)

    assert delta(f"{name}_count") == 1
    assert delta(f"{name}_sum") == pytest.approx(0.25)
    assert delta(f"{name}_bucket", le="0.15") == 0  # 0.25 s is above 0.15 …
    assert delta(f"{name}_bucket", le="0.25") == 1  # … and within 0.25


def test_a_post_and_an_unmatched_path(client, caplog):
    refused = client.post("/lookup", data={"nik": "x"})  # no CSRF token: 400
    client.get("/no/such/page/3201011503800001")
    first, second = request_lines(caplog)
    assert (first["route"], first["method"], first["status"]) == ("/lookup", "POST", 400)
    assert first["status"] == refused.status_code
    assert (second["route"], second["status"]) == (logs.UNMATCHED, 404)
    assert "3201011503800001" not in json.dumps(second)


def test_the_probes_are_counted_but_not_logged(client, caplog):
    for path in ("/healthz", "/readyz", "/metrics"):
        client.get(path, headers=BEARER)
    assert request_lines(caplog) == []


def test_the_fast_json_line_is_json_dumps():
    """``logs.json_line`` (the formatter's encoder) reads back as ``json.dumps`` does."""
    import datetime as dt

    entry = {
        "text": 'quote " backslash \\ newline \n é \u2028 \x00',
        "int": -12,
        "big": 10**30,
        "float": 0.1 + 0.2,
        "none": None,
        "yes": True,
        "no": False,
        "nested": [1, {"a": "b"}],
        "date": dt.date(2026, 3, 16),
        "latency_ms": 17.4,
    }
    line = logs.json_line(entry)
    assert "\n" not in line
    assert json.loads(line) == json.loads(json.dumps(entry, ensure_ascii=False, default=str))


@pytest.mark.parametrize(
    "created", [0.0, 1773626400.0, 1773626400.5, 1773626459.999, 1773626400.0021]
)
def test_the_time_is_utc_to_the_millisecond(created):
    import datetime as dt

    expected = dt.datetime.fromtimestamp(created, dt.UTC).isoformat(timespec="milliseconds")
    assert logs.JsonFormatter()._time(created) == expected


def test_a_failing_count_never_fails_the_request(client, caplog, monkeypatch):
    """E.g. a full metrics directory: the requests go on, said once."""

    def broken(*_args):
        raise OSError("no space left on device")

    monkeypatch.setattr(logs.metrics, "observe_request", broken)
    monkeypatch.setattr(logs, "_metrics_broken", False)
    assert [client.get("/healthz").status_code for _ in range(3)] == [200, 200, 200]
    said = [r for r in caplog.records if r.name == "portal.metrics"]
    assert len(said) == 1
