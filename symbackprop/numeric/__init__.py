"""Numbers from a derivation: values at a point (:mod:`.values`), the three-way check,
cones of recomputation, float programs and one gradient-descent step.
"""
