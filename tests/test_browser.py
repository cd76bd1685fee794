"""The course in a real browser: JupyterLab 4 in Debian's headless Chromium, driven by Playwright.

For every notebook: open it, run all cells, wait for the kernel to be idle, and check that no widget
failed to display or is stuck loading and that no traceback or error output is on the page. A notebook
that shows widgets must have a steps file in tests/browser_steps/ (NN_name.json); its real key presses
must change what the learner sees (the watched element's text or image).

Steps file:  {"steps": [{"focus": CSS, "key": "ArrowRight", "times": 2, "watch": CSS,
                         "expect_text": "optional text the watched element shows afterwards"}]}
Optional per step: "click": true (click the focus element first, e.g. a toggle button) and, for
benchmarks/bench_widgets.py, "back": {"focus": CSS, "key": …} — the press that undoes this one (e.g. a
"previous" button for a "next" button), so the benchmark can keep pressing. The benchmark reads these
files to find every widget of the course; a new widget needs only its steps.

These tests skip (with the reason) only when Playwright or chromium is missing and CI is not set.
"""
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import NOTEBOOKS, ROOT, notebook_ids

pytestmark = pytest.mark.browser

TOKEN = "course-browser-test"
STEPS_DIR = Path(__file__).parent / "browser_steps"
CHROME_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage"]


def _missing_tools():
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -r requirements-dev.txt)"
    if not (shutil.which("chromium") or Path("/usr/bin/chromium").exists()):
        return "chromium is not installed (sudo apt-get install -y chromium)"
    return None


def _require_tools():
    missing = _missing_tools()
    if missing:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"CI is set, so the browser tests must run, but {missing}")
        print(f"skipping browser tests: {missing}")
        pytest.skip(missing)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_lab(user):
    """A JupyterLab server of our own on a free loopback port (settings and workspaces under `user`);
    yields its base URL and stops it by its own handle. Also used by benchmarks/bench_widgets.py."""
    user = Path(user)
    settings = user / "settings"
    overrides = {
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
            {"fetchNews": "false", "checkForUpdates": False},
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
        "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    }
    for name, value in overrides.items():
        target = settings / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(value))
    port = _free_port()
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
           f"--IdentityProvider.token={TOKEN}", "--allow-root", f"--ServerApp.root_dir={ROOT}",
           "--LabApp.expose_app_in_browser=True", "--LabApp.extension_manager=readonly",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
           f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={user / 'workspaces'}"]
    log = open(user / "lab.log", "w")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                            env=dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(settings)))
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(f"{base}/api/status?token={TOKEN}", timeout=1)
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail("JupyterLab exited:\n" + (user / "lab.log").read_text()[-3000:])
                time.sleep(0.25)
        else:
            pytest.fail("JupyterLab did not answer within 60 s")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server of our own on a free loopback port; stopped by its own handle."""
    _require_tools()
    with running_lab(tmp_path_factory.mktemp("lab")) as base:
        yield base


@pytest.fixture(scope="module")
def browser(lab):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()


def launch_chromium(playwright):
    """Debian's headless Chromium through Playwright (also used by benchmarks/bench_widgets.py)."""
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    return playwright.chromium.launch(executable_path=chromium, args=CHROME_ARGS, headless=True)


def open_and_run(browser, lab, relpath, timeout_s=300):
    """Open a notebook in JupyterLab, run all cells and wait until the kernel is idle."""
    page = browser.new_page(viewport={"width": 1280, "height": 1600})
    page.goto(f"{lab}/lab/tree/{relpath}?reset&token={TOKEN}")
    end = time.time() + 120
    while not page.get_by_text("| Idle").count():
        if time.time() > end:
            pytest.fail(f"{relpath}: the kernel never became idle")
        page.wait_for_timeout(250)
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_timeout(1000)
    wait_idle(page, timeout_s)
    return page


