"""Hash the PII in quarantined raw text, on every rejection path.

A row rejected after mapping keeps its raw row as JSON with the mapped email, phone and name columns
hashed by the typing SELECT (:mod:`omnimix.ingest.compiler`). Rows rejected *before* mapping — a line
with the wrong number of fields, a broken JSON line — and columns no preset maps still carry the text
as written. In a workspace that hashes PII (the default), :class:`Redactor` rewrites every such text
before it reaches ``quarantine``:

* fields of the file's email / phone / name columns are hashed exactly like the warehouse's (same
  normalisation, same salt), so ``omnimix identity forget`` finds them by the stored value; when a
  line has too many or too few fields, every field that could be that column (the column's position
  up to the surplus fields after it) is hashed;
* anywhere else, a text that is an email address or a valid phone number is hashed the same way.

A workspace that keeps raw PII (``[pii] keep_pii = true``) keeps the text as is.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from typing import Any

from omnimix.ingest.pii import hash_value, normalize_email, normalize_name, normalize_phone
from omnimix.workspace import Workspace

# bounded repeats keep the scan linear on multi-megabyte rejected lines
EMAIL = re.compile(r"[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63}){0,8}\.[A-Za-z]{2,24}")
# outside the phone column only unmistakable shapes: +<country> numbers and Chinese mobiles
PHONE = re.compile(r"(?<![\w+.:-])(?:\+\d[\d\- ]{6,16}\d|1[3-9]\d[\- ]?\d{4}[\- ]?\d{4}(?:\.0)?)(?![\w.:-])")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_JSON_PAIR = re.compile(r'"((?:[^"\\]|\\.)*)"(\s*:\s*)("(?:[^"\\]|\\.)*"|[^,}\]\s]+)')
_JSON_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')


@dataclass
class Redactor:
    """Hashes PII in raw text for one file (a no-op when the workspace keeps raw PII).

    Attributes:
        keep_pii: keep text as written.
        salt: the workspace's hashing salt.
        region: default phone region.
        columns: header position → ``"email"``, ``"phone"`` or ``"name"``.
        keys: JSON key (last path segment) → kind, for broken JSON lines.
        width: number of header columns.
    """

    keep_pii: bool
    salt: str = ""
    region: str = "CN"
    columns: dict[int, str] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    width: int = 0

    @classmethod
    def of(cls, ws: Workspace, mapping: dict[str, str | tuple[str, ...]], header: list[str]) -> Redactor:
        cols: dict[int, str] = {}
        keys: dict[str, str] = {}
        for kind in ("email", "phone", "name"):
            src = mapping.get(kind)
            for h in (src if isinstance(src, tuple) else (src,) if src else ()):
                if h in header:
                    cols[header.index(h)] = kind
                keys[h.rsplit(".", 1)[-1].lower()] = kind
        pii = ws.config.pii
        return cls(pii.keep_pii, pii.salt, pii.default_region, cols, keys, len(header))

    # ------------------------------------------------------------------ values
    def hashed(self, kind: str, value: str) -> str | None:
        """The stored (hashed) form of one value of a PII kind."""
        norm = {"email": normalize_email, "name": normalize_name}.get(kind)
        v = norm(value) if norm is not None else normalize_phone(value, self.region)
        return hash_value(v, self.salt)

    def scrub(self, text: str) -> str:
        """Hash every email address and valid phone number inside a free text."""
        if not text or _HEX64.fullmatch(text):
            return text
        out = EMAIL.sub(lambda m: self.hashed("email", m.group(0)) or "", text) if "@" in text else text

        def phone(m: re.Match[str]) -> str:
            v = normalize_phone(m.group(0), self.region)
            return m.group(0) if v is None or v.startswith("invalid:") else hash_value(v, self.salt) or ""

        return PHONE.sub(phone, out)

    def reason(self, text: str) -> str:
        """A rejection reason (it may quote the bad value): emails and phones in it hashed."""
        return text if self.keep_pii else self.scrub(text)

    # ------------------------------------------------------------------ rows
    def json_row(self, text: str | None) -> str | None:
        """A quarantined row as JSON (header → text): hash what the compiler did not already hash."""
        if self.keep_pii or not text:
            return text
        try:
            obj = json.loads(text)
        except ValueError:
            return self.scrub(text)
        if not isinstance(obj, dict):
            return self.scrub(text)
        out = {k: self.scrub(v) if isinstance(v, str) else v for k, v in obj.items()}
        return json.dumps(out, ensure_ascii=False, separators=(",", ":"))

    def text(self, line: str, fmt: str, delim: str = ",") -> str:
        """A raw line rejected before mapping (CSV record or JSON line), PII hashed."""
        if self.keep_pii or not line:
            return line
        if fmt == "jsonl":
            return self._json_line(line)
        if fmt == "csv":
            return self._csv_line(line, delim)
        return self.scrub(line)

    def _csv_line(self, line: str, delim: str) -> str:
        try:
            records = list(csv.reader(io.StringIO(line), delimiter=delim))
        except csv.Error:
            return self.scrub(line)
        buf = io.StringIO()
        writer = csv.writer(buf, delimiter=delim, lineterminator="\n")
        for fields in records:
            surplus = max(0, len(fields) - self.width)
            kinds: dict[int, str] = dict(self.columns)  # a column's own position first
            for pos, kind in self.columns.items():
                for j in range(pos + 1, pos + surplus + 1):
                    kinds.setdefault(j, kind)
            out: list[Any] = []
            for j, v in enumerate(fields):
                which = kinds.get(j)
                h = self.hashed(which, v) if which is not None and v.strip() else None
                out.append(h if h is not None else self.scrub(v))
            writer.writerow(out)
        return buf.getvalue().rstrip("\n")

    def _json_line(self, line: str) -> str:
        def pair(m: re.Match[str]) -> str:
            key, sep, val = m.group(1), m.group(2), m.group(3)
            kind = self.keys.get(key.rsplit(".", 1)[-1].lower())
            if kind is None:
                return f'"{self.scrub(key)}"{sep}{self._json_value(val)}'
            inner = val[1:-1] if val.startswith('"') else val
            h = self.hashed(kind, inner) if inner.strip() and inner != "null" else None
            return m.group(0) if h is None else f'"{key}"{sep}"{h}"'

        out = _JSON_PAIR.sub(pair, line)
        return _JSON_STRING.sub(lambda m: '"' + self.scrub(m.group(1)) + '"', out)

    def _json_value(self, val: str) -> str:
        if val.startswith('"'):
            return '"' + self.scrub(val[1:-1]) + '"'
        return self.scrub(val)
