"""Vale-compatible rule files (``extends: existence | substitution | occurrence | repetition |
consistency | conditional | capitalization | sequence | metric``), with word edges that work for Han text.

Vale wraps tokens in ``\\b…\\b``; inside a run of Han characters there is no ``\\b``, so a Chinese token
never matches and the rule fails silently. Here a match counts when it starts and ends on word edges:
jieba token edges between Han characters, the ASCII rule elsewhere (``nonword: true`` turns edges off).
Keys honoured: ``message`` (``%s`` filled as Vale does), ``level``, ``ignorecase``, ``nonword``,
``tokens``, ``raw``, ``exceptions``, ``swap``, ``token``/``max``/``min``/``scope`` (occurrence),
``alpha`` (repetition), ``either`` (consistency), ``first``/``second`` (conditional),
``match``/``exceptions`` (capitalization), sequence ``pattern``/``negate``/``skip``, metric
``formula``/``condition``. A rule this checker cannot honour (a sequence ``tag``, ``extends:
spelling``, ``script``, ``lint`` …) is not ignored silently: it is named in :attr:`ValeRule.unsupported`
and :func:`load_vale_rules` warns (:class:`ValeRuleWarning`, shown on stderr; ``omnimix voice check``
prints it as a ``warning:`` line).
"""

from __future__ import annotations

import ast
import itertools
import operator
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from omnimix.errors import InputDataError
from omnimix.voice._hanseg import at_word_edges, is_han, tokens
from omnimix.voice.types import Issue, Severity

__all__ = ["EXTENDS", "ValeRule", "ValeRuleWarning", "check_vale", "load_vale_rules"]

EXTENDS = (
    "existence",
    "substitution",
    "occurrence",
    "repetition",
    "consistency",
    "conditional",
    "capitalization",
    "sequence",
    "metric",
)
_LEVELS: tuple[Severity, ...] = ("suggestion", "warning", "error")
_SENT = re.compile(r"[^。！？!?\n.]+(?:[。！？!?\n]+|\.(?=\s|$)|$)")


class ValeRuleWarning(UserWarning):
    """A Vale rule file loaded but not checked (its rule type or a key of it is not supported)."""


@dataclass(frozen=True)
class ValeRule:
    """One Vale rule file. ``name`` is ``Style.Rule`` (folder and file stem), as Vale names it."""

    name: str
    extends: str
    level: Severity
    message: str
    path: str
    options: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    unsupported: str = ""

    def check(self, text: str, *, language: str = "") -> list[Issue]:
        """Issues of this rule in ``text`` (none when :attr:`unsupported` is set)."""
        if self.unsupported:
            return []
        check: Any = _CHECKS[self.extends]
        found: list[Issue] = check(self, text)
        return found

    def issue(self, s: int, e: int, text: str, args: tuple[str, ...], suggestion: str = "") -> Issue:
        return Issue(
            f"vale.{self.name}", "terminology", self.level, s, e, text[s:e], _fmt(self.message, args), suggestion
        )


def _fmt(message: str, args: tuple[str, ...]) -> str:
    out, k = message, 0
    while "%s" in out and k < len(args):
        out = out.replace("%s", args[k], 1)
        k += 1
    return out.replace("%s", args[-1] if args else "")


def _flags(rule: ValeRule) -> int:
    return re.IGNORECASE if rule.options.get("ignorecase") else 0


def _compile(rule: ValeRule, pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, _flags(rule))
    except re.error as exc:
        raise InputDataError(
            rule.path,
            f"pattern {pattern!r} is not a valid regular expression: {exc}",
            ["fix the pattern (Python/RE2 syntax)"],
        ) from exc


def _matches(rule: ValeRule, text: str, pattern: str) -> list[tuple[int, int, re.Match[str]]]:
    """Non-overlapping matches of ``pattern`` on word edges (every start is tried, leftmost-longest kept)."""
    rx = _compile(rule, pattern)
    nonword = bool(rule.options.get("nonword"))
    exc = [_compile(rule, f"(?:{x})$") for x in rule.options.get("exceptions") or []]
    out: list[tuple[int, int, re.Match[str]]] = []
    pos = 0
    while pos <= len(text):
        m = rx.search(text, pos)
        if m is None:
            break
        s, e = m.start(), m.end()
        if e == s:
            pos = s + 1
            continue
        if (nonword or at_word_edges(text, s, e)) and not any(x.match(m.group(0)) for x in exc):
            out.append((s, e, m))
            pos = e
        else:
            shorter = _shorter_on_edges(rx, text, s, e) if not nonword else None
            if shorter is not None and not any(x.match(shorter.group(0)) for x in exc):
                out.append((shorter.start(), shorter.end(), shorter))
                pos = shorter.end()
            else:
                pos = s + 1
    return out


