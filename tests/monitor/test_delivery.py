"""Delivery against a local webhook receiver and a local SMTP server (aiosmtpd), retries and dedup."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from omnimix.config import MonitorEmail, MonitorWebhook
from omnimix.monitor.alerts import Alert
from omnimix.monitor.deliver import deliver, post_webhook, send_email, webhook_body
from omnimix.monitor.state import AlertStore


class _Receiver:
    def __init__(self, fail_first: int = 0, status: int = 503) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.calls = 0
        self.fail_first = fail_first
        self.status = status
        rec = self

        class H(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                rec.calls += 1
                data = self.rfile.read(int(self.headers["Content-Length"]))
                if rec.calls <= rec.fail_first:
                    self.send_response(rec.status)
                    self.end_headers()
                    return
                rec.bodies.append(json.loads(data))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def receiver() -> Iterator[_Receiver]:
    r = _Receiver(fail_first=2)
    yield r
    r.close()


def _alert(day: str = "2026-03-05", who: tuple[str, ...] = ("ops",)) -> Alert:
    return Alert("anomaly", "revenue", None, day, 10.0, 100.0, 80.0, 120.0, "warning",
                 "Revenue 10 on 2026-03-05 is below the expected band 80–120", who=who)


def test_webhook_retries_then_succeeds(receiver: _Receiver) -> None:
    ok, attempts, err = post_webhook(receiver.url, webhook_body([_alert()]), retries=3, backoff=0.01)
    assert ok and attempts == 3 and err is None
    assert receiver.bodies[0]["alerts"][0]["expected"] == {"mean": 100.0, "lo": 80.0, "hi": 120.0}


def test_webhook_gives_up_and_4xx_is_not_retried() -> None:
    r = _Receiver(fail_first=10)
    try:
        ok, attempts, err = post_webhook(r.url, {"x": 1}, retries=2, backoff=0.01)
        assert not ok and attempts == 3 and "503" in (err or "")
    finally:
        r.close()
    r = _Receiver(fail_first=10, status=400)
    try:
        ok, attempts, _ = post_webhook(r.url, {"x": 1}, retries=5, backoff=0.01)
        assert not ok and attempts == 1
    finally:
        r.close()


def test_connection_refused_is_retried() -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    ok, attempts, err = post_webhook(f"http://127.0.0.1:{port}/", {"x": 1}, retries=2, backoff=0.01, timeout=1)
    assert not ok and attempts == 3 and err


@pytest.mark.parametrize("fmt,key", [("slack", "text"), ("wecom", "markdown"), ("dingtalk", "markdown"),
                                     ("feishu", "content"), ("json", "alerts")])
def test_bodies(fmt: str, key: str) -> None:
    body = webhook_body([_alert()], fmt)
    assert key in body
    assert "Revenue 10" in json.dumps(body)
    if fmt == "wecom":
        assert body["msgtype"] == "markdown"
    if fmt == "feishu":
        assert body["msg_type"] == "text"


def _free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = int(s.getsockname()[1])
    s.close()
    return port


def test_smtp_delivery() -> None:
    from aiosmtpd.controller import Controller

    got: list[Any] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            got.append(envelope)
            return "250 OK"

    ctl = Controller(Handler(), hostname="127.0.0.1", port=_free_port())
    ctl.start()
    try:
        cfg = MonitorEmail(host="127.0.0.1", port=ctl.port, sender="omnimix@example.com")
        ok, attempts, err = send_email(cfg, ["cmo@example.com"], "subject", "body text", backoff=0.01)
        assert ok and attempts == 1 and err is None
        assert got[0].rcpt_tos == ["cmo@example.com"]
        assert b"body text" in got[0].content
    finally:
        ctl.stop()
    cfg = MonitorEmail(host="127.0.0.1", port=_free_port())
    ok, attempts, _ = send_email(cfg, ["x@example.com"], "s", "b", retries=1, backoff=0.01, timeout=1)
    assert not ok and attempts == 2


def test_dedup_ack_resolve_and_history(tmp_path: Any, receiver: _Receiver) -> None:
    store = AlertStore(f"sqlite:///{tmp_path / 'app.db'}")
    a, b = _alert(), _alert("2026-03-06")
    new = store.record([a, b])
    assert len(new) == 2
    hooks = [MonitorWebhook(name="ops", url=receiver.url, format="json")]
    for d, idx in deliver([x for _, x in new], hooks, None, retries=3, backoff=0.01):
        store.log_delivery([new[i][0] for i in idx], d.target, d.ok, d.attempts, d.error)
    assert len(receiver.bodies) == 1 and len(receiver.bodies[0]["alerts"]) == 2
    assert store.record([a, b]) == []  # duplicates: nothing new, nothing to deliver
    rows = store.list()
    assert {r["seen"] for r in rows} == {2}
    hist = store.deliveries(new[0][0])
    assert hist[0]["ok"] and hist[0]["attempts"] == 3
    store.acknowledge(new[0][0], "amy")
    assert store.record([a]) == []
    store.resolve(new[0][0], "amy", note="fixed the pixel")
    again = store.record([a])
    assert [i for i, _ in again] == [new[0][0]]
    assert {r["status"] for r in store.list("open")} == {"open"}
    assert store.list("resolved") == []
