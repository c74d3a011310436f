"""formcheck: exercise form checking for physical-therapy home exercise programs.

formcheck coaches form; it does not diagnose. Stop any exercise that causes or
worsens pain and ask your clinician.
"""

import os

from formcheck.bounds import INPUT
from formcheck.types import Frame, PoseFrame

# OpenCV refuses to decode an image larger than this (an image "bomb" of a few KB could
# otherwise take gigabytes); it reads the variable once, when cv2 is first imported.
os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", f"{INPUT['frame pixels'].high:.0f}")

__all__ = ["Frame", "PoseFrame"]
__version__ = "0.1.0"
