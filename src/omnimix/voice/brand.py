"""The brand book: ``brand.toml`` read into a :class:`Brand`.

The smallest brand book::

    [brand]
    name = "绿野"
    core_message = "天然成分，温和护肤"
    pillars = ["天然成分", "温和不刺激", "平价"]
    tone = ["亲切", "真诚"]

Everything else is optional (see docs/voice.md for the full reference). Every problem found is reported
at once, each naming the file, the key and the fix.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from omnimix.errors import InputDataError

__all__ = ["Brand", "ChannelProfile", "Offer", "Term", "brand_from_dict", "load_brand"]

SCRIPTS = ("simplified", "traditional")
INDUSTRIES = ("general", "cosmetics", "food", "health", "medical", "finance")


@dataclass(frozen=True)
class Term:
    """A banned term (with its replacement, ``""`` when none) or a required term."""

    term: str
    replacement: str = ""
    message: str = ""


@dataclass(frozen=True)
class ChannelProfile:
    """Voice limits of one channel (``[channels.NAME]``); ``None`` = no limit.

    Densities are per 100 characters of text (a Han character, a letter or a digit counts one).
    """

    name: str
    max_exclamation_density: float | None = None
    max_emoji_density: float | None = None
    max_length: int | None = None
    tone: tuple[str, ...] = ()


@dataclass(frozen=True)
class Offer:
    """One approved offer (``[[offers]]``). Unset fields are not compared.

    ``percent`` is the percentage OFF (8折 = 20). ``campaign`` ``""`` = applies to every campaign.
    """

    text: str = ""
    campaign: str = ""
    amount: float | None = None
    threshold: float | None = None
    percent: float | None = None
    code: str = ""
    start: date | None = None
    end: date | None = None
    price: float | None = None


@dataclass(frozen=True)
class Brand:
    """A brand book. ``source`` is the file it was read from (``""`` when built from a dict)."""

    name: str
    core_message: str
    pillars: tuple[str, ...]
    tone: tuple[str, ...]
    tone_good: tuple[str, ...] = ()
    tone_bad: tuple[str, ...] = ()
    banned_terms: tuple[Term, ...] = ()
    required_terms: tuple[Term, ...] = ()
    name_variants: dict[str, str] = field(default_factory=dict)
    accepted_names: tuple[str, ...] = ()
    script: str = "simplified"
    industry: str = "general"
    vale_paths: tuple[Path, ...] = ()
    visual_notes: tuple[str, ...] = ()
    channels: dict[str, ChannelProfile] = field(default_factory=dict)
    offers: tuple[Offer, ...] = ()
    translations: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    source: str = ""

    def message_targets(self) -> list[tuple[str, tuple[str, ...]]]:
        """``[("core_message", texts), (pillar, texts) ...]``: each target with its translations."""
        out: list[tuple[str, tuple[str, ...]]] = [("core_message", (self.core_message,))]
        out += [(p, (p,)) for p in self.pillars]
        for core, pillars in self.translations.values():
            out[0] = (out[0][0], out[0][1] + (core,))
            for i, tp in enumerate(pillars):
                out[i + 1] = (out[i + 1][0], out[i + 1][1] + (tp,))
        return out

    def channel(self, name: str) -> ChannelProfile:
        """The profile of channel ``name``, else ``[channels.default]``, else one without limits."""
        key = name.strip().lower()
        if key in self.channels:
            return self.channels[key]
        return self.channels.get("default", ChannelProfile(name=key or "default"))

    def offers_for(self, campaign: str) -> tuple[Offer, ...]:
        """Approved offers of ``campaign`` plus those without a campaign."""
        return tuple(o for o in self.offers if o.campaign in ("", campaign))


def load_brand(path: str | Path) -> Brand:
    """Read ``brand.toml``; raises InputDataError listing every problem (key and fix)."""
    p = Path(path)
    if not p.is_file():
        raise InputDataError(str(p), "brand book not found", [f"create it (see docs/voice.md) or fix the path {p}"])
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputDataError(str(p), f"not valid TOML: {exc}", ["fix the TOML syntax at the position named"]) from exc
    except UnicodeDecodeError as exc:
        raise InputDataError(str(p), "not UTF-8 text", ["save the file as UTF-8"]) from exc
    return brand_from_dict(raw, source=str(p), base=p.parent)


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, key: str, message: str) -> None:
        self.items.append(f"{key}: {message}")


def _str(d: dict[str, Any], key: str, path: str, pr: _Problems, *, required: bool = False) -> str:
    if key not in d:
        if required:
            pr.add(f"{path}.{key}", 'missing; add it, e.g. {key} = "..."'.replace("{key}", key))
        return ""
    v = d[key]
    if not isinstance(v, str) or (required and not v.strip()):
        pr.add(f"{path}.{key}", f"expected a non-empty string, got {v!r}")
        return ""
    return v.strip()


def _strs(d: dict[str, Any], key: str, path: str, pr: _Problems, *, required: bool = False) -> tuple[str, ...]:
    if key not in d:
        if required:
            pr.add(f"{path}.{key}", f'missing; add a list of strings, e.g. {key} = ["...", "..."]')
        return ()
    v = d[key]
    if not isinstance(v, list) or not all(isinstance(x, str) and x.strip() for x in v):
        pr.add(f"{path}.{key}", f'expected a list of non-empty strings, e.g. ["...", "..."], got {v!r}')
        return ()
    if required and not v:
        pr.add(f"{path}.{key}", "is empty; give at least one entry")
    return tuple(x.strip() for x in v)


def _num(d: dict[str, Any], key: str, path: str, pr: _Problems) -> float | None:
    if key not in d:
        return None
    v = d[key]
    if isinstance(v, bool) or not isinstance(v, int | float) or v < 0:
        pr.add(f"{path}.{key}", f"expected a number >= 0, got {v!r}")
        return None
    return float(v)


def _date(d: dict[str, Any], key: str, path: str, pr: _Problems) -> date | None:
    if key not in d:
        return None
    v = d[key]
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    if isinstance(v, str):
        try:
            return date.fromisoformat(v.strip())
        except ValueError:
            pass
    pr.add(f"{path}.{key}", f"expected a date like 2026-11-11, got {v!r}")
    return None


def _terms(v: Any, path: str, pr: _Problems, *, banned: bool) -> tuple[Term, ...]:
    out: list[Term] = []
    if isinstance(v, dict):
        for k, rep in v.items():
            if not isinstance(rep, str):
                pr.add(f"{path}.{k}", f'expected the replacement as a string ("" for none), got {rep!r}')
                continue
            out.append(Term(term=str(k), replacement=rep))
    elif isinstance(v, list):
        for i, item in enumerate(v):
            if isinstance(item, str) and item.strip():
                out.append(Term(term=item.strip()))
            elif isinstance(item, dict) and isinstance(item.get("term"), str) and item["term"].strip():
                rep, msg = item.get("replacement", ""), item.get("message", "")
                if not isinstance(rep, str) or not isinstance(msg, str):
                    pr.add(f"{path}[{i}]", "replacement and message must be strings")
                    continue
                out.append(Term(term=item["term"].strip(), replacement=rep, message=msg))
            else:
                pr.add(f"{path}[{i}]", 'expected a term string or {term = "...", replacement = "..."}')
    else:
        example = '{"最便宜" = "超值"}' if banned else '["绿野"]'
        pr.add(path, f"expected a table or list of terms, e.g. {example}, got {v!r}")
    return tuple(out)


def _channel(name: str, v: Any, pr: _Problems) -> ChannelProfile | None:
    path = f"channels.{name}"
    if not isinstance(v, dict):
        pr.add(path, "expected a table, e.g. [channels.douyin] max_exclamation_density = 2")
        return None
    known = {"max_exclamation_density", "max_emoji_density", "max_length", "tone"}
    for k in v:
        if k not in known:
            pr.add(f"{path}.{k}", f"unknown key; expected one of {sorted(known)}")
    length = _num(v, "max_length", path, pr)
    return ChannelProfile(
        name=name.lower(),
        max_exclamation_density=_num(v, "max_exclamation_density", path, pr),
        max_emoji_density=_num(v, "max_emoji_density", path, pr),
        max_length=int(length) if length is not None else None,
        tone=_strs(v, "tone", path, pr),
    )


def _offer(i: int, v: Any, pr: _Problems) -> Offer | None:
    path = f"offers[{i}]"
    if not isinstance(v, dict):
        pr.add(path, 'expected a table: [[offers]] text = "满300减50" amount = 50 threshold = 300')
        return None
    known = {"text", "campaign", "amount", "threshold", "percent", "code", "start", "end", "price"}
    for k in v:
        if k not in known:
            pr.add(f"{path}.{k}", f"unknown key; expected one of {sorted(known)}")
    pct = _num(v, "percent", path, pr)
    if pct is not None and pct >= 100:
        pr.add(f"{path}.percent", f"is the percentage off (8折 = 20), expected < 100, got {pct:g}")
    offer = Offer(
        text=_str(v, "text", path, pr),
        campaign=_str(v, "campaign", path, pr),
        amount=_num(v, "amount", path, pr),
        threshold=_num(v, "threshold", path, pr),
        percent=pct,
        code=_str(v, "code", path, pr),
        start=_date(v, "start", path, pr),
        end=_date(v, "end", path, pr),
        price=_num(v, "price", path, pr),
    )
    if offer.start and offer.end and offer.end < offer.start:
        pr.add(f"{path}.end", f"{offer.end} is before start {offer.start}; swap them")
    return offer


def brand_from_dict(raw: dict[str, Any], *, source: str = "", base: Path | None = None) -> Brand:
    """Build a Brand from parsed TOML; ``base`` resolves relative Vale rule paths."""
    pr = _Problems()
    b = raw.get("brand")
    known_top = {"brand", "translations", "tone_examples", "terms", "names", "visual", "channels", "offers", "vale"}
    for k in raw:
        if k not in known_top:
            pr.add(k, f"unknown section; expected one of {sorted(known_top)}")
    if not isinstance(b, dict):
        pr.add("brand", "missing [brand] table; add [brand] with name, core_message, pillars and tone")
        raise InputDataError(source or "<brand>", "invalid brand book", pr.items)
    name = _str(b, "name", "brand", pr, required=True)
    core = _str(b, "core_message", "brand", pr, required=True)
    pillars = _strs(b, "pillars", "brand", pr, required=True)
    tone = _strs(b, "tone", "brand", pr, required=True)
    script = _str(b, "script", "brand", pr) or "simplified"
    if script not in SCRIPTS:
        pr.add("brand.script", f"expected one of {SCRIPTS}, got {script!r}")
    industry = _str(b, "industry", "brand", pr) or "general"
    if industry not in INDUSTRIES:
        pr.add("brand.industry", f"expected one of {INDUSTRIES}, got {industry!r}")
    known_b = {"name", "core_message", "pillars", "tone", "script", "industry"}
    for k in b:
        if k not in known_b:
            pr.add(f"brand.{k}", f"unknown key; expected one of {sorted(known_b)}")

    ex = raw.get("tone_examples", {})
    good: tuple[str, ...] = ()
    bad: tuple[str, ...] = ()
    if isinstance(ex, dict):
        good, bad = _strs(ex, "good", "tone_examples", pr), _strs(ex, "bad", "tone_examples", pr)
    else:
        pr.add("tone_examples", 'expected a table: [tone_examples] good = ["..."] bad = ["..."]')

    banned: tuple[Term, ...] = ()
    required: tuple[Term, ...] = ()
    vale: list[Path] = []
    terms = raw.get("terms", {})
    if isinstance(terms, dict):
        if "banned" in terms:
            banned = _terms(terms["banned"], "terms.banned", pr, banned=True)
        if "required" in terms:
            required = _terms(terms["required"], "terms.required", pr, banned=False)
        for k in terms:
            if k not in ("banned", "required"):
                pr.add(f"terms.{k}", "unknown key; expected banned or required")
    else:
        pr.add("terms", "expected a table: [terms] banned = {...} required = [...]")
    vt = raw.get("vale", {})
    if isinstance(vt, dict):
        for s in _strs(vt, "paths", "vale", pr):
            q = Path(s)
            vale.append(q if q.is_absolute() or base is None else base / q)
    else:
        pr.add("vale", 'expected a table: [vale] paths = ["styles/Brand"]')

    variants: dict[str, str] = {}
    accepted: tuple[str, ...] = ()
    names = raw.get("names", {})
    if isinstance(names, dict):
        accepted = _strs(names, "accepted", "names", pr)
        wrong = names.get("wrong", {})
        if isinstance(wrong, dict) and all(isinstance(x, str) for x in wrong.values()):
            variants = {str(k): str(x) for k, x in wrong.items()}
        else:
            pr.add("names.wrong", 'expected a table of wrong spelling = right spelling, e.g. {"绿叶" = "绿野"}')
    else:
        pr.add("names", "expected a table: [names] accepted = [...] wrong = {...}")

    visual = raw.get("visual", {})
    notes = _strs(visual, "notes", "visual", pr) if isinstance(visual, dict) else ()
    if not isinstance(visual, dict):
        pr.add("visual", 'expected a table: [visual] notes = ["..."]')

    channels: dict[str, ChannelProfile] = {}
    ch = raw.get("channels", {})
    if isinstance(ch, dict):
        for cname, cv in ch.items():
            prof = _channel(str(cname), cv, pr)
            if prof is not None:
                channels[prof.name] = prof
    else:
        pr.add("channels", "expected tables [channels.NAME]")

    offers: list[Offer] = []
    ov = raw.get("offers", [])
    if isinstance(ov, list):
        for i, o in enumerate(ov):
            off = _offer(i, o, pr)
            if off is not None:
                offers.append(off)
    else:
        pr.add("offers", 'expected an array of tables: [[offers]] text = "..."')

    translations: dict[str, tuple[str, tuple[str, ...]]] = {}
    tr = raw.get("translations", {})
    if isinstance(tr, dict):
        for lang, tv in tr.items():
            path = f"translations.{lang}"
            if not isinstance(tv, dict):
                pr.add(path, f'expected a table: [{path}] core_message = "..." pillars = [...]')
                continue
            tcore = _str(tv, "core_message", path, pr, required=True)
            tpil = _strs(tv, "pillars", path, pr, required=True)
            if tpil and pillars and len(tpil) != len(pillars):
                pr.add(
                    f"{path}.pillars",
                    f"has {len(tpil)} entries; give one translation per brand.pillars entry ({len(pillars)})",
                )
            translations[str(lang)] = (tcore, tpil)
    else:
        pr.add("translations", 'expected tables: [translations.en] core_message = "..." pillars = [...]')

    if pr.items:
        raise InputDataError(source or "<brand>", "invalid brand book", pr.items)
    return Brand(
        name=name,
        core_message=core,
        pillars=pillars,
        tone=tone,
        tone_good=good,
        tone_bad=bad,
        banned_terms=banned,
        required_terms=required,
        name_variants=variants,
        accepted_names=accepted or (name,),
        script=script,
        industry=industry,
        vale_paths=tuple(vale),
        visual_notes=notes,
        channels=channels,
        offers=tuple(offers),
        translations=translations,
        source=source,
    )
