"""The machinery of the course "How filters learn".

One concept a module; array math at the bottom, widgets and exercise checkers at the top.

Array math and derivations
- ``symbolic``     SymPy: a filter's outputs and gradients, and proofs against direct differentiation
- ``conv``         conv2d forward/backward in NumPy (NCHW), with a loops reference
- ``pool``         max-pooling forward/backward with an explicit tie rule
- ``arguments``    argument checks shared by the two convolutions (stride, padding)
- ``activations``  ReLU forward/backward
- ``gradcheck``    central differences and relative errors, shared by notebooks and tests
- ``signs``        the 3×3-image / 2×2-filter model whose update signs notebook 05 studies
- ``network``      the seed CNN (init, loss and gradients, SGD, training loop)
- ``data``         the shipped MNIST subset, full MNIST and Fashion-MNIST with verified downloads

What the learner sees
- ``feedback``     what exercise checkers say (``Feedback``, ``check_values``, ``reveal``)
- ``ui``           shared widget plumbing: flicker-free redraws, messages, safe number parsing
- ``env_check``    the start notebook's setup check
- ``pool_widget``, ``signs_widget``, ``training_widget``   the interactive pieces of notebooks 04–06
- ``*_exercises``  the checkers of each notebook's exercises

Notebooks import from here; nothing is pasted between notebooks.
"""
