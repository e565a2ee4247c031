"""The guided tour: the ReLU lesson, section by section, each claim checked by measurement.

* :mod:`~actlab.tour.api`: ``take_tour``, what ``actlab tour`` does, as one library call;
* :mod:`~actlab.tour.config`: :class:`~actlab.tour.config.TourConfig` (quick or full);
* :mod:`~actlab.tour.runner`: the sections in the lesson's order, each stored as it finishes;
* the sections' experiments: :mod:`~actlab.tour.addition` (1 and 4), :mod:`~actlab.tour.basics` (2 and 6),
  :mod:`~actlab.tour.table` (3), :mod:`~actlab.tour.dead` (5);
* from numbers to words: :mod:`~actlab.tour.claim_verdicts` (the verdicts), :mod:`~actlab.tour.findings`
  (the sentences that state a finding), :mod:`~actlab.tour.words` (the tour's sentences in :mod:`actlab.text`);
* what it produces: :mod:`~actlab.tour.results` (language-neutral), :mod:`~actlab.tour.document` (in one
  language), :mod:`~actlab.tour.render` (HTML and Markdown), :mod:`~actlab.tour.figures` (its plots).

Depends on every layer below it except the playground and the backends, beside it.
"""
