"""Vale-compatible rule files: every rule type, Vale's keys, and word edges that work for Han text."""

from __future__ import annotations

from pathlib import Path

import pytest

from omnimix.errors import InputDataError
from omnimix.voice.brand import brand_from_dict
from omnimix.voice.terms import check_terminology
from omnimix.voice.vale import ValeRuleWarning, check_vale, load_vale_rules, metric_variables


def _rule(tmp_path: Path, name: str, body: str, style: str = "Brand") -> Path:
    d = tmp_path / style
    d.mkdir(exist_ok=True)
    p = d / f"{name}.yml"
    p.write_text(body, encoding="utf-8")
    return p


def _check(tmp_path: Path, name: str, body: str, text: str) -> list[tuple[str, str, int, int, str]]:
    rules = load_vale_rules(_rule(tmp_path, name, body))
    return [(i.rule, i.text, i.start, i.end, i.message) for i in check_vale(text, rules)]


def test_existence_han_token_on_word_edges(tmp_path: Path) -> None:
    body = "extends: existence\nmessage: \"Avoid '%s'.\"\nlevel: error\ntokens:\n  - 极品\n  - 最佳\n"
    text = "北极品牌的极品茶"  # 极品 inside 北极品牌 is no word; the second one is
    got = _check(tmp_path, "Absolute", body, text)
    assert got == [("vale.Brand.Absolute", "极品", 5, 7, "Avoid '极品'.")]
    assert text[5:7] == "极品"


def test_existence_latin_edges_and_ignorecase(tmp_path: Path) -> None:
    body = "extends: existence\nmessage: \"'%s'\"\nignorecase: true\ntokens: [cheap]\n"
    got = _check(tmp_path, "Cheap", body, "Cheap, not cheaper; CHEAP!")
    assert [g[1] for g in got] == ["Cheap", "CHEAP"]


def test_nonword_matches_inside_words(tmp_path: Path) -> None:
    body = "extends: existence\nmessage: \"'%s'\"\nnonword: true\ntokens: [极品]\n"
    got = _check(tmp_path, "Raw", body, "北极品牌")
    assert [(g[1], g[2]) for g in got] == [("极品", 1)]


def test_exceptions_are_skipped(tmp_path: Path) -> None:
    body = "extends: existence\nmessage: \"'%s'\"\ntokens: ['最\\w']\nnonword: true\nexceptions: [最近]\n"
    got = _check(tmp_path, "Zui", body, "最近上新，最好的面霜")
    assert [g[1] for g in got] == ["最好"]


def test_substitution_message_and_suggestion(tmp_path: Path) -> None:
    body = (
        "extends: substitution\nmessage: \"Use '%s' instead of '%s'.\"\nlevel: warning\nignorecase: true\n"
        "swap:\n  便宜: 实惠\n  e-mail: email\n"
    )
    rules = load_vale_rules(_rule(tmp_path, "Terms", body))
    issues = check_vale("太便宜了，请查收E-mail", rules)
    assert [(i.text, i.suggestion, i.message, i.severity) for i in issues] == [
        ("便宜", "实惠", "Use '实惠' instead of '便宜'.", "warning"),
        ("E-mail", "email", "Use 'email' instead of 'E-mail'.", "warning"),
    ]


def test_substitution_skips_text_already_right(tmp_path: Path) -> None:
    body = "extends: substitution\nmessage: \"'%s' not '%s'\"\nignorecase: true\nswap:\n  OmniTea: OmniTea\n"
    assert _check(tmp_path, "Name", body, "omnitea and OmniTea") == []


def test_occurrence_max_per_sentence(tmp_path: Path) -> None:
    body = "extends: occurrence\nmessage: \"%s exclamation marks\"\nscope: sentence\nmax: 1\ntoken: '[!！]'\nnonword: true\n"
    got = _check(tmp_path, "Bang", body, "太好了！！！再来一单。好！")
    assert len(got) == 1 and got[0][4] == "3 exclamation marks"


def test_occurrence_min(tmp_path: Path) -> None:
    body = 'extends: occurrence\nmessage: "brand named %s times"\nmin: 1\ntoken: 绿野\n'
    assert len(_check(tmp_path, "Brand", body, "新品上市")) == 1
    assert _check(tmp_path, "Brand", body, "绿野新品上市") == []


def test_repetition_han_and_latin(tmp_path: Path) -> None:
    body = "extends: repetition\nmessage: \"'%s' is repeated\"\nalpha: true\ntokens: ['[^\\s]+']\n"
    got = _check(tmp_path, "Repeat", body, "the the serum")
    assert [g[1] for g in got] == ["the the"]
    got = _check(tmp_path, "Repeat", body, "我们的的产品")
    assert [g[1] for g in got] == ["的的"]


def test_consistency_flags_the_minority_spelling(tmp_path: Path) -> None:
    body = "extends: consistency\nmessage: \"Inconsistent: '%s' and '%s'\"\neither:\n  colour: color\n"
    got = _check(tmp_path, "Spelling", body, "colour card, color swatch, colour chart")
    assert [g[1] for g in got] == ["color"]


