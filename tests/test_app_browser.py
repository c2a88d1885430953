"""The dashboard in a real browser: headless Chromium from the system packages (Playwright).

The app is started as ``make app`` starts it (``solara run sim.app.page``), on a free port of
127.0.0.1, with a small scale so that a run takes seconds. The test loads the page, moves a
lever, runs the mix, reads the numbers off the page, sets a budget ceiling and downloads the
table, saves two mixes and compares them side by side, reads the glossary, exports the mix,
runs the exported command as a planner would paste it, and checks that the command's
comparison equals the app's, file for file and number for number. Screenshots (English and
Chinese; 1400x1000 before and after the run, 1280x800 of the saved mixes and the glossary) go
to ``$RELAPSE_SCREENSHOTS`` (the README's are made this way) or the test's folder.

Chromium comes from Debian's package (``apt-get install chromium``; browsers cannot be
downloaded here). Without it the test is skipped, unless ``RELAPSE_REQUIRE_BROWSER=1`` (set by
``.ci/run``), which makes a missing browser a failure.
"""

import os
import shlex
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.app import dashboard

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SETTINGS = os.environ.get("RELAPSE_APP_TEST_ARGS", "scale=0.02 seeds=3 months=12")


def browser_or_skip():
    if Path(CHROMIUM).exists():
        return CHROMIUM
    if os.environ.get("RELAPSE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"no Chromium at {CHROMIUM}: apt-get install chromium")
    pytest.skip("no system Chromium (apt-get install chromium); CI installs it")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def app(tmp_path):
    """The dashboard served on 127.0.0.1 with outputs in the test's folder; its URL.

    The server runs in the test's folder, as a user's runs in theirs: the page names the
    results folder from there (``app/compare/...``), not by a temporary path.
    """
    port = free_port()
    args = f"output_root={tmp_path / 'app'} {SETTINGS}"
    env = os.environ | {"RELAPSE_APP_ARGS": args, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False"}
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "solara", "run", "sim.app.page", "--host", "127.0.0.1", "--port",
         str(port), "--production"], cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 300  # a cold start compiles the loops first (10-50 s)
        while True:
            assert server.poll() is None, (tmp_path / "server.log").read_text()[-3000:]
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the app did not start in 300 s"
                time.sleep(0.5)
        yield f"http://127.0.0.1:{port}/", args
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


@pytest.mark.slow
def test_the_dashboard_runs_a_mix_that_the_exported_command_reproduces(app, tmp_path):
    from playwright.sync_api import sync_playwright

    url, args = app
    shots = Path(os.environ.get("RELAPSE_SCREENSHOTS", tmp_path / "shots"))
    shots.mkdir(parents=True, exist_ok=True)
    d = dashboard.settings(shlex.split(args))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=browser_or_skip(), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        page.get_by_text("No run yet").wait_for(timeout=60_000)
        page.screenshot(path=shots / "app_before.png")
        page.get_by_role("button", name="中文").click()
        page.get_by_text("尚未运行").wait_for()
        page.screenshot(path=shots / "app_before_zh.png")
        page.get_by_role("button", name="English").click()

        # move a lever: the dibao standard two steps up (+10%)
        page.get_by_role("slider").first.focus()
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        page.get_by_text("dibao standard: +10%").wait_for()
        started = time.monotonic()
        page.get_by_role("button", name="Run:").click()
        page.get_by_text("relapse rate, % of PA households").wait_for(timeout=600_000)
        print(f"first run from a fresh server, {SETTINGS}: {time.monotonic() - started:.0f} s")
        assert page.locator("img").count() >= 3  # the lever, trajectory and town charts
        page.screenshot(path=shots / "app_after.png")
        text = page.inner_text("body")
        shown = text.split("results folder: ")[1].split()[0]
        assert shown.startswith("app/compare/"), shown  # from where the server runs
        ran = tmp_path / shown
        m = dashboard.mix(d, "status_quo", "default", {"dibao_standard": 1.1})
        assert ran == dashboard.folder(d, m, d.pars.scale)

        assert page.get_by_text("This website runs on Solara").count() == 0  # no badge on charts

        page.get_by_role("button", name="中文").click()
        page.get_by_text("返贫率，占脱贫户 %").wait_for(timeout=120_000)
        page.screenshot(path=shots / "app_after_zh.png")
        page.get_by_role("button", name="English").click()

        # a budget ceiling: the table says whether each mix keeps it; the CSV is the table shown
        page.get_by_label("budget ceiling").fill("100000")
        page.get_by_label("budget ceiling").press("Enter")
        page.get_by_text("within (").first.wait_for()
        with page.expect_download() as download:
            page.get_by_role("button", name="key_figures.csv").click()
        got = pd.read_csv(download.value.path(), encoding="utf-8-sig", dtype=str,
                          keep_default_na=False)  # fmt: skip
        assert got.equals(dashboard.key_table(ran, "en", district=True, budget=100000.0))

        # two saved mixes side by side, on the status quo's seeds
        page.get_by_role("tab", name="My mixes").click()
        page.get_by_label("name of this mix").fill("mix_a")
        page.get_by_role("button", name="save the mix on the left").click()
        page.get_by_text("mix_a: status quo + dibao standard +10%").wait_for()
        page.get_by_role("slider").nth(6).focus()  # public-welfare posts, one step up
        page.keyboard.press("ArrowRight")
        page.get_by_label("name of this mix").fill("mix_b")
        page.get_by_role("button", name="save the mix on the left").click()
        page.get_by_text("mix_b: status quo").wait_for()  # the list drawn again, both ticked
        page.get_by_role("button", name="Compare the ticked").click()
        page.get_by_text("extra spending [band]").wait_for(timeout=600_000)
        saved, _ = dashboard.saved_mixes(d)
        assert list(saved) == ["mix_a", "mix_b"] and saved["mix_a"] == m
        name = dashboard.side_by_side(d, saved, "default", d.pars.scale)["name"]
        both = d.root / "compare" / name / f"scale_{d.pars.scale}"
        assert (both / dashboard.DONE).exists()
        shown = " ".join(page.inner_text("body").split())
        for cell in dashboard.mixes_table(both, "en", district=True, budget=100000.0).iloc[:, 1:].to_numpy().ravel():
            assert cell in shown, cell
        assert page.get_by_text("The ticks or the shock scenario have changed").count() == 0
        page.set_viewport_size({"width": 1280, "height": 800})
        page.screenshot(path=shots / "app_mixes.png")
        page.get_by_text("mix_b: status quo").click()  # mix_b off: the table shown is stale
        page.get_by_text("The ticks or the shock scenario have changed").wait_for()
        page.get_by_role("button", name="load").first.click()  # mix_a back on the controls
        page.get_by_text("public-welfare posts: +0").wait_for()
        page.get_by_role("tab", name="Glossary").click()
        page.get_by_text("large-scale relapse (the rule)").wait_for()
        page.get_by_text("extra spending [band]").wait_for(state="hidden")  # the tab slid away
        page.screenshot(path=shots / "app_glossary.png")
        page.get_by_role("button", name="中文").click()
        page.get_by_text("规模性返贫（判定标准）").wait_for()
        page.screenshot(path=shots / "app_glossary_zh.png")
        page.get_by_role("tab", name="我的组合").click()
        page.get_by_text("新增支出 [区间]").wait_for(timeout=120_000)
        page.get_by_text("规模性返贫（判定标准）").wait_for(state="hidden")
        page.screenshot(path=shots / "app_mixes_zh.png")
        page.get_by_role("button", name="English").click()
        page.set_viewport_size({"width": 1400, "height": 1000})

        # export the mix and read the command the page gives
        page.get_by_role("tab", name="Export").click()
        page.get_by_label("name of the exported mix").fill("browser_mix")
        page.get_by_role("button", name="export the mix").click()
        page.get_by_text("python -m experiments.compare").first.wait_for()
        command = page.locator("pre").first.inner_text().strip()
        browser.close()

    assert command.startswith("python -m experiments.compare --config-dir ")
    cli_root = tmp_path / "cli"
    proc = subprocess.run(
        [sys.executable, *shlex.split(command)[1:], f"output_root={cli_root}", "n_jobs=1"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    cli = cli_root / "compare" / "browser_mix" / f"scale_{d.pars.scale}"
    # the exported file reproduces the app's comparison: every run, every figure
    assert (cli / "summary.csv").read_bytes() == (ran / "summary.csv").read_bytes()
    for stem in ("monthly", "towns"):
        pd.testing.assert_frame_equal(pd.read_parquet(cli / f"{stem}.parquet"),
                                      pd.read_parquet(ran / f"{stem}.parquet"))  # fmt: skip
    # and the numbers on the page are the command's, as the page rounds them
    cells = [c.strip() for line in dashboard.key_figures(cli, district=True).splitlines()[2:]
             for c in line.strip("|").split("|")[1:] if c.strip()]  # fmt: skip
    assert len(cells) >= 15
    flat = " ".join(text.split())
    missing = [c for c in cells if c not in flat]
    assert not missing, missing
