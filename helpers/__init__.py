"""The machinery of the course "How filters learn", one folder a layer of the architecture.

- ``nn/``         the engine, plain NumPy in NCHW: ``conv`` (conv2d, loops and im2col), ``pool`` (max-pooling with
                  a tie rule), ``layers`` (ReLU), ``network`` (the seed CNN, SGD, training), ``gradcheck``
- ``derive/``     SymPy: ``symbolic`` (a filter's outputs and gradients, proofs), ``shared_weights`` (M(W), im2col)
- ``study/``      evidence: ``filter_study`` (filter banks against baselines), ``signs`` (05's small model)
- ``widgets/``    what the learner steps through: ``ui`` and ``draw`` (plumbing), ``env_check``, ``conv_steppers``,
                  ``pool_stepper``, ``signs``, ``training``, ``network_view``
- ``exercises/``  each notebook's checkers (``start``, ``symbolic``, ``conv``, ``pool``, ``signs``, ``training``)
                  and what they say (``feedback``)
- ``data.py``     the shipped MNIST subset, full MNIST and Fashion-MNIST with verified downloads (pooch)
- ``door.py``     argument checks shared by the learner-facing functions

Notebooks import from here; nothing is pasted between notebooks.
"""