def test_conditional_acronym_defined(tmp_path: Path) -> None:
    body = (
        "extends: conditional\nmessage: \"'%s' has no definition\"\nfirst: '\\b([A-Z]{3,5})\\b'\n"
        "second: '(?:\\b[A-Z][a-z]+ )+\\(([A-Z]{3,5})\\)'\n"
    )
    assert [
        g[1] for g in _check(tmp_path, "Acr", body, "Use SPF daily. Sun Protection Factor (SPF) matters; ask CRM")
    ] == ["CRM"]


def test_capitalization_of_the_subject_line(tmp_path: Path) -> None:
    body = "extends: capitalization\nmessage: \"'%s' should be in title case\"\nmatch: $title\n"
    assert len(_check(tmp_path, "Title", body, "our spring sale\nbody text")) == 1
    assert _check(tmp_path, "Title", body, "Our Spring Sale Is On\nbody text") == []


def test_sequence_patterns(tmp_path: Path) -> None:
    body = "extends: sequence\nmessage: \"'%s'\"\ntokens:\n  - pattern: 限时\n  - pattern: 抢购\n"
    got = _check(tmp_path, "Seq", body, "今晚限时抢购开始")
    assert [g[1] for g in got] == ["限时抢购"]


def test_sequence_with_tag_is_named_unsupported(tmp_path: Path) -> None:
    body = "extends: sequence\nmessage: x\ntokens:\n  - tag: NN\n  - pattern: of\n"
    with pytest.warns(ValeRuleWarning, match=r"Tagged.yml: Vale rule .*Tagged: sequence `tag`"):
        (rule,) = load_vale_rules(_rule(tmp_path, "Tagged", body))
    assert "tag" in rule.unsupported
    assert rule.check("a lot of words") == []


def test_metric_long_sentences(tmp_path: Path) -> None:
    body = "extends: metric\nmessage: \"%s words a sentence\"\nformula: words / sentences\ncondition: '> 8'\n"
    long = "This sentence has far too many words in it for a push notice."
    got = _check(tmp_path, "Len", body, long)
    assert len(got) == 1 and got[0][2:4] == (0, 0)
    assert _check(tmp_path, "Len", body, "Short one.") == []
    v = metric_variables("绿野新品。温和护肤！")
    assert v["sentences"] == 2 and v["words"] >= 4


def test_spelling_is_loaded_but_marked_unsupported(tmp_path: Path) -> None:
    with pytest.warns(ValeRuleWarning, match="extends: spelling is not supported"):
        (rule,) = load_vale_rules(_rule(tmp_path, "Spell", "extends: spelling\nmessage: x\n"))
    assert rule.unsupported and rule.check("anything") == []


def test_supported_rules_load_without_a_warning(tmp_path: Path) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_vale_rules(_rule(tmp_path, "Ok", "extends: existence\nmessage: x\ntokens: [foo]\n"))


def test_style_folder_names_rules_style_dot_file(tmp_path: Path) -> None:
    _rule(tmp_path, "A", "extends: existence\nmessage: x\ntokens: [foo]\n", style="House")
    _rule(tmp_path, "B", "extends: existence\nmessage: y\ntokens: [bar]\n", style="House")
    names = sorted(r.name for r in load_vale_rules(tmp_path))
    assert names == ["House.A", "House.B"]


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ("extends: existance\nmessage: x\n", "extends"),
        ("extends: existence\nmessage: x\n", "tokens"),
        ("extends: substitution\nmessage: x\n", "swap"),
        ("extends: occurrence\nmessage: x\ntoken: a\n", "max"),
        ("extends: existence\nlevel: fatal\ntokens: [a]\n", "level"),
        ("extends: [oops\n", "YAML"),
        ("- a\n- b\n", "mapping"),
    ],
)
def test_bad_rule_files_name_file_and_fix(tmp_path: Path, body: str, needle: str) -> None:
    p = _rule(tmp_path, "Bad", body)
    with pytest.raises(InputDataError) as ei:
        load_vale_rules(p)
    assert needle in str(ei.value) and "Bad.yml" in str(ei.value)


def test_bad_regex_is_reported_at_check_time(tmp_path: Path) -> None:
    rules = load_vale_rules(_rule(tmp_path, "Re", "extends: existence\nmessage: x\ntokens: ['(unclosed']\n"))
    with pytest.raises(InputDataError, match="not a valid regular expression"):
        check_vale("text", rules)


def test_missing_path() -> None:
    with pytest.raises(InputDataError, match="not found"):
        load_vale_rules("/nonexistent/styles")


def test_brand_vale_paths_run_in_terminology(tmp_path: Path) -> None:
    _rule(
        tmp_path, "Words", "extends: existence\nmessage: \"Avoid '%s'\"\nlevel: error\ntokens: [秒杀]\n", style="Lvye"
    )
    brand = brand_from_dict(
        {
            "brand": {"name": "绿野", "core_message": "温和护肤", "pillars": ["温和"], "tone": ["亲切"]},
            "vale": {"paths": ["Lvye"]},
        },
        base=tmp_path,
    )
    issues = check_terminology("今晚秒杀，绿野面霜", brand, language="zh")
    assert [(i.rule, i.category, i.text, i.severity) for i in issues] == [
        ("vale.Lvye.Words", "terminology", "秒杀", "error")
    ]
