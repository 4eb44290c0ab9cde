"""No raw personal data in anything `voc analyze` writes or prints.

One run over texts full of PII (from tests/pii_corpus.py, every kind and format, and
people's names as customers and agents write them), plus
rows that are rejected *because of* a PII value in the wrong column (a phone number as
the score, an email as the date, a card in a ragged row...), since rejects.csv keeps the
rejected record and its reason quotes the bad value. Then every artifact is searched for
every raw value: the Parquet tables decoded, the CSVs, run.json, report.html (raw, HTML-
and JSON-unescaped), every file of the saved model, and the verbose log on stderr.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from voc.cli import app

try:
    from tests.pii_corpus import build_corpus
except ImportError:  # tests/ is not a package: pytest put tests/ itself on sys.path
    from pii_corpus import build_corpus  # type: ignore[no-redef]

PER_FORMAT = 3  # texts per (kind, format) of the corpus: 42 formats, about 110 texts

# PII planted in rows that get rejected, and where each lands if nothing redacts it
PLANTED = {
    "score-is-a-phone": ("+44 20 7946 0958", "score 'nps' not numeric"),
    "score-is-a-card": ("4111 1111 1111 1111", "score 'nps' not numeric"),
    "date-is-an-email": ("jane.roe@example.com", "unparseable date"),
    "date-is-a-long-text": ("mark.twain@example.org", "unparseable date"),
    "out-of-range-score": ("DE89 3704 0044 0532 0130 00", "out of range"),
    "duplicate-id": ("221B Baker Street", "duplicate id"),
    "ragged-row": ("GB82 WEST 1234 5698 7654 32", "expected 6 fields"),
    "ragged-row-comma-phone": ("07700 900123", "expected 6 fields"),
}
# PII in fields of accepted rows that are no text: every output carries doc_id and the segments
ID_EMAIL = "pat.doe@example.net"
SEGMENT_PHONE = "+44 20 7946 0321"
ID_NAME = "Clarita Jaramillo"  # a customer's name as the id
# People's names as customers and agents write them (the `person` kind); each name is
# searched for in every artifact, and each of its words on its own.
NAMED = [
    ("Hi Olivander, my name is Clarita Jaramillo and my parcel never came", "Clarita Jaramillo"),
    ("Slow agent Sukhdeep caused us to miss our flight to Denver", "Sukhdeep"),
    ("flight attendant Wendolyn was amazing on the JetBlue flight, thanks to Eulalie at the gate", "Wendolyn"),
    ("We're sorry for the delay with your delivery, Olivander. Please DM us your order number. ^Davina", "Olivander"),
    ("The refund arrived after I spoke with Wendell Holton in the billing team", "Wendell Holton"),
    ("Thanks for your patience, we replied in DM. -Tanujan", "Tanujan"),
    # no cue: the learned tagger's (voc/pii_tagger.py)
    ("Big thanks to the crew today, especially Marcus who found my bag", "Marcus"),
    ("The lady at the counter, Tamika, was wonderful", "Tamika"),
]
NAME_WORDS = {"Olivander", "Clarita", "Jaramillo", "Sukhdeep", "Wendolyn", "Eulalie", "Davina", "Wendell", "Holton",
              "Tanujan", "Marcus", "Tamika"}


def _select(items):  # type: ignore[no-untyped-def]
    seen: Counter[tuple[str, str]] = Counter()
    chosen = []
    for it in items:
        keys = [(s.kind, s.fmt) for s in it.pii]
        if keys and any(seen[k] < PER_FORMAT for k in keys):
            chosen.append(it)
            seen.update(keys)
    return chosen


def _feedback_csv(path: Path) -> dict[str, str]:
    """Write the input; return raw value -> what it is (for the failure message)."""
    items = _select(build_corpus())
    values = {s.value: f"{s.kind}/{s.fmt}" for it in items for s in it.pii}
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["id", "text", "nps", "date", "channel", "plan"])
    for i, it in enumerate(items):
        w.writerow([f"r{i}", it.text, i % 11, f"2024-03-{i % 28 + 1:02d}", ("app", "web", "email")[i % 3],
                    ("basic", "premium")[i % 2]])
    w.writerow([ID_EMAIL, "The courier left the parcel at the wrong door", 3, "2024-04-09", "web", "basic"])
    for j, (text, _) in enumerate(NAMED):
        w.writerow([f"n{j}", text, j % 11, f"2024-04-{j + 11:02d}", "app", "basic"])
    w.writerow([ID_NAME, "The delivery was late and nobody called back", 2, "2024-04-20", "web", "premium"])
    w.writerow(["r-seg", "Support fixed my billing issue quickly", 9, "2024-04-10", "app", SEGMENT_PHONE])
    p = PLANTED
    w.writerow(["b1", "Score column holds a phone number", p["score-is-a-phone"][0], "2024-04-01", "app", "basic"])
    w.writerow(["b2", "Score column holds a card", p["score-is-a-card"][0], "2024-04-02", "app", "basic"])
    w.writerow(["b3", "Date column holds an email", "7", p["date-is-an-email"][0], "web", "basic"])
    w.writerow(["b4", "Date column holds a long text", "7",
                "the customer wrote a long note here, and only at the very end: " + p["date-is-a-long-text"][0], "web",
                "basic"])
    w.writerow(["b5", f"Out of range score, IBAN {p['out-of-range-score'][0]} in the text", "11", "2024-04-05", "app",
                "basic"])
    w.writerow(["r0", f"Duplicate id, address {p['duplicate-id'][0]} in the text", "5", "2024-04-06", "web", "basic"])
    buf.write(f"b7,ragged row with IBAN {p['ragged-row'][0]},5,2024-04-07,app,basic,extra\n")
    buf.write(f"b8,ragged,{p['ragged-row-comma-phone'][0]},5,2024-04-08,web,basic,x\n")
    path.write_text(buf.getvalue(), encoding="utf-8")
    values.update({v: f"planted/{k}" for k, (v, _) in PLANTED.items()})
    values.update({ID_EMAIL: "id/email", SEGMENT_PHONE: "segment/phone", ID_NAME: "id/name"})
    values.update({name: "name" for _, name in NAMED})
    values.update({word: "name/word" for word in NAME_WORDS})
    return values


# -------------------------------------------------------------------------- searching artifacts
def _cells(value: object) -> list[str]:
    if isinstance(value, dict):
        return [x for k, v in value.items() for x in (*_cells(k), *_cells(v))]
    if isinstance(value, (list, tuple)) or hasattr(value, "tolist"):
        seq = value.tolist() if hasattr(value, "tolist") else value
        if isinstance(seq, (list, tuple)):
            return [x for v in seq for x in _cells(v)]
        return _cells(seq)
    return [] if value is None else [str(value)]


def _unescape_json(text: str) -> str:
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text).replace('\\"', '"')


TEXT_SUFFIXES = {".csv", ".json", ".html", ".txt", ".yaml", ".yml", ".md", ".log"}


def haystacks(path: Path) -> list[str | bytes]:
    """Every readable form of a file's content: decoded tables, text and its unescaped
    form (JSON \\u escapes, then HTML entities); other files as raw bytes."""
    if path.suffix == ".xlsx":
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True)
        cells = [str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None]
        wb.close()
        return ["\n".join(cells)]
    if path.suffix == ".parquet":
        df = pd.read_parquet(path)
        return ["\n".join([*map(str, df.columns), *(c for v in df.to_numpy().ravel() for c in _cells(v))])]
    raw = path.read_bytes()
    if path.suffix not in TEXT_SUFFIXES:  # weights, arrays: look for the UTF-8 bytes
        return [raw]
    text = raw.decode("utf-8", errors="replace")
    unescaped = html.unescape(_unescape_json(text))
    return [text] if unescaped == text else [text, unescaped]


def _squash(s: str) -> str:
    return re.sub(r"[\s\-.()/]", "", s).casefold()


def leaks(texts: dict[str, list[str | bytes]], values: dict[str, str]) -> list[str]:
    """(where, what, value) for each raw value found. Long digit values (cards, IBANs,
    phones) are also looked for with their separators removed."""
    folded_values = [(v, what, v.casefold(), _squash(v), v.encode("utf-8")) for v, what in values.items()]
    found = []
    for where, hays in texts.items():
        blobs = [h for h in hays if isinstance(h, bytes)]
        folded = [h.casefold() for h in hays if isinstance(h, str)]
        squashed = [_squash(h) for h in folded]
        for value, what, fold, digits, encoded in folded_values:
            long_digits = sum(c.isdigit() for c in digits) >= 10
            if (any(fold in h for h in folded) or any(encoded in b for b in blobs)
                    or (long_digits and any(digits in h for h in squashed))):
                found.append(f"{where}: {what} {value!r}")
    return found


@pytest.fixture(scope="module")
def pii_run(tmp_path_factory):  # type: ignore[no-untyped-def]
    d = tmp_path_factory.mktemp("pii")
    src = d / "feedback_with_pii.csv"
    values = _feedback_csv(src)
    out = d / "out"
    result = CliRunner().invoke(app, ["analyze", str(src), "--out", str(out), "--id-col", "id", "--date-col", "date",
                                      "--score", "nps=nps", "--channel-col", "channel", "--segment-col", "plan", "-v"])
    assert result.exit_code == 0, result.output
    return src, out, values, result


@pytest.mark.slow  # one full `voc analyze` of ~120 texts (~30-60 s on 2 cores)
def test_the_run_rejected_the_planted_rows(pii_run) -> None:  # type: ignore[no-untyped-def]
    src, out, values, _ = pii_run
    rejects = pd.read_csv(out / "rejects.csv")
    assert len(rejects) == len(PLANTED)
    for _, (_, reason) in PLANTED.items():
        assert rejects["reason"].str.contains(reason, regex=False).any(), reason
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["counts"]["rejected"] == len(PLANTED)
    in_text = len(values) - len(PLANTED) - 3 - len(NAME_WORDS)  # ids and the segment are not in texts; a name's
    # words are counted with the name
    assert sum(run["stages"]["clean"]["pii_redacted"].values()) >= in_text


@pytest.mark.slow  # one full `voc analyze` of ~120 texts (~30-60 s on 2 cores)
def test_the_search_finds_raw_values(pii_run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Not vacuous: every value is found in the input, and inside Parquet, Excel and
    escaped HTML/JSON, and with its separators changed."""
    src, _, values, _ = pii_run
    assert len(values) >= 150 and {v.split("/")[0] for v in values.values()} >= {"email", "url", "card", "iban",
                                                                                 "phone", "address", "planted"}
    assert len(leaks({"input": haystacks(src)}, values)) == len(values)
    pd.DataFrame({"t": [["x", "o'brien@example.ie"]]}).to_parquet(tmp_path / "a.parquet")
    pd.DataFrame({"t": ["josé.garcía@correo.es"]}).to_excel(tmp_path / "a.xlsx")
    (tmp_path / "a.html").write_text('<p>o&#39;brien@example.ie</p><script>{"e": "jos\\u00e9.garc\\u00eda@correo.es"}'
                                     "</script> card 4111-1111-1111-1111", encoding="utf-8")
    probe = {"o'brien@example.ie": "email", "josé.garcía@correo.es": "email", "4111 1111 1111 1111": "card"}
    for name, n in (("a.parquet", 1), ("a.xlsx", 1), ("a.html", 3)):
        assert len(leaks({name: haystacks(tmp_path / name)}, probe)) == n, name


