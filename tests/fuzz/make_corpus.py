"""A deterministic corpus of bad feedback files, and what ingestion must do with each.

``make_corpus(directory, seed)`` writes a few hundred files into ``directory`` (a temp
dir: the corpus is generated at test time, never committed) and returns one
:class:`Case` per file. Each case records what the generator knows, so the oracle in
``test_fuzz.py`` can check more than "it did not crash":

* ``rows``: how many records the generator wrote (blank lines are not records), which
  must equal ``rows_read`` -- a row silently dropped shows up here;
* ``rejects``: line -> substring of the reason, for the rows that must be rejected;
* ``texts``: the exact texts that must come out, in order, when the encoding is known;
* ``error``: a substring the one-line error must contain (it must always name the file).

Families follow the issue's list: encodings, BOMs, NUL bytes, ragged rows, quoted
newlines, unclosed quotes, long texts, empty/emoji texts, markup, right-to-left and
non-Latin scripts, duplicate ids, bad scores, mixed dates, empty/header-only files,
Excel workbooks, Parquet with unexpected types, broken JSON Lines and JSON.

Run ``python -m tests.fuzz.make_corpus DIR`` to write the corpus somewhere and look at it.
"""

from __future__ import annotations

import codecs
import gzip
import json
import random
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voc.io.mapping import ColumnMapping, ScoreSpec

DEFAULT_SEED = 20240510


@dataclass
class Case:
    name: str
    family: str
    path: Path
    mapping: ColumnMapping | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)  # read_feedback keyword arguments
    expect: str = "ok"  # ok | error | any (either a clear error or a consistent read)
    rows: int | None = None  # records written = rows_read
    rejects: dict[int, str] | None = None  # exactly these lines rejected, reason containing the value
    texts: list[str] | None = None  # exact accepted texts, in order
    lines: list[int] | None = None  # exact lines of the accepted rows, in order
    error: str | None = None  # substring of the error message (besides the file name)
    cli: bool = False  # one of the end-to-end sample run through `voc analyze`
    names_file: bool = True  # the error must name the file (not for bad arguments such as an encoding name)
    truncated: int | None = None  # texts over clean.max_chars, as run.json must count them

    @property
    def id(self) -> str:
        return f"{self.family}-{self.name}"


# ------------------------------------------------------------------------------ texts
WESTERN = [
    "The delivery was late and the box arrived damaged.",
    "Great support, the agent solved my problem in five minutes!",
    "Café trop cher, mais le personnel était très aimable.",
    "Die Lieferung kam zu spät, aber der Kundendienst war freundlich.",
    "El envío tardó dos semanas; la próxima vez compraré en otra tienda.",
    "Prices went up 20% – not happy about that «surprise».",
    "Refund took three weeks… I'd rather not order again.",
    "Naïve question: why can't I change my address after checkout?",
    "Ótimo atendimento, mas o aplicativo trava no pagamento.",
    "Smørbrød was cold; service in Århus was slow.",
]
NON_LATIN = [
    "التطبيق يتعطل عند الدفع، أرجو الإصلاح",
    "השירות היה מצוין אבל המשלוח איחר בשבוע",
    "配送が遅れて、箱が壊れていました。",
    "客服态度很好，但是退款太慢了。",
    "배송이 너무 늦었어요. 다시는 주문하지 않을 거예요.",
    "डिलीवरी समय पर नहीं हुई और पैकेट खराब था",
    "การจัดส่งล่าช้ามาก แต่พนักงานสุภาพ",
    "Доставка опоздала на неделю, но поддержка помогла.",
    "Η εξυπηρέτηση ήταν άψογη, ευχαριστώ!",
    "Mixed: the app هو سيء and 配送 was slow 😡",
]
EMOJI = ["😀", "👍👍👍", "😡😡", "👩‍👩‍👧‍👦", "🇫🇷🇩🇪", "👍🏽", "❤️", "🤷‍♂️ meh", "⭐⭐⭐⭐⭐", "🙏"]
MARKUP = [
    "<p>Great&nbsp;dress!</p><p>Zip broke&hellip;</p>",
    "<script>alert('x')</script>The checkout page froze.",
    "**Bold** claim: _nothing_ works. [link](javascript:void)",
    "<div class=\"msg\"><b>Refund</b> still pending<br/>since May</div>",
    "Broken tag <div the app closes <<< >>> &amp;&lt;&gt;",
    "<![CDATA[ raw ]]> <!-- hidden comment --> visible text",
    "=HYPERLINK(\"http://evil.example\",\"click\") is what the form shows",
    "+SUM(1,2) and @cmd and -2+3 look like formulas",
]
BIDI = ["\u202eReversed text here\u202c and normal", "\u200fRLM mark then text", "e\u0301\u0301 combining accents",
        "Zero\u200bwidth\u200bspaces", "Tab\tinside and\u00a0no-break space"]


def _choice(rng: random.Random, pool: Sequence[str], n: int) -> list[str]:
    return [rng.choice(pool) for _ in range(n)]


# ------------------------------------------------------------------------------ CSV writing
def _needs_quote(value: str, delim: str) -> bool:
    return any(c in value for c in (delim, '"', "\n", "\r")) or value != value.strip(" ")


def _quote(value: str, delim: str, force: bool = False) -> str:
    if force or _needs_quote(value, delim):
        return '"' + value.replace('"', '""') + '"'
    return value


def _breaks(s: str) -> int:
    return s.count("\r\n") + s.replace("\r\n", "").count("\r") + s.replace("\r\n", "").count("\n")


@dataclass
class CsvDoc:
    """Records written so far, with the physical line each starts on (header = line 1)."""

    delim: str = ","
    eol: str = "\n"
    parts: list[str] = field(default_factory=list)
    line: int = 1
    starts: list[int] = field(default_factory=list)

    def header(self, names: Sequence[str]) -> CsvDoc:
        self.parts.append(self.delim.join(_quote(n, self.delim) for n in names) + self.eol)
        self.line = 2
        return self

    def raw(self, text: str, record: bool = True) -> int:
        """Append raw text (one record unless ``record`` is false); its start line."""
        start = self.line
        if record:
            self.starts.append(start)
        self.parts.append(text)
        self.line += _breaks(text)
        return start

    def row(self, fields: Sequence[str], force_quote: bool = False) -> int:
        return self.raw(self.delim.join(_quote(f, self.delim, force_quote) for f in fields) + self.eol)

    def blank(self) -> None:
        self.raw(self.eol, record=False)

    def text(self) -> str:
        return "".join(self.parts)