def _shorter_on_edges(rx: re.Pattern[str], text: str, s: int, e: int) -> re.Match[str] | None:
    for end in range(e - 1, s, -1):
        m = rx.fullmatch(text, s, end)
        if m is not None and at_word_edges(text, s, end):
            return m
    return None


def _alternation(rule: ValeRule) -> str:
    toks = [str(t) for t in rule.options.get("tokens") or []]
    raw = "".join(str(r) for r in rule.options.get("raw") or [])
    parts = [f"(?:{'|'.join(toks)})"] if toks else []
    if raw:
        parts.append(f"(?:{raw})")
    return "|".join(parts)


def _existence(rule: ValeRule, text: str) -> list[Issue]:
    pat = _alternation(rule)
    return [rule.issue(s, e, text, (m.group(0),)) for s, e, m in _matches(rule, text, pat)] if pat else []


def _substitution(rule: ValeRule, text: str) -> list[Issue]:
    out: list[Issue] = []
    taken: list[tuple[int, int]] = []
    for pat, rep in (rule.options.get("swap") or {}).items():
        for s, e, m in _matches(rule, text, str(pat)):
            found = m.group(0)
            if any(s < b and a < e for a, b in taken):
                continue
            reps = [r.strip() for r in str(rep).split("|")]
            if any(found == r or (rule.options.get("ignorecase") and found.lower() == r.lower()) for r in reps):
                continue
            taken.append((s, e))
            out.append(rule.issue(s, e, text, (" or ".join(reps), found), reps[0]))
    return sorted(out, key=lambda i: i.start)


def _scopes(text: str, scope: str) -> list[tuple[int, int]]:
    if scope in ("sentence", "sentences"):
        return [(m.start(), m.end()) for m in _SENT.finditer(text) if m.group(0).strip()]
    if scope in ("paragraph", "paragraphs"):
        return [(m.start(), m.end()) for m in re.finditer(r"[^\n]+(?:\n(?!\s*\n)[^\n]+)*", text)]
    return [(0, len(text))]


def _occurrence(rule: ValeRule, text: str) -> list[Issue]:
    token = str(rule.options.get("token", ""))
    mx, mn = rule.options.get("max"), rule.options.get("min")
    out: list[Issue] = []
    for a, b in _scopes(text, str(rule.options.get("scope", "text"))):
        part = text[a:b]
        hits = _matches(rule, part, token) if token else []
        n = len(hits)
        if (mx is not None and n > int(mx)) or (mn is not None and n < int(mn)):
            s, e = (a + hits[int(mx)][0], b) if mx is not None and n > int(mx) else (a, b)
            out.append(rule.issue(s, e, text, (str(n),)))
    return out


def _repetition(rule: ValeRule, text: str) -> list[Issue]:
    alpha = bool(rule.options.get("alpha"))
    pat = _alternation(rule) or r"[^\s]+"
    words = [(s, e, m.group(0)) for s, e, m in _word_units(rule, text, pat)]
    out: list[Issue] = []
    for (s0, _e0, w0), (_s1, e1, w1) in itertools.pairwise(words):
        same = w0.lower() == w1.lower() if rule.options.get("ignorecase") else w0 == w1
        if same and (not alpha or w1.isalpha()) and not re.fullmatch(r"\W+", w1):
            out.append(rule.issue(s0, e1, text, (w1,)))
    return out


def _word_units(rule: ValeRule, text: str, pat: str) -> list[tuple[int, int, re.Match[str]]]:
    """Words for repetition: jieba tokens inside Han runs (Han has no spaces), else the pattern's matches."""
    out: list[tuple[int, int, re.Match[str]]] = []
    rx = _compile(rule, pat)
    for w, a, b in tokens(text):
        if not w.strip():
            continue
        m = rx.fullmatch(text, a, b) if not is_han(w[0]) else re.compile(re.escape(w)).match(text, a)
        if m is not None:
            out.append((a, b, m))
    return out


def _consistency(rule: ValeRule, text: str) -> list[Issue]:
    out: list[Issue] = []
    for a, b in (rule.options.get("either") or {}).items():
        ha, hb = _matches(rule, text, str(a)), _matches(rule, text, str(b))
        if ha and hb:
            minority = hb if len(hb) < len(ha) or (len(hb) == len(ha) and hb[0][0] > ha[0][0]) else ha
            majority_word = (ha if minority is hb else hb)[0][2].group(0)
            for s, e, m in minority:
                out.append(rule.issue(s, e, text, (m.group(0), majority_word), majority_word))
    return out


def _conditional(rule: ValeRule, text: str) -> list[Issue]:
    first, second = str(rule.options.get("first", "")), str(rule.options.get("second", ""))
    if not first:
        return []
    defined = set()
    for _s, _e, m in _matches(rule, text, second) if second else []:
        defined.add(m.group(1) if m.re.groups else m.group(0))
    out: list[Issue] = []
    for s, e, m in _matches(rule, text, first):
        key = m.group(1) if m.re.groups else m.group(0)
        if key not in defined:
            out.append(rule.issue(s, e, text, (key,)))
    return out


