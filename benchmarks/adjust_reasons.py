"""Why the hybrid pre-annotation's matched proposals need an adjustment on the real Argoverse sweeps.

For every proposal that `annotator simulate`'s scripted annotator matches to a label (BEV IoU >= 0.1) but
cannot accept as it is (`annotator.ml.finetune.edits.Tolerance`: class, centre within 0.2 m, every side
within 10 %, heading within 10 degrees), the criteria it fails, counted by the label's class, the proposal's
source (the `geometric` plugin's box or a network proposal the hybrid added), the label's range and the
number of points in it; and how many would be accepted if only one criterion were fixed (those failing
that criterion alone). Then the median signed errors of the matched boxes in the label's frame (centre
along / across its heading, sides, heading), which say in which direction each criterion fails.

The proposals are those of ``annotator preannotate --plugin pointpillars -p complement=geometric`` with the
shipped weights (the plugins' defaults, 1 torch thread); ``--cache FILE`` keeps them (pickle) so that a
second run only re-counts.

    python benchmarks/adjust_reasons.py [--frames 0-29] [--cache FILE] [-p NAME=VALUE]
"""

from __future__ import annotations

import argparse
import math
import pickle
import statistics
import sys
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import real_assist

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.rotation import wrap_angle
from annotator.ml.finetune.edits import EditCounts, EffortModel, Tolerance, count_edits, matched_pairs
from annotator.ml.protocol import FrameInput

CRITERIA = ("class", "centre", "length", "width", "height", "heading")
RANGES = ((0.0, 15.0), (15.0, 30.0), (30.0, 50.0))
POINTS = ((10, 30), (30, 100), (100, 300), (300, 10**9))


def failures(p_class: str, p_box: Cuboid, t_class: str, t_box: Cuboid, tol: Tolerance) -> tuple[str, ...]:
    """The tolerance criteria ``p_box`` fails against ``t_box`` (empty: accepted)."""
    failed = []
    if p_class != t_class:
        failed.append("class")
    if np.linalg.norm(np.subtract(p_box.center, t_box.center)) > tol.centre:
        failed.append("centre")
    ratio = np.abs(np.subtract(p_box.size, t_box.size)) / np.maximum(np.asarray(t_box.size), 1e-6)
    failed += [name for name, r in zip(("length", "width", "height"), ratio) if r > tol.size]
    if abs(wrap_angle(p_box.yaw - t_box.yaw)) > math.radians(tol.yaw_degrees):
        failed.append("heading")
    return tuple(failed)


def errors(p_box: Cuboid, t_box: Cuboid) -> dict[str, float]:
    """Signed errors of ``p_box`` in ``t_box``'s frame: centre along / across its heading and up, sides,
    heading (degrees, wrapped to (-180, 180])."""
    dx, dy, dz = np.subtract(p_box.center, t_box.center)
    c, s = math.cos(t_box.yaw), math.sin(t_box.yaw)
    return {
        "along": abs(c * dx + s * dy),
        "across": abs(-s * dx + c * dy),
        "up": dz,
        "d_length": p_box.size[0] - t_box.size[0],
        "d_width": p_box.size[1] - t_box.size[1],
        "d_height": p_box.size[2] - t_box.size[2],
        "heading": math.degrees(wrap_angle(p_box.yaw - t_box.yaw)),
    }


def bin_of(value: float, bins: tuple[tuple[float, float], ...]) -> str:
    for low, high in bins:
        if low <= value < high:
            return f"{low:g}-{high:g}" if high < 10**8 else f">={low:g}"
    return "other"


def detect(frames: set[int] | None, params: dict, weights: Path | None = None) -> list[dict]:
    """Per sweep: labels, don't-care boxes, the hybrid's proposals and the geometric plugin's own boxes
    (``weights``: the network's, else the shipped ones)."""
    from annotator.ml.registry import PluginRegistry
    from annotator.ml.shipped import base_weights

    registry = PluginRegistry.discover()
    network = registry.load("pointpillars")
    network.load(str(weights or base_weights(registry.manifest("pointpillars"))))
    geometric = registry.load("geometric")
    classes = list(registry.manifest("pointpillars").classes)
    rows = []
    for sample in real_assist.argoverse_samples(classes, frames):
        frame = FrameInput(sample.name, sample.points)
        hybrid = network.predict(frame, {"threads": 1, "complement": "geometric", **params})
        own = geometric.predict(frame, {})
        counts = [int(box.points_inside(sample.points[:, :3]).sum()) for _, box in sample.truths]
        rows.append(
            {
                "name": sample.name,
                "truths": sample.truths,
                "ignore": sample.ignore,
                "hybrid": hybrid,
                "geometric": own.boxes[:, :7].copy(),
                "points": counts,
            }
        )
        print(f"{sample.name}: {len(hybrid)} proposals", flush=True)
    return rows


def track_keys(rows: list[dict]) -> None:
    """Each row's ``tracks``: the track of every label (the log's object ids), so that the counts can say
    how many distinct objects they come from (consecutive sweeps show the same objects)."""
    from annotator.io.importers import read_source

    frames = read_source("argoverse", real_assist.ARGOVERSE).frames
    for row in rows:
        objects = [o for o in frames[int(row["name"].split()[1])].objects if o.cuboid is not None]
        centres = np.array([o.cuboid.center for o in objects]).reshape(-1, 3)
        row["tracks"] = [
            objects[int(np.argmin(np.linalg.norm(centres - np.asarray(box.center), axis=1)))].track_key
            for _, box in row["truths"]
        ]


