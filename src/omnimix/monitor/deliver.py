"""Deliver alerts by webhook (JSON, Slack, WeCom, DingTalk, Feishu bodies) and e-mail (SMTP).

Each target gets one message per run listing its new alerts. A failed attempt (connection error,
timeout, HTTP 429 or 5xx, SMTP error) is retried ``retries`` times with exponential backoff
(``backoff · 2^k`` seconds); an HTTP 4xx other than 429 is not retried. Every outcome is written to the
delivery history (:meth:`omnimix.monitor.state.AlertStore.log_delivery`). Deduplication is the
store's: only alerts :meth:`~omnimix.monitor.state.AlertStore.record` returns as new are delivered.
"""

from __future__ import annotations

import json
import os
import smtplib
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from omnimix.config import MonitorEmail, MonitorWebhook
from omnimix.monitor.alerts import Alert

FORMATS = ("json", "slack", "wecom", "dingtalk", "feishu")


@dataclass(frozen=True)
class Delivery:
    """One target's outcome: ``target`` (webhook name or address), ok, attempts, error."""

    target: str
    ok: bool
    attempts: int
    error: str | None
    alerts: int

    def to_json(self) -> dict[str, Any]:
        return {"target": self.target, "ok": self.ok, "attempts": self.attempts, "error": self.error,
                "alerts": self.alerts}


def _lines(alerts: Sequence[Alert]) -> list[str]:
    return [f"[{a.severity}] {a.kind} {a.date}: {a.message}" for a in alerts]


def webhook_body(alerts: Sequence[Alert], fmt: str = "json", title: str = "omnimix alerts") -> dict[str, Any]:
    """The request body for ``fmt``: ``json`` ({"alerts": […]}, the CLI contract's objects), ``slack``
    ({"text"}), ``wecom`` and ``dingtalk`` (markdown messages), ``feishu`` (a text message)."""
    text = "\n".join(_lines(alerts))
    if fmt == "json":
        return {"title": title, "alerts": [a.to_json() for a in alerts]}
    if fmt == "slack":
        return {"text": f"*{title}*\n{text}"}
    if fmt == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": f"**{title}**\n{text}"}}
    if fmt == "dingtalk":
        return {"msgtype": "markdown", "markdown": {"title": title, "text": f"### {title}\n\n{text}"}}
    if fmt == "feishu":
        return {"msg_type": "text", "content": {"text": f"{title}\n{text}"}}
    raise ValueError(f"unknown webhook format {fmt!r}; use one of {', '.join(FORMATS)}")


def _retry(send: Callable[[], None], retries: int, backoff: float,
           permanent: Callable[[Exception], bool]) -> tuple[bool, int, str | None]:
    err: str | None = None
    for k in range(retries + 1):
        try:
            send()
            return True, k + 1, None
        except Exception as exc:  # network and protocol errors of every kind are retried
            err = f"{type(exc).__name__}: {exc}"
            if permanent(exc) or k == retries:
                return False, k + 1, err
            time.sleep(backoff * 2**k)
    return False, retries + 1, err


def _permanent_http(exc: Exception) -> bool:
    return isinstance(exc, urllib.error.HTTPError) and 400 <= exc.code < 500 and exc.code != 429


def post_webhook(url: str, body: dict[str, Any], *, retries: int = 3, backoff: float = 0.5,
                 timeout: float = 5.0) -> tuple[bool, int, str | None]:
    """POST ``body`` as JSON; (ok, attempts, last error)."""
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")

    def send() -> None:
        req = urllib.request.Request(url, data=data, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            resp.read()

    return _retry(send, retries, backoff, _permanent_http)


def send_email(cfg: MonitorEmail, to: Sequence[str], subject: str, text: str, *, retries: int = 3,
               backoff: float = 0.5, timeout: float = 10.0) -> tuple[bool, int, str | None]:
    """Send a plain-text e-mail through ``cfg``'s SMTP server; (ok, attempts, last error).

    The password is read from the environment variable ``cfg.password_env`` (never from the file).
    """
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = cfg.sender, ", ".join(to), subject
    msg.set_content(text)

    def send() -> None:
        with smtplib.SMTP(cfg.host, cfg.port, timeout=timeout) as smtp:
            if cfg.starttls:
                smtp.starttls()
            if cfg.user:
                smtp.login(cfg.user, os.environ.get(cfg.password_env or "", ""))
            smtp.send_message(msg)

    return _retry(send, retries, backoff, lambda e: isinstance(e, smtplib.SMTPAuthenticationError))


def deliver(alerts: Sequence[Alert], webhooks: Sequence[MonitorWebhook], email: MonitorEmail | None, *,
            retries: int = 3, backoff: float = 0.5) -> list[tuple[Delivery, list[int]]]:
    """Send each target its alerts (``Alert.who``); returns outcomes with the indices of the alerts."""
    by_target: dict[str, list[int]] = {}
    for i, a in enumerate(alerts):
        for w in a.who:
            by_target.setdefault(w, []).append(i)
    hooks = {h.name: h for h in webhooks}
    out: list[tuple[Delivery, list[int]]] = []
    emails = sorted(t for t in by_target if "@" in t)
    for name in sorted(t for t in by_target if "@" not in t):
        idx = by_target[name]
        hook = hooks.get(name)
        if hook is None:
            out.append((Delivery(name, False, 0, "no [[monitor.webhooks]] entry of that name", len(idx)), idx))
            continue
        ok, n, err = post_webhook(hook.url, webhook_body([alerts[i] for i in idx], hook.format),
                                  retries=retries, backoff=backoff)
        out.append((Delivery(name, ok, n, err, len(idx)), idx))
    for addr in emails:
        idx = by_target[addr]
        if email is None:
            out.append((Delivery(addr, False, 0, "no [monitor.email] SMTP settings", len(idx)), idx))
            continue
        sel = [alerts[i] for i in idx]
        worst = max(sel, key=lambda a: ("info", "warning", "critical").index(a.severity)).severity
        ok, n, err = send_email(email, [addr], f"[omnimix] {len(sel)} alert(s), {worst}",
                                "\n".join(_lines(sel)), retries=retries, backoff=backoff)
        out.append((Delivery(addr, ok, n, err, len(idx)), idx))
    return out
