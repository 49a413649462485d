#!/usr/bin/env python3
"""Peer benchmark: the case process run in SpiffWorkflow, durably, one SQLite commit per step.

Usage: python harness.py --cases N --db PATH [--synchronous FULL|NORMAL]

For each case the harness creates a BpmnWorkflow from the spec (parsed once, before timing),
then completes the 13 user tasks one at a time, with data. After every completed task it
serialises the whole workflow with SpiffWorkflow's own BpmnWorkflowSerializer (JSON) and
writes it to SQLite (WAL, synchronous as given) in its own transaction, so a step counts
only once its COMMIT has returned. The three department items after the parallel split are
driven interleaved, round robin, as three departments working at once would.

stdout: exactly one line of JSON with the figures. Everything else goes to stderr.
Exit status: 0 on success, 1 if verification fails, 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import sqlite3
import sys
import time

from SpiffWorkflow.bpmn.parser import BpmnParser, BpmnValidator
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

HERE = os.path.dirname(os.path.abspath(__file__))
BPMN_FILE = os.path.join(HERE, "case_process.bpmn")
PROCESS_ID = "disability_case"
MAX_CASES = 100_000

# step name (BPMN task id) -> item it belongs to. 13 steps per case.
STEP_ITEM = {
    "accept": "intake",
    "cert_assess": "cert.new",
    "cert_review": "cert.new",
    "cert_issue": "cert.new",
    "nursing_first_review": "subsidy.nursing",
    "nursing_grade_check": "subsidy.nursing",
    "nursing_approve": "subsidy.nursing",
    "nursing_publicity": "subsidy.nursing",
    "pension_review": "pension.subsidy",
    "pension_pay": "pension.subsidy",
    "fuel_review": "fuel.subsidy",
    "fuel_grant": "fuel.subsidy",
    "notice": "notice",
}
STEPS_PER_CASE = len(STEP_ITEM)
assert STEPS_PER_CASE == 13

# Round-robin order of the three department items once the split has fired.
PARALLEL_ITEMS = ("subsidy.nursing", "pension.subsidy", "fuel.subsidy")

# The order round-robin interleaving must produce; checked for every case.
EXPECTED_ORDER = (
    "accept",
    "cert_assess", "cert_review", "cert_issue",
    "nursing_first_review", "pension_review", "fuel_review",
    "nursing_grade_check", "pension_pay", "fuel_grant",
    "nursing_approve",
    "nursing_publicity",
    "notice",
)
assert sorted(EXPECTED_ORDER) == sorted(STEP_ITEM)


def log(*args: object) -> None:
    print(*args, file=sys.stderr, flush=True)


def bounded_cases(text: str) -> int:
    try:
        n = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if not 1 <= n <= MAX_CASES:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_CASES}, got {n}")
    return n


def parse_args(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=bounded_cases, required=True,
                    help=f"number of cases to run (1..{MAX_CASES})")
    ap.add_argument("--db", required=True, help="SQLite file to create (recreated if present)")
    ap.add_argument("--synchronous", type=str.upper, choices=("FULL", "NORMAL"), default="FULL",
                    help="PRAGMA synchronous (default FULL)")
    args = ap.parse_args(argv)
    if not args.db.strip():
        ap.error("--db must not be empty")
    if args.db == ":memory:" or args.db.startswith("file:"):
        ap.error("--db must be a plain file path (the point is durable storage)")
    if os.path.isdir(args.db):
        ap.error(f"--db is a directory: {args.db}")
    return args


def step_data(name: str, case_id: int, task_data: dict) -> dict:
    """Data a clerk would enter when completing step `name`."""
    if name == "accept":
        return {"case_id": case_id, "applicant": f"applicant-{case_id}", "accepted": True}
    if name == "cert_assess":
        return {"category": ("limb", "visual", "hearing", "intellectual")[case_id % 4],
                "grade": 1 + case_id % 4}
    if name == "cert_review":
        return {"cert_reviewed": True}
    if name == "cert_issue":
        return {"cert_no": f"CERT{case_id:010d}", "cert_issued": True}
    if name == "nursing_first_review":
        return {"nursing_first_ok": True}
    if name == "nursing_grade_check":
        return {"nursing_grade_ok": task_data["grade"] <= 2}
    if name == "nursing_approve":
        return {"nursing_approved": True, "nursing_amount": 200 if task_data["grade"] == 1 else 100}
    if name == "nursing_publicity":
        return {"nursing_published": True}
    if name == "pension_review":
        return {"pension_approved": True}
    if name == "pension_pay":
        return {"pension_paid": 180}
    if name == "fuel_review":
        return {"fuel_approved": True}
    if name == "fuel_grant":
        return {"fuel_granted": 300}
    if name == "notice":
        # The join must have merged the three department items' results into this task's data.
        for key in ("nursing_approved", "pension_paid", "fuel_granted", "cert_no"):
            if key not in task_data:
                raise RuntimeError(f"case {case_id}: join did not carry {key!r} into notice")
        return {"notice": {
            "cert_no": task_data["cert_no"],
            "subsidy.nursing": task_data["nursing_amount"] if task_data["nursing_approved"] else 0,
            "pension.subsidy": task_data["pension_paid"],
            "fuel.subsidy": task_data["fuel_granted"],
        }, "approved": True}
    raise RuntimeError(f"unexpected step {name!r}")


def pick_next(ready: list, cursor: int) -> tuple[object, int]:
    """Pick the next ready user task: round robin across the three department items."""
    if len(ready) == 1:
        task = ready[0]
        item = STEP_ITEM[task.task_spec.name]
        if item in PARALLEL_ITEMS:
            cursor = (PARALLEL_ITEMS.index(item) + 1) % len(PARALLEL_ITEMS)
        return task, cursor
    by_item = {}
    for task in ready:
        item = STEP_ITEM.get(task.task_spec.name)
        if item not in PARALLEL_ITEMS or item in by_item:
            raise RuntimeError(f"unexpected set of ready tasks: {[t.task_spec.name for t in ready]}")
        by_item[item] = task
    for k in range(len(PARALLEL_ITEMS)):
        item = PARALLEL_ITEMS[(cursor + k) % len(PARALLEL_ITEMS)]
        if item in by_item:
            return by_item[item], (PARALLEL_ITEMS.index(item) + 1) % len(PARALLEL_ITEMS)
    raise AssertionError("unreachable")


def open_db(path: str, synchronous: str) -> sqlite3.Connection:
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            os.remove(path + suffix)
        except FileNotFoundError:
            pass
    # isolation_level=None: the sqlite3 module issues no implicit BEGIN/COMMIT; we do it ourselves.
    conn = sqlite3.connect(path, isolation_level=None)
    mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
    if mode.lower() != "wal":
        raise RuntimeError(f"could not enable WAL, journal_mode={mode}")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    got = conn.execute("PRAGMA synchronous").fetchone()[0]
    want = {"NORMAL": 1, "FULL": 2}[synchronous]
    if got != want:
        raise RuntimeError(f"PRAGMA synchronous is {got}, wanted {want} ({synchronous})")
    conn.execute(
        "CREATE TABLE workflow_state ("
        " case_id INTEGER PRIMARY KEY,"
        " step INTEGER NOT NULL,"
        " state TEXT NOT NULL)"
    )
    return conn


def run_case(case_id: int, spec, serializer: BpmnWorkflowSerializer, conn: sqlite3.Connection) -> tuple[int, int]:
    """Run one case to the end, committing after every step. Returns (steps committed, last state size)."""
    wf = BpmnWorkflow(spec)
    wf.do_engine_steps()  # start event -> first user task ready
    done: list[str] = []
    cursor = 0
    size = 0
    while not wf.is_completed():
        ready = wf.get_tasks(state=TaskState.READY, manual=True)
        if not ready:
            raise RuntimeError(f"case {case_id}: workflow stuck after {done}")
        task, cursor = pick_next(ready, cursor)
        name = task.task_spec.name
        task.set_data(**step_data(name, case_id, task.data))
        task.run()
        wf.do_engine_steps()
        done.append(name)
        state = serializer.serialize_json(wf)
        size = len(state)
        conn.execute("BEGIN")
        conn.execute(
            "INSERT OR REPLACE INTO workflow_state (case_id, step, state) VALUES (?, ?, ?)",
            (case_id, len(done), state),
        )
        conn.execute("COMMIT")
    if tuple(done) != EXPECTED_ORDER:
        raise RuntimeError(f"case {case_id}: ran {done}, expected {list(EXPECTED_ORDER)}")
    return len(done), size


def verify(conn: sqlite3.Connection, serializer: BpmnWorkflowSerializer, cases: int, committed: int) -> list[str]:
    """Re-read every case from SQLite and check it restores to a completed workflow."""
    errors = []
    expected_steps = STEPS_PER_CASE * cases
    if committed != expected_steps:
        errors.append(f"committed {committed} steps, expected {expected_steps}")
    count, total = conn.execute("SELECT COUNT(*), COALESCE(SUM(step), 0) FROM workflow_state").fetchone()
    if count != cases:
        errors.append(f"{count} rows in workflow_state, expected {cases}")
    if total != expected_steps:
        errors.append(f"sum of stored steps is {total}, expected {expected_steps}")
    for case_id, step, state in conn.execute("SELECT case_id, step, state FROM workflow_state ORDER BY case_id"):
        wf = serializer.deserialize_json(state)
        if step != STEPS_PER_CASE or not wf.is_completed():
            errors.append(f"case {case_id}: step {step}, completed={wf.is_completed()}")
        elif not wf.data.get("approved") or "notice" not in wf.data:
            errors.append(f"case {case_id}: completed without the combined notice data")
        if len(errors) > 20:
            errors.append("(stopping after 20 errors)")
            break
    return errors


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    version = importlib.metadata.version("SpiffWorkflow")

    # Outside timing: parse (and schema-validate) the BPMN once, build the serializer, set up the DB.
    parser = BpmnParser(validator=BpmnValidator())
    parser.add_bpmn_file(BPMN_FILE)
    spec = parser.get_spec(PROCESS_ID)
    serializer = BpmnWorkflowSerializer()
    conn = open_db(args.db, args.synchronous)
    log(f"spiffworkflow {version}, python {sys.version.split()[0]}, sqlite {sqlite3.sqlite_version}; "
        f"db {args.db} journal_mode=WAL synchronous={args.synchronous}; cases={args.cases}")

    committed = 0
    last_size = 0
    report_every = max(1, args.cases // 10)
    t0 = time.perf_counter()
    for case_id in range(1, args.cases + 1):
        steps, last_size = run_case(case_id, spec, serializer, conn)
        committed += steps
        if case_id % report_every == 0 and case_id != args.cases:
            log(f"  {case_id}/{args.cases} cases, {time.perf_counter() - t0:.2f}s")
    seconds = time.perf_counter() - t0
    log(f"timed part done in {seconds:.3f}s; final serialised state is {last_size} bytes per case")

    errors = verify(conn, serializer, args.cases, committed)
    conn.close()
    if errors:
        for e in errors:
            log("VERIFY FAILED:", e)
        return 1
    log(f"verified: {args.cases} cases completed, {committed} steps committed")

    print(json.dumps({
        "engine": "spiffworkflow",
        "version": version,
        "cases": args.cases,
        "steps": committed,
        "seconds": round(seconds, 6),
        "cases_per_sec": round(args.cases / seconds, 3),
        "steps_per_sec": round(committed / seconds, 3),
        "synchronous": args.synchronous,
    }), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