def proposals(row: dict) -> list[tuple[str, Cuboid, str]]:
    """(class, cuboid, source) of the hybrid's proposals within the annotated range."""
    found, own = row["hybrid"], row["geometric"]
    keep = real_assist.within(real_assist.MAX_RANGE)
    out = []
    for box, label in zip(found.boxes, found.labels):
        source = "geometric" if len(own) and np.abs(own - box[:7]).max(axis=1).min() < 1e-6 else "network"
        cuboid = Cuboid.from_array(box)
        if keep(cuboid):
            out.append((found.class_names[int(label)], cuboid, source))
    return out


def table(title: str, groups: dict[str, list[tuple[str, ...]]]) -> None:
    """One line per group: matched, accepted, adjusted, each criterion failed, and those failing only it."""
    print(f"\n{title}")
    head = " | ".join(f"{c} (alone)" for c in CRITERIA)
    print(f"| group | matched | accepted | adjusted | {head} |")
    print("| --- " * (4 + len(CRITERIA)) + "|")
    for name in sorted(groups):
        fails = groups[name]
        bad = [f for f in fails if f]
        every = Counter(c for f in bad for c in f)
        alone = Counter(f[0] for f in bad if len(f) == 1)
        cells = " | ".join(f"{every[c]} ({alone[c]})" for c in CRITERIA)
        print(f"| {name} | {len(fails)} | {len(fails) - len(bad)} | {len(bad)} | {cells} |")


def bounds(fails: list[tuple[str, ...]], counts: EditCounts, truths: int) -> None:
    """Effort of the run if the criteria of a set were always met (each adjustment failing only criteria of
    the set becoming an accept, 11 s less): what fixing them is worth at most, one to three at a time."""
    costs = EffortModel()
    manual = costs.manual_seconds(truths)
    now = costs.seconds(counts)
    print(f"\neffort now {now / manual:.3f}x ({counts.to_dict()}); fixing a set of criteria everywhere:")
    print("| criteria fixed | adjustments that become accepts | effort |")
    print("| --- | --- | --- |")
    gain = costs.adjust - costs.accept
    sets = [s for k in (1, 2, 3) for s in combinations(CRITERIA, k)]
    rows = [(s, sum(1 for f in fails if f and set(f) <= set(s))) for s in sets]
    for chosen, count in sorted(rows, key=lambda r: -r[1])[:12]:
        print(f"| {' + '.join(chosen)} | {count} | {(now - gain * count) / manual:.3f}x |")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--frames", default="0-29", help="Argoverse sweeps (default 0-29, the development part)"
    )
    parser.add_argument("--cache", type=Path, help="pickle of the proposals: read when present, else written")
    parser.add_argument("--weights", type=Path, help="the network's weights (default: the shipped ones)")
    parser.add_argument(
        "-p",
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="more pointpillars parameters (strings)",
    )
    args = parser.parse_args()
    if args.cache and args.cache.exists():
        rows = pickle.loads(args.cache.read_bytes())
    else:
        params = dict(p.split("=", 1) for p in args.param)
        rows = detect(real_assist.parse_frames(args.frames), params, args.weights)
        if args.cache:
            args.cache.write_bytes(pickle.dumps(rows))
    tol = Tolerance()
    groups: dict[str, dict[str, list[tuple[str, ...]]]] = defaultdict(lambda: defaultdict(list))
    signed: dict[str, list[dict[str, float]]] = defaultdict(list)
    counts, truths = EditCounts(), 0
    objects: dict[tuple[str, bool], set] = defaultdict(set)
    track_keys(rows)
    for row in rows:
        found = proposals(row)
        counts = counts + count_edits([(c, b) for c, b, _ in found], row["truths"], row["ignore"])
        truths += len(row["truths"])
        for i, j in matched_pairs([(c, b) for c, b, _ in found], row["truths"]):
            p_class, p_box, source = found[i]
            t_class, t_box = row["truths"][j]
            failed = failures(p_class, p_box, t_class, t_box, tol)
            distance = math.hypot(*t_box.center[:2])
            keys = {
                "class": t_class,
                "source": source,
                "class x source": f"{t_class} / {source}",
                "range (m)": bin_of(distance, RANGES),
                "points in the label": bin_of(row["points"][j], POINTS),
            }
            for kind, key in keys.items():
                groups[kind][key].append(failed)
            groups["all"]["all"].append(failed)
            objects[(t_class, not failed)].add(row["tracks"][j])
            signed[f"{t_class} / {source}"].append(errors(p_box, t_box))
    print(
        f"sweeps: {len(rows)}; criteria failed by the matched proposals, (in brackets) failing that one alone"
    )
    for kind in ("all", "class", "source", "class x source", "range (m)", "points in the label"):
        table(kind, groups[kind])
    every = {t for row in rows for t in row["tracks"]}
    print(f"\nlabels: {truths} boxes of {len(every)} objects; distinct objects (tracks) behind the matches:")
    for (name, accepted), tracks in sorted(objects.items()):
        print(f"  {name} {'accepted' if accepted else 'adjusted'}: {len(tracks)}")
    bounds(groups["all"]["all"], counts, truths)
    print("\nmedian errors of the matched proposals in the label's frame (m, degrees)")
    names = ("along", "across", "up", "d_length", "d_width", "d_height")
    print(
        "| class / source | n | " + " | ".join(names) + " | heading within 10 / 10-30 / 30-150 / >150 deg |"
    )
    print("| --- " * (3 + len(names)) + "|")
    for key in sorted(signed):
        values = signed[key]
        medians = " | ".join(f"{statistics.median(v[n] for v in values):+.2f}" for n in names)
        turn = [abs(v["heading"]) for v in values]
        bins = [sum(lo <= t < hi for t in turn) for lo, hi in ((0, 10), (10, 30), (30, 150), (150, 181))]
        print(f"| {key} | {len(values)} | {medians} | {' / '.join(map(str, bins))} |")


if __name__ == "__main__":
    main()
