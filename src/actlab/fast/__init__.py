"""The many-networks engine: networks of one shape stacked into batched tensors
(:mod:`~actlab.fast.stacked`, :mod:`~actlab.fast.optim`), trained together by :func:`actlab.train_many`
(:mod:`~actlab.fast.vectorized`) on the CPU cores (:mod:`~actlab.fast.workers`) or on a GPU. Each network's
result is the one :func:`actlab.train` gives it. Depends on training."""
