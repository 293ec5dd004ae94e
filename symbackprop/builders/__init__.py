"""Builders make graphs and describe their structure on them: the layered
:class:`~.network.Network`, the unrolled :class:`~.recurrent.Recurrent` net, the convolutional
:class:`~.convnet.ConvNet` (its layers in :mod:`.layers`, its spec fields in :mod:`.convspec`), and the spec
reader (:mod:`.spec`) for TOML/JSON files.

The gated cells (:mod:`.gated`) register into :data:`.recurrent.CELLS`; importing them here
makes ``Recurrent(..., cell="lstm")`` work wherever a builder is imported, while
:mod:`.recurrent` imports nothing of them.
"""

from . import gated  # noqa: F401  (registers the LSTM and GRU cells)
