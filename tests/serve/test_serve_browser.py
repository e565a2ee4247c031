"""The playground in a real browser (Debian's Chromium through Playwright): shape a network, train xor past
90 %, reload the copied URL and get the same experiment, switch to Chinese, export a run and ask it with
`actlab predict`; own data by clicking; a lesson preset. Takes the README's screenshot (written to
docs/img/playground.png when ACTLAB_UPDATE_SCREENSHOTS=1)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from serve_helpers import SRC, running_server

CHROMIUM = "/usr/bin/chromium"
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "img" / "playground.png"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (.ci/run installs it)"),
]


@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("runs")


@pytest.fixture(scope="module")
def server(runs_dir: Path) -> Iterator[str]:
    with running_server(runs_dir) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def open_page(browser, url: str):  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(url)
    page.wait_for_function("window.playground && window.playground.framesDrawn > 0", timeout=30_000)
    page.errors = errors  # type: ignore[attr-defined]
    return page


def state(page) -> dict:  # type: ignore[no-untyped-def]
    return page.evaluate("window.playground.state")


def test_shape_train_reload_translate_export(browser, server: str) -> None:
    page = open_page(browser, server)
    # change the activation of the first layer and the layers themselves, with the page's own controls
    page.select_option("select.act-select[data-layer='0']", "relu")
    page.wait_for_function("window.playground.state.act[0] === 'relu'")
    page.click("#add-layer")
    page.wait_for_function("window.playground.state.layers.length === 3")
    page.locator(".layer-head button", has_text="+").first.click()
    page.wait_for_function("window.playground.state.layers[0] === 5")
    page.click("[data-dataset=xor]")
    page.wait_for_function("window.playground.state.data === 'xor' && window.playground.data.name === 'xor'")
    assert state(page)["layers"] == [5, 2, 2] and state(page)["act"] == ["relu", "tanh", "tanh"]
    assert "act=relu,tanh,tanh" in page.url and "layers=5,2,2" in page.url
    # train until the test accuracy passes 90 %
    page.click("#play")
    trained = "(() => { const f = window.playground.frame; return f && f.header.nets[0].acc.test > 0.9; })()"
    page.wait_for_function(trained, timeout=90_000)
    if os.environ.get("ACTLAB_UPDATE_SCREENSHOTS") == "1":  # the README's picture: a little more training
        page.wait_for_function("window.playground.frame.header.epoch >= 30", timeout=120_000)
    page.click("#play")
    page.wait_for_function("!window.playground.playing")
    assert page.locator("[data-acc='0']").inner_text().endswith("%")
    shot = page.screenshot(full_page=True)
    if os.environ.get("ACTLAB_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOT.write_bytes(shot)
    # the copied URL reproduces the experiment in a fresh page
    copied = page.url
    again = open_page(browser, copied)
    again.wait_for_function("window.playground.state.data === 'xor'")
    assert state(again) == state(page)
    assert again.locator("select.act-select[data-layer='0']").input_value() == "relu"
    assert again.locator("#lr").input_value() == "0.03" and again.locator("#layer-count").inner_text().startswith("3")
    again.close()
    # Chinese, in the page and in the URL
    page.click("#lang")
    page.wait_for_function("document.querySelector('h1').innerText.includes('演练场')")
    assert "lang=zh" in page.url and page.locator("#ask label").inner_text() == "问它"
    # export the trained network and ask it from the command line
    page.click("#export-run")
    path = page.locator("#exported [data-path]").get_attribute("data-path", timeout=30_000)
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    result = subprocess.run(
        [sys.executable, "-m", "actlab", "predict", str(path), "3", "3", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["truth"] == 1  # (3, 3): a·b > 0
    asked = page.evaluate("""async () => { document.querySelector('#ask-text').value = '3 3';
        document.querySelector('#ask button').click();
        for (let i = 0; i < 100 && !(window.playground.answer && window.playground.answer.text === '3 3'); i++)
            await new Promise(r => setTimeout(r, 50));
        return window.playground.answer; }""")
    assert asked["answers"][0]["prediction"] == answer["prediction"]  # the folder holds the page's network
    assert page.errors == []  # type: ignore[attr-defined]
    page.close()


def test_own_points_compare_and_the_dead_neuron_preset(browser, server: str) -> None:
    page = open_page(browser, server + "#data=own&pts=")
    page.wait_for_function("window.playground.state.data === 'own'")
    canvas = page.locator(".out-box canvas.points").first
    box = canvas.bounding_box()
    canvas.click(position={"x": box["width"] * 0.25, "y": box["height"] * 0.25})
    page.wait_for_function("window.playground.state.pts.length === 1")
    page.check("input[name=cls][value='1']")
    canvas.click(position={"x": box["width"] * 0.75, "y": box["height"] * 0.75})
    page.wait_for_function("window.playground.state.pts.length === 2")
    points = state(page)["pts"]
    assert points[0][0] < 0 < points[0][1] and points[0][2] == 0  # top-left: x1 < 0 < x2, class 0
    assert points[1][1] < 0 < points[1][0] and points[1][2] == 1
    # the lesson's dead neurons: ReLU units die and are greyed, Leaky ReLU keeps all of them
    page.select_option("#preset", "s5-dead")
    page.wait_for_function("window.playground.state.cmp === 'leaky_relu' && window.playground.views.length === 2")
    page.wait_for_function(
        "document.querySelectorAll('.net')[0].querySelectorAll('.node.dead').length >= 2", timeout=90_000
    )
    assert page.locator(".net").nth(1).locator(".node.dead").count() == 0
    assert int(page.locator("[data-dead='0'] b").inner_text()) >= 2
    assert page.errors == []  # type: ignore[attr-defined]
    page.close()
