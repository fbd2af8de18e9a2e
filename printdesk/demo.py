"""Sample data: fill a data folder with realistic jobs so a newcomer can try the console at once
and benchmarks have something to chew on.

Every job goes through the real workflow service (submit, approve, confirm, ...) with the desk's
clock replaced by a simulated one, so each demo job is a correct job (folder, metadata.json, full
event history) spread over the past ~8 weeks. The jobs are made in batches of new jobs
(core.jobs.batch.new_jobs_batch): the workflow's own declarations run on rows kept in memory,
and each batch of BATCH jobs is written with a few bulk inserts, each folder moved and its
metadata.json written once (tests/test_demo.py checks the result equals making every action
its own unit). About 8 ms of processor time per job; `workers` processes fill at once (their
batches overlap except for the short write at the end of each), so 10,000 jobs take well
under 90 s on two cores (was ~7.5 min). While a fill runs, the desk's clock is simulated:
don't share that Desk with live threads.
"""

from __future__ import annotations

import multiprocessing
import random
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

import trimesh
from sqlalchemy.exc import IntegrityError, OperationalError

from core.config import Config
from core.desk import Desk, open_desk
from core.domain import defaults, naming, tokens
from core.domain.statuses import ACTIVE_STATUSES, Status
from core.domain.values import Job, SubmissionForm, Upload
from core.jobs.batch import new_jobs_batch
from core.jobs.unit import active_batch
from storage.tables import JobRow

FIRST = tuple(", ".join((
    "José, María, Zoë, Chloé, Björn, Søren, Łukasz, Siobhán, Mary-Jane, Jean-Luc, Anaïs, François",
    "Ana-Sofía, Renée, Noémie, İlkay, Dāvis, Jürgen, Małgorzata, Ngọc, Aaliyah, Emma, Liam, Olivia",
    "Noah, Ava, Ethan, Sophia, Mason, Isabella, Lucas, Mia, Aiden, Harper, Elijah, Amara, Kwame",
    "Priya, Arjun, Mei, Hiroshi, Yusuf, Fatima, Tomás, Inès, Oluwaseun, Chidi, Leilani, Keanu",
    "Dakota, Rowan, Sienna, Mateo, Camila, Diego, Valentina, Ximena, Nikolai, Astrid, Freya",
    "Saoirse, Tadhg, DeShawn, Jaylen, Tre'Von, Mary Kate")).split(", "))
LAST = tuple(", ".join((
    "O'Brien, D'Angelo, O'Connor, Smith-Jones, García, Núñez, Müller, Østergaard, Kowalczyk, Nguyễn",
    "Fernández, López, Martínez, Dubois, Lefèvre, Schäfer, Çelik, Şahin, Johansson, Novák, Dvořák",
    "Williams, Johnson, Brown, Davis, Miller, Wilson, Taylor, Anderson, Thomas, Jackson, White",
    "Harris, Martin, Thompson, Robinson, Clark, Lewis, Walker, Hall, Young, King, Wright, Scott",
    "Green, Baker, Adams, Nakamura, Tanaka, Kim, Park, Chen, Patel, Okafor, Mensah, Boudreaux",
    "Thibodeaux, Landry, Hébert, Ramírez-Torres, van der Berg, MacDonald, St. Pierre, de la Cruz",
)).split(", "))
# A few names in other scripts, with the romanised handle the student's email would use.
NON_LATIN = (("王伟", "wang.wei"), ("李娜", "li.na"), ("김민준", "kim.minjun"), ("佐藤 陽菜", "sato.hina"),
             ("Дмитрий Иванов", "dmitry.ivanov"), ("Αλέξανδρος Παπαδόπουλος", "a.papadopoulos"),
             ("محمد العلي", "m.alali"), ("प्रिया शर्मा", "priya.sharma"), ("Ngô Bảo Châu", "bao.chau"))
DOMAINS = ("students.example.edu",) * 6 + ("example.edu", "alumni.example.edu", "example.com")
CLASSES = {"Art": ("ART 1011", "ART 2885", "ART 4460"), "Architecture": ("ARCH 4000", "ARCH 2002",
           "ARCH 3101", "ARCH 7005"), "Landscape Architecture": ("LA 3101", "LA 2402"),
           "Interior Design": ("ID 2400", "ID 3251"), "Engineering": ("ME 4201", "CE 2450", "EE 3755",
           "BE 4290")}