@pytest.mark.slow  # one full `voc analyze` of ~120 texts (~30-60 s on 2 cores)
def test_no_raw_pii_in_any_output_file(pii_run) -> None:  # type: ignore[no-untyped-def]
    _, out, values, _ = pii_run
    files = sorted(p for p in out.rglob("*") if p.is_file())
    names = {p.relative_to(out).as_posix() for p in files}
    assert {"documents.parquet", "sentences.parquet", "themes.csv", "drivers.csv", "priorities.csv", "trends.csv",
            "rejects.csv", "run.json", "report.html", "model/meta.json"} <= names
    assert any(n.startswith("model/themes/") for n in names)
    found = leaks({p.relative_to(out).as_posix(): haystacks(p) for p in files}, values)
    assert not found, "\n".join(found)
    docs = pd.read_parquet(out / "documents.parquet")
    assert docs["text"].str.contains(r"\[(?:EMAIL|PHONE|CARD|IBAN|URL|ADDRESS|NAME)\]").mean() > 0.9
    named = docs[docs["doc_id"].str.fullmatch(r"n\d")]
    assert len(named) == len(NAMED) and named["text"].str.contains(r"\[PERSON\]").all()
    assert named["text"].str.contains("Denver").any() and named["text"].str.contains("JetBlue").any()  # places stay


