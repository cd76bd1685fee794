"""The machinery of the course "How filters learn".

One concept a module, array math at the bottom and widgets at the top:

- ``symbolic``  SymPy derivations of a filter's output and gradient
- ``conv``      conv2d forward/backward in NumPy (NCHW), and ``gradcheck`` for central differences
- ``pool``      max-pooling forward/backward with an explicit tie rule
- ``network``   the seed CNN, ``data`` its data sets
- ``feedback``  what exercise checkers say; ``ui`` the shared widget plumbing
- ``*_widget``  the interactive pieces the notebooks show

Notebooks import from here; nothing is pasted between notebooks.
"""
