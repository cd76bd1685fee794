"""Key-to-repaint latency of every widget of the course, in JupyterLab 4 and a real (headless) Chromium.

    .venv/bin/python benchmarks/bench_widgets.py [--presses 8] [--quiet-ms 500] [--only 05,06]

The widgets are found in tests/browser_steps/NN_name.json, the files the browser test presses (so a new
widget is benchmarked as soon as it has steps): each step is one row — its "focus" element (a slider
handle, a button; "click": true clicks it, e.g. a toggle button) and its "key".

How one press is timed. A MutationObserver in the page records the time of every change inside the
outputs of the widget's notebook cell, except inside the pressed control itself (its handle moves at once,
in the browser; a toggle-button group is one control). Changes to the cell itself are not counted: a click
makes JupyterLab activate the cell (its class, toolbar and editor change), which is not the widget's repaint
(until 2026-12-04 they were counted, and a toggle's row timed JupyterLab's cell activation instead).
A capturing keydown/pointerdown listener records the press. After the press we wait until the
kernel is idle again and --quiet-ms have passed with no change (a slow widget may repaint in pieces, with
long gaps while the kernel works); latency = the LAST change − the press: the widget is fully repainted,
every round trip to the kernel included. A press that changes nothing (a slider at its end, a button
whose state cannot move on) is not counted: the slider turns round (→ becomes ←), a button uses the
step's "back" press if it has one. Notebooks are run first (Run All), like tests/test_browser.py.

Goal (issue 12): every widget ≤ 100 ms median and ≤ 200 ms max. Prints the load average with the table:
on a loaded machine the numbers are inflated.
"""
import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import test_browser  # noqa: E402  (the browser test's JupyterLab and Chromium set-up, shared)

GOAL_MEDIAN_MS, GOAL_MAX_MS = 100.0, 200.0
OPPOSITE = {"ArrowRight": "ArrowLeft", "ArrowLeft": "ArrowRight", "ArrowUp": "ArrowDown", "ArrowDown": "ArrowUp",
            "PageUp": "PageDown", "PageDown": "PageUp", "Home": "End", "End": "Home"}

# Installed once per page: records presses and the changes inside one cell (window.__bench.watch(element)).
OBSERVER_JS = """
() => {
  if (window.__bench) return;
  const bench = window.__bench = {press: null, last: null, changes: 0, observer: null, control: null,
                                  status: 'idle'};
  // the kernel's busy/idle status: a repaint may come in pieces with long gaps while the kernel still works
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  bench.status = kernel.status;
  kernel.statusChanged.connect((_, status) => { bench.status = status; });
  const mark = () => { bench.press = performance.now(); bench.last = null; bench.changes = 0; };
  window.addEventListener('keydown', mark, true);
  window.addEventListener('pointerdown', mark, true);
  bench.watch = (target) => {
    if (!target) return false;
    // the cell's outputs, not the cell: a click also makes JupyterLab activate the cell (its class, tab index,
    // toolbar and editor change), which is not the widget repainting
    const cell = target.closest('.jp-Cell');
    const outputs = (cell && cell.querySelector('.jp-Cell-outputWrapper')) || cell || document.body;
    // the pressed control: a toggle-button group's element has no 'jupyter-widgets' class, so name it first
    bench.control = target.closest('.widget-toggle-buttons, .jupyter-widgets') || target;
    if (bench.observer) bench.observer.disconnect();
    bench.observer = new MutationObserver((records) => {
      const now = performance.now();
      for (const record of records) {
        const node = record.target.nodeType === 1 ? record.target : record.target.parentElement;
        if (node && bench.control.contains(node)) continue;   // the control itself: moves at once
        bench.last = now; bench.changes += 1;
      }
    });
    bench.observer.observe(outputs, {subtree: true, childList: true, attributes: true, characterData: true});
    return true;
  };
}
"""


def wait_quiet(page, quiet_ms, timeout_s=20.0):
    """Wait until quiet_ms have passed since the press and since the last change; return (latency, changes)."""
    end = time.time() + timeout_s
    while time.time() < end:
        state = page.evaluate("""(quiet) => {
            const b = window.__bench, now = performance.now();
            const since = Math.max(b.press ?? now, b.last ?? 0);
            return {done: now - since >= quiet && b.status === 'idle',
                    latency: b.last === null ? null : b.last - b.press,
                    changes: b.changes};
        }""", quiet_ms)
        if state["done"]:
            return state["latency"], state["changes"]
        page.wait_for_timeout(50)
    return None, -1


def press(page, selector, key, click):
    target = page.locator(selector).first
    target.scroll_into_view_if_needed()
    if click:
        # a toggle button: click the group's first button that is not selected (clicking a selected one does nothing)
        group = target.locator("xpath=ancestor::*[contains(@class, 'widget-toggle-buttons')][1]")
        if group.count():
            target = group.locator("button:not(.mod-active)").first
        target.click()
    else:
        target.focus()
        target.press(key)


