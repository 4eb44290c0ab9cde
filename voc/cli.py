"""voc's command line. Each command is a few lines over the Python API; a VocError
becomes one line on stderr and exit code 2, never a traceback."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape

from voc.errors import VocError

app = typer.Typer(help="Voice of the Customer analytics: themes, sentiment, touchpoints and score drivers.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
train_app = typer.Typer(help="Train voc's models on your own labeled feedback.", no_args_is_help=True)
taxonomy_app = typer.Typer(help="Work with touchpoint taxonomies.", no_args_is_help=True)
cache_app = typer.Typer(help="Inspect or clear the embedding cache ($VOC_CACHE_DIR or ~/.cache/voc).",
                        no_args_is_help=True)
app.add_typer(train_app, name="train")
app.add_typer(taxonomy_app, name="taxonomy")
app.add_typer(cache_app, name="cache")

err = Console(stderr=True)
out = Console()


def _setup_logging(verbose: bool, quiet: bool) -> None:
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    logger = logging.getLogger("voc")
    logger.handlers.clear()
    logger.addHandler(RichHandler(console=err, show_path=False, show_time=False, markup=False))
    logger.setLevel(level)
    logger.propagate = False


def _run(fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except VocError as exc:
        # the message may echo user data (a column named "[/red]"): never read it as markup
        err.print(f"[bold red]error[/] {escape(str(exc))}", markup=True, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        err.print("interrupted")
        raise typer.Exit(130) from None


def _mapping(text_col: str | None, id_col: str | None, date_col: str | None, channel_col: str | None,
             segment_col: list[str] | None, score: list[str] | None, mapping_file: Path | None,
             conversation: list[str] | None = None, outcome: list[str] | None = None):  # type: ignore[no-untyped-def]
    from voc.errors import ConfigError
    from voc.io.mapping import CONVERSATION_ROLES, ColumnMapping, ScoreSpec, parse_outcomes

    m = ColumnMapping.from_file(mapping_file) if mapping_file else ColumnMapping()
    if text_col:
        m.text = text_col
    m.id = id_col or m.id
    m.date = date_col or m.date
    m.channel = channel_col or m.channel
    if segment_col:
        m.segments = list(segment_col)
    if score:
        m.scores = [ScoreSpec.parse(s) for s in score]
    for spec in conversation or []:
        role, _, column = spec.partition("=")
        role = role.strip().lower().replace("-", "_")
        if role not in CONVERSATION_ROLES or not column.strip():
            raise ConfigError(f"--conversation {spec!r}: expected ROLE=COLUMN with ROLE one of "
                              f"{', '.join(CONVERSATION_ROLES)}, e.g. --conversation customer=author_id")
        setattr(m, role, column.strip())
    if outcome:
        m.outcomes = parse_outcomes(list(outcome), "--outcome")
    return m


def _language_overrides(languages: str | None) -> list[str]:
    """``--languages en`` as a config override, checked before any file is read."""
    if languages is None:
        return []
    from voc.language import LanguageStage

    codes = LanguageStage(analyse=languages).languages()
    return [f"language.analyse=[{', '.join(codes)}]"]


class _Progress:
    """Which stage runs now, with a bar for the embedding pass (the long step); off when
    not a TTY. The pipeline calls it with (stage, 0, 0) when a stage starts, the encoder
    with (embed, done, total) per batch, and the pipeline with (stage, 1, 1) at the end."""

    def __init__(self, console: Console | None = None) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        console = console or err
        self.enabled = console.is_terminal
        self.bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), console=console, transient=True, disable=not self.enabled)
        self.task: Any = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self.task is None:
            self.task = self.bar.add_task("", total=None)
        if total == 0:  # a stage starts
            label = "encoding sentences" if stage == "embed" else f"{stage}"
            self.bar.update(self.task, description=label, completed=0, total=None)
        elif stage == "embed" and (done, total) != (1, 1):
            self.bar.update(self.task, completed=done, total=total)

    def __enter__(self) -> "_Progress":
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(*exc)  # type: ignore[arg-type]


def _summary(analysis: Any, out_dir: Path) -> None:
    c = analysis.run["counts"]
    out.print(f"read {c['rows_read']:,} rows: {c['accepted']:,} accepted, {c['rejected']:,} rejected"
              + (f" (see {out_dir / 'rejects.csv'})" if c["rejected"] else ""))
    if "customer_file_rejected" in c:
        i = analysis.run.get("ingest", {})
        out.print(f"customer file: {i.get('customer_file_matched', 0):,} customers matched, "
                  f"{c['customer_file_rejected']:,} rows rejected"
                  + (f" (see {out_dir / 'rejects.csv'})" if c["customer_file_rejected"] else ""))
    out.print(f"{c['documents']:,} documents, {c['sentences']:,} sentences, {c['themes']} themes "
              f"in {analysis.run['timings_s']['total']:.1f}s")
    if (out_dir / "report.html").exists():
        out.print(f"report: {out_dir / 'report.html'}")
    out.print(f"outputs: {out_dir}")


TextCol = Annotated[Optional[str], typer.Option("--text-col", help="Column with the feedback text (auto-detected if omitted).")]
IdCol = Annotated[Optional[str], typer.Option("--id-col", help="Column with a unique id per row.")]
DateCol = Annotated[Optional[str], typer.Option("--date-col", help="Column with the date of the feedback.")]
ChannelCol = Annotated[Optional[str], typer.Option("--channel-col", help="Column with the channel/source.")]
Conversation = Annotated[Optional[list[str]], typer.Option(
    "--conversation", help="ROLE=COLUMN for customer (a customer id), thread (ticket/chat/thread id), reply_to (the "
                           "id of the message answered), author_role (customer or agent; an inbound flag works "
                           "too), opened and closed (a ticket's times; empty closed = still open). Repeatable. Agent "
                           "messages are kept but never analysed; customers.parquet follows.")]
SegmentCol = Annotated[Optional[list[str]], typer.Option("--segment-col", help="Segment column (repeatable).")]
Score = Annotated[Optional[list[str]], typer.Option(
    "--score", help="KIND=COLUMN with KIND in nps, csat, ces, stars, or custom=COLUMN:LOW:HIGH[:lower] (repeatable).")]
MappingFile = Annotated[Optional[Path], typer.Option("--mapping", help="YAML/JSON file with the column mapping.")]
ConfigFile = Annotated[Optional[Path], typer.Option("--config", help="Pipeline config YAML (merged over the default).")]
Set = Annotated[Optional[list[str]], typer.Option("--set", help="Override a config value: section.key=value (repeatable).")]
PresetOpt = Annotated[Optional[str], typer.Option(
    "--preset", help="The export's layout (voc presets lists them: survey tools, help desks, app stores, review "
                     "sites): maps its columns, one document per answer, review or ticket comment, agents' replies "
                     "kept out of feedback; mapping flags still override it.")]
Languages = Annotated[Optional[str], typer.Option(
    "--languages", help="Analyse only these languages, comma-separated ISO 639-1 codes (voc reads en, ar, de, es, "
                        "fr, it, pt, nl). "
                        "Feedback in other languages is kept, counted and shown, not analysed.")]
Outcome = Annotated[Optional[list[str]], typer.Option(
    "--outcome", help="NAME=COLUMN[:KIND]: an outcome beyond scores, e.g. churned=Churn (binary: yes/no, true/false, "
                      "0/1), value=CLTV (a number), hours=HandleTime (a duration); KIND is binary, number or hours "
                      "(else from the name, then the data). Per customer with --conversation customer=..., else per "
                      "document; outcomes.csv gives each issue's effect. Repeatable.")]
CustomersFile = Annotated[Optional[Path], typer.Option(
    "--customers", help="A customer extract (CSV, JSONL, Parquet or Excel: churn flag, CLTV, plan, tenure...) "
                        "joined by customer id (needs --conversation customer=COLUMN); its columns can be "
                        "outcomes and segments. Ids it holds twice or that match no customer go to rejects.csv.")]
CustomersId = Annotated[Optional[str], typer.Option(
    "--customers-id", help="The customer id column of --customers, when it is not named like the feedback's.")]
ThemeEdits = Annotated[Optional[Path], typer.Option(
    "--theme-edits", help="Analyst edits to the themes by id (rename, merge, split, move, hide; see "
                          "configs/theme_edits.example.yaml), saved with the model.")]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Log every step.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Only warnings and errors.")]


@app.command()
def analyze(
    input: Annotated[Path, typer.Argument(help="CSV, TSV, JSONL, JSON, Parquet or Excel file.")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Output directory.")] = Path("voc-out"),
    text_col: TextCol = None, id_col: IdCol = None, date_col: DateCol = None, channel_col: ChannelCol = None,
    segment_col: SegmentCol = None, score: Score = None, mapping: MappingFile = None, config: ConfigFile = None,
    set_: Set = None, conversation: Conversation = None, outcome: Outcome = None, customers: CustomersFile = None,
    customers_id: CustomersId = None,
    rank_by: Annotated[Optional[str], typer.Option(
        "--rank-by", help="An --outcome name: priorities.csv ranks issues by their effect on it (more churn, less "
                          "value, longer waits) instead of on the scores.")] = None,
    touchpoints: Annotated[Optional[Path], typer.Option("--touchpoints", help="Touchpoint taxonomy YAML.")] = None,
    touchpoint_labels: Annotated[Optional[Path], typer.Option(
        "--touchpoint-labels", help="CSV with columns text,touchpoint: a few labeled sentences per touchpoint "
                                    "(few-shot).")] = None,
    themes: Annotated[Optional[Path], typer.Option("--themes", help="Curated themes YAML (matched first).")] = None,
    previous: Annotated[Optional[Path], typer.Option(
        "--previous", help="A saved model (DIR/model) whose theme ids persisting themes keep; run.json says "
                           "which themes are new, merged or gone.")] = None,
    theme_edits: ThemeEdits = None,
    no_redact: Annotated[bool, typer.Option("--no-redact", help="Do not redact personal data (not recommended).")] = False,
    sheet: Annotated[Optional[str], typer.Option("--sheet", help="Excel sheet name or index.")] = None,
    encoding: Annotated[Optional[str], typer.Option("--encoding", help="Force a text encoding.")] = None,
    delimiter: Annotated[Optional[str], typer.Option("--delimiter", help="Force a CSV delimiter.")] = None,
    preset: PresetOpt = None,
    languages: Languages = None, verbose: Verbose = False, quiet: Quiet = False,
) -> None:
    """Analyze a feedback file: sentiment, themes, touchpoints, drivers, report and a saved model."""
    _setup_logging(verbose, quiet)

    def go() -> None:
        from voc.io import read_feedback
        from voc.pipeline import Analyzer

        m = _mapping(text_col, id_col, date_col, channel_col, segment_col, score, mapping, conversation, outcome)
        overrides = list(set_ or []) + _language_overrides(languages)
        if touchpoints:
            overrides.append(f"touchpoints.taxonomy={touchpoints}")
        if rank_by:
            overrides.append(f"customers.rank_by={rank_by}")
        if themes:
            overrides.append(f"themes.curated={themes}")
        if previous:
            overrides.append(f"themes.reference={previous}")
        if theme_edits:
            from voc.themes.edits import load_edits

            load_edits(theme_edits)  # a broken file fails now, not after the long run
            overrides.append(f"themes.edits={theme_edits}")
        if touchpoint_labels:
            overrides.append(f"touchpoints.labels={touchpoint_labels}")
        if no_redact:
            overrides.append("clean.redact_pii=false")
        sheet_arg: str | int | None = int(sheet) if sheet is not None and sheet.isdigit() else sheet
        crm = None
        if customers is not None:
            from voc.customers.crm import CustomerFile

            crm = CustomerFile.read(customers, customers_id)
        from voc.io import presets

        if preset is not None:
            ingest, m = presets.ingest(input, preset, m, customers=crm)
            for note in ingest.stats.get("preset_notes", []):
                out.print(note, markup=False, highlight=False, soft_wrap=True)
        else:
            looks = presets.detect(input) if not (text_col or mapping) else None
            if looks is not None:
                from voc.errors import ConfigError

                raise ConfigError(f"{input.name} looks like a {presets.title(looks)} export; use --preset {looks} "
                                  "(or map its columns yourself, e.g. --text-col)")
            ingest = read_feedback(input, m, encoding=encoding, delimiter=delimiter, sheet=sheet_arg, customers=crm)
            if ingest.stats.get("text_column") and not text_col:
                m.text = ingest.stats["text_column"]
        analyzer = Analyzer(config, mapping=m, overrides=overrides)
        with _Progress() as progress:
            analyzer.progress = progress
            analysis = analyzer.fit_transform(ingest)
        analysis.write(out_dir, analyzer=analyzer)
        _summary(analysis, out_dir)

    _run(go)


class _ScoreProgress:
    """Rows scored so far (chunk by chunk) and the encoding pass of the current chunk; off when not a TTY."""

    def __init__(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.enabled = err.is_terminal
        self.bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), console=err, transient=True, disable=not self.enabled)
        self.rows: Any = None
        self.embed: Any = None

    def chunk(self, s: dict[str, Any]) -> None:
        if self.enabled:
            self.bar.update(self.rows, completed=s["rows_read"], description=(
                f"rows: {s['new']:,} new, {s['rescored']:,} rescored, {s['unchanged']:,} unchanged, "
                f"{s['rejected']:,} rejected"))

    def stage(self, stage: str, done: int, total: int) -> None:
        if stage != "embed" or not self.enabled or total == 0:  # total 0: the stage starts
            return
        task = self.bar.tasks[self.embed]
        if (done, total) == (1, 1) and task.total:  # the pipeline's "stage finished" tick
            self.bar.update(self.embed, completed=task.total)
        else:
            self.bar.update(self.embed, completed=done, total=total, visible=True)

    def __enter__(self) -> "_ScoreProgress":
        self.bar.__enter__()
        self.rows = self.bar.add_task("rows", total=None)
        self.embed = self.bar.add_task("encoding this chunk", total=None, visible=False)
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(*exc)  # type: ignore[arg-type]


def _edited(model: Path, mapping: Any, theme_edits: Path | None, overrides: list[str]) -> Any:
    """The saved model, with ``theme_edits`` in place of its own edits when given."""
    import voc
    from voc.themes.edits import apply_edits

    analyzer = voc.load(model, mapping=mapping, overrides=overrides)
    if theme_edits is not None:
        apply_edits(analyzer.stages_["themes"], theme_edits)
    return analyzer


def _score_summary(s: Any, out_dir: Path | None) -> None:
    rej = f" (see {out_dir / 'rejects.csv'})" if s.rejected and out_dir else " (kept in the store's rejects table)" \
        if s.rejected else ""
    out.print(f"read {s.rows_read:,} rows in {s.chunks} chunk(s): {s.new:,} new, {s.rescored:,} rescored "
              f"(old versions kept in history), {s.unchanged:,} unchanged (skipped), {s.duplicates:,} duplicate, "
              f"{s.rejected:,} rejected{rej}", soft_wrap=True, highlight=False)
    out.print(f"store {s.store}: run {s.run_id}, {s.scored:,} documents scored in {s.seconds:.1f}s "
              f"({s.docs_per_second:.1f} docs/s)", soft_wrap=True, highlight=False)


@app.command()
def score(
    input: Annotated[Path, typer.Argument(help="New feedback to score against a saved model.")],
    model: Annotated[Path, typer.Option("--model", "-m", help="Saved model directory (e.g. voc-out/model).")],
    out_dir: Annotated[Optional[Path], typer.Option(
        "--out", "-o", help="Output directory (default voc-scored without --store; with --store: this run's "
                            "documents, sentences, rejects.csv and run.json). With --engine spark: OUT.parquet.")] = None,
    store: Annotated[Optional[str], typer.Option(
        "--store", "-s", help="Store to score into incrementally (a DuckDB file, created if missing, or "
                              "postgresql://user@host/db[?schema=voc]): unchanged documents "
                              "are skipped, changed ones rescored with their old version kept in history.")] = None,
    chunksize: Annotated[int, typer.Option("--chunksize", help="Rows read and written per batch (with --store).")]
    = 10_000,
    engine: Annotated[str, typer.Option("--engine", help="local, or spark (INPUT.parquet -> --out OUT.parquet, "
                                                         "for spark-submit).")] = "local",
    master: Annotated[Optional[str], typer.Option("--master", help="Spark master when not run by spark-submit "
                                                                   "(e.g. local[4]).")] = None,
    text_col: TextCol = None, id_col: IdCol = None, date_col: DateCol = None, channel_col: ChannelCol = None,
    segment_col: SegmentCol = None, score: Score = None, mapping: MappingFile = None,
    conversation: Conversation = None,
    theme_edits: Annotated[Optional[Path], typer.Option(
        "--theme-edits", help="Theme edits YAML that replaces the model's saved edits (default: the model's "
                              "own).")] = None,
    preset: PresetOpt = None, languages: Languages = None, verbose: Verbose = False, quiet: Quiet = False,
) -> None:
    """Score new feedback with a saved model: same themes and ids, sentiment, touchpoints."""
    _setup_logging(verbose, quiet)

    def go() -> None:
        import voc
        from voc.errors import ConfigError

        given = any([text_col, id_col, date_col, channel_col, segment_col, score, mapping, conversation])
        m = _mapping(text_col, id_col, date_col, channel_col, segment_col, score, mapping, conversation) if given \
            else None
        if engine not in ("local", "spark"):
            raise ConfigError(f"--engine {engine!r}: use local or spark")
        overrides = _language_overrides(languages)
        if engine == "spark":
            from voc.spark import score_parquet

            if store is not None or out_dir is None:
                raise ConfigError("--engine spark reads INPUT.parquet and writes --out OUT.parquet; it does not "
                                  "write a store (score into a store with the local engine)")
            if preset is not None:
                raise ConfigError("--engine spark reads a Parquet file; read the export with --preset through the "
                                  "local engine (or convert it first)")
            if theme_edits is not None:
                raise ConfigError("--engine spark scores with the model's saved theme edits; to change them, refit "
                                  "with `voc analyze ... --previous MODEL --theme-edits FILE`")
            n = score_parquet(input, model, out_dir, mapping=m, master=master, overrides=overrides)
            out.print(f"scored {n:,} documents with Spark: {out_dir}", soft_wrap=True, highlight=False)
            return
        if store is not None:
            from voc.store import export_store, score as score_store

            with _ScoreProgress() as progress:
                summary = score_store(input, _edited(model, m, theme_edits, overrides) if theme_edits else model,
                                      store, mapping=m, chunksize=chunksize, overrides=overrides, preset=preset,
                                      rejects_csv=out_dir / "rejects.csv" if out_dir else None,
                                      progress=progress.chunk, embed_progress=progress.stage)
            if out_dir is not None:
                import json

                from voc._paths import portable_values
                from voc.outputs import atomic_write

                export_store(store, out_dir, run_id=summary.run_id, tables=("documents", "sentences"))
                atomic_write(out_dir / "run.json", lambda p: p.write_text(
                    json.dumps(portable_values(summary.to_dict()), indent=2, default=str), encoding="utf-8"))
            _score_summary(summary, out_dir)
            return
        target = out_dir or Path("voc-scored")
        if preset is not None:
            from voc.io import presets

            ingest, m = presets.ingest(input, preset, m)
            analyzer = _edited(model, m, theme_edits, overrides)
        else:
            analyzer = _edited(model, m, theme_edits, overrides)
            ingest = voc.read_feedback(input, analyzer.mapping, missing_optional="ignore")
        with _Progress() as progress:
            analyzer.progress = progress
            analysis = analyzer.transform(ingest)
        analysis.write(target, analyzer=None)
        _summary(analysis, target)

    _run(go)


@app.command()
def report(
    output_dir: Annotated[Optional[Path], typer.Argument(
        help="A directory written by `voc analyze` or `voc score` (or use --store).")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Where to write the HTML (default: DIR/report.html).")] = None,
    store: Annotated[Optional[str], typer.Option(
        "--store", "-s", help="Build the report from a store written by `voc score --store` (a file or a "
                              "postgresql:// URL; default output: report.html beside the file, or here).")] = None,
    since: Annotated[Optional[str], typer.Option(
        "--since", help="With --store: only documents dated (else scored) on or after this date, YYYY-MM-DD.")] = None,
) -> None:
    """Rebuild report.html from an output directory or a store."""

    def go() -> None:
        from voc.errors import ConfigError
        from voc.outputs import load_analysis, theme_table
        from voc.report import write_excel, write_report

        if (store is None) == (output_dir is None):
            raise ConfigError("pass either an output directory or --store STORE")
        if since is not None and store is None:
            raise ConfigError("--since needs --store")
        if store is not None:
            from voc.store import analysis_from_store

            analysis = analysis_from_store(store, since=since)
            themes = theme_table(analysis)
            from voc.store.postgres import is_postgres

            beside = Path("report.html") if is_postgres(store) else Path(store).parent / "report.html"
            path = write_report(analysis, out or beside, themes=themes)
            write_excel(analysis, path.parent / "themes.xlsx", themes=themes)
            Console().print(f"report: {path} ({len(analysis.documents):,} documents)", soft_wrap=True,
                            highlight=False)
            return
        assert output_dir is not None
        analysis = load_analysis(output_dir)
        themes = theme_table(analysis)
        path = write_report(analysis, out or output_dir / "report.html", themes=themes)
        sheet = write_excel(analysis, path.parent / "themes.xlsx", themes=themes)
        out_console = Console()
        out_console.print(f"report: {path}")
        out_console.print(f"spreadsheet: {sheet}")

    _run(go)


@app.command()
def export(
    store: Annotated[str, typer.Option("--store", "-s", help="Store written by `voc score --store` (a file or a "
                                                             "postgresql:// URL).")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Directory for the exported tables.")],
    format: Annotated[str, typer.Option("--format", "-f", help="parquet or csv.")] = "parquet",
    since: Annotated[Optional[str], typer.Option("--since", help="Only documents dated on or after YYYY-MM-DD.")]
    = None,
    history: Annotated[bool, typer.Option("--history", help="Also the superseded document versions.")] = False,
) -> None:
    """Export the current documents, sentences, themes, runs and rejects of a store."""

    def go() -> None:
        from voc.store import export_store

        written = export_store(store, out_dir, format=format, since=since, history=history)
        for name, path in written.items():
            out.print(f"{name}: {path}", soft_wrap=True, highlight=False)

    _run(go)


@app.command()
def demo(
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Output directory.")] = Path("voc-demo"),
    n: Annotated[int, typer.Option("--n", help="Number of generated feedback rows.")] = 2000,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    quiet: Quiet = False,
) -> None:
    """Generate the bundled sample feedback and analyze it end to end."""
    _setup_logging(False, quiet)

    def go() -> None:
        from voc.datasets import make_feedback
        from voc.io.mapping import ColumnMapping, ScoreSpec
        from voc.pipeline import Analyzer

        out_dir.mkdir(parents=True, exist_ok=True)
        frame = make_feedback(n=n, random_state=seed)
        sample = out_dir / "sample_feedback.csv"
        frame.to_csv(sample, index=False)
        m = ColumnMapping(text="text", id="id", date="date", channel="channel", segments=["segment"],
                          scores=[ScoreSpec("nps", "nps"), ScoreSpec("stars", "stars"), ScoreSpec("csat", "csat")])
        from voc.io import read_feedback

        analyzer = Analyzer(mapping=m)
        with _Progress() as progress:
            analyzer.progress = progress
            analysis = analyzer.fit_transform(read_feedback(sample, m))
        analysis.write(out_dir, analyzer=analyzer)
        out.print(f"sample input: {sample}")
        _summary(analysis, out_dir)

    _run(go)


@app.command("themes")
def themes_command(
    directory: Annotated[Path, typer.Argument(help="An output directory of `voc analyze` or its saved model.")],
    check: Annotated[Optional[Path], typer.Option(
        "--check", help="Validate a theme edits YAML against this model and print what each edit would do "
                        "(exit code 1 when it is invalid).")] = None,
) -> None:
    """List the themes as aspect › issue (id, label, polarity, sentences, hidden), or check an edits file."""

    def go() -> None:
        from voc.errors import ThemeEditsError
        from voc.themes.edits import check_edits, load_theme_model, theme_tree

        stage = load_theme_model(directory)
        if check is None:
            _print_themes(theme_tree(stage), stage.edit_info_)
            return
        try:
            report = check_edits(stage, check)
        except ThemeEditsError as exc:
            err.print(f"[bold red]invalid[/] {escape(str(exc))}", markup=True, highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
        for line in report.applied:
            out.print(line, markup=False, highlight=False, soft_wrap=True)
        out.print(f"{check}: ok ({len(report.applied)} change(s))", markup=False, highlight=False, soft_wrap=True)

    _run(go)


@app.command()
def evaluate(
    labels: Annotated[Path, typer.Argument(help="Your labeled feedback (CSV, JSONL, Parquet or Excel): text plus any "
                                                "of a sentiment, touchpoint(s) and theme column.")],
    model: Annotated[Path, typer.Option("--model", "-m", help="A saved model (voc analyze's OUT/model).")],
    text_col: Annotated[str, typer.Option("--text-col")] = "text",
    sentiment_col: Annotated[Optional[str], typer.Option(
        "--sentiment-col", help="negative/neutral/positive, neg/neu/pos, -1/0/1 or ratings 1-5 (default: a column "
                                "named sentiment, label or polarity).")] = None,
    touchpoint_col: Annotated[Optional[str], typer.Option(
        "--touchpoint-col", help="The model's touchpoint names, several split by ';' ('none' for none; default: a "
                                 "column named touchpoints or touchpoint).")] = None,
    theme_col: Annotated[Optional[str], typer.Option(
        "--theme-col", help="Your theme per document, any names (default: a column named theme, topic, issue, "
                            "intent or category).")] = None,
    label_map: Annotated[Optional[Path], typer.Option(
        "--label-map", help="YAML mapping your label names to voc's: sentiment: {pos: positive}, touchpoints: "
                            "{Shipping: delivery}.")] = None,
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Where to write evaluation.json, evaluation.md and "
                                                              "predictions.csv.")] = Path("voc-evaluation"),
    bootstrap: Annotated[int, typer.Option("--bootstrap", min=0, help="Bootstrap resamples per interval.")] = 1000,
    verbose: Verbose = False,
    quiet: Quiet = False,
) -> None:
    """How good is voc on your data: compare a saved model with labels you wrote (nothing is refitted)."""
    _setup_logging(verbose, quiet)

    def go() -> None:
        from voc.evaluate import evaluate as run_evaluation

        ev = run_evaluation(labels, model, text=text_col, sentiment=sentiment_col, touchpoints=touchpoint_col,
                            theme=theme_col, label_map=label_map, n_boot=bootstrap)
        ev.write(out_dir)

        def ci(x: list[Any]) -> str:
            return "" if not x or x[0] is None else f" (95% CI {x[0]:.3f}-{x[1]:.3f})"

        out.print(f"{ev.n_rows} labeled documents ({ev.n_rejected} rejected)", markup=False, highlight=False,
                  soft_wrap=True)
        if ev.sentiment:
            s = ev.sentiment
            out.print(f"sentiment ({s['n']} rows): accuracy {s['accuracy']:.3f}{ci(s['accuracy_interval'])}, "
                      f"macro-F1 {s['macro_f1']:.3f}{ci(s['macro_f1_interval'])}", markup=False, highlight=False,
                      soft_wrap=True)
        if ev.touchpoints:
            t = ev.touchpoints
            out.print(f"touchpoints ({t['n']} rows): micro-F1 {t['micro_f1']:.3f}{ci(t['micro_f1_interval'])}",
                      markup=False, highlight=False, soft_wrap=True)
        if ev.themes:
            th = ev.themes
            out.print(f"themes ({th['n']} rows, {th['your_labels']} labels, {th['voc_themes']} voc themes): V-measure "
                      f"{th['v_measure']:.3f}{ci(th['v_measure_interval'])}; {len(th['mixed_themes'])} themes mix "
                      "your labels", markup=False, highlight=False, soft_wrap=True)
        out.print(f"written: {out_dir / 'evaluation.md'}, evaluation.json, predictions.csv", markup=False,
                  highlight=False)

    _run(go)


@app.command("presets")
def presets_command() -> None:
    """List the export layouts --preset reads."""
    from voc.io.presets import PRESETS

    for p in PRESETS.values():
        out.print(f"{p.name}: {p.description}", markup=False, highlight=False, soft_wrap=True)


def _print_themes(tree: list[dict[str, Any]], edits: dict[str, Any]) -> None:
    from rich.tree import Tree

    def line(n: dict[str, Any]) -> str:
        tid = "" if n["theme_id"] is None else f"[bold]{n['theme_id']}[/] "
        hidden = " [yellow]hidden[/]" if n["hidden"] else ""
        return f"{tid}{escape(n['label'])} [dim]{n['polarity'] or n['kind']}, {n['sentences']:,} sentences[/]{hidden}"

    root = Tree("aspect › issue")
    for a in tree:
        branch = root.add(line(a))
        for i in a["issues"]:
            branch.add(line(i))
    out.print(root, highlight=False)
    if edits:
        out.print(f"edits ({edits.get('source') or 'given in the config'}):", markup=False, highlight=False,
                  soft_wrap=True)
        for text in edits.get("applied", []):
            out.print(f"  {text}", markup=False, highlight=False, soft_wrap=True)
        for text in edits.get("warnings", []):
            out.print(f"  [yellow]warning[/] {escape(text)}", highlight=False, soft_wrap=True)


@train_app.command("sentiment")
def train_sentiment(
    data: Annotated[Path, typer.Option("--data", help="Labeled CSV.")],
    text_col: Annotated[str, typer.Option("--text-col")] = "text",
    label_col: Annotated[str, typer.Option("--label-col", help="negative/neutral/positive, -1/0/1, or 1-5 ratings.")] = "label",
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Where to write the trained model.")] = Path("sentiment-model"),
    start_from: Annotated[str, typer.Option(
        "--from", help="Start from this trained model ('sentiment' = the shipped one, a model directory, "
                       "or 'none' for the raw encoder layers).")] = "sentiment",
    epochs: Annotated[int, typer.Option("--epochs", min=1)] = 3,
    denylist: Annotated[Optional[Path], typer.Option(
        "--denylist", help="Benchmark deny-list directory (whole_texts.txt, windows8.txt): rows whose text is "
                           "in it are dropped before training.")] = None,
    verbose: Verbose = False,
) -> None:
    """Train a sentiment model on your own labeled feedback (use it with --set sentiment.model=DIR)."""
    _setup_logging(verbose, False)

    def go() -> None:
        from voc.sentiment.train import train_from_csv

        init = None if start_from.lower() == "none" else start_from
        metrics = train_from_csv(data, text_col, label_col, out_dir, init_from=init, epochs=epochs, denylist=denylist)
        if denylist is not None:
            out.print(f"deny-list: {metrics['denied']} rows dropped")
        out.print(f"model written to {out_dir}")
        for k, v in metrics.items():
            out.print(f"  {k}: {v}")

    _run(go)


@taxonomy_app.command("check")
def taxonomy_check(file: Annotated[Path, typer.Argument(help="Touchpoint taxonomy YAML.")]) -> None:
    """Validate a taxonomy file: duplicate names, empty descriptions, clashing keywords."""

    def go() -> None:
        from voc.touchpoints.taxonomy import check_taxonomy

        problems = check_taxonomy(file)
        if problems:
            for p in problems:
                err.print(f"{file}: {p}", highlight=False)
            raise typer.Exit(1)
        out.print(f"{file}: ok")

    _run(go)


CacheDir = Annotated[Optional[Path], typer.Option("--dir", help="Cache directory (default: $VOC_CACHE_DIR, "
                                                                 "else ~/.cache/voc; as embed.cache_dir).")]


def _size(n: int) -> str:
    from rich.filesize import decimal

    return decimal(n)


@cache_app.command("info")
def cache_info(directory: CacheDir = None,
               as_json: Annotated[bool, typer.Option("--json", help="Print JSON (for scripts).")] = False) -> None:
    """Where the cache is, how many namespaces (encoder x settings), rows and bytes it holds."""
    import json

    from rich.table import Table

    from voc.cache import cache_info as info_of

    info = info_of(directory)
    if as_json:
        out.print_json(json.dumps(info))
        return
    out.print(f"cache: {info['directory']}", soft_wrap=True, highlight=False)
    table = Table("namespace", "rows", "head rows", "on disk")
    for s in info["namespaces"]:
        table.add_row(s["namespace"], f"{s['rows']:,}", f"{s['head_rows']:,}", _size(s["bytes"]))
    table.add_row("total", f"{info['rows']:,}", "", _size(info["bytes"]), style="bold")
    out.print(table)
    out.print(f"{len(info['namespaces'])} namespace(s); ONNX exports: {info['onnx_files']} file(s), "
              f"{_size(info['onnx_bytes'])}", highlight=False)


@cache_app.command("clear")
def cache_clear(
    directory: CacheDir = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    older_than: Annotated[Optional[float], typer.Option(
        "--older-than", min=0, help="Only namespaces not written for DAYS days.", metavar="DAYS")] = None,
    onnx: Annotated[bool, typer.Option("--onnx", help="Also the ONNX encoder exports (rebuilt on next use).")]
    = False,
) -> None:
    """Delete cached embeddings (results never change; the next run re-encodes)."""
    from voc.cache import clear_cache, resolve_cache_dir

    what = "namespaces" + (f" not written for {older_than:g} days" if older_than is not None else "")
    if not yes and not typer.confirm(f"delete the embedding cache {what} in {resolve_cache_dir(directory)}?"):
        raise typer.Exit(1)
    done = clear_cache(directory, older_than_days=older_than, onnx=onnx)
    out.print(f"removed {done['namespaces']} namespace(s), {_size(done['bytes'])}", highlight=False)


def main() -> None:
    try:
        app()
    except VocError as exc:  # pragma: no cover - commands catch their own
        err.print(f"error {exc}", highlight=False)
        sys.exit(2)


if __name__ == "__main__":
    main()