def wait_idle(page, timeout_s):
    page.get_by_text("| Idle").first.wait_for(timeout=timeout_s * 1000)
    page.wait_for_function(
        "() => ![...document.querySelectorAll('.jp-InputPrompt')].some(p => p.textContent.includes('*'))",
        timeout=timeout_s * 1000)
    page.wait_for_timeout(750)


def page_problems(page):
    """Problems shown in cell outputs (markdown may mention these words; it is not searched)."""
    outputs = page.locator(".jp-OutputArea")
    checks = {
        "an error output": page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'),
        "a traceback": outputs.get_by_text("Traceback (most recent call last)"),
        "'Error displaying widget'": outputs.get_by_text("Error displaying widget"),
        "a widget stuck loading": outputs.get_by_text("Loading widget..."),
    }
    return [f"{what} ({loc.count()}x)" for what, loc in checks.items() if loc.count()]


def shut_down_kernels(page, lab):
    for session in page.request.get(f"{lab}/api/sessions?token={TOKEN}").json():
        page.request.delete(f"{lab}/api/sessions/{session['id']}?token={TOKEN}")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_ids())
def test_notebook_in_browser(browser, lab, path):
    relpath = path.relative_to(ROOT).as_posix()
    page = open_and_run(browser, lab, relpath)
    try:
        problems = page_problems(page)
        assert not problems, f"{path.name} after run-all shows " + ", ".join(problems)
        widgets = page.locator(".jp-OutputArea .jupyter-widgets").count()
        steps_file = STEPS_DIR / f"{path.stem}.json"
        if widgets:
            assert steps_file.exists(), (f"{path.name} shows {widgets} widget(s) but has no {steps_file.name} "
                                         "in tests/browser_steps/ to drive them with real key presses")
        if steps_file.exists():
            for step in json.loads(steps_file.read_text())["steps"]:
                press_and_see_change(page, path.name, step)
            problems = page_problems(page)
            assert not problems, f"{path.name} after the key presses shows " + ", ".join(problems)
    finally:
        shut_down_kernels(page, lab)
        page.close()


def press_and_see_change(page, name, step):
    watch = page.locator(step["watch"]).first
    watch.wait_for(timeout=30_000)
    before = watch.inner_html()
    target = page.locator(step["focus"]).first
    target.scroll_into_view_if_needed()
    if step.get("click"):
        target.click()
    else:
        target.focus()
    for _ in range(step.get("times", 1)):
        target.press(step["key"])
        page.wait_for_timeout(200)
    end = time.time() + 30
    while watch.inner_html() == before and time.time() < end:
        page.wait_for_timeout(200)
    after = watch.inner_html()
    assert after != before, f"{name}: pressing {step['key']} on {step['focus']} changed nothing in {step['watch']}"
    if step.get("expect_text"):
        page.wait_for_function(
            "([sel, text]) => document.querySelector(sel)?.innerText.includes(text)",
            arg=[step["watch"], step["expect_text"]], timeout=30_000)


def test_start_notebook_presents_as_slides_and_advances(browser, lab):
    """Lecture mode: jupyterlab-rise renders the notebook as reveal.js slides that advance on a key press."""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        page.goto(f"{lab}/rise/notebooks/00_start_here.ipynb?token={TOKEN}")
        page.locator(".reveal .slides section.present").first.wait_for(timeout=60_000)
        page.wait_for_timeout(1500)
        current = ".reveal .slides section.present:not(:has(section.present))"
        assert page.locator(".reveal .slides section").count() >= 5, "too few slides rendered"
        assert "How filters learn" in page.locator(current).first.inner_text()
        seen = [page.url.split("#")[-1]]
        for _ in range(3):
            page.keyboard.press("Space")
            page.wait_for_timeout(700)
            seen.append(page.url.split("#")[-1])
        assert len(set(seen)) == len(seen), f"the slides did not advance on Space: {seen}"
        assert "The four questions" in page.locator(".reveal .slides").inner_text()
    finally:
        shut_down_kernels(page, lab)
        page.close()