@pytest.mark.slow  # one full `voc analyze` of ~120 texts (~30-60 s on 2 cores)
def test_ids_with_pii_are_pseudonymised_and_the_others_kept(pii_run) -> None:  # type: ignore[no-untyped-def]
    """An e-mail id becomes id- + sha256(id)[:16] in every table (whoever has the export
    can recompute it to join); plain ids stay; a phone number as a segment is redacted."""
    import hashlib

    _, out, _, _ = pii_run
    docs = pd.read_parquet(out / "documents.parquet")
    sents = pd.read_parquet(out / "sentences.parquet")
    alias = "id-" + hashlib.sha256(ID_EMAIL.encode()).hexdigest()[:16]
    assert alias in set(docs["doc_id"]) and alias in set(sents["doc_id"])
    name_alias = "id-" + hashlib.sha256(ID_NAME.encode()).hexdigest()[:16]
    assert name_alias in set(docs["doc_id"]) and name_alias in set(sents["doc_id"])
    assert {"r0", "r1", "r-seg", "n0"} <= set(docs["doc_id"])
    assert docs.loc[docs["doc_id"] == "r-seg", "plan"].tolist() == ["[PHONE]"]
    assert set(docs["plan"]) == {"basic", "premium", "[PHONE]"}
    clean = json.loads((out / "run.json").read_text(encoding="utf-8"))["stages"]["clean"]
    assert clean["ids_pseudonymized"] == 2 and clean["labels_redacted"] == 1


