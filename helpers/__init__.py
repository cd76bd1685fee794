"""The machinery of the course "How filters learn".

One concept a module; array math at the bottom, widgets and exercise checkers at the top.

Array math and derivations
- ``symbolic``     SymPy: a filter's outputs and gradients, and proofs against direct differentiation
- ``conv``         conv2d forward/backward in NumPy (NCHW), with a loops reference
- ``pool``         max-pooling forward/backward with an explicit tie rule
- ``arguments``    argument checks shared by several modules (stride, padding, real arrays)
- ``activations``  ReLU forward/backward
- ``gradcheck``    central differences and relative errors, shared by notebooks and tests
- ``signs``        the 3×3-image / 2×2-filter model whose update signs notebook 05 studies
- ``network``      the seed CNN (init, loss and gradients, SGD, training loop)
- ``data``         the shipped MNIST subset, full MNIST and Fashion-MNIST with verified downloads (pooch)
- ``shared_weights`` a convolution as a matrix: M(W) with O = M·vec(I), and the im2col picture
- ``filter_study`` comparing filter banks against baselines: net change, matching, top patches

What the learner sees
- ``feedback``     what exercise checkers say: ``Exercise``, ``Slip``, ``check_numbers`` → ``Feedback``;
                   hints and solutions only on request (``show_hint``, ``show_solution``, ``HelpButtons``)
- ``ui``           shared widget plumbing: flicker-free redraws, messages, safe number parsing
- ``widget_draw``  fast drawing for widgets: signed arrays as HTML tables, maps as tiny PNGs
- ``env_check``    the start notebook's setup check
- ``conv_steppers`` the forward and backward steppers of notebooks 01 and 02
- ``pool_widget``, ``signs_widget``, ``training_widget``   the interactive pieces of notebooks 04–06
- ``network_view`` 06's linked view: one digit through the real network, forward and backward
- ``*_exercises``  the checkers of each notebook's exercises

Notebooks import from here; nothing is pasted between notebooks.
"""