NO_CLASS = ("N/A", "N/A", "n/a", "None", "Personal project", "Thesis")
NOTES = ("Student asked for the part to be printed upright.", "Needs supports removed before pickup.",
         "Called the student: no answer, left a voicemail.", "Print with 15% infill; student agreed.",
         "Check the thin fin on the left side after printing.", "Student will pick up after 3 pm.",
         "Reprinted once: bed adhesion.", "Use the 0.6 mm nozzle.", "Multiple parts: bag them together.")
REJECT_FREE = ("Walls under 0.8 mm around the handle; please thicken them and resubmit.",
               "The file has several overlapping shells; please export a single solid.",
               "Duplicate of an earlier submission.")
FAIL_NOTES = ("Spaghetti after layer 40: bed adhesion failed.", "Nozzle clogged at 60%.",
              "Resin tank leak; cleaned, queued again.", "Power cut overnight.")
# Target status → weight. Expired pendings are a share of Pending (see _timeline).
WEIGHTS = {Status.UPLOADED: 10, Status.PENDING: 9, Status.READY_TO_PRINT: 8, Status.PRINTING: 5,
           Status.COMPLETED: 9, Status.PAID_PICKED_UP: 42, Status.REJECTED: 17}
EXPIRED_SHARE = 0.35
HISTORY_DAYS = 56
BATCH = 50


@dataclass(frozen=True)
class DemoReport:
    jobs: int
    by_status: Mapping[Status, int]
    expired_pending: int
    seconds: float

    @property
    def rate(self) -> float:
        """Jobs per second."""
        return self.jobs / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class Model:
    name: str  # the pool file is <name>.stl
    filenames: tuple[str, ...]  # what students call it
    problem: str | None = None  # "tiny" (a unit mistake) or "large" (too big for its printer)
    resin: bool = False  # small enough that resin is a sensible choice


POOL = (Model("cube", ("calibration_cube.stl", "cube_test.stl"), resin=True),
        Model("bracket", ("bracket_v2.stl", "Bracket FINAL.STL", "shelf-bracket.stl")),
        Model("vase", ("vase.stl", "Studio2_vase_model.stl")),
        Model("pawn", ("chess_pawn.stl", "pawn (1).stl"), resin=True),
        Model("ring", ("ring_size7.stl", "pendant.stl"), resin=True),
        Model("ball", ("sphere_test.stl", "planet.stl")),
        Model("stand", ("phone_stand.stl", "Phone Stand v3.stl")),
        Model("column", ("site_model_column.stl",), resin=True),
        Model("tiny", ("building_massing.stl", "model_inches.stl"), "tiny", resin=True),
        Model("large", ("full_site_model.stl", "terrain_big.stl"), "large"))


def _meshes() -> dict[str, trimesh.Trimesh]:
    c, tf = trimesh.creation, trimesh.transformations
    return {
        "cube": c.box((20, 20, 20)),
        "bracket": trimesh.util.concatenate([c.box((60, 25, 6)), c.box(
            (6, 25, 40), transform=tf.translation_matrix((27, 0, 23)))]),
        "vase": c.revolve([[0, 0], [30, 0], [38, 40], [22, 95], [28, 120], [0, 120]], sections=64),
        "pawn": c.revolve([[0, 0], [11, 0], [11, 3], [8, 5], [5, 18], [7, 20], [4, 22], [6, 27],
                           [3, 32], [0, 33]], sections=48),
        "ring": c.torus(12, 2.5, 48, 16),
        "ball": c.icosphere(3, 25),
        "stand": _stand(),
        "column": c.cylinder(9, 80, sections=40),
        "tiny": c.box((1.6, 1.2, 0.8)),  # drawn in inches, read as mm: the unit-mistake hint
        "large": c.box((290, 190, 60)),  # too large for the smallest printer of its method
    }


def _stand() -> trimesh.Trimesh:
    """A phone stand: its side profile (lip, base, a support leaning back), extruded 70 mm."""
    profile = [(0, 0), (75, 0), (75, 4), (32, 4), (52, 70), (44, 70), (20, 4), (8, 4), (8, 14),
               (0, 14)]
    triangles = [(0, 1, 2), (0, 2, 3), (0, 3, 6), (0, 6, 7), (0, 7, 8), (0, 8, 9), (6, 3, 4),
                 (6, 4, 5)]
    mesh = trimesh.creation.extrude_triangulation(profile, triangles, 70)
    # profile (u, v) and depth w → x = w, y = u, z = v: the lip faces the front (−y)
    return mesh.apply_transform([[0, 0, 1, 0], [1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1]])


