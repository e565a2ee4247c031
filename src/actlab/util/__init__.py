"""What every layer uses and that knows nothing of activations: JSON values (:mod:`~actlab.util.plain`),
output locations (:mod:`~actlab.util.outputs`), bounds on user numbers (:mod:`~actlab.util.bounds`) and
torch's thread count (:mod:`~actlab.util.threads`)."""
