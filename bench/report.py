"""Write ``reports/benchmark.md``, ``reports/benchmark.json`` and ``reports/latency_throughput.png``
from the figures of one ``make bench`` run, with the targets of issue 7 checked."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from bot.deploy.serve import ROOT

TUNING_NOTES = "docs/developers/tuning-archive.md"  # archived: linked, no longer pasted here
PLOT_NAME = "latency_throughput.png"


def _level(serving: Dict[str, Any], conversations: int) -> Optional[Dict[str, Any]]:
    return next((lv for lv in serving.get("levels", []) if lv["conversations"] == conversations), None)


def _get(figures: Any, *path: Any) -> Any:
    for key in path:
        if figures is None:
            return None
        figures = figures[key] if isinstance(key, int) else figures.get(key)
    return figures


def targets(fig: Dict[str, Any], key: str) -> List[Tuple[str, str, Any, Callable[[Any], bool]]]:
    """(target, how it is measured, value, check) for each target of the issue, for the serving
    set-up ``key`` of our recipe."""
    ours, default = fig["recipes"]["ours"], fig["recipes"].get("default", {})
    serving = fig["serving"].get(key, {})
    one, fifty = _level(serving, 1) or {}, _level(serving, 50) or {}
    default_acc = _get(default, "heldout", "accuracy")
    return [
        ("answer cases ≥ 90% (issue 19)", "tests/data/answer_cases.yml, whole conversations, %",
         _percent(_get(ours, "heldout", "answer_cases", "accuracy")),
         lambda v: v is not None and v >= 90),
        ("held-out intent accuracy ≥ 95%", "bench.evaluation, fallback = miss",
         _get(ours, "heldout", "accuracy"), lambda v: v is not None and v >= 0.95),
        ("held-out accuracy ≥ default recipe's", f"default recipe: {_fmt(default_acc, 4)}",
         _get(ours, "heldout", "accuracy"),
         lambda v: v is not None and default_acc is not None and v >= default_acc),
        ("p95 ≤ 40 ms at 1 conversation", "REST, whole reply", one.get("p95_ms"),
         lambda v: v is not None and v <= 40),
        ("≥ 150 msg/s at 50 conversations", "answered messages / s", fifty.get("throughput_msg_s"),
         lambda v: v is not None and v >= 150),
        ("p95 ≤ 300 ms at 50 conversations", "REST, whole reply", fifty.get("p95_ms"),
         lambda v: v is not None and v <= 300),
        ("0 errors at 50 conversations", "errors + misrouted replies",
         None if not fifty else fifty["errors"] + fifty["misrouted"], lambda v: v == 0),
        ("training ≤ 60 s", "rasa train, empty cache", _get(ours, "training", "train_s"),
         lambda v: v is not None and v <= 60),
        ("start to ready ≤ 15 s", "both servers answer", serving.get("ready_s"),
         lambda v: v is not None and v <= 15),
        ("Rasa server memory ≤ 700 MB", "after load, all its processes, each page once",
         _server_memory(serving), lambda v: v is not None and v <= 700),
    ]


def _percent(fraction: Any) -> Any:
    return None if fraction is None else round(100 * fraction, 1)


def _server_memory(serving: Dict[str, Any]) -> Any:
    """The memory the Rasa server takes: its resident pages, each counted once however many of
    its processes share it; the RSS sum when page frames could not be read (runs before this
    measure, or not as root)."""
    memory = _get(serving, "memory_mb", "after_load", "rasa") or {}
    return memory.get("unique") if memory.get("unique") is not None else memory.get("rss")


def ours_setups(fig: Dict[str, Any]) -> List[str]:
    return [k for k, s in fig["serving"].items() if s["recipe"] == "ours"]


def _shown(name: str, value: Any) -> str:
    if isinstance(value, float) and "accuracy" in name and value <= 1:
        return f"{100 * value:.1f}%"
    return _fmt(value)


def _target_rows(fig: Dict[str, Any]) -> List[str]:
    keys = ours_setups(fig)
    rows = ["| target | measured as | " + " | ".join(fig["serving"][k]["label"] for k in keys) + " |",
            "| --- | --- |" + " ---: |" * len(keys)]
    per_key = [targets(fig, k) for k in keys]
    for i, (name, how, _, _) in enumerate(per_key[0]):
        cells = [f"{_shown(name, t[i][2])} {'✓' if t[i][3](t[i][2]) else '**✗**'}" for t in per_key]
        rows.append(f"| {name} | {how} | " + " | ".join(cells) + " |")
    return rows


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _ratio(a: Any, b: Any) -> str:
    return f"{a / b:.2f}×" if a and b else "–"


def _serving_rows(fig: Dict[str, Any]) -> List[str]:
    rows = ["| set-up | conversations | msg/s | p50 ms | p95 ms | p99 ms | sent | errors | "
            "misrouted | Rasa CPU ms/msg | actions CPU ms/msg | load gen CPU ms/msg |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for serving in fig["serving"].values():
        for lv in serving["levels"]:
            cpu = lv["cpu_ms_per_message"]
            rows.append(f"| {serving['label']} | {lv['conversations']} | {_fmt(lv['throughput_msg_s'])} "
                        f"| {_fmt(lv['p50_ms'], 0)} | {_fmt(lv['p95_ms'], 0)} | {_fmt(lv['p99_ms'], 0)} "
                        f"| {lv['sent']} | {lv['errors']} | {lv['misrouted']} | {_fmt(cpu['rasa'])} "
                        f"| {_fmt(cpu['actions'])} | {_fmt(cpu['load_generator'])} |")
    return rows


def _memory_rows(fig: Dict[str, Any]) -> List[str]:
    rows = ["| set-up | start to ready s | Rasa MB, each page once | Rasa RSS MB summed | "
            "Rasa PSS MB | Rasa processes | action server RSS MB |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for s in fig["serving"].values():
        rasa, actions = s["memory_mb"]["after_load"]["rasa"], s["memory_mb"]["after_load"]["actions"]
        rows.append(f"| {s['label']} | {_fmt(s['ready_s'])} | {_fmt(rasa.get('unique'), 0)} | "
                    f"{_fmt(rasa['rss'], 0)} | {_fmt(rasa['pss'], 0)} | {rasa['processes']} | "
                    f"{_fmt(actions['rss'], 0)} |")
    return rows


def _breakdown_rows(fig: Dict[str, Any]) -> List[str]:
    rows = ["| stage | " + " | ".join(s["label"] for s in fig["serving"].values() if s.get("breakdown"))
            + " |"]
    rows.append("| --- |" + " ---: |" * (rows[0].count("|") - 2))
    costs = [s["breakdown"] for s in fig["serving"].values() if s.get("breakdown")]
    names = {"nlu": "NLU pipeline", "policies": "policies", "action": "action server round trip",
             "tracker_store": "tracker store (load + save)"}
    for stage, title in names.items():
        cells = [f"{c['stages'][stage]['ms_per_message']:.2f} ({c['stages'][stage]['calls_per_message']:.2f}"
                 f" × {c['stages'][stage]['ms_per_call']:.2f})" for c in costs]
        rows.append(f"| {title} | " + " | ".join(cells) + " |")
    rows.append("| other Rasa work | " + " | ".join(f"{c['other_ms_per_message']:.2f}" for c in costs) + " |")
    rows.append("| **total per message** | " + " | ".join(
        f"**{c['total_ms_per_message']:.2f}** (median {c['median_ms_per_message']:.2f})" for c in costs) + " |")
    return rows


def _nlu_rows(fig: Dict[str, Any]) -> List[str]:
    rows = ["| recipe | answer cases | held-out accuracy | held-out macro F1 | fallbacks "
            "| cross-validation accuracy | CV macro F1 (pooled) | training s | reports |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for name, r in fig["recipes"].items():
        h, cv = r.get("heldout", {}), r.get("cross_validation") or {}
        acc = cv.get("accuracy")
        cv_text = f"{acc['mean']:.3f} ± {acc['std']:.3f} ({cv['folds']} folds)" if acc else "–"
        links = f"[held-out]({h['report_dir']}/)" if h else ""
        links += f", [CV]({cv['report_dir']}/)" if cv else ""
        cases = h.get("answer_cases") or {}
        rows.append(f"| {r['title']} | {cases.get('passed')}/{cases.get('cases')} = "
                    f"{_fmt(100 * cases['accuracy'] if cases else None)}% | "
                    f"{h.get('correct')}/{h.get('messages')} = "
                    f"{_fmt(100 * h['accuracy'] if h else None)}% | "
                    f"{_fmt(_get(h, 'rasa_test_nlu', 'macro_f1'), 3)} | {h.get('fallbacks', '–')} | "
                    f"{cv_text} | {_fmt(_get(cv, 'pooled', 'macro_f1'), 3)} | "
                    f"{_fmt(_get(r, 'training', 'train_s'))} | {links} |")
    return rows


def _ratios(fig: Dict[str, Any]) -> List[str]:
    ours, default = fig["serving"].get("ours"), fig["serving"].get("default")
    if not ours or not default:
        return ["(the default recipe was not served in this run)"]
    rows = ["| conversations | throughput ours ÷ default | p95 default ÷ ours | Rasa CPU per msg default ÷ ours |",
            "| ---: | ---: | ---: | ---: |"]
    for lv in ours["levels"]:
        d = _level(default, lv["conversations"])
        if d:
            rows.append(f"| {lv['conversations']} | {_ratio(lv['throughput_msg_s'], d['throughput_msg_s'])} "
                        f"| {_ratio(d['p95_ms'], lv['p95_ms'])} | "
                        f"{_ratio(d['cpu_ms_per_message']['rasa'], lv['cpu_ms_per_message']['rasa'])} |")
    return rows


def plot(fig: Dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (latency, throughput) = plt.subplots(1, 2, figsize=(11, 4.2))
    for serving in fig["serving"].values():
        x = [lv["conversations"] for lv in serving["levels"]]
        line = latency.plot(x, [lv["p95_ms"] for lv in serving["levels"]], "o-", label=f"{serving['label']} p95")
        latency.plot(x, [lv["p50_ms"] for lv in serving["levels"]], "o--", color=line[0].get_color(),
                     alpha=0.6, label=f"{serving['label']} p50")
        throughput.plot(x, [lv["throughput_msg_s"] for lv in serving["levels"]], "o-", label=serving["label"])
    latency.axhline(300, color="grey", lw=0.8, ls=":")
    throughput.axhline(150, color="grey", lw=0.8, ls=":")
    throughput.set_ylim(bottom=0)
    for axis, title, unit in ((latency, "Latency (REST, whole reply)", "ms"),
                              (throughput, "Throughput", "messages / s")):
        axis.set_xscale("log")
        axis.set_xticks([lv["conversations"] for lv in next(iter(fig["serving"].values()))["levels"]])
        axis.get_xaxis().set_major_formatter(matplotlib.ticker.ScalarFormatter())
        axis.set_xlabel("concurrent conversations")
        axis.set_ylabel(unit)
        axis.set_title(title)
        axis.grid(alpha=0.3)
    latency.set_yscale("log")
    latency.legend(fontsize=7)
    throughput.legend(fontsize=7)
    figure.suptitle(f"2-core machine, {fig['run']['started']} (dotted: targets)", fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _nlu_run_note(fig: Dict[str, Any]) -> str:
    nlu_run = fig.get("nlu_run")
    if not nlu_run:
        return ""
    return (f" Serving was measured again (`--serving-only`) with the models, training times and "
            f"NLU figures of the full run of {nlu_run['started']} (commit `{nlu_run['commit']}`, "
            f"{nlu_run['minutes']:.1f} minutes).")


def write(fig: Dict[str, Any], reports: Path) -> Path:
    """Write the three files; return the markdown's path."""
    reports.mkdir(parents=True, exist_ok=True)
    (reports / "benchmark.json").write_text(json.dumps(fig, indent=2) + "\n", encoding="utf-8")
    if fig["serving"]:
        plot(fig, reports / PLOT_NAME)
    run = fig["run"]
    lines = ["# Benchmark", "",
             f"Generated by `make bench` (`python -m bench {run['args']}`) on {run['started']}, "
             f"{run['cpus']} cores, load average {run['load_before']} before and {run['load_after']} "
             f"after (other engineers' work shares the machine, so compare the ratios and CPU time "
             f"per message rather than absolute latencies). Rasa {run['rasa']}, commit "
             f"`{run['commit']}`. Took {run['minutes']:.1f} minutes. Figures: "
             "[benchmark.json](benchmark.json)." + _nlu_run_note(fig), "", "## Targets", "",
             "Our recipe, for each way of serving it (✓ met, ✗ not met):", "", *_target_rows(fig),
             "", "## Understanding", "", *_nlu_rows(fig), "",
              "Accuracy counts a message predicted `nlu_fallback` (\"did you mean\" buttons) as a miss. "
              "Each report folder holds Rasa's `intent_report.json`, `intent_errors.json` and the "
              "confusion matrix `intent_confusion_matrix.png`.", ""]
    misses = fig["recipes"]["ours"].get("heldout", {}).get("misses", [])
    if misses:
        lines += ["Our held-out misses:", "", "| message | expected | predicted |", "| --- | --- | --- |"]
        lines += [f"| {m['text']} | {m['expected']} | {m['predicted']} |" for m in misses]
        lines.append("")
    lines += ["## Serving", "",
              f"REST channel with the action server; each level ran {run['duration_s']:.0f} s after a "
              "warm-up. A conversation is a patient sending the load generator's script "
              "(`bench/loadgen.py`: button payloads and free text, no pause between turns), then the "
              "next patient. Every reply is checked: HTTP 200, addressed to its sender, the exact "
              "answer for each button, no second disclaimer. CPU time per message is read from "
              "`/proc` for each process tree. Both recipes are served the same way (`bot/deploy/serve.py`: "
              "the speed-ups of `bot/rasa_patches/main.py`, the pooled SQLite store, the action server on "
              "`rasa_sdk`), so the ratios below are those of the recipes alone; stock Rasa with the "
              "old recipe is step 1 of the tuning table at the end.", "", f"![latency and throughput]({PLOT_NAME})", "",
              *_serving_rows(fig), "", "### Start-up and memory", "", *_memory_rows(fig), "",
              "The Rasa server's memory is its resident pages counted once each, read from "
              "`/proc/<pid>/pagemap` (`bench/procs.py`): the memory it takes from the machine. "
              "Summed RSS counts a page that forked Sanic workers share once per worker; PSS "
              "splits shared pages with every process that maps them, the benchmark's own "
              "included. The target is checked on the first.", "", "### Ours against the default recipe",
              "", *_ratios(fig), "", "## Where the time of a message goes", "", *_breakdown_rows(fig),
              "", "Milliseconds per message: mean per message (calls per message × ms per call), "
              "measured inside one Rasa agent handling the same script one message at a time "
              "(`bench/breakdown.py`). It leaves out the REST channel's HTTP, which the latency "
              "at one conversation includes.", ""]
    lines += [f"What was tried before, round by round: [the tuning diary](../{TUNING_NOTES}).", ""]
    path = reports / "benchmark.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def relative(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
