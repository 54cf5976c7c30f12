"""Core value types of omnimix.voice: an asset to check and an issue found in it.

Character offsets (``start``/``end``) index the asset's ``text`` as a Python string (code points), so
``asset.text[issue.start:issue.end] == issue.text``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any, Literal

Category = Literal["ad_law", "terminology", "message", "tone", "offer"]
Severity = Literal["suggestion", "warning", "error"]

CATEGORIES: tuple[Category, ...] = ("ad_law", "terminology", "message", "tone", "offer")
SEVERITIES: tuple[Severity, ...] = ("suggestion", "warning", "error")


@dataclass(frozen=True)
class Issue:
    """One finding in one asset.

    Attributes:
        rule: rule id, dotted by category (``offer.amount_mismatch``, ``ad_law.absolute``).
        category: one of :data:`CATEGORIES`.
        severity: ``suggestion`` < ``warning`` < ``error``.
        start: offset of the first character of the span in the asset's text.
        end: offset one past the span's last character (``start == end == 0`` for a whole-asset issue).
        text: the span's text (``""`` for a whole-asset issue).
        message: what is wrong, in the asset's language where the rule knows it.
        suggestion: the fix (a replacement or an instruction); ``""`` when there is none.
    """

    rule: str
    category: Category
    severity: Severity
    start: int
    end: int
    text: str
    message: str
    suggestion: str = ""

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ValueError(f"Issue.category {self.category!r}: expected one of {CATEGORIES}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"Issue.severity {self.severity!r}: expected one of {SEVERITIES}")
        if not 0 <= self.start <= self.end:
            raise ValueError(f"Issue span {self.start}..{self.end}: expected 0 <= start <= end")

    def to_dict(self) -> dict[str, Any]:
        """The issue as the CLI's JSON object (rule, category, severity, start, end, text, ...)."""
        return asdict(self)


@dataclass(frozen=True)
class Asset:
    """One content asset (a row of the ``content`` table).

    Attributes:
        asset_id: unique id of the asset.
        channel: where it runs (``douyin``, ``wechat``, ``store``, ``email`` ...).
        campaign: the campaign it belongs to (``""`` when none).
        language: ``zh``/``zh-CN``/``en``... (``""`` = guess from the text).
        text: the copy.
        published_at: when it ran, if known.
    """

    asset_id: str
    channel: str
    campaign: str
    language: str
    text: str
    published_at: date | datetime | None = None

    @property
    def lang(self) -> str:
        """``zh`` or ``en``: the declared language's primary tag, else guessed from the script."""
        tag = self.language.strip().lower().replace("_", "-").split("-")[0]
        if tag in ("zh", "en"):
            return tag
        han = sum(1 for ch in self.text if "\u4e00" <= ch <= "\u9fff")
        return "zh" if han * 4 >= max(1, len(self.text.strip())) or han >= 4 else "en"
