"""Login throttling: per account and per client address, before any password hashing.

Every login attempt is first asked of :meth:`LoginThrottle.check`; only an attempt it lets through
costs argon2 work, so a flood of wrong passwords costs a database read each, not 0.1 s of CPU.

The rules (OWASP's authentication cheat sheet: lockout after a small number of failures, growing
delays, counted per account and per source):

* **backoff** — from the ``backoff_after``-th consecutive failure of an account, the next attempt must
  wait ``2 ** (failures - backoff_after)`` seconds after the last failure (at most ``max_delay_s``);
* **account lockout** — ``account_limit`` failures within ``window_s`` lock the account for
  ``lockout_s``, doubled at each further lockout (at most ``max_lockout_s``); the right password is
  refused while locked; a successful login clears the account's count;
* **address lockout** — ``ip_limit`` failures from one client address within ``window_s`` (any
  accounts, so spraying many usernames is caught) block that address for ``lockout_s``;
* **concurrency** — at most ``max_concurrent`` password checks run at once in this process; the
  others wait a moment and are then answered "busy" (the CPU cannot be drained by parallel attempts).

State lives in the app-state database (table ``login_throttle``), so the limits hold across restarts
and across the processes that share one app state.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete

from omnimix.web.state import AppState, LoginThrottleRow, _now

__all__ = ["LoginThrottle", "ThrottlePolicy", "Verdict"]


@dataclass(frozen=True)
class ThrottlePolicy:
    """The limits (defaults: 10 failures → 15 min lockout; backoff from the 3rd failure)."""

    account_limit: int = 10
    ip_limit: int = 50
    window_s: float = 15 * 60
    lockout_s: float = 15 * 60
    max_lockout_s: float = 24 * 3600
    backoff_after: int = 3
    max_delay_s: float = 60.0
    max_concurrent: int = 2
    wait_for_slot_s: float = 5.0


@dataclass(frozen=True)
class Verdict:
    """Whether an attempt may check its password, and if not, for how long to wait and why."""

    allowed: bool
    retry_after: int = 0
    reason: str = ""  # "locked" (account), "blocked" (address), "backoff", "busy"


class LoginThrottle:
    """Counts failed logins in the app state and decides who may try again."""

    def __init__(self, state: AppState, policy: ThrottlePolicy | None = None) -> None:
        self.state = state
        self.policy = policy or ThrottlePolicy()
        self._slots = threading.BoundedSemaphore(self.policy.max_concurrent)

    @staticmethod
    def _keys(username: str, ip: str) -> tuple[str, str]:
        return f"user:{username.strip().lower()[:150]}", f"ip:{ip[:150]}"

    def check(self, username: str, ip: str) -> Verdict:
        """May this attempt check its password now? (Reads only; nothing is counted.)"""
        now = _now()
        ukey, ikey = self._keys(username, ip)
        with self.state.session() as s:
            acct, addr = s.get(LoginThrottleRow, ukey), s.get(LoginThrottleRow, ikey)
        for row, reason in ((addr, "blocked"), (acct, "locked")):
            if row is not None and row.locked_until is not None and row.locked_until > now:
                return Verdict(False, _seconds(row.locked_until - now), reason)
        if acct is not None and acct.failures >= self.policy.backoff_after and self._fresh(acct, now):
            delay = min(2.0 ** (acct.failures - self.policy.backoff_after), self.policy.max_delay_s)
            ready = acct.last_failure + timedelta(seconds=delay)
            if ready > now:
                return Verdict(False, _seconds(ready - now), "backoff")
        return Verdict(True)

    def acquire(self) -> bool:
        """Take one of the password-check slots (False: all busy for ``wait_for_slot_s``)."""
        return self._slots.acquire(timeout=self.policy.wait_for_slot_s)

    def release(self) -> None:
        self._slots.release()

    def failed(self, username: str, ip: str) -> Verdict:
        """Count a failed attempt; returns the verdict for the next one (locked when a limit is hit)."""
        now = _now()
        verdict = Verdict(True)
        ukey, ikey = self._keys(username, ip)
        with self.state.session() as s:
            for key, limit, reason in ((ukey, self.policy.account_limit, "locked"),
                                       (ikey, self.policy.ip_limit, "blocked")):
                row = s.get(LoginThrottleRow, key)
                if row is None:
                    row = LoginThrottleRow(key=key, failures=0, window_start=now, last_failure=now, lockouts=0)
                    s.add(row)
                if not self._fresh(row, now):
                    row.failures, row.window_start = 0, now
                row.failures = (row.failures or 0) + 1
                row.last_failure = now
                if row.failures >= limit:
                    secs = min(self.policy.lockout_s * 2.0 ** (row.lockouts or 0), self.policy.max_lockout_s)
                    row.locked_until = now + timedelta(seconds=secs)
                    row.lockouts = (row.lockouts or 0) + 1
                    row.failures, row.window_start = 0, now
                    verdict = Verdict(False, int(secs), reason)
            s.commit()
        return verdict

    def succeeded(self, username: str) -> None:
        """A successful login clears the account's failures (not its lockout history, nor the address's)."""
        with self.state.session() as s:
            row = s.get(LoginThrottleRow, self._keys(username, "")[0])
            if row is not None:
                row.failures, row.locked_until = 0, None
                s.commit()

    def unlock(self, username: str | None = None, ip: str | None = None) -> int:
        """Clear the records of an account and/or an address (an admin's unlock); returns rows removed."""
        keys = [k for k, v in zip(self._keys(username or "", ip or ""), (username, ip), strict=True) if v]
        if not keys:
            return 0
        with self.state.session() as s:
            n = s.execute(delete(LoginThrottleRow).where(LoginThrottleRow.key.in_(keys))).rowcount  # type: ignore[attr-defined]
            s.commit()
        return int(n or 0)

    def _fresh(self, row: LoginThrottleRow, now: datetime) -> bool:
        return row.window_start is not None and (now - row.window_start).total_seconds() <= self.policy.window_s


def _seconds(delta: timedelta) -> int:
    return max(1, int(delta.total_seconds() + 0.999))
