"""Numbers from a derivation: values at a point (:mod:`.values`), the three-way check,
compiled array code, cones of recomputation, float programs and one gradient-descent step.
"""
