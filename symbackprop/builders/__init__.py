"""Builders make graphs and describe their structure on them: the layered
:class:`~.network.Network`, the unrolled :class:`~.recurrent.Recurrent` net, and the spec
reader (:mod:`.spec`) for TOML/JSON files.
"""
