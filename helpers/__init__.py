"""The machinery of the course "How filters learn", one folder a layer of the architecture.

- ``nn/``         the engine, plain NumPy in NCHW: ``conv`` (conv2d, loops and im2col), ``pool`` (max-pooling with
                  a tie rule), ``layers`` (ReLU, dense, softmax cross-entropy), ``network`` (the seed CNN, SGD,
                  training, divergence), ``gradcheck``
- ``derive/``     SymPy: ``symbolic`` (a filter's outputs and gradients, proofs), ``shared_weights`` (M(W), im2col)
- ``study/``      evidence: ``converged`` (the stored study of converged runs, ``python -m helpers.study``),
                  ``filter_study`` (measures on filter banks), ``signs`` (05's small model)
- ``widgets/``    what the learner steps through: ``ui`` and ``draw`` (plumbing), ``env_check``, ``conv_steppers``,
                  ``pool_stepper``, ``signs``, ``training``, ``network_view``
- ``exercises/``  each notebook's checkers (``start``, ``symbolic``, ``conv``, ``pool``, ``signs``, ``training``),
                  their texts (``*.md``) and what they say (``feedback``)
- ``data.py``     the shipped MNIST and Fashion-MNIST subsets, the full sets with verified downloads (pooch)
- ``door.py``     the learner-facing API (LEARNER_FACING) and the argument checks of its doors

With HOW_FILTERS_LEARN_PROJECTOR set (a lecture hall), importing helpers turns on projector mode
(``widgets/projector.py``).

Notebooks import from here; nothing is pasted between notebooks.
"""
import os as _os

if _os.environ.get("HOW_FILTERS_LEARN_PROJECTOR"):
    from .widgets import projector as _projector

    _projector.apply()
