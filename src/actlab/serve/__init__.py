"""``actlab serve``: the lesson as a live web playground.

One local server (FastAPI + uvicorn) serves one static page of small ES modules; each page opens a
WebSocket and the server trains its networks with actlab's own model, optimizer, loss and diagnostics,
streaming heatmaps as binary frames. Modules, one idea each:

* :mod:`~actlab.serve.state`: the page's one state object and its checks (the URL hash holds it);
* :mod:`~actlab.serve.protocol`: the messages and their checks, the binary frame layout;
* :mod:`~actlab.serve.dataset`, :mod:`~actlab.serve.features`: the points and the input features;
* :mod:`~actlab.serve.learner`: one network learning, epoch by epoch, and its diagnostics;
* :mod:`~actlab.serve.heatmaps`: grids of values as bytes;
* :mod:`~actlab.serve.session`: one page's experiment; :mod:`~actlab.serve.connection`: its socket;
* :mod:`~actlab.serve.app`: the web application; :mod:`~actlab.serve.server`: running it;
* :mod:`~actlab.serve.export`, :mod:`~actlab.serve.csvdata`, :mod:`~actlab.serve.presets`.
"""

from __future__ import annotations

from actlab.serve.limits import Limits

__all__ = ["Limits"]
