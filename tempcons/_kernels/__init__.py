"""Numba kernels. Private: the public wrappers validate, these compute.

Every kernel compiles lazily on first call (``cache=True``) and works in float32 only; the
wrappers pass float32 parameters, because a Python float silently promotes the arithmetic to
float64 and halves the speed.
"""
