"""Charts in the app's colours: `themed(figure, foreground, background)` recolours a finished
figure for a dark (or any) theme.

The plot functions draw for paper: black ink and greys on white. Here every neutral colour (a
grey, black or white: saturation below `NEUTRAL`) is read as an amount of ink (black = all,
white = none) and redrawn as that mix of `foreground` over `background`; the data colours (the
colour-blind-safe palette) stay as they are, so a chart means the same in both themes. Heatmaps
keep their cells and the labels on them (chosen for the cell's colour). Pure matplotlib: the app
calls it with its palette's colours, files and the command line keep the paper colours.
"""

from __future__ import annotations

import colorsys

import numpy as np
from matplotlib.collections import Collection, QuadMesh
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Text

NEUTRAL = 0.18  # colours less saturated than this are ink (greys), not data colours
PAPER = ("#000000", "#ffffff")


class _Mixer:
    def __init__(self, foreground: str, background: str):
        self.fg = np.array(to_rgba(foreground)[:3])
        self.bg = np.array(to_rgba(background)[:3])

    def __call__(self, colour):
        if colour is None or (isinstance(colour, str) and colour in ("none", "None")):
            return colour
        r, g, b, a = to_rgba(colour)
        if a == 0:
            return colour
        _h, light, saturation = colorsys.rgb_to_hls(r, g, b)
        if saturation >= NEUTRAL and 0.04 < light < 0.96:
            return (r, g, b, a)
        ink = 1.0 - light
        mixed = self.bg * (1 - ink) + self.fg * ink
        return (*mixed, a)

    def many(self, colours) -> np.ndarray | None:
        array = np.asarray(colours)
        if array.size == 0:
            return None
        return np.array([self(tuple(c)) for c in np.atleast_2d(array)])


def themed(figure: Figure, foreground: str, background: str) -> Figure:
    """`figure` recoloured: neutral colours as `foreground` ink over `background` (module
    docstring); returns the figure. With black on white it changes nothing."""
    if (to_rgba(foreground), to_rgba(background)) == (to_rgba(PAPER[0]), to_rgba(PAPER[1])):
        return figure
    mix = _Mixer(foreground, background)
    figure.patch.set_facecolor(mix(figure.patch.get_facecolor()))
    heatmaps = {id(ax) for ax in figure.axes
                if any(isinstance(c, (AxesImage, QuadMesh)) for c in ax.get_children())}
    for artist in figure.findobj():
        if artist is figure.patch:
            continue
        in_heatmap = getattr(artist, "axes", None) is not None and id(artist.axes) in heatmaps
        if isinstance(artist, Text):
            if in_heatmap and artist in artist.axes.texts:
                continue  # a value printed on a cell: its colour suits the cell
            artist.set_color(mix(artist.get_color()))
            box = artist.get_bbox_patch()
            if box is not None:
                box.set_facecolor(mix(box.get_facecolor()))
                box.set_edgecolor(mix(box.get_edgecolor()))
        elif isinstance(artist, Line2D):
            artist.set_color(mix(artist.get_color()))
            artist.set_markerfacecolor(mix(artist.get_markerfacecolor()))
            artist.set_markeredgecolor(mix(artist.get_markeredgecolor()))
        elif isinstance(artist, Patch):
            artist.set_facecolor(mix(artist.get_facecolor()))
            artist.set_edgecolor(mix(artist.get_edgecolor()))
        elif isinstance(artist, Collection) and not isinstance(artist, QuadMesh):
            faces, edges = mix.many(artist.get_facecolor()), mix.many(artist.get_edgecolor())
            if faces is not None and artist.get_array() is None:  # colour-mapped points keep their map
                artist.set_facecolor(faces)
            if edges is not None:
                artist.set_edgecolor(edges)
    return figure
