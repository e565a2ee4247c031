"""The networks layer: the :class:`~actlab.nets.mlp.MLP` every experiment trains, its initialisation schemes
(:mod:`~actlab.nets.init`) and the tasks that feed it (:mod:`~actlab.nets.tasks`). Depends on the catalog."""
