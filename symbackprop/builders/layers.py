"""The layers of a convolutional network, and the shapes of their maps.

A map's shape is (channels, rows, cols) for a 2-D map, (channels, length) for a 1-D map
and (features,) for a dense layer's output. Every layer turns the shape before it into
its own; a shape that does not fit is one :class:`SpecError` naming the layer and the sizes.

* :class:`Conv`: a cross-correlation (no flip, as PyTorch's ``Conv2d``) with zero padding,
  out = (in + 2·padding − kernel) / stride + 1, which must be a whole number;
* :class:`Pool` (``max`` or ``avg``): windows of ``kernel`` every ``stride`` (default the
  kernel), no padding;
* :class:`Norm` (``batch`` or ``layer``): the shape is kept; γ and β per channel (batch
  norm, over the examples and positions) or per feature (layer norm, over one example);
* :class:`Dense`: the map before is flattened in (channel, row, col) order.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

from ..core.graph import as_number
from ..errors import SpecError

#: The smallest variance shift of both norms unless given (as PyTorch).
EPS = "1/100000"


@dataclass(frozen=True)
class Conv:
    """A convolution layer: ``channels`` outputs, ``kernel`` (an int or one per spatial
    dimension), ``stride``, ``padding`` (zeros on every side) and an elementwise activation."""

    channels: int
    kernel: int | tuple = 3
    stride: int = 1
    padding: int = 0
    activation: object = "identity"
    type = "conv"


@dataclass(frozen=True)
class Pool:
    """A max or average pooling layer (``mode`` ``"max"`` or ``"avg"``), per channel."""

    kernel: int | tuple = 2
    stride: int | tuple | None = None
    mode: str = "max"

    @property
    def type(self) -> str:
        return self.mode + "pool"


@dataclass(frozen=True)
class Norm:
    """Batch norm (``mode="batch"``) or layer norm (``"layer"``); ``eps`` as text or number;
    the activation applies after γ and β."""

    mode: str = "batch"
    eps: object = EPS
    activation: object = "identity"

    @property
    def type(self) -> str:
        return self.mode + "norm"


@dataclass(frozen=True)
class Dense:
    """A dense layer of ``units`` on the flattened map before it."""

    units: int
    activation: object = "sigmoid"
    type = "dense"


def per_dimension(value, dims: int, what: str, field: str) -> tuple:
    """An int for every spatial dimension, or a list of one per dimension."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = (value,) * dims
    value = tuple(value) if isinstance(value, (list, tuple)) else None
    if value is None or len(value) != dims or any(isinstance(v, bool) or not isinstance(v, int) or v < 1
                                                  for v in value):
        raise SpecError(f"{field}: expected a positive whole number or a list of {dims}, got {what}")
    return value


def _whole(value, field, least=1) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise SpecError(f"{field}: expected a whole number ≥ {least}, got {value!r}"[:160])


def check_layer(layer, field: str) -> None:
    """A layer built from Python: its counts and modes (the spec reader checks its own)."""
    if not isinstance(layer, (Conv, Pool, Norm, Dense)):
        raise SpecError(f"{field}: expected a Conv, Pool, Norm or Dense layer, got {type(layer).__name__}")
    if isinstance(layer, Conv):
        _whole(layer.channels, f"{field}.channels")
        _whole(layer.padding, f"{field}.padding", 0)
    if isinstance(layer, Dense):
        _whole(layer.units, f"{field}.units")
    if isinstance(layer, Pool) and layer.mode not in ("max", "avg"):
        raise SpecError(f"{field}.mode: expected 'max' or 'avg', got {layer.mode!r}"[:160])
    if isinstance(layer, Norm) and layer.mode not in ("batch", "layer"):
        raise SpecError(f"{field}.mode: expected 'batch' or 'layer', got {layer.mode!r}"[:160])
    if isinstance(layer, Norm) and as_number(layer.eps, f"{field}.eps") <= 0:
        # the variance shift keeps 1/√(σ² + ε) finite on a constant map, as the spec reader says
        raise SpecError(f"{field}.eps: expected a positive number, got {layer.eps!r}"[:160])


def output_shape(layer, shape: tuple, field: str) -> tuple:
    """The shape after ``layer`` applied to a map of ``shape``."""
    check_layer(layer, field)
    if isinstance(layer, Dense):
        return (layer.units,)
    if isinstance(layer, Norm):
        return shape
    if len(shape) < 2:
        raise SpecError(f"{field} ({layer.type}): needs a map of channels × positions, but the layer before "
                        f"gives {shape[0]} features")
    dims = len(shape) - 1
    if isinstance(layer, Conv):
        kernel = per_dimension(layer.kernel, dims, repr(layer.kernel), f"{field}.kernel")
        stride = per_dimension(layer.stride, dims, repr(layer.stride), f"{field}.stride")
        return (layer.channels,) + windows(shape[1:], kernel, stride, layer.padding, field, "conv")
    kernel = per_dimension(layer.kernel, dims, repr(layer.kernel), f"{field}.kernel")
    stride = kernel if layer.stride is None else per_dimension(layer.stride, dims, repr(layer.stride),
                                                                f"{field}.stride")
    return (shape[0],) + windows(shape[1:], kernel, stride, 0, field, layer.type)


def windows(sizes, kernel, stride, padding, field, what) -> tuple:
    """The number of window positions along each dimension; an error where the kernel is
    larger than the padded input or the stride skips the end."""
    out = []
    for size, k, s in zip(sizes, kernel, stride):
        padded = size + 2 * padding
        pad = f" (input {size} + 2·padding {padding})" if padding else ""
        if k > padded:
            raise SpecError(f"{field} ({what}): kernel {k} is larger than the {'padded ' if padding else ''}"
                            f"input {padded}{pad}")
        if (padded - k) % s:
            raise SpecError(f"{field} ({what}): stride {s} skips the end: input {padded}{pad} − kernel {k} "
                            f"= {padded - k} is not a multiple of {s}")
        out.append((padded - k) // s + 1)
    return tuple(out)


def geometry(layer, shape: tuple) -> tuple:
    """(kernel, stride, padding) of a conv or pool layer on a map of ``shape``."""
    dims = len(shape) - 1
    kernel = per_dimension(layer.kernel, dims, "", "")
    if isinstance(layer, Conv):
        return kernel, per_dimension(layer.stride, dims, "", ""), layer.padding
    return kernel, kernel if layer.stride is None else per_dimension(layer.stride, dims, "", ""), 0


def size(shape: tuple) -> int:
    return prod(shape)


__all__ = ["Conv", "Dense", "EPS", "Norm", "Pool", "check_layer", "geometry", "output_shape", "per_dimension", "size", "windows"]