def watch(page, selector):
    """Observe the cell of the first element matching a Playwright selector (CSS, or e.g. :has-text())."""
    located = page.locator(selector).first
    try:
        located.wait_for(timeout=30_000)
    except Exception:  # noqa: BLE001  (any Playwright timeout: reported as a missing widget)
        return False
    return page.evaluate("(element) => window.__bench.watch(element)", located.element_handle())


def measure_step(page, step, presses, quiet_ms):
    """Latencies (ms) of `presses` presses that changed the view, and notes on presses that did not."""
    forward = (step["focus"], step.get("key", "Enter"), bool(step.get("click")))
    back = step.get("back")
    backward = (back["focus"], back.get("key", "Enter"), bool(back.get("click"))) if back else None
    if backward is None and not forward[2] and forward[1] in OPPOSITE:
        backward = (forward[0], OPPOSITE[forward[1]], False)
    if not watch(page, step["focus"]):
        return [], f"{step['focus']} not found"
    # focusing (or a first click) is not a measured press
    page.locator(step["focus"]).first.scroll_into_view_if_needed()
    page.locator(step["focus"]).first.focus()
    page.wait_for_timeout(quiet_ms)
    latencies, notes, action, misses = [], [], forward, 0
    for _ in range(3 * presses):
        if len(latencies) >= presses:
            break
        if action is not forward and action[0] != forward[0]:
            watch(page, action[0])
        press(page, *action)
        latency, changes = wait_quiet(page, quiet_ms)
        if action is not forward and action[0] != forward[0]:
            watch(page, forward[0])
        if changes == -1:
            notes.append("a press never settled (still changing after 20 s)")
            break
        if latency is None:  # nothing changed: at the end of its range
            misses += 1
            if backward is None or misses > 2:
                notes.append(f"only {len(latencies)} presses changed the view")
                break
            action = backward if action is forward else forward
            continue
        misses = 0
        latencies.append(latency)
    return latencies, "; ".join(notes)


def bench_notebook(browser, lab, steps_file, presses, quiet_ms):
    relpath = f"notebooks/{steps_file.stem}.ipynb"
    rows = []
    page = test_browser.open_and_run(browser, lab, relpath)
    try:
        page.evaluate(OBSERVER_JS)
        for step in json.loads(steps_file.read_text())["steps"]:
            action = "click" if step.get("click") else step.get("key", "Enter")
            name = f"{steps_file.stem[:2]} {step['focus'].split(',')[0].strip()} ({action})"
            latencies, note = measure_step(page, step, presses, quiet_ms)
            rows.append((name, latencies, note))
    finally:
        test_browser.shut_down_kernels(page, lab)
        page.close()
    return rows


def verdict(latencies):
    if not latencies:
        return "no data"
    ok = statistics.median(latencies) <= GOAL_MEDIAN_MS and max(latencies) <= GOAL_MAX_MS
    return "✔ meets goal" if ok else "✘ too slow"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--presses", type=int, default=8, help="presses that change the view, per widget (≥ 6)")
    parser.add_argument("--quiet-ms", type=float, default=500.0, help="no change for this long = repainted")
    parser.add_argument("--only", default="", help="comma-separated notebook numbers, e.g. 05,06")
    args = parser.parse_args()
    if args.presses < 1:
        parser.error("--presses must be ≥ 1")
    missing = test_browser._missing_tools()
    if missing:
        sys.exit(f"bench_widgets needs a browser: {missing}")
    wanted = {n.strip() for n in args.only.split(",") if n.strip()}
    steps_files = [f for f in sorted(test_browser.STEPS_DIR.glob("[0-9][0-9]_*.json"))
                   if not wanted or f.stem[:2] in wanted]
    from playwright.sync_api import sync_playwright

    rows = []
    began = time.time()
    with tempfile.TemporaryDirectory() as user, test_browser.running_lab(user) as lab, sync_playwright() as p:
        browser = test_browser.launch_chromium(p)
        try:
            for steps_file in steps_files:
                print(f"… {steps_file.stem}", file=sys.stderr, flush=True)
                rows.extend(bench_notebook(browser, lab, steps_file, args.presses, args.quiet_ms))
        finally:
            browser.close()
    load = os.getloadavg()
    width = max(len(name) for name, _, _ in rows) if rows else 10
    print(f"\nKey-to-repaint latency in JupyterLab + headless Chromium (press → last change in the widget's outputs), "
          f"{args.presses} presses each; load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} on "
          f"{os.cpu_count()} cores; {time.time() - began:.0f} s in all\n")
    header = "widget (notebook, focus, key)"
    print(f"| {header:{width}} | presses | median ms | max ms | goal (median / max) | verdict |")
    print(f"|{'-' * (width + 2)}|---------|-----------|--------|---------------------|---------|")
    for name, latencies, note in rows:
        median = f"{statistics.median(latencies):.0f}" if latencies else "–"
        largest = f"{max(latencies):.0f}" if latencies else "–"
        print(f"| {name:{width}} | {len(latencies):7d} | {median:>9} | {largest:>6} | "
              f"≤ {GOAL_MEDIAN_MS:.0f} / ≤ {GOAL_MAX_MS:.0f} ms      | {verdict(latencies)}"
              f"{' (' + note + ')' if note else ''} |")


if __name__ == "__main__":
    main()
