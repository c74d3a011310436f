"""Joint and segment geometry on landmark coordinates.

All functions are pure and vectorised: points are arrays of shape (..., 2) for
image-plane pixels or (..., 3) for world metres, and results have shape (...).
NaN in gives NaN out. Angles are in degrees.

Conventions (the same in 2D and 3D):

* **up** is ``-y`` (image y grows downwards; MediaPipe world y also points down);
* **joint angle** at ``b`` between ``b→a`` and ``b→c`` is the interior angle in
  [0, 180]; 180 means the limb is straight (knee flexion = 180 − knee angle);
* **segment elevation** of ``a→b`` is its angle above the horizontal in
  [−90, 90]: +90 when ``b`` is straight above ``a``, 0 level, −90 straight below;
* **segment inclination** of ``a→b`` is its angle from the upward vertical in
  [0, 180]: 0 when ``b`` is straight above ``a``, 90 level, 180 straight below;
* **line offset** of ``p`` from the line ``a–b`` is the perpendicular distance
  divided by ``|ab|``, positive when ``p`` lies above the line (against
  gravity: a piked plank), negative below it (a sagging plank);
* **forward offset** of ``p`` from ``o`` is their horizontal separation along the
  direction ``d0→d1`` (e.g. heel→toe), divided by a reference length.

None of these change sign when the person faces the other way: they use the
vertical, which does not mirror, or a direction taken from the body itself.
"""

from formcheck.kinematics.angles import (
    body_size,
    facing_direction,
    forward_offset,
    joint_angle,
    line_offset,
    normalised_distance,
    segment_elevation,
    segment_inclination,
    visible_side,
)

__all__ = [
    "body_size",
    "facing_direction",
    "forward_offset",
    "joint_angle",
    "line_offset",
    "normalised_distance",
    "segment_elevation",
    "segment_inclination",
    "visible_side",
]
