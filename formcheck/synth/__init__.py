"""Synthetic humans with exact ground truth: scripted exercise motions, their
landmark sequences and (``formcheck.synth.video``) rendered videos.

>>> from formcheck.synth import make_clip, pose_frames, perturb
>>> clip = make_clip("squat", reps=2, seed=3)
>>> clip.truth["reps"]["total"]
2
"""

from formcheck.synth.camera import Camera
from formcheck.synth.clip import SynthClip, make_clip, perturb, pose_frames
from formcheck.synth.motions import MOTIONS
from formcheck.synth.skeleton import Body

__all__ = ["MOTIONS", "Body", "Camera", "SynthClip", "make_clip", "perturb", "pose_frames"]