# ------------------------------------------------------------------------------ the corpus
class _Builder:
    def __init__(self, directory: Path, seed: int) -> None:
        self.dir = directory
        self.rng = random.Random(seed)
        self.cases: list[Case] = []

    def add(self, family: str, name: str, filename: str, data: bytes | str | Callable[[Path], None],
            **kw: Any) -> Case:
        sub = self.dir / family
        sub.mkdir(parents=True, exist_ok=True)
        path = sub / filename
        if callable(data):
            data(path)
        elif isinstance(data, str):
            path.write_bytes(data.encode("utf-8"))
        else:
            path.write_bytes(data)
        case = Case(name=name, family=family, path=path, **kw)
        self.cases.append(case)
        return case

    # -- encodings ------------------------------------------------------------------
    def encodings(self) -> None:
        encs = [("utf-8", b""), ("utf-8-sig", b""), ("utf-16", b""), ("utf-16-le", b""), ("utf-16-be", b""),
                ("utf-32", b""), ("cp1252", b""), ("latin-1", b"")]
        delims = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
        for enc, _ in encs:
            for delim, dname in delims.items():
                for lang in ("western", "unicode"):
                    if lang == "unicode" and enc in ("cp1252", "latin-1"):
                        continue
                    pool = WESTERN if lang == "western" else WESTERN[:3] + NON_LATIN + EMOJI[:3]
                    if enc == "latin-1":
                        pool = [t.replace("–", "-").replace("…", "...") for t in pool]
                        pool = [t for t in pool if _encodable(t, "latin-1")]
                    elif enc == "cp1252":
                        pool = [t for t in pool if _encodable(t, "cp1252")]
                    texts = _choice(self.rng, pool, self.rng.randint(3, 12))
                    doc = CsvDoc(delim=delim, eol=self.rng.choice(["\n", "\r\n"])).header(["id", "text", "nps"])
                    for i, t in enumerate(texts):
                        doc.row([str(i + 1), t, str(self.rng.randint(0, 10))])
                    self.add("encoding", f"{enc}-{dname}-{lang}", f"{enc}_{dname}_{lang}.csv",
                             doc.text().encode(enc), mapping=ColumnMapping(text="text", id="id"),
                             rows=len(texts), rejects={}, texts=texts, lines=doc.starts,
                             cli=(enc, dname, lang) in {("cp1252", "semicolon", "western"),
                                                        ("utf-16-le", "tab", "unicode")})

    def mixed_encodings(self) -> None:
        good = [f"{i},Très bon café numéro {i}\n" for i in range(40)]
        body = b"id,text\n" + "".join(good[:20]).encode() + b"98,caf\xe9 cr\xe8me\n" + "".join(good[20:]).encode()
        self.add("mixed", "utf8-with-stray-cp1252", "stray.csv", body, mapping=ColumnMapping(id="id"), rows=41,
                 rejects={})
        half = b"id,text\n" + b"".join((f"{i},Déjà vu {i}\n".encode("utf-8") if i % 2 else
                                        f"{i},Déjà vu {i}\n".encode("cp1252")) for i in range(30))
        self.add("mixed", "half-utf8-half-cp1252", "half.csv", half, mapping=ColumnMapping(id="id"), rows=30,
                 rejects={})
        one = b"id,text\n" + "".join(f"{i},Noël à Paris {i}\n" for i in range(30)).encode("cp1252") + \
            "30,Noël en UTF-8\n".encode()
        self.add("mixed", "cp1252-with-one-utf8-line", "one.csv", one, mapping=ColumnMapping(id="id"), rows=31,
                 rejects={})
        c1 = b"id,text\n1,control \x81\x8d\x8f\x90\x9d bytes\n2,caf\xe9\n"
        self.add("mixed", "c1-controls-latin1", "c1.csv", c1, mapping=ColumnMapping(id="id"), rows=2, rejects={})
        odd = "id,text\n1,odd length utf-16\n2,last\n".encode("utf-16")[:-1]
        self.add("mixed", "utf16-odd-length", "odd16.csv", odd, mapping=ColumnMapping(id="id"), expect="any")
        bomcp = codecs.BOM_UTF8 + "id,text\n1,fine\n2,Noël\n".encode("cp1252")
        self.add("mixed", "utf8-bom-cp1252-body", "bomcp.csv", bomcp, mapping=ColumnMapping(id="id"), expect="any",
                 rows=2)
        for enc, texts in (("cp1251", ["Доставка опоздала", "Поддержка помогла быстро"]),
                           ("koi8-r", ["Спасибо за быструю доставку", "Плохое качество товара"]),
                           ("shift_jis", ["配送が遅れました", "箱が壊れていました"]),
                           ("gb18030", ["客服态度很好", "退款太慢了"]),
                           ("euc-kr", ["배송이 늦었어요", "다시 주문 안 해요"])):
            body = ("id,text\n" + "".join(f"{i},{t}\n" for i, t in enumerate(texts * 4))).encode(enc)
            self.add("mixed", f"legacy-{enc}", f"{enc}.csv", body, mapping=ColumnMapping(id="id"), rows=8,
                     rejects={})
        forced = "id,text\n1,Noël\n".encode("cp1252")
        self.add("mixed", "forced-wrong-encoding", "forced.csv", forced, mapping=ColumnMapping(id="id"),
                 kwargs={"encoding": "utf-8"}, expect="error", error="on line 2, byte 5")
        self.add("mixed", "unknown-encoding-name", "unk.csv", "id,text\n1,x y\n", mapping=ColumnMapping(id="id"),
                 kwargs={"encoding": "klingon-8"}, expect="error", error="klingon", names_file=False)

    def boms(self) -> None:
        bom = "\ufeff"
        self.add("bom", "utf8-bom-id-header", "bom.csv", bom + "id,text\n1,Très bien\n2,ok then\n",
                 mapping=ColumnMapping(id="id"), rows=2, rejects={}, texts=["Très bien", "ok then"])
        self.add("bom", "bom-then-blank-lines", "bomblank.csv", bom + "\n\nid,text\n1,after blanks\n",
                 mapping=ColumnMapping(id="id"), rows=1, rejects={}, texts=["after blanks"])
        self.add("bom", "double-bom", "double.csv", bom + bom + "id,text\n1,two boms\n",
                 mapping=ColumnMapping(id="id"), rows=1, rejects={}, texts=["two boms"])
        self.add("bom", "bom-inside-field", "inside.csv", "id,text\n1,zero\ufeffwidth no-break\n",
                 mapping=ColumnMapping(id="id"), rows=1, rejects={}, texts=["zero\ufeffwidth no-break"])
        self.add("bom", "bom-jsonl", "bom.jsonl", bom + '{"id": 1, "text": "json with bom"}\n',
                 mapping=ColumnMapping(id="id"), rows=1, rejects={}, texts=["json with bom"])
        self.add("bom", "bom-json-array", "bom.json", bom + '[{"id": 1, "text": "array with bom"}]',
                 mapping=ColumnMapping(id="id"), rows=1, rejects={}, texts=["array with bom"])
        self.add("bom", "bom-per-line-concatenated-jsonl", "concat.jsonl",
                 bom + '{"id": 1, "text": "first file"}\n' + bom + '{"id": 2, "text": "second file"}\n',
                 mapping=ColumnMapping(id="id"), rows=2, rejects={}, texts=["first file", "second file"])
        self.add("bom", "utf16-bom-tsv", "u16.tsv", "id\ttext\n1\tÇa marche\n".encode("utf-16"),
                 mapping=ColumnMapping(id="id"), rows=1, rejects={}, texts=["Ça marche"])

    # -- NUL bytes ------------------------------------------------------------------
    def nul_bytes(self) -> None:
        for k in range(4):
            texts = _choice(self.rng, WESTERN, 8)
            doc = CsvDoc().header(["id", "text"])
            for i, t in enumerate(texts):
                doc.row([str(i), t])
            chars = list(doc.text())  # NULs between characters, not inside a UTF-8 sequence
            header_end = chars.index("\n") + 1
            for _ in range(self.rng.randint(1, 20)):
                chars.insert(self.rng.randrange(header_end, len(chars)), "\0")
            self.add("nul", f"random-{k}", f"nul{k}.csv", "".join(chars), mapping=ColumnMapping(id="id"), rows=8,
                     rejects={}, texts=texts, cli=k == 0)
        self.add("nul", "in-header", "hdr.csv", b"i\x00d,te\x00xt\n1,hello\n", mapping=ColumnMapping(id="id"),
                 rows=1, rejects={}, texts=["hello"])
        self.add("nul", "in-quoted-field", "quoted.csv", b'id,text\n1,"multi\x00\nline"\n2,next\n',
                 mapping=ColumnMapping(id="id"), rows=2, rejects={}, texts=["multi\nline", "next"], lines=[2, 4])
        self.add("nul", "only-nuls", "only.csv", b"\x00" * 500, expect="error", error="no header")
        self.add("nul", "nul-padded-tail", "tail.csv", b"id,text\n1,crashed writer\n" + b"\x00" * 4096,
                 mapping=ColumnMapping(id="id"), rows=1, rejects={}, texts=["crashed writer"])
        self.add("nul", "jsonl", "nul.jsonl", b'{"id": 1, "text": "a\x00b"}\n\x00\n{"id": 2, "text": "c"}\n',
                 mapping=ColumnMapping(id="id"), rows=2, rejects={}, texts=["ab", "c"])
        self.add("nul", "json", "nul.json", b'[{"id": 1, "text": "x\x00y"}]', mapping=ColumnMapping(id="id"),
                 rows=1, rejects={}, texts=["xy"])

    # -- CSV structure --------------------------------------------------------------
    def ragged(self) -> None:
        for k in range(14):
            delim = self.rng.choice([",", ";", "\t"])
            doc = CsvDoc(delim=delim, eol=self.rng.choice(["\n", "\r\n"])).header(["id", "text", "nps"])
            rejects: dict[int, str] = {}
            texts: list[str] = []
            n = self.rng.randint(5, 30)
            for i in range(n):
                t = self.rng.choice(WESTERN).replace(delim, " ")
                r = self.rng.random()
                if r < 0.15:
                    extra = [f"x{j}" for j in range(self.rng.randint(1, 3))]
                    line = doc.row([str(i), t, "5", *extra])
                    rejects[line] = f"expected 3 fields, found {3 + len(extra)}"
                elif r < 0.25:
                    line = doc.row([str(i), t])
                    rejects[line] = "expected 3 fields, found 2"
                elif r < 0.3:
                    doc.blank()
                    continue
                else:
                    doc.row([str(i), t, str(self.rng.randint(0, 10))])
                    texts.append(t)
            body = doc.text()
            if k % 3 == 0:
                body = body.rstrip("\r\n")  # last record without a line end
            self.add("ragged", f"seeded-{k}", f"ragged{k}.csv", body, mapping=ColumnMapping(id="id"),
                     rows=len(doc.starts), rejects=rejects, texts=texts)
        self.add("ragged", "trailing-delimiters", "trail.csv", "id,text\n1,padded by excel,,\n2,fine\n",
                 mapping=ColumnMapping(id="id"), rows=2, rejects={2: "expected 2 fields, found 4"})
        self.add("ragged", "header-longer-than-rows", "hdrlong.csv", "id,text,nps,extra\n1,short\n2,short too\n",
                 mapping=ColumnMapping(id="id"), rows=2, rejects={2: "found 2", 3: "found 2"})
        self.add("ragged", "single-column-no-delimiter", "one.csv", "comment\nloved it\nhated it, honestly\n",
                 expect="any")
        self.add("ragged", "wide-500-columns", "wide.csv",
                 ",".join(["text", *(f"c{i}" for i in range(499))]) + "\n" +
                 ",".join(["wide row text", *("1" for _ in range(499))]) + "\n", rows=1, rejects={},
                 texts=["wide row text"])
        self.add("ragged", "duplicate-header-names", "duphdr.csv", "text,text,,\nfirst,second,a,b\n", rows=1,
                 rejects={}, texts=["first"])
        self.add("ragged", "cr-only-line-ends", "cr.csv", "id,text\r1,old mac\r2,second\r",
                 mapping=ColumnMapping(id="id"), rows=2, rejects={}, texts=["old mac", "second"], lines=[2, 3])
        self.add("ragged", "mixed-line-ends", "mixed.csv", "id,text\n1,unix\r\n2,windows\r3,mac\n",
                 mapping=ColumnMapping(id="id"), rows=3, rejects={}, texts=["unix", "windows", "mac"],
                 lines=[2, 3, 4])

    def quoted_newlines(self) -> None:
        for k in range(12):
            doc = CsvDoc(delim=self.rng.choice([",", ";"]), eol=self.rng.choice(["\n", "\r\n"]))
            doc.header(["id", "text"])
            texts = []
            for i in range(self.rng.randint(3, 15)):
                parts = _choice(self.rng, WESTERN + NON_LATIN[:4], self.rng.randint(1, 4))
                sep = self.rng.choice(["\n", "\r\n", "\n\n", ' "quoted" ', f" {doc.delim} "])
                t = sep.join(parts)
                doc.row([str(i), t], force_quote=self.rng.random() < 0.3)
                texts.append(t)
                if self.rng.random() < 0.15:
                    doc.blank()
            self.add("quoted", f"seeded-{k}", f"q{k}.csv", doc.text(), mapping=ColumnMapping(id="id"),
                     rows=len(texts), rejects={}, texts=texts, lines=doc.starts)
        self.add("quoted", "quote-mid-field", "mid.csv", 'id,text\n1,he said "hi" there\n2,5" screen\n',
                 mapping=ColumnMapping(id="id"), rows=2, rejects={}, texts=['he said "hi" there', '5" screen'])
        self.add("quoted", "text-after-closing-quote", "after.csv", 'id,text\n1,"quoted"trailing\n2,ok\n',
                 mapping=ColumnMapping(id="id"), rows=2, rejects={})
        self.add("quoted", "escaped-quotes-only", "esc.csv", 'id,text\n1,""""""\n2,"a ""b"" c"\n',
                 mapping=ColumnMapping(id="id"), rows=2, rejects={}, texts=['""', 'a "b" c'])

    def unclosed_quotes(self) -> None:
        # an unclosed quote on the last line swallows nothing: the row is kept with its text
        self.add("unclosed", "last-record", "last.csv", 'id,text\n1,fine\n2,"never closed\n',
                 mapping=ColumnMapping(id="id"), rows=2, rejects={}, texts=["fine", "never closed\n"])
        self.add("unclosed", "last-record-two-lines", "last2.csv", 'id,text\n1,fine\n2,"never\nclosed\n',
                 mapping=ColumnMapping(id="id"), rows=2, rejects={3: "unclosed quote"}, texts=["fine"])
        for k, n_before in enumerate((0, 3, 10)):
            body = "id,text\n" + "".join(f"{i},row {i} is fine\n" for i in range(n_before))
            body += f'{n_before},"opens a quote\n' + "".join(f"{i},swallowed {i}\n" for i in range(5))
            self.add("unclosed", f"middle-after-{n_before}", f"mid{k}.csv", body, mapping=ColumnMapping(id="id"),
                     rows=n_before + 1, rejects={n_before + 2: "unclosed quote"}, cli=k == 1)
        self.add("unclosed", "in-header", "hdr.csv", 'id,"text\n1,hello\n2,world\n', expect="error",
                 error="header on line 1")
        self.add("unclosed", "lone-quote-line", "lone.csv", 'id,text\n1,ok\n"\n2,after\n',
                 mapping=ColumnMapping(id="id"), rows=2, rejects={3: "unclosed quote"})

    # -- texts ------------------------------------------------------------------------
    def long_texts(self) -> None:
        for k, size in enumerate((100_000, 250_000, 1_000_000)):
            t = " ".join(_choice(self.rng, WESTERN, size // 40))[:size]
            self.add("long", f"csv-{size}", f"long{k}.csv", "id,text\n1,short one\n2," + _quote(t, ",") + "\n",
                     mapping=ColumnMapping(id="id"), rows=2, rejects={}, texts=["short one", t])
        t = "\n".join(_choice(self.rng, WESTERN + NON_LATIN, 3000))
        self.add("long", "csv-multiline-150k", "longml.csv", "id,text\n1," + _quote(t, ",") + "\n2,after\n",
                 mapping=ColumnMapping(id="id"), rows=2, rejects={}, texts=[t, "after"], lines=[2, 2 + t.count("\n") + 1])
        t = "x" * 120_000
        self.add("long", "jsonl-120k-one-word", "long.jsonl", json.dumps({"id": 1, "text": t}) + "\n",
                 mapping=ColumnMapping(id="id"), rows=1, rejects={}, texts=[t])
        t2 = "é" * 200_000

        def parquet(path: Path) -> None:
            import pyarrow as pa
            import pyarrow.parquet as pq

            pq.write_table(pa.table({"id": [1, 2], "text": [t2, "short"]}), path)

        self.add("long", "parquet-200k", "long.parquet", parquet, mapping=ColumnMapping(id="id"), rows=2,
                 rejects={}, texts=[t2, "short"])
        self.add("long", "unquoted-2mb-line", "line.csv", "text\n" + "word " * 400_000 + "\n", rows=1, rejects={})

    def empty_and_emoji(self) -> None:
        cells = [("empty", "", "empty text"), ("spaces", "   ", "empty text"), ("tabs", "\t\t", "empty text"),
                 ("nbsp", "\u00a0\u00a0", "empty text"), ("newlines", "\n\n", "empty text")]
        for name, value, reason in cells:
            doc = CsvDoc().header(["id", "text"])
            doc.row(["1", "a real comment"])
            line = doc.row(["2", value])
            self.add("emptytext", name, f"{name}.csv", doc.text(), mapping=ColumnMapping(id="id"), rows=2,
                     rejects={line: reason}, texts=["a real comment"])
        for k, e in enumerate(EMOJI):
            self.add("emoji", f"only-{k}", f"emoji{k}.csv", f"id,text\n1,{e}\n2,{e}{e}\n",
                     mapping=ColumnMapping(id="id"), rows=2, rejects={}, texts=[e, e + e])
        self.add("emptytext", "zero-width-only", "zw.csv", "id,text\n1,\u200b\u200b\n2,real text here\n",
                 mapping=ColumnMapping(id="id"), rows=2, expect="ok")
        self.add("emptytext", "all-empty", "allempty.csv", "id,text\n1,\n2,  \n3,\n",
                 mapping=ColumnMapping(id="id"), rows=3, rejects={2: "empty text", 3: "empty text", 4: "empty text"})
        self.add("emptytext", "jsonl-null-and-missing", "nulls.jsonl",
                 '{"id": 1, "text": null}\n{"id": 2}\n{"id": 3, "text": ""}\n{"id": 4, "text": "kept"}\n',
                 mapping=ColumnMapping(id="id"), rows=4, rejects={1: "empty text", 2: "empty text", 3: "empty text"},
                 texts=["kept"])

    def markup_and_scripts(self) -> None:
        for k, t in enumerate(MARKUP):
            self.add("markup", f"html-{k}", f"m{k}.csv", "id,text\n1," + _quote(t, ",") + "\n",
                     mapping=ColumnMapping(id="id"), rows=1, rejects={}, texts=[t])
        for k, t in enumerate(NON_LATIN):
            fmt = ("csv", "jsonl")[k % 2]
            body = ("id,text\n1," + _quote(t, ",") + "\n") if fmt == "csv" else json.dumps({"id": 1, "text": t},
                                                                                           ensure_ascii=k % 4 == 1)
            self.add("scripts", f"non-latin-{k}-{fmt}", f"s{k}.{fmt}", body, mapping=ColumnMapping(id="id"), rows=1,
                     rejects={}, texts=[t])
        for k, t in enumerate(BIDI):
            self.add("scripts", f"bidi-{k}", f"b{k}.csv", "id,text\n1," + _quote(t, ",") + "\n",
                     mapping=ColumnMapping(id="id"), rows=1, rejects={}, texts=[t])

    # -- values -----------------------------------------------------------------------
    def duplicate_ids(self) -> None:
        for k in range(8):
            doc = CsvDoc().header(["id", "text"])
            seen: dict[str, int] = {}
            rejects: dict[int, str] = {}
            pool = [str(self.rng.randint(1, 12)) for _ in range(self.rng.randint(5, 25))]
            for i, ident in enumerate(pool):
                shown = ident if self.rng.random() < 0.7 else f" {ident} "
                line = doc.row([shown, f"comment number {i}"])
                if ident in seen:
                    rejects[line] = f"duplicate id '{ident}' (first seen on line {seen[ident]})"
                else:
                    seen[ident] = line
            self.add("dupid", f"seeded-{k}", f"dup{k}.csv", doc.text(), mapping=ColumnMapping(id="id"),
                     rows=len(pool), rejects=rejects)
        self.add("dupid", "first-invalid-then-valid", "firstbad.csv", "id,text\n7,\n7,second is the first valid\n",
                 mapping=ColumnMapping(id="id"), rows=2, rejects={2: "empty text"},
                 texts=["second is the first valid"])
        self.add("dupid", "empty-ids", "emptyid.csv", "id,text\n,no id\n  ,blank id\n1,has id\n",
                 mapping=ColumnMapping(id="id"), rows=3, rejects={2: "empty id", 3: "empty id"})
        self.add("dupid", "jsonl-int-and-string", "mix.jsonl",
                 '{"id": 1, "text": "int"}\n{"id": "1", "text": "string"}\n{"id": 1.0, "text": "float"}\n',
                 mapping=ColumnMapping(id="id"), rows=3, rejects={2: "duplicate id", 3: "duplicate id"})

    def scores(self) -> None:
        specs = [("nps", "nps", 0, 10), ("csat", "csat", 1, 5), ("ces", "ces", 1, 7), ("stars", "stars", 1, 5)]
        bad_values = {"ten": "not numeric", "N/A": "not numeric", "inf": "not numeric", "nan": "not numeric",
                      "--": "not numeric", "7 stars": "not numeric", "1,2,3": "not numeric"}
        for kind, col, lo, hi in specs:
            for k in range(3):
                doc = CsvDoc(delim=";").header(["id", "text", col])
                rejects: dict[int, str] = {}
                for i in range(self.rng.randint(6, 20)):
                    r = self.rng.random()
                    if r < 0.2:
                        v = str(self.rng.choice([hi + 1, lo - 1, hi + 10, -5]))
                        reason = "out of range"
                    elif r < 0.35:
                        v, reason = self.rng.choice(sorted(bad_values.items()))
                    elif r < 0.45:
                        v, reason = "", ""
                    elif r < 0.55:
                        v, reason = f"{self.rng.randint(lo, hi - 1)},5", ""  # decimal comma
                    else:
                        v, reason = f" {self.rng.randint(lo, hi)} ", ""
                    line = doc.row([str(i), f"feedback {i}", v])
                    if reason:
                        rejects[line] = reason
                self.add("scores", f"{kind}-{k}", f"{kind}{k}.csv", doc.text(),
                         mapping=ColumnMapping(id="id", scores=[ScoreSpec(col, kind)]), rows=len(doc.starts),  # type: ignore[arg-type]
                         rejects=rejects)
        self.add("scores", "nps-11-csat-0", "edge.csv", "id,text,nps,csat\n1,a,11,3\n2,b,5,0\n3,c,10,5\n4,d,0,1\n",
                 mapping=ColumnMapping(id="id", scores=[ScoreSpec("nps", "nps"), ScoreSpec("csat", "csat")]), rows=4,
                 rejects={2: "nps 11 out of range 0-10", 3: "csat 0 out of range 1-5"})
        self.add("scores", "custom-range", "custom.csv", "text,sc\nok one,50\nbad one,150\nneg one,-1\n",
                 mapping=ColumnMapping(scores=[ScoreSpec("sc", "custom", 0, 100)]), rows=3,
                 rejects={3: "out of range", 4: "out of range"})
        self.add("scores", "scientific-and-signs", "sci.csv", "text,nps\na b,1e1\nc d,+3\ne f,1e2\ng h,0x5\n",
                 mapping=ColumnMapping(scores=[ScoreSpec("nps", "nps")]), rows=4,
                 rejects={4: "out of range", 5: "not numeric"})
        self.add("scores", "jsonl-bool-list-dict", "types.jsonl",
                 '{"text": "a", "nps": true}\n{"text": "b", "nps": [9]}\n{"text": "c", "nps": {"v": 9}}\n'
                 '{"text": "d", "nps": 9}\n{"text": "e", "nps": "9"}\n{"text": "f", "nps": null}\n',
                 mapping=ColumnMapping(scores=[ScoreSpec("nps", "nps")]), rows=6,
                 rejects={1: "not numeric", 2: "not numeric", 3: "not numeric"})

    def dates(self) -> None:
        valid = ["2024-03-15", "2024-03-15T10:30:00Z", "2024-03-15 10:30:00+02:00", "03/15/2024", "15/03/2024",
                 "15.03.2024", "2024/03/15", "March 15, 2024", "15 Mar 2024", "Fri, 15 Mar 2024 10:30:00 GMT",
                 "2024-03-15T10:30:00.123456", "3/5/24"]
        garbage = {"not a date": "unparseable date", "yesterday": "unparseable date", "2024-13-45": "unparseable date",
                   "31/02/2024": "unparseable date", "0024-01-01": "out of range", "99999-01-01": "date",
                   "12": "unparseable date", "N/A": "unparseable date"}
        for k in range(8):
            doc = CsvDoc().header(["id", "text", "date"])
            rejects: dict[int, str] = {}
            for i in range(self.rng.randint(5, 20)):
                if self.rng.random() < 0.3:
                    v, reason = self.rng.choice(sorted(garbage.items()))
                else:
                    v, reason = self.rng.choice(valid), ""
                line = doc.row([str(i), f"feedback {i}", v])
                if reason:
                    rejects[line] = reason
            self.add("dates", f"mixed-{k}", f"dates{k}.csv", doc.text(),
                     mapping=ColumnMapping(id="id", date="date"), rows=len(doc.starts), rejects=rejects)
        self.add("dates", "empty-dates-are-fine", "emptyd.csv", "id,text,date\n1,a,\n2,b,2024-01-01\n",
                 mapping=ColumnMapping(id="id", date="date"), rows=2, rejects={})
        self.add("dates", "epoch-numbers", "epoch.jsonl", '{"text": "a", "d": 1700000000}\n{"text": "b", "d": 1.5}\n',
                 mapping=ColumnMapping(date="d"), rows=2, expect="ok")

    # -- whole files ------------------------------------------------------------------
    def empty_files(self) -> None:
        for ext in ("csv", "tsv", "txt", "jsonl", "json", "parquet", "xlsx", "csv.gz"):
            self.add("empty", f"zero-bytes-{ext}", f"empty.{ext}", b"", expect="error", error="empty",
                     cli=ext == "csv")
        for name, body in (("header-only", "id,text\n"), ("header-no-newline", "id,text"),
                           ("header-blank-lines", "id,text\n\n\n\n"), ("header-crlf", "id,text\r\n\r\n"),
                           ("whitespace-only", "   \n \t \n"), ("bom-only", "\ufeff")):
            self.add("empty", name, f"{name}.csv", body, expect="error", error="no", cli=name == "header-only")
        self.add("empty", "header-only-utf16", "h16.csv", "id,text\n".encode("utf-16"), expect="error", error="no")
        self.add("empty", "gzip-of-nothing", "nothing.csv.gz", gzip.compress(b"", mtime=0), expect="error")
        self.add("empty", "json-empty-array", "arr.json", "[]", expect="error", error="no rows")
        self.add("empty", "json-whitespace", "ws.json", "  \n ", expect="error", error="no")
        self.add("empty", "jsonl-blank-lines", "blank.jsonl", "\n\n  \n", expect="error", error="no")

        def zero_rows(path: Path) -> None:
            import pyarrow as pa
            import pyarrow.parquet as pq

            pq.write_table(pa.table({"text": pa.array([], pa.string())}), path)

        self.add("empty", "parquet-zero-rows", "zero.parquet", zero_rows, expect="error", error="no rows")

        def header_only_xlsx(path: Path) -> None:
            import openpyxl

            wb = openpyxl.Workbook()
            wb.active.append(["id", "text"])
            wb.save(path)

        def empty_xlsx(path: Path) -> None:
            import openpyxl

            openpyxl.Workbook().save(path)

        self.add("empty", "xlsx-header-only", "hdr.xlsx", header_only_xlsx, expect="error", error="no rows")
        self.add("empty", "xlsx-no-cells", "nocells.xlsx", empty_xlsx, expect="error", error="no")

    def excel(self) -> None:
        import datetime as dt

        def workbook(path: Path) -> None:
            import openpyxl

            wb = openpyxl.Workbook()
            ws = wb.active
            ws.title = "Survey"
            ws.append(["id", "text", "nps", "date"])
            ws.append([1, "Great support", 10, dt.datetime(2024, 3, 15, 10, 30)])
            ws.append([2, "Waited an hour", 12, "2024-03-16"])
            ws.append([3, 42, 7, dt.date(2024, 3, 17)])  # a number as text
            ws.append([4, "=CONCAT(\"a\",\"b\")", 5, None])  # a formula without a cached value
            ws.append([5, "Too many cells", 3, None, "extra", "more"])
            ws.append([])
            ws.append([6, "  ", 3, None])
            ws.append([1, "Duplicate id", 4, "not a date"])
            notes = wb.create_sheet("Notes")
            notes.append(["text"])
            notes.append(["from the second sheet"])
            notes.append(["and another"])
            third = wb.create_sheet("Empty")
            del third
            wb.save(path)

        m = ColumnMapping(id="id", date="date", scores=[ScoreSpec("nps", "nps")])
        multi = {3: "nps 12 out of range", 5: "empty text", 6: "expected 4 fields, found 6", 8: "empty text",
                 9: "unparseable date"}
        self.add("excel", "several-sheets-default-first", "multi.xlsx", workbook, mapping=m, rows=7, rejects=multi,
                 cli=True)
        for label, sheet in (("by-name", "Notes"), ("by-index", 1)):
            self.add("excel", f"second-sheet-{label}", f"multi_{label}.xlsx", workbook, kwargs={"sheet": sheet},
                     rows=2, rejects={}, texts=["from the second sheet", "and another"])
        self.add("excel", "empty-third-sheet", "multi_empty.xlsx", workbook, kwargs={"sheet": "Empty"},
                 expect="error", error="no")
        self.add("excel", "missing-sheet", "multi_missing.xlsx", workbook, kwargs={"sheet": "Nope"}, expect="error",
                 error="Survey", cli=True)
        self.add("excel", "sheet-index-out-of-range", "multi_idx.xlsx", workbook, kwargs={"sheet": 7},
                 expect="error", error="no sheet 7")

        def offset(path: Path) -> None:
            import openpyxl

            wb = openpyxl.Workbook()
            ws = wb.active
            ws.cell(row=4, column=2, value="text")
            ws.cell(row=4, column=3, value=2024)  # a numeric header
            ws.cell(row=5, column=2, value="table starts at B4")
            ws.cell(row=5, column=3, value=1)
            wb.save(path)

        self.add("excel", "table-not-at-a1", "offset.xlsx", offset, rows=1, expect="any")

        def unicode_sheet(path: Path) -> None:
            import openpyxl

            wb = openpyxl.Workbook()
            ws = wb.active
            ws.title = "Réponses 😀"
            ws.append(["text"])
            for t in NON_LATIN + EMOJI:
                ws.append([t])
            wb.save(path)

        self.add("excel", "unicode-sheet-and-texts", "uni.xlsx", unicode_sheet, rows=len(NON_LATIN + EMOJI),
                 rejects={}, texts=NON_LATIN + EMOJI)
        self.add("excel", "xls-legacy-is-not-zip", "legacy.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512,
                 expect="error", error=".xls")
        self.add("excel", "csv-named-xlsx", "fake.xlsx", "text\nhello\n", expect="error", error="xlsx",
                 cli=True)

    def parquet(self) -> None:
        import decimal

        import pyarrow as pa

        def table(path: Path, cols: dict[str, Any], names: list[str] | None = None) -> None:
            import pyarrow.parquet as pq

            arrays = [v if isinstance(v, pa.Array) else pa.array(v) for v in cols.values()]
            pq.write_table(pa.Table.from_arrays(arrays, names=names or list(cols)), path)

        def add(name: str, cols: dict[str, Any], mapping: ColumnMapping | None = None, names: list[str] | None = None,
                **kw: Any) -> None:
            self.add("parquet", name, f"{name}.parquet", lambda p: table(p, cols, names), mapping=mapping, **kw)

        add("ints-as-text", {"text": pa.array([101, 202, None], pa.int64())}, rows=3, rejects={3: "empty text"},
            texts=["101", "202"])
        add("floats-as-text", {"text": [1.5, float("nan"), 3.0]}, rows=3, rejects={2: "empty text"},
            texts=["1.5", "3"])
        add("nested-list-text", {"text": pa.array([["a", "b"], None, ["c"]])}, rows=3,
            rejects={1: "list or object", 2: "empty text", 3: "list or object"})
        add("struct-text", {"text": pa.array([{"a": 1}, {"a": 2}]), "id": [1, 2]},
            mapping=ColumnMapping(id="id"), rows=2, rejects={1: "list or object", 2: "list or object"})
        add("all-null-text", {"text": pa.array([None, None], pa.string())}, rows=2,
            rejects={1: "empty text", 2: "empty text"})
        add("null-type-text", {"text": pa.array([None, None, None], pa.null())}, rows=3,
            rejects={1: "empty text", 2: "empty text", 3: "empty text"})
        add("all-null-score", {"text": ["a b", "c d"], "nps": pa.array([None, None], pa.float64())},
            mapping=ColumnMapping(scores=[ScoreSpec("nps", "nps")]), rows=2, rejects={})
        add("bool-score", {"text": ["a b", "c d"], "nps": [True, False]},
            mapping=ColumnMapping(scores=[ScoreSpec("nps", "nps")]), rows=2,
            rejects={1: "not numeric", 2: "not numeric"})
        add("decimal-score", {"text": ["a b", "c d"], "nps": [decimal.Decimal("9.5"), decimal.Decimal("11")]},
            mapping=ColumnMapping(scores=[ScoreSpec("nps", "nps")]), rows=2, rejects={2: "out of range"})
        add("string-score", {"text": ["a", "b", "c"], "nps": ["7", "x", "9,5"]},
            mapping=ColumnMapping(scores=[ScoreSpec("nps", "nps")]), rows=3, rejects={2: "not numeric"})
        add("binary-text", {"text": pa.array([b"caf\xc3\xa9 bytes", b"\xff\xfe broken"])}, rows=2, rejects={},
            texts=["café bytes", "\ufffd\ufffd broken"])
        add("dictionary-text", {"text": pa.array(["x y", "z w", "x y"]).dictionary_encode()}, rows=3, rejects={},
            texts=["x y", "z w", "x y"])
        add("large-string", {"text": pa.array(["big", "strings"], pa.large_string())}, rows=2, rejects={},
            texts=["big", "strings"])
        add("map-channel", {"text": ["a b", "c d"],
                            "ch": pa.array([[("k", "v")], None], pa.map_(pa.string(), pa.string()))},
            mapping=ColumnMapping(channel="ch"), rows=2, rejects={})
        add("date32", {"text": ["a", "b"], "d": pa.array([19000, None], pa.date32())},
            mapping=ColumnMapping(date="d"), rows=2, rejects={})
        add("duration-as-date", {"text": ["a", "b"], "d": pa.array([1, 2], pa.duration("s"))},
            mapping=ColumnMapping(date="d"), rows=2, rejects={1: "date", 2: "date"})
        add("timestamp-tz", {"text": ["a", "b"], "d": pa.array([0, 1_700_000_000_000_000], pa.timestamp("us", "Asia/Tokyo"))},
            mapping=ColumnMapping(date="d"), rows=2, rejects={})
        add("timestamp-out-of-ns-range", {"text": ["a", "b"], "d": pa.array([9 * 10**18, 2], pa.timestamp("us"))},
            mapping=ColumnMapping(date="d"), rows=2, rejects={1: "out of range"})
        add("float-id-with-nan", {"text": ["a", "b", "c"], "id": [1.5, float("nan"), 1.5]},
            mapping=ColumnMapping(id="id"), rows=3, rejects={2: "empty id", 3: "duplicate id"})
        add("huge-int-id", {"text": ["a", "b"], "id": pa.array([2**63 - 1, -(2**63)], pa.int64())},
            mapping=ColumnMapping(id="id"), rows=2, rejects={})
        add("duplicate-column-names", {"a": ["first text", "second"], "b": ["shadow", "shadow 2"]},
            names=["text", "text"], rows=2, rejects={}, texts=["first text", "second"])
        add("no-string-columns", {"x": [1, 2], "y": [3.0, 4.0]}, expect="error", error="text column")
        add("kitchen-sink", {"id": pa.array([1, 2, 3, 4, 5], pa.int32()),
                             "text": pa.array(["Nice app", None, "Crashes on login", "Crashes on login", "Late"]),
                             "nps": pa.array(["9", "7", "eleven", "3", None]),
                             "tags": pa.array([["a"], [], None, ["b", "c"], ["d"]]),
                             "meta": pa.array([{"k": 1}, {"k": 2}, None, {"k": 3}, {"k": 4}]),
                             "blank": pa.array([None] * 5, pa.null())},
            mapping=ColumnMapping(id="id", scores=[ScoreSpec("nps", "nps")], segments=["tags"]), rows=5,
            rejects={2: "empty text", 3: "not numeric"}, cli=True)
        self.add("parquet", "text-file-named-parquet", "fake.parquet", "text\nhello\n", expect="error",
                 error="Parquet", cli=True)
        self.add("parquet", "truncated", "trunc.parquet", lambda p: (table(p, {"text": ["a b"] * 100}),
                                                                     p.write_bytes(p.read_bytes()[:-40])),
                 expect="error", error="Parquet")

    def json_files(self) -> None:
        lines = ['{"id": "a", "text": "good", "nps": 9}',
                 '{"id": "b", "text": "truncated',
                 '{"id": "c", "text": "trailing comma",}',
                 "{'id': 'd', 'text': 'single quotes'}",
                 "// a comment line",
                 '[1, 2]',
                 '42',
                 'null',
                 '"just a string"',
                 '{"id": "e", "text": {"nested": "object"}}',
                 '{"id": "f", "text": "fine", "extra": {"k": [1, 2]}}',
                 '}',
                 '{"id": "g", "text": "two objects"} {"id": "h", "text": "on one line"}']
        reasons = {2: "malformed JSON", 3: "malformed JSON", 4: "malformed JSON", 5: "malformed JSON",
                   6: "found list", 7: "found int", 8: "found NoneType", 9: "found str", 10: "list or object",
                   12: "malformed JSON", 13: "malformed JSON"}
        for k in range(6):
            order = list(range(len(lines)))
            self.rng.shuffle(order)
            body = "\r\n".join(lines[i] for i in order) if k % 2 else "\n".join(lines[i] for i in order) + "\n"
            rejects = {pos + 1: reasons[i + 1] for pos, i in enumerate(order) if i + 1 in reasons}
            self.add("jsonl", f"broken-shuffled-{k}", f"broken{k}.jsonl", body,
                     mapping=ColumnMapping(id="id", scores=[ScoreSpec("nps", "nps")]), rows=len(lines),
                     rejects=rejects, cli=k == 0)
        self.add("jsonl", "lone-surrogate-escapes", "surrogate.jsonl",
                 '{"id": 1, "text": "bad \\ud83d half emoji"}\n{"id": 2, "text": "good \\ud83d\\ude00 pair"}\n'
                 '{"id": 3, "text": "low \\udc00 alone", "\\ud800key": "x"}\n',
                 mapping=ColumnMapping(id="id"), rows=3, rejects={},
                 texts=["bad \ufffd half emoji", "good 😀 pair", "low \ufffd alone"], cli=True)
        self.add("jsonl", "only-broken-lines", "allbad.jsonl", '{"text": \n[1]\nnope\n',
                 mapping=ColumnMapping(id="id"), rows=3, rejects={1: "malformed", 2: "found list", 3: "malformed"})
        self.add("jsonl", "text-key-missing-everywhere", "nokey.jsonl", '{"body2": "x y z"}\n{"other": "a b c"}\n',
                 mapping=ColumnMapping(text="comment"), expect="error", error="comment")
        self.add("jsonl", "keys-differ-per-line", "keys.jsonl",
                 '{"text": "a b"}\n{"text": "c d", "nps": 5}\n{"nps": 7, "text": "e f", "new": 1}\n',
                 mapping=ColumnMapping(scores=[ScoreSpec("nps", "nps")]), rows=3, rejects={})
        self.add("json", "array-with-non-objects", "mixed.json",
                 json.dumps([{"id": 1, "text": "one"}, "oops", [1], None, {"id": 2, "text": "two"}], indent=2),
                 mapping=ColumnMapping(id="id"), rows=5, rejects={6: "found str", 7: "found list", 10: "NoneType"},
                 texts=["one", "two"])
        self.add("json", "invalid-syntax", "bad.json", '[\n{"text": "a"},\n{"text": }\n]', expect="error",
                 error="line 3, column", cli=True)
        self.add("json", "missing-closing-bracket", "open.json", '[{"text": "a"}, {"text": "b"}', expect="error",
                 error="line 1")
        self.add("json", "single-object", "one.json", '{"text": "a", "id": 1}', expect="error",
                 error="not an array")
        self.add("json", "top-level-string", "str.json", '"hello"', expect="error", error="array")
        self.add("json", "records-under-a-key", "wrapped.json", '{"data": [{"text": "a"}]}', expect="error",
                 error="array")
        self.add("json", "jsonl-named-json", "lines.json", '{"text": "a"}\n{"text": "b"}\n', rows=2, rejects={},
                 texts=["a", "b"])
        self.add("json", "deeply-nested", "deep.json", "[" + "[" * 5000 + "]" * 5000 + "]", expect="any")
        self.add("json", "huge-number", "num.json", '[\n{"text": "a", "nps": 1e999},\n{"text": "b", "nps": 12345678901234567890}\n]',
                 mapping=ColumnMapping(scores=[ScoreSpec("nps", "nps")]), rows=2, rejects={2: "not numeric", 3: "out of range"})

    def misc(self) -> None:
        self.add("misc", "random-binary", "junk.csv", bytes(self.rng.randrange(256) for _ in range(4000)),
                 expect="any")
        self.add("misc", "png-named-csv", "img.csv", b"\x89PNG\r\n\x1a\n" + bytes(self.rng.randrange(256)
                                                                                 for _ in range(800)), expect="any")
        good = gzip.compress(("id,text\n" + "".join(f"{i},zipped {i}\n" for i in range(50))).encode(), mtime=0)
        self.add("misc", "gzip-ok", "ok.csv.gz", good, mapping=ColumnMapping(id="id"), rows=50, rejects={})
        self.add("misc", "gzip-truncated", "trunc.csv.gz", good[: len(good) // 2], expect="error", error="cannot read")
        self.add("misc", "gzip-magic-without-gz-name", "sneaky.csv", good, mapping=ColumnMapping(id="id"), rows=50,
                 rejects={})
        self.add("misc", "unknown-extension", "data.dat", "text\nx y\n", expect="error", error="format",
                 cli=True)
        self.add("misc", "format-forced", "data2.dat", "text\nx y\n", kwargs={"format": "csv"}, rows=1, rejects={},
                 texts=["x y"])
        self.add("misc", "unknown-text-column", "cols.csv", "id,comment_body,score\n1,hi,5\n",
                 mapping=ColumnMapping(text="body"), expect="error", error="comment_body", cli=True)
        self.add("misc", "unknown-score-column", "cols2.csv", "id,text\n1,hi\n",
                 mapping=ColumnMapping(scores=[ScoreSpec("nps", "nps")]), expect="error", error="'nps' not found")
        # rich console markup in a value the one-line error echoes ("[/red]" is a closing tag)
        self.add("misc", "markup-in-column-names", "markup.csv", "[/red],[bold]x\nhello there,1\n",
                 mapping=ColumnMapping(text="body"), expect="error", error="[/red]", cli=True)
        self.add("misc", "no-prose-column", "codes.csv", "id,code\n1,A\n2,B\n", expect="error", error="text column")
        sub = self.dir / "misc" / "a_directory.csv"
        sub.mkdir(parents=True, exist_ok=True)
        self.cases.append(Case("directory", "misc", sub, expect="error", error="directory"))
        self.cases.append(Case("missing-file", "misc", self.dir / "misc" / "does_not_exist.csv", expect="error",
                               error="not found", cli=True))
        self.add("misc", "delimiter-forced-wrong", "forced.csv", "id;text\n1;a b\n", kwargs={"delimiter": "xy"},
                 expect="error", error="one character", names_file=False)

    def kitchen_sink(self) -> None:
        """Many bad rows in one CSV, so one end-to-end run covers them (runs cost ~10 s each)."""
        long_text = " ".join(_choice(self.rng, WESTERN, 3000))[:110_000]
        doc = CsvDoc().header(["id", "text", "nps", "date"])
        rejects: dict[int, str] = {}
        texts: list[str] = []

        def ok(*fields: str) -> None:
            doc.row(list(fields))
            texts.append(fields[1])

        ok("1", "The delivery was late and the box was damaged.", "3", "2024-03-01")
        ok("2", "Great support from the agent on the phone!", "9", "03/02/2024")
        rejects[doc.row(["3", "App crashes when I try to pay", "11", "2024-03-03"])] = "out of range"
        rejects[doc.row(["4", "   ", "5", "2024-03-04"])] = "empty text"
        rejects[doc.row(["1", "Duplicate of the first id", "7", "2024-03-05"])] = "duplicate id"
        rejects[doc.row(["6", "Bad date", "7", "not a date"])] = "unparseable date"
        rejects[doc.raw("7,too,many,fields,here\n")] = "expected 4 fields, found 5"
        ok("8", "Refund took\nthree weeks,\nwith \"quotes\"", "2", "15.03.2024")
        ok("9", "😡😡😡", "0", "")
        ok("10", "<p>Zip broke&hellip;</p><script>x()</script>", "4", "2024-03-10T10:00:00Z")
        ok("11", "التطبيق يتعطل عند الدفع", "1", "2024-03-11")
        ok("12", "\u200b\u200b", "5", "2024-03-12")  # empty once cleaned
        ok("13", long_text, "6", "2024-03-13")
        rejects[doc.row(["14", "Score is not a number", "ten", "2024-03-14"])] = "not numeric"
        ok("15", "配送が遅れて、箱が壊れていました。", "8", "March 15, 2024")
        ok("16", "The delivery was late and the box was damaged.", "3", "2024-03-16")  # duplicate text, kept
        self.add("sink", "many-bad-rows", "sink.csv", doc.text(),
                 mapping=ColumnMapping(id="id", date="date", scores=[ScoreSpec("nps", "nps")]), rows=len(doc.starts),
                 rejects=rejects, texts=texts, lines=[s for s in doc.starts if s not in rejects], cli=True, truncated=1)

    def build(self) -> list[Case]:
        for step in (self.encodings, self.mixed_encodings, self.boms, self.nul_bytes, self.ragged,
                     self.quoted_newlines, self.unclosed_quotes, self.long_texts, self.empty_and_emoji,
                     self.markup_and_scripts, self.duplicate_ids, self.scores, self.dates, self.empty_files,
                     self.excel, self.parquet, self.json_files, self.misc, self.kitchen_sink):
            step()
        ids = [c.id for c in self.cases]
        assert len(ids) == len(set(ids)), "case ids must be unique"
        return self.cases


def _encodable(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def make_corpus(directory: str | Path, seed: int = DEFAULT_SEED) -> list[Case]:
    """Write the corpus into ``directory`` and return its cases (same seed, same bytes)."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    return _Builder(d, seed).build()


if __name__ == "__main__":  # pragma: no cover - for looking at the corpus by hand
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "fuzz-corpus")
    cases = make_corpus(target)
    for c in cases:
        print(f"{c.id:55} {c.expect:5} rows={c.rows} {c.path.relative_to(target)}")
    print(f"{len(cases)} cases in {target}")