def test_the_store_keys_documents_by_the_pseudonym(fitted, tmp_path: Path) -> None:
    """`voc score --store`: the store's documents, and a rescore of the same file, use the
    id every output shows, not the raw e-mail."""
    import hashlib

    src = tmp_path / "in.csv"
    pd.DataFrame({"id": [ID_EMAIL, "plain-1", ID_NAME],
                  "text": ["Late delivery again", "Lovely staff", "Hi Olivander, agent Sukhdeep never called back"],
                  "segment": [SEGMENT_PHONE, "basic", "basic"]}).to_csv(src, index=False)
    model, store = fitted[2] / "model", tmp_path / "s.duckdb"
    for _ in range(2):
        res = CliRunner().invoke(app, ["score", str(src), "--model", str(model), "--store", str(store)])
        assert res.exit_code == 0, res.output
    assert "3 unchanged" in res.output
    import voc

    with voc.Store(store, read_only=True) as st:
        docs = st.documents()
    alias = "id-" + hashlib.sha256(ID_EMAIL.encode()).hexdigest()[:16]
    name_alias = "id-" + hashlib.sha256(ID_NAME.encode()).hexdigest()[:16]
    assert sorted(docs["doc_id"]) == sorted([alias, "plain-1", name_alias])
    assert "[PHONE]" in set(docs["segment"])
    assert "Hi [PERSON], agent [PERSON] never called back" in set(docs["text"])
    assert not leaks({"store": [docs.to_csv()]}, {ID_EMAIL: "id", SEGMENT_PHONE: "segment", "Clarita": "id",
                                                  "Jaramillo": "id", "Olivander": "name", "Sukhdeep": "name"})


@pytest.mark.slow  # one full `voc analyze` of ~120 texts (~30-60 s on 2 cores)
def test_no_raw_pii_in_logs_or_console_output(pii_run) -> None:  # type: ignore[no-untyped-def]
    _, _, values, result = pii_run
    assert "DEBUG" in result.stderr or "INFO" in result.stderr  # -v: every log line was emitted
    found = leaks({"stderr": [result.stderr], "stdout": [result.stdout]}, values)
    assert not found, "\n".join(found)


def test_no_raw_pii_in_error_messages(tmp_path: Path) -> None:
    """No header row: the first record becomes the column names, which an unknown-column
    error lists."""
    src = tmp_path / "headerless.csv"
    src.write_text("jane.roe@example.com,+44 20 7946 0958,Great service\nx@y.org,+33 1 23 45 67 89,Slow\n",
                   encoding="utf-8")
    result = CliRunner().invoke(app, ["analyze", str(src), "--out", str(tmp_path / "o"), "--text-col", "comment"])
    assert result.exit_code == 2, result.output
    assert not leaks({"stderr": [result.stderr]}, {"jane.roe@example.com": "email", "+44 20 7946 0958": "phone"})
    assert "[EMAIL]" in result.stderr


def test_no_raw_pii_in_a_json_error(tmp_path: Path) -> None:
    src = tmp_path / "one.json"
    src.write_text('{"jane.roe@example.com": "Great service"}', encoding="utf-8")
    result = CliRunner().invoke(app, ["analyze", str(src), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "not an array" in result.stderr
    assert "jane.roe@example.com" not in result.stderr


@pytest.mark.parametrize("text,expected", [
    ("call me,07700 900123", "call me,[PHONE]"),
    ("ok,+44 20 7946 0958 thanks", "ok,[PHONE] thanks"),
    ("card,4111111111111111", "card,[CARD]"),
    ("Mobile,5550104477", "Mobile,[PHONE]"),
    ("paid 1,299.99 for 3,4111111111111111", "paid 1,299.99 for 3,4111111111111111"),  # numbers stay numbers
    ("1,234,567 units, 2,5550104477", "1,234,567 units, 2,5550104477"),
])
def test_card_or_phone_right_after_a_comma_was_not_redacted(text: str, expected: str) -> None:
    """Found by the artifact grep (a comma-separated reject record): a comma after a digit
    is a thousands separator, but after a letter it is punctuation before a new value."""
    from voc.pii import redact

    assert redact(text) == expected