def _write_pool(folder: Path) -> None:
    """A small pool of binary STL files, written once and shared by every job (and worker)."""
    for name, mesh in _meshes().items():
        mesh.apply_translation(-mesh.bounds[0])  # on the build plate, like a slicer would
        (folder / f"{name}.stl").write_bytes(mesh.export(file_type="stl"))


def fill_demo(desk: Desk, jobs: int, seed: int = 1, workers: int = 1,
              batched: bool = True) -> DemoReport:
    """Add `jobs` sample jobs; the same seed gives the same students, models and timeline.
    `batched=False` makes each action its own unit, as staff and students do (slow; the tests
    compare both ways)."""
    started = time.perf_counter()
    anchor = desk.now()
    offset = sum(desk.queries.counts().values())  # a second fill gets fresh email addresses
    workers = max(1, min(workers, jobs // 50))  # a process costs ~2 s to start
    with tempfile.TemporaryDirectory(prefix="printdesk-demo-") as tmp:
        pool_dir = Path(tmp)
        _write_pool(pool_dir)
        if not batched:
            counts = _fill_one_by_one(desk, range(jobs), seed, anchor, offset, pool_dir)
        elif workers == 1:
            counts = _fill(desk, range(jobs), seed, anchor, offset, pool_dir)
        else:
            tasks = [(desk.config, desk.machine, range(k, jobs, workers), seed, anchor, offset,
                      pool_dir) for k in range(workers)]
            # spawn: a forked child would share the parent's open database connections.
            with multiprocessing.get_context("spawn").Pool(workers) as processes:
                counts = sum(processes.starmap(_worker, tasks), Counter())
    expired = counts.pop("expired", 0)
    by_status = {s: counts.get(s.value, 0) for s in Status}
    return DemoReport(jobs, MappingProxyType(by_status), expired, time.perf_counter() - started)


def _worker(config: Config, machine: str, indexes: range, seed: int, anchor: datetime, offset: int,
            pool_dir: Path) -> Counter[str]:
    desk = open_desk(config, repair=False, machine=machine)
    try:
        return _fill(desk, indexes, seed, anchor, offset, pool_dir)
    finally:
        desk.close()


def _fill(desk: Desk, indexes: range, seed: int, anchor: datetime, offset: int,
          pool_dir: Path) -> Counter[str]:
    real_clock, counts = desk.now, Counter[str]()
    analyses: dict[Any, Any] = {}  # each pool file checked once per printer, not per job
    try:
        for start in range(0, len(indexes), BATCH):
            counts.update(_batch_of(desk, indexes[start:start + BATCH], seed, anchor, offset,
                                    pool_dir, analyses))
    finally:
        desk.now = real_clock  # the simulated clock must never outlive the fill
    return counts


def _fill_one_by_one(desk: Desk, indexes: range, seed: int, anchor: datetime, offset: int,
                     pool_dir: Path) -> Counter[str]:
    real_clock, counts = desk.now, Counter[str]()
    try:
        for index in indexes:
            job, expired = _one_job(desk, index, seed, anchor, offset, pool_dir)
            counts[job.status.value] += 1
            counts["expired"] += expired
    finally:
        desk.now = real_clock
    return counts


def _batch_of(desk: Desk, indexes: range, seed: int, anchor: datetime, offset: int,
              pool_dir: Path, analyses: dict[Any, Any]) -> Counter[str]:
    """One transaction for BATCH jobs: short enough that another writer waits well under the
    busy timeout, long enough that commits stop mattering. Another process's batch can still
    hold the database longer than that on a busy PC: a batch refused at its start ("database
    is locked") left nothing behind and is simply run again (its jobs are seeded by index)."""
    for attempt in range(1, 7):
        counts = Counter[str]()
        try:
            with new_jobs_batch(desk, analyses):
                for index in indexes:
                    job, expired = _one_job(desk, index, seed, anchor, offset, pool_dir)
                    counts[job.status.value] += 1
                    counts["expired"] += expired
            return counts
        except OperationalError as exc:
            if "locked" not in str(exc) or attempt == 6:
                raise
        except IntegrityError:  # another process's batch took one of this batch's short ids
            if attempt == 6:
                raise
    raise AssertionError("unreachable")


def _target(rng: random.Random, index: int) -> tuple[Status, bool]:
    """The first jobs cover every status (and an expired pending), the rest follow WEIGHTS."""
    firsts = [(s, False) for s in Status] + [(Status.PENDING, True)]
    if index < len(firsts):
        return firsts[index]
    status = rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
    return status, status is Status.PENDING and rng.random() < EXPIRED_SHARE


def _student(rng: random.Random, number: int) -> tuple[str, str]:
    if rng.random() < 0.04:
        name, handle = rng.choice(NON_LATIN)
    else:
        first, last = rng.choice(FIRST), rng.choice(LAST)
        name = f"{first} {last}"
        handle = ".".join(naming.fold(p).replace(" ", "").lower() for p in (first, last))
    return name, f"{handle}{number}@{rng.choice(DOMAINS)}"


def _form(desk: Desk, rng: random.Random, student: tuple[str, str], model: Model) -> SubmissionForm:
    config = desk.config
    methods = [m for m in config.methods if config.printers_for(m.name)]
    resin = [m for m in methods if m.name == defaults.RESIN]
    method = resin[0] if resin and model.resin and rng.random() < 0.45 else rng.choice(
        [m for m in methods if m.name != defaults.RESIN] or methods)
    printers = list(config.printers_for(method.name))
    if model.problem == "large":  # the student picked a printer the model does not fit
        printers = sorted(printers, key=lambda p: p.build_volume_mm[0] * p.build_volume_mm[1])[:1]
    discipline = rng.choice(config.disciplines)
    classes = CLASSES.get(discipline, ())
    class_number = rng.choice(classes) if classes and rng.random() < 0.8 else rng.choice(NO_CLASS)
    return SubmissionForm(student[0], student[1], discipline, class_number, method.name,
                          rng.choice(method.colors), rng.choice(printers).name, "yes")


def _one_job(desk: Desk, index: int, seed: int, anchor: datetime, offset: int,
             pool_dir: Path) -> tuple[Job, bool]:
    rng = random.Random(f"{seed}:{index}")
    target, expired = _target(rng, index)
    # Returning students: every 10th job reuses the previous job's student (when the cap allows).
    repeat = index % 10 == 9 and desk.config.limits.max_active_jobs_per_email >= 2
    owner = index - 1 if repeat else index
    student = _student(random.Random(f"{seed}:student:{owner}"), offset + owner)
    # Models with a problem (tiny, too large) only for jobs staff have not approved; the first
    # Uploaded job is the tiny one and the first Rejected the large one, so every fill has both.
    troubled = target in (Status.UPLOADED, Status.REJECTED) and rng.random() < 0.2
    model = rng.choice([m for m in POOL if (m.problem is not None) == troubled])
    model = {0: POOL[-2], len(Status) - 1: POOL[-1]}.get(index, model)
    form = _form(desk, rng, student, model)
    steps = _timeline(desk, rng, target, model)
    days, span = desk.config.limits.confirmation_days, (steps[-1][0] if steps else 0.0) / 24
    # When the job's last action happened: jobs still in the queue moved recently, expired
    # pendings were approved more than `days` ago, the rest anywhere in the past ~8 weeks.
    if target in ACTIVE_STATUSES and not expired:
        back = rng.uniform(0.05, min(4.0, days - 0.5))
    elif expired:
        back = rng.uniform(days + 0.5, max(days + 1, HISTORY_DAYS - span))
    else:
        back = rng.uniform(0.2, max(0.5, HISTORY_DAYS - span))
    end = anchor - timedelta(days=back)
    start = end - timedelta(hours=steps[-1][0] if steps else 0.0)
    moment = [start]
    desk.now = lambda: moment[0]
    upload = Upload(pool_dir / f"{model.name}.stl", rng.choice(model.filenames))
    job = desk.workflow.submit(form, upload).job
    for hours, action in steps:
        moment[0] = start + timedelta(hours=hours)
        job = action(job)
    return job, expired


Action = Callable[[Job], Job]


def _timeline(desk: Desk, rng: random.Random, target: Status, model: Model
              ) -> list[tuple[float, Action]]:
    """The actions that bring a new job to `target`, each at hours after its submission."""
    wf, clock = desk.workflow, [0.0]
    steps: list[tuple[float, Action]] = []
    link_hours = desk.config.limits.confirmation_days * 24 - 1  # a link is used before it expires

    def add(low: float, high: float, action: Action) -> None:
        clock[0] += rng.uniform(low, high)
        steps.append((clock[0], action))

    reviewed = rng.random() < (0.35 if target is Status.UPLOADED else 0.97)
    if reviewed:
        add(0.05, 20, lambda j: wf.mark_reviewed(j.id, j.version))
    # Any staff action marks a job reviewed, so only jobs staff looked at carry notes.
    if reviewed and rng.random() < 0.18:
        notes = rng.choice(NOTES)
        add(0.05, 6, lambda j: wf.edit_notes(j.id, j.version, notes))
    if target is Status.UPLOADED:
        return steps
    if target is Status.REJECTED and (model.problem or rng.random() < 0.6):
        reasons = _reasons(rng, model)
        add(1, 40, lambda j: wf.reject(j.id, j.version, reasons))
        return steps
    add(1, 40, lambda j: _approve(desk, rng, j))
    if target is Status.PENDING:
        if rng.random() < 0.2:
            add(24, max(25, link_hours - 24), lambda j: wf.resend_confirmation(j.id, j.version))
        return steps
    if target is Status.REJECTED:
        if rng.random() < 0.5:
            add(1, min(72, link_hours), lambda j: wf.decline(_token(desk, j)))
        else:
            reason = "No reply to the quote for two weeks"
            add(24 * 8, 24 * 14, lambda j: wf.reject(j.id, j.version, [reason]))
        return steps
    if rng.random() < 0.8:
        add(0.5, min(60, link_hours), lambda j: wf.confirm(_token(desk, j)))
    else:
        add(2, 96, lambda j: wf.confirm_on_behalf(j.id, j.version, "Confirmed in person at the desk"))
    if target is Status.READY_TO_PRINT:
        return steps
    if rng.random() < 0.06:  # a failed print goes back to the queue, then prints again
        failure = rng.choice(FAIL_NOTES)
        add(1, 48, lambda j: wf.start_printing(j.id, j.version))
        add(0.5, 10, lambda j: wf.print_failed(j.id, j.version, failure))
    add(1, 72, lambda j: wf.start_printing(j.id, j.version))
    if target is not Status.PRINTING:
        add(1, 14, lambda j: wf.complete(j.id, j.version))
    if target is Status.PAID_PICKED_UP:
        add(2, 24 * 8, lambda j: wf.picked_up(j.id, j.version, j.cost))
    return steps


def _reasons(rng: random.Random, model: Model) -> list[str]:
    if model.problem == "tiny":
        return ["Model not properly scaled"]
    if model.problem == "large":
        return ["Model too large for the selected printer"]
    reasons = rng.sample(defaults.REJECT_REASONS[:4], rng.choice((1, 1, 2)))
    return reasons + ([rng.choice(REJECT_FREE)] if rng.random() < 0.4 else [])


def _approve(desk: Desk, rng: random.Random, job: Job) -> Job:
    """Plausible slicer numbers: weight within the model check's estimate, time from weight."""
    estimate = (job.analysis or {}).get("estimate") or {}
    low, high = (estimate.get("weight_g") or [5.0, 30.0])[:2]
    weight = max(1.0, rng.uniform(low, high))
    height = ((job.analysis or {}).get("bbox_mm") or [0, 0, 30])[2]
    hours = 0.75 + height / 18 if job.print_method == defaults.RESIN else 0.3 + weight / 11
    return desk.workflow.approve(job.id, job.version, weight_g=f"{weight:.1f}",
                                 print_time_h=f"{hours * rng.uniform(0.8, 1.3):.2f}",
                                 material=job.print_method, printer=job.printer)


def _token(desk: Desk, job: Job) -> str:
    """The token from the student's emailed link, as the intake would receive it (read in the
    batch's own transaction: the job is not committed yet)."""
    batch = active_batch()
    if batch is not None:
        row = batch.rows.get(job.id)
    else:
        with desk.db.read() as session:
            row = session.get(JobRow, job.id)
    assert row is not None and row.confirm_nonce, "a pending job has a live confirmation link"
    return tokens.confirm_token(desk.secret, job.id, row.confirm_nonce)