_SMALL = {
    "a",
    "an",
    "the",
    "and",
    "but",
    "or",
    "nor",
    "for",
    "so",
    "yet",
    "at",
    "by",
    "in",
    "of",
    "on",
    "to",
    "up",
    "as",
    "via",
    "vs",
}


def _capitalization(rule: ValeRule, text: str) -> list[Issue]:
    line_end = text.find("\n")
    head = text if line_end < 0 else text[:line_end]
    if not head.strip():
        return []
    match = str(rule.options.get("match", "$title"))
    exceptions = {str(x) for x in rule.options.get("exceptions") or []}
    words = [w for w in re.findall(r"[A-Za-z][\w'-]*", head) if w not in exceptions]
    ok: bool
    if match == "$title":
        ok = all(w[0].isupper() or (i and w.lower() in _SMALL) for i, w in enumerate(words))
    elif match == "$sentence":
        ok = (
            bool(words)
            and words[0][0].isupper()
            and all(not w[0].isupper() or w.isupper() or i == 0 for i, w in enumerate(words))
        )
    elif match == "$lower":
        ok = all(w == w.lower() for w in words)
    elif match == "$upper":
        ok = all(w == w.upper() for w in words)
    else:
        ok = _compile(rule, match).fullmatch(head.strip()) is not None
    s = len(head) - len(head.lstrip())
    return [] if ok else [rule.issue(s, s + len(head.strip()), text, (head.strip(),))]


def _sequence(rule: ValeRule, text: str) -> list[Issue]:
    steps = rule.options.get("tokens") or []
    words = [(a, b, w) for w, a, b in tokens(text) if w.strip()]
    out: list[Issue] = []
    flags = _flags(rule)
    pats = [
        (re.compile(f"(?:{st.get('pattern', '.*')})$", flags), bool(st.get("negate")), int(st.get("skip", 0)))
        for st in steps
    ]
    i = 0
    while i < len(words):
        j, ok = i, True
        for k, (rx, neg, skip) in enumerate(pats):
            hit = -1
            for jj in range(j, min(len(words), j + skip + 1)):
                if bool(rx.match(words[jj][2])) != neg:
                    hit = jj
                    break
                if k == 0:
                    break
            if hit < 0:
                ok = False
                break
            j = hit + 1
        if ok and pats:
            s, e = words[i][0], words[j - 1][1]
            out.append(rule.issue(s, e, text, (text[s:e],)))
            i = j
        else:
            i += 1
    return out


_OPS: dict[type, Any] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}


def _eval(node: ast.AST, env: dict[str, float]) -> float:
    if isinstance(node, ast.Expression):
        return _eval(node.body, env)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.Name) and node.id in env:
        return env[node.id]
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        left, right = _eval(node.left, env), _eval(node.right, env)
        if isinstance(node.op, ast.Div) and right == 0:
            return 0.0
        return float(_OPS[type(node.op)](left, right))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _OPS:
        return float(_OPS[type(node.op)](_eval(node.operand, env)))
    raise ValueError(f"unsupported expression {ast.dump(node)}")


def _syllables(word: str) -> int:
    if all(is_han(c) for c in word):
        return len(word)
    return max(
        1, len(re.findall(r"[aeiouy]+", word.lower())) - (1 if word.lower().endswith("e") and len(word) > 3 else 0)
    )


def metric_variables(text: str) -> dict[str, float]:
    """Vale's metric variables; Han words are jieba tokens, a Han character one syllable."""
    words = [w for w, _a, _b in tokens(text) if re.search(r"\w", w)]
    syl = [_syllables(w) for w in words]
    return {
        "words": float(len(words)),
        "sentences": float(max(1, len([m for m in _SENT.finditer(text) if m.group(0).strip()]))),
        "characters": float(sum(1 for c in text if c.isalnum())),
        "paragraphs": float(max(1, len(re.findall(r"\n\s*\n", text)) + 1)),
        "syllables": float(sum(syl)),
        "complex_words": float(sum(1 for n in syl if n >= 3)),
        "polysyllabic_words": float(sum(1 for n in syl if n >= 3)),
        "long_words": float(sum(1 for w in words if len(w) >= 7)),
        "pre": 0.0,
        "list": 0.0,
        "blockquote": 0.0,
        "heading_h1": 0.0,
        "heading_h2": 0.0,
        "heading_h3": 0.0,
    }


