"""Drawing on frames. Annotators only read what they are given; they compute nothing."""

from formcheck.render.overlay import (
    AngleLabel,
    HudAnnotator,
    OverlayState,
    SkeletonAnnotator,
    annotate,
)

__all__ = ["AngleLabel", "HudAnnotator", "OverlayState", "SkeletonAnnotator", "annotate"]
