"""Builders make graphs and describe their structure on them: the layered
:class:`~.network.Network`, the unrolled :class:`~.recurrent.Recurrent` net, the convolutional
:class:`~.convnet.ConvNet` (its layers in :mod:`.layers`, its spec fields in :mod:`.convspec`), and the spec
reader (:mod:`.spec`) for TOML/JSON files.
"""
