"""Frames per second of the proximity graph in headless Chromium while dragging a node, panning and zooming.

The real app (the built frontend + Django under gunicorn) serves a repository of real images: the three
labelled shared sets ingested and indexed once into --repo (reused afterwards). A search is made through
the UI's query form (upload + k + Search). The API and the form cap k at 200 (browser/views.py,
QueryForm.js), so for larger graphs the answer of POST /api/search/ is replaced, with Playwright's
page.route, by a real answer of the same search with k = N computed beforehand by the same service the
view calls (search_by_upload). Thumbnails then load from the server as usual.

FPS is sigma renders per second (frames whose picture changed, counted from the clears of sigma's WebGL
nodes canvas); requestAnimationFrame callbacks (the main thread's frames) are counted too. Headless
Chromium draws WebGL with SwiftShader (software GL on the CPU) here, with the tests' flags.

    .venv/bin/python benchmarks/graph_fps.py --sizes 200 2000 --seconds 5
    .venv/bin/python benchmarks/graph_fps.py --frontend before=var/benchmarks/graph_fps/dist-before --frontend current

--frontend LABEL=DIST measures another build of the frontend (served to the page with page.route), e.g.
one made from an older checkout with `npx vite build --outDir ../var/benchmarks/graph_fps/dist-before`.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
from pathlib import Path

from local_server import start_gunicorn, stop_gunicorn  # benchmarks/ is on sys.path when run as a script

ROOT = Path(__file__).resolve().parents[1]
PORT = 18155
DATASETS = ("covid_ct", "covid_chestxray", "brain_tumor_mri")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",  # as the tests
                  "--disable-component-update", "--disable-sync", "--no-first-run",
                  "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]
VIEWPORT = {"width": 1440, "height": 900}
USERNAME, PASSWORD = "bench-graph-fps", "bench-graph-fps-pw"
FORM_MAX_K = 200
INTERACTIONS = ("drag", "pan", "zoom")
MOVE_INTERVAL_S = 1 / 120  # a 120 Hz mouse
WHEEL_INTERVAL_S = 0.05
THUMBNAILS_TIMEOUT_S = 600

# Injected before the app's scripts: timestamps of the search, of the graph's arrival, of every animation
# frame and every sigma render (a clear of its WebGL nodes canvas), and long animation frames.
INSTRUMENTATION = """
(() => {
  const bench = window.__bench = { t: {}, frames: [], renders: [], inputs: [], loaf: [], recording: false };
  for (const type of ["mousemove", "wheel"]) {
    window.addEventListener(type, () => { if (bench.recording) bench.inputs.push(performance.now()); },
                            { capture: true, passive: true });
  }
  performance.setResourceTimingBufferSize(20000);
  const fetchOriginal = window.fetch;
  window.fetch = async function (input, init) {
    const url = typeof input === "string" ? input : input.url;
    const isSearch = url.includes("/api/search/");
    if (isSearch) bench.t.searchSent = performance.now();
    const response = await fetchOriginal.call(this, input, init);
    if (isSearch) {
      const json = response.json.bind(response);
      response.json = async () => { const data = await json(); bench.t.answerParsed = performance.now(); return data; };
    }
    return response;
  };
  for (const Context of [WebGLRenderingContext, WebGL2RenderingContext]) {
    const clear = Context.prototype.clear;
    Context.prototype.clear = function (mask) {
      if (this.canvas.classList && this.canvas.classList.contains("sigma-nodes")) bench.renders.push(performance.now());
      return clear.call(this, mask);
    };
  }
  // performance.now(), not the callback's frame time: a frame queued behind a long task carries a stale one.
  const tick = () => { if (bench.recording) bench.frames.push(performance.now()); requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
  new PerformanceObserver((list) => bench.loaf.push(...list.getEntries().map((e) => [e.startTime, e.duration])))
    .observe({ type: "long-animation-frame", buffered: false });
  document.addEventListener("DOMContentLoaded", () => {
    const graph = document.querySelector("#graph");
    new MutationObserver(() => {
      if (Number(graph.dataset.nodeCount) > 1 && bench.t.graphShown === undefined) {
        bench.t.graphShown = performance.now();
        requestAnimationFrame(() => { bench.t.firstFrame = performance.now(); });
      }
    }).observe(graph, { attributes: true, attributeFilter: ["data-node-count"] });
  });
})();
"""


def prepare_repository(repo: Path, minimum: int) -> int:
    """Django on the benchmark repository; ingests and indexes the shared sets when it holds too few images."""
    os.environ.update({"CBIR_VAR_DIR": str(repo), "DJANGO_SETTINGS_MODULE": "cbir.settings", "CELERY_BROKER_URL": "",
                       "CBIR_LOG_LEVEL": "WARNING"})
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from browser.accounts import create_user_with_role
    from ingest.models import Image

    call_command("migrate", verbosity=0)
    if Image.objects.count() < minimum:
        for name in DATASETS:
            folder = Path(settings.DATASETS_DIR) / name
            print(f"ingesting {folder} ...", flush=True)
            call_command("ingest_folder", str(folder), dataset=name, labels=folder / "labels.csv", no_embed=True)
        call_command("build_index")
    create_user_with_role(username=USERNAME, password=PASSWORD, role="student")
    return Image.objects.count()


def query_image() -> Path:
    from django.conf import settings

    folder = Path(settings.DATASETS_DIR) / "brain_tumor_mri"
    first = (folder / "labels.csv").read_text(encoding="utf-8").splitlines()[1]
    return folder / first.split(",")[0]


def record_answer(image: Path, k: int) -> bytes:
    """The JSON body POST /api/search/ would send for this upload with k results (the view minus its k cap)."""
    from rest_framework.renderers import JSONRenderer

    from browser.filters import Filters
    from browser.services.search import search_by_upload
    from embeddings.selectors import get_default_encoder_name

    answer = search_by_upload(data=image.read_bytes(), k=k, encoder=get_default_encoder_name(), filters=Filters())
    print(f"recorded search answer: {len(answer['results'])} results, {len(answer['edges'])} edges, "
          f"server stages {answer['query'].get('timings_ms')}", flush=True)
    return JSONRenderer().render(answer)


def serve_other_build(context, base_url: str, dist: Path) -> None:
    """Answer the page and its hashed assets from another build of the frontend (a before/after comparison)."""
    def page(route):
        route.fulfill(path=str(dist / "index.html"), content_type="text/html")

    def asset(route):
        file = dist / "assets" / route.request.url.split("/static/assets/")[1].split("?")[0]
        route.fulfill(path=str(file)) if file.is_file() else route.continue_()

    context.route(f"{base_url}/", page)
    context.route(f"{base_url}/static/assets/**", asset)


def frame_stats(frames: list[float], renders: list[float], start: float, end: float) -> dict:
    """FPS = sigma renders (frames with a new picture) per second; frame times = gaps between renders."""
    seconds = (end - start) / 1000
    drawn = [time for time in renders if start <= time <= end]
    gaps = sorted(b - a for a, b in zip(drawn, drawn[1:]))
    stats = {"seconds": round(seconds, 2), "renders": len(drawn), "fps": round(len(drawn) / seconds, 1),
             "raf_fps": round(sum(start <= time <= end for time in frames) / seconds, 1)}
    if gaps:
        p95 = gaps[min(len(gaps) - 1, int(round(0.95 * (len(gaps) - 1))))]
        stats |= {"median_fps": round(1000 / statistics.median(gaps), 1), "p95_frame_ms": round(p95, 1),
                  "max_frame_ms": round(gaps[-1], 1)}
    return stats


class Session:
    """One signed-in tab on one frontend build, showing one search answer."""

    def __init__(self, browser, base_url: str, dist: Path | None, answer: bytes | None):
        self.context = browser.new_context(viewport=VIEWPORT, locale="en-GB")
        self.context.request.get(f"{base_url}/")  # the page sets the CSRF cookie that signing in needs
        token = next(cookie["value"] for cookie in self.context.cookies() if cookie["name"] == "csrftoken")
        self.context.request.post(f"{base_url}/api/auth/login/", data={"username": USERNAME, "password": PASSWORD},
                                  headers={"X-CSRFToken": token})
        self.context.add_init_script(INSTRUMENTATION)
        if dist is not None:
            serve_other_build(self.context, base_url, dist)
        if answer is not None:
            self.context.route(f"{base_url}/api/search/",
                               lambda route: route.fulfill(status=200, body=answer, content_type="application/json"))
        self.page = self.context.new_page()
        self.page.set_default_timeout(180_000)
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.goto(f"{base_url}/")
        self.page.wait_for_selector("#search:not([disabled])")

    @property
    def box(self) -> dict:
        return self.page.locator("#graph").bounding_box()  # the query summary above it may have grown

    def now(self) -> float:
        return self.page.evaluate("performance.now()")

    def search(self, image: Path, nodes: int) -> dict:
        """Search through the form; times (ms) to the answer, to the graph, to its first frame and thumbnails."""
        page = self.page
        page.set_input_files("#image-input", str(image))
        page.fill("#k", str(min(nodes - 1, FORM_MAX_K)))
        clicked = self.now()
        page.click("#search")
        page.wait_for_selector(f"#graph[data-node-count='{nodes}']")
        page.wait_for_function("window.__bench.t.firstFrame !== undefined")
        thumbnails = self.wait_for_thumbnails(nodes - 1)
        page.wait_for_timeout(1500)  # @sigma/node-image builds its texture atlas 500 ms after the last image
        t = page.evaluate("window.__bench.t")
        layout = page.evaluate("performance.getEntriesByName('cbir:layout').map((e) => e.duration).pop() ?? null")
        return {"answer_ms": round(t["answerParsed"] - clicked, 1),
                "answer_to_graph_ms": round(t["graphShown"] - t["answerParsed"], 1),
                "layout_ms": None if layout is None else round(layout, 1),
                "first_draw_ms": round(t["firstFrame"] - clicked, 1),
                "thumbnails_loaded_ms": round(thumbnails - clicked, 1)}

    def wait_for_thumbnails(self, count: int) -> float:
        """When the last of `count` thumbnails arrived (page clock, ms); prints progress while they load."""
        started = time.perf_counter()
        while True:
            loaded, last = self.page.evaluate("""(() => {
                const done = performance.getEntriesByType('resource')
                  .filter((e) => e.name.includes('/thumbnail/') && e.responseEnd > 0);
                return [new Set(done.map((e) => e.name)).size, Math.max(0, ...done.map((e) => e.responseEnd))];
            })()""")
            if loaded >= count:
                return last
            if time.perf_counter() - started > THUMBNAILS_TIMEOUT_S:
                raise TimeoutError(f"{loaded} of {count} thumbnails after {THUMBNAILS_TIMEOUT_S} s")
            print(f"    thumbnails {loaded}/{count}", flush=True)
            time.sleep(5)

    def measure(self, action, seconds: float) -> dict:
        self.page.click("#zoom-reset")
        box = self.box
        self.page.mouse.move(box["x"] + 5, box["y"] + 5)
        self.page.wait_for_timeout(800)
        self.page.evaluate("Object.assign(window.__bench, {frames: [], renders: [], inputs: [], recording: true})")
        start = self.now()
        action(seconds)
        end = self.now()
        self.page.wait_for_timeout(300)
        bench = self.page.evaluate("window.__bench")
        self.page.evaluate("window.__bench.recording = false")
        stats = frame_stats(bench["frames"], bench["renders"], start, end)
        stats["long_frames"] = sum(start <= begin <= end for begin, _ in bench["loaf"])
        stats["inputs_per_s"] = round(sum(start <= at <= end for at in bench["inputs"]) / ((end - start) / 1000), 1)
        return stats

    def drag(self, seconds: float) -> None:
        ids = self.page.evaluate("window.__cbirGraph.imageIds()")
        position = self.page.evaluate("(id) => window.__cbirGraph.viewportPosition(id)", ids[len(ids) // 2])
        box = self.box
        self.circle(box["x"] + position["x"], box["y"] + position["y"], seconds, radius=120)

    def pan(self, seconds: float) -> None:
        self.circle(self.box["x"] + 30, self.box["y"] + 30, seconds, radius=150, around_start=False)

    def circle(self, x: float, y: float, seconds: float, *, radius: float, around_start: bool = True) -> None:
        """Press at (x, y) and move the mouse round a circle (through the start point) for `seconds`."""
        mouse = self.page.mouse
        mouse.move(x, y)
        mouse.down()
        centre_x = x - radius if around_start else x + radius
        phase = 0.0 if around_start else math.pi
        started = time.perf_counter()
        while (elapsed := time.perf_counter() - started) < seconds:
            angle = phase + 2 * math.pi * elapsed / 2.0  # one turn every 2 s
            mouse.move(centre_x + radius * math.cos(angle), y + radius * math.sin(angle))
            time.sleep(max(0.0, MOVE_INTERVAL_S - (time.perf_counter() - started - elapsed)))
        mouse.up()

    def zoom(self, seconds: float) -> None:
        """Wheel notches at the centre: 8 in, 8 out, repeated."""
        mouse, box = self.page.mouse, self.box
        mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        started, notch = time.perf_counter(), 0
        while time.perf_counter() - started < seconds:
            mouse.wheel(0, -120 if (notch // 8) % 2 == 0 else 120)
            notch += 1
            time.sleep(WHEEL_INTERVAL_S)

    def close(self) -> None:
        self.context.close()


def run_case(browser, base_url: str, label: str, dist: Path | None, nodes: int, image: Path,
             answer: bytes | None, seconds: float) -> dict:
    session = Session(browser, base_url, dist, answer)
    try:
        row = {"frontend": label, "nodes": nodes, **session.search(image, nodes),
               "edges": int(session.page.get_attribute("#graph", "data-edge-count"))}
        print(f"  {label} {nodes} nodes drawn: first draw {row['first_draw_ms']} ms, layout {row['layout_ms']} ms",
              flush=True)
        for name in INTERACTIONS:
            row[name] = session.measure(getattr(session, name), seconds)
            print(f"  {label} {nodes} {name}: {row[name]}", flush=True)
        row["page_errors"] = session.errors
        return row
    finally:
        session.close()


def markdown(rows: list[dict]) -> str:
    lines = ["| round | frontend | nodes | edges | interaction | FPS (renders/s) | median FPS | p95 frame ms | "
             "max frame ms | rAF/s | input events/s |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        for name in INTERACTIONS:
            stats = row[name]
            lines.append(f"| {row['round']} | {row['frontend']} | {row['nodes']} | {row['edges']} | {name} | "
                         f"{stats['fps']} | {stats.get('median_fps', '-')} | {stats.get('p95_frame_ms', '-')} | "
                         f"{stats.get('max_frame_ms', '-')} | {stats['raf_fps']} | {stats['inputs_per_s']} |")
    lines += ["", "| round | frontend | nodes | answer ms | answer → graph ms | layout ms | first draw ms | "
              "thumbnails loaded ms |", "|---|---|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {row['round']} | {row['frontend']} | {row['nodes']} | {row['answer_ms']} | "
                     f"{row['answer_to_graph_ms']} | "
                     f"{row['layout_ms'] if row['layout_ms'] is not None else 'n/a'} | {row['first_draw_ms']} | "
                     f"{row['thumbnails_loaded_ms']} |")
    return "\n".join(lines + [""] + summary(rows))


def summary(rows: list[dict]) -> list[str]:
    """FPS per build, interaction and size (median over rounds), and the largest size's over the smallest's."""
    sizes = sorted({row["nodes"] for row in rows})
    lines = ["| frontend | interaction | " + " | ".join(f"FPS at {size} nodes" for size in sizes)
             + f" | {sizes[-1]} / {sizes[0]} |", "|---|---|" + "---|" * (len(sizes) + 1)]
    for label in dict.fromkeys(row["frontend"] for row in rows):
        for name in INTERACTIONS:
            fps = [statistics.median(row[name]["fps"] for row in rows if row["frontend"] == label
                                     and row["nodes"] == size) for size in sizes]
            ratio = f"{fps[-1] / fps[0]:.2f}" if fps[0] else "-"
            lines.append(f"| {label} | {name} | " + " | ".join(f"{value:.1f}" for value in fps) + f" | {ratio} |")
    return lines


def machine_facts(browser) -> dict:
    return {"nproc": os.cpu_count(), "load_average": [round(value, 2) for value in os.getloadavg()],
            "platform": platform.platform(), "chromium": browser.version, "gl": "SwiftShader (software WebGL)"}


def parse_frontends(values: list[str]) -> list[tuple[str, Path | None]]:
    frontends = []
    for value in values or ["current"]:
        label, _, path = value.partition("=")
        frontends.append((label, Path(path).resolve() if path else None))
    return frontends


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repo", type=Path, default=ROOT / "var" / "benchmarks" / "graph_fps" / "repo",
                        help="its CBIR_VAR_DIR; ingested and indexed on first use")
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 2000], help="results per graph")
    parser.add_argument("--seconds", type=float, default=5.0, help="per interaction")
    parser.add_argument("--frontend", action="append", metavar="LABEL[=DIST]",
                        help="a build to measure (default: frontend/dist as 'current'); repeatable")
    parser.add_argument("--rounds", type=int, default=1, help="repeat every measurement")
    parser.add_argument("--json", type=Path, default=ROOT / "var" / "benchmarks" / "graph_fps.json")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    repo = args.repo.resolve()
    print(f"repository {repo}: {prepare_repository(repo, max(args.sizes))} images", flush=True)
    image = query_image()
    answers = {size: record_answer(image, size) if size > FORM_MAX_K else None for size in args.sizes}
    server = start_gunicorn(repo, PORT, ready_seconds=60)
    base_url = f"http://127.0.0.1:{PORT}"
    rows = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
            facts = machine_facts(browser)
            print(f"machine: {facts}", flush=True)
            for round_number in range(1, args.rounds + 1):  # builds alternate: both see the same machine load
                for size in args.sizes:
                    for label, dist in parse_frontends(args.frontend):
                        print(f"round {round_number}, {label}: {size} results ...", flush=True)
                        rows.append({"round": round_number, **run_case(browser, base_url, label, dist, size + 1,
                                                                        image, answers[size], args.seconds)})
            facts["load_average_after"] = [round(value, 2) for value in os.getloadavg()]
            browser.close()
    finally:
        stop_gunicorn(server)
    print(f"\nquery {image.name}; {args.seconds:g} s per interaction; {facts}\n")
    print(markdown(rows))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"machine": facts, "query": image.name, "seconds": args.seconds, "rows": rows},
                                    indent=2), encoding="utf-8")
    print(f"\nwritten {args.json}")


if __name__ == "__main__":
    main()