def _metric(rule: ValeRule, text: str) -> list[Issue]:
    env = metric_variables(text)
    try:
        value = _eval(ast.parse(str(rule.options.get("formula", "0")), mode="eval"), env)
    except (SyntaxError, ValueError) as exc:
        raise InputDataError(
            rule.path,
            f"formula {rule.options.get('formula')!r}: {exc}",
            ["use + - * / and the variables " + ", ".join(sorted(env))],
        ) from exc
    cond = re.fullmatch(r"\s*(<=|>=|==|!=|<|>)\s*(-?\d+(?:\.\d+)?)\s*", str(rule.options.get("condition", "")))
    if cond is None:
        raise InputDataError(
            rule.path, f"condition {rule.options.get('condition')!r} not understood", ['write e.g. condition: "> 8"']
        )
    ops = {
        "<": operator.lt,
        ">": operator.gt,
        "<=": operator.le,
        ">=": operator.ge,
        "==": operator.eq,
        "!=": operator.ne,
    }
    if ops[cond.group(1)](value, float(cond.group(2))):
        return [rule.issue(0, 0, text, (f"{value:.2f}",))]
    return []


_CHECKS: dict[str, Any] = {
    "existence": _existence,
    "substitution": _substitution,
    "occurrence": _occurrence,
    "repetition": _repetition,
    "consistency": _consistency,
    "conditional": _conditional,
    "capitalization": _capitalization,
    "sequence": _sequence,
    "metric": _metric,
}


def _rule_from(path: Path, style: str, raw: Any) -> ValeRule:
    if not isinstance(raw, dict):
        raise InputDataError(
            str(path), "a Vale rule file must be a YAML mapping", ["start with `extends: existence` and its keys"]
        )
    ext = str(raw.get("extends", "")).strip()
    level = str(raw.get("level", "suggestion")).strip()
    if level not in _LEVELS:
        raise InputDataError(
            str(path), f"level {level!r}: expected suggestion, warning or error", ["set `level: warning`"]
        )
    name = f"{style}.{path.stem}" if style else path.stem
    unsupported = ""
    if ext not in EXTENDS:
        if ext in ("spelling", "script", "invisible", "lint", "readability", "spelling-extended"):
            unsupported = f"extends: {ext} is not supported by omnimix (rule skipped)"
        else:
            raise InputDataError(
                str(path),
                f"extends {ext!r}: expected one of {', '.join(EXTENDS)}",
                ["set `extends:` to a Vale rule type"],
            )
    if ext == "sequence" and any(isinstance(t, dict) and "tag" in t for t in raw.get("tokens") or []):
        unsupported = "sequence `tag` (part-of-speech) is not supported by omnimix (rule skipped)"
    if ext == "substitution" and not isinstance(raw.get("swap"), dict):
        raise InputDataError(str(path), "substitution needs `swap:` (a mapping of pattern: replacement)", ["add swap:"])
    if ext in ("existence", "repetition") and not (raw.get("tokens") or raw.get("raw")) and ext == "existence":
        raise InputDataError(str(path), "existence needs `tokens:` (or `raw:`)", ["add tokens: [...]"])
    if ext == "occurrence" and ("token" not in raw or ("max" not in raw and "min" not in raw)):
        raise InputDataError(str(path), "occurrence needs `token:` and `max:` or `min:`", ["add token: and max:"])
    msg = str(raw.get("message", f"{name}: '%s'"))
    return ValeRule(name, ext, level, msg, str(path), dict(raw), unsupported)


def load_vale_rules(path: str | Path) -> list[ValeRule]:
    """Rules from a ``.yml`` file, a style folder (``styles/Brand/*.yml``) or a StylesPath of style folders.

    A rule that cannot be checked here is returned with :attr:`ValeRule.unsupported` set, and a
    :class:`ValeRuleWarning` names its file and why.
    """
    p = Path(path)
    if not p.exists():
        raise InputDataError(str(p), "Vale rule path not found", ["fix [vale] paths in brand.toml"])
    files = [p] if p.is_file() else sorted(q for q in p.rglob("*") if q.suffix in (".yml", ".yaml") and q.is_file())
    out: list[ValeRule] = []
    for f in files:
        try:
            raw = yaml.safe_load(f.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise InputDataError(str(f), f"not valid YAML: {exc}", ["fix the YAML syntax"]) from exc
        style = f.parent.name if f != p or p.parent.name else ""
        rule = _rule_from(f, style, raw)
        if rule.unsupported:
            warnings.warn(f"{f}: Vale rule {rule.name}: {rule.unsupported}", ValeRuleWarning, stacklevel=2)
        out.append(rule)
    return out


def check_vale(text: str, rules: tuple[ValeRule, ...] | list[ValeRule], *, language: str = "") -> list[Issue]:
    """Issues of every supported rule in ``rules``, sorted by position."""
    out: list[Issue] = []
    for r in rules:
        out += r.check(text, language=language)
    return sorted(out, key=lambda i: (i.start, i.end))
