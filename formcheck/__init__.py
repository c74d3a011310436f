"""formcheck: exercise form checking for physical-therapy home exercise programs.

formcheck coaches form; it does not diagnose. Stop any exercise that causes or
worsens pain and ask your clinician.
"""

from formcheck.types import Frame, PoseFrame

__all__ = ["Frame", "PoseFrame"]
__version__ = "0.1.0"
