"""A shaded 3D mannequin drawn with OpenCV: capsules, a head with a face, a room.

Every body part is a tapered capsule between two skeleton points (torso,
pelvis, limbs, hands, feet), projected by the clip's camera and shaded in
concentric layers shifted towards the light, which reads as a lit cylinder.
Parts are drawn far to near (painter's algorithm per part; the torso and the
head are single groups). The head is two spheres (cranium and jaw) with hair,
ears, eyes, brows, nose and mouth placed from the face landmarks; features on
the far side of the head are not drawn.

Everything is deterministic for a seed; frames are RGB uint8.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from formcheck.landmarks import INDEX
from formcheck.synth.clip import SynthClip
from formcheck.synth.room import RoomLook, render_room

_SHIFT = 4
_SHADOW_DOWNSCALE = 4
_ONE = 1 << _SHIFT
# (radius scale, brightness) from the silhouette inwards.
_LAYERS = ((1.0, 0.42), (0.88, 0.6), (0.7, 0.76), (0.48, 0.9), (0.26, 1.0))
_FLOOR_EXERCISES = frozenset(
    {
        "push_up",
        "plank",
        "plank_shoulder_taps",
        "prone_press_up",
        "bridge",
        "bird_dog",
        "cat_cow",
        "knee_to_chest",
        "side_plank",
    }
)
RGB = tuple[float, float, float]


@dataclass(frozen=True, slots=True)
class Look:
    """Colours of the performer (RGB 0-255)."""

    skin: RGB
    hair: RGB
    shirt: RGB
    pants: RGB
    shoes: RGB

    @classmethod
    def random(cls, rng: np.random.Generator) -> Look:
        skins = [(234, 192, 160), (205, 150, 112), (160, 110, 78), (110, 74, 52), (245, 208, 180)]
        hairs = [(40, 30, 25), (90, 60, 35), (20, 20, 22), (150, 110, 60), (110, 110, 110)]
        shirts = [(200, 50, 50), (40, 110, 190), (40, 150, 80), (230, 160, 30), (130, 60, 160)]
        pants = [(40, 45, 70), (30, 30, 35), (70, 70, 80), (60, 80, 60), (90, 50, 40)]
        shoes = [(235, 235, 235), (30, 30, 30), (180, 40, 40), (60, 90, 160)]

        def pick(options: list[tuple[int, int, int]]) -> RGB:
            r, g, b = options[rng.integers(len(options))]
            return (float(r), float(g), float(b))

        return cls(pick(skins), pick(hairs), pick(shirts), pick(pants), pick(shoes))


# Limb capsules: (first point, second point, radius at first, radius at second, material),
# radii in metres for a 1.72 m average build. T-shirt sleeves end at ``SLEEVE`` of the
# upper arm: the rest of the arm is skin, as on a patient exercising in a T-shirt.
SLEEVE = 0.4
_LIMBS: tuple[tuple[str, str, float, float, str], ...] = tuple(
    item
    for side in ("left", "right")
    for item in (
        (f"{side}_shoulder", f"{side}_sleeve", 0.052, 0.05, "shirt"),
        (f"{side}_sleeve", f"{side}_elbow", 0.044, 0.041, "skin"),
        (f"{side}_elbow", f"{side}_wrist", 0.040, 0.031, "skin"),
        (f"{side}_wrist", f"{side}_hand", 0.034, 0.03, "skin"),
        (f"{side}_hip", f"{side}_knee", 0.085, 0.058, "pants"),
        (f"{side}_knee", f"{side}_ankle", 0.056, 0.04, "pants"),
        (f"{side}_heel", f"{side}_foot_index", 0.042, 0.034, "shoes"),
    )
)
# Torso capsules in drawing order: the pelvis, then the shirt (drawn layer by
# layer so no seams show between its capsules), then the neck.
_PELVIS = ("left_hip", "right_hip", 0.1, 0.1, "pants")
_SHIRT: tuple[tuple[str, str, float, float, str], ...] = (
    ("hip_centre", "shoulder_centre", 0.118, 0.122, "shirt"),
    ("left_shoulder", "left_hip", 0.07, 0.085, "shirt"),
    ("right_shoulder", "right_hip", 0.07, 0.085, "shirt"),
    ("left_shoulder", "right_shoulder", 0.062, 0.062, "shirt"),
)
_NECK = ("shoulder_centre", "neck", 0.052, 0.048, "skin")


def _hair_directions() -> np.ndarray:
    """Unit directions (f, u, r) on the head sphere covered by hair."""
    golden = np.pi * (3.0 - np.sqrt(5.0))
    i = np.arange(600)
    y = 1 - 2 * (i + 0.5) / len(i)
    radius = np.sqrt(1 - y * y)
    dirs = np.stack([radius * np.cos(golden * i), y, radius * np.sin(golden * i)], axis=-1)
    f, u = dirs[:, 0], dirs[:, 1]
    return dirs[(u > 0.42 - 0.35 * np.clip(-f, 0, 1)) | (f < -0.35)]


class MannequinRenderer:
    """Renders the frames of a ``SynthClip``.

    Args:
        clip: the clip to render.
        seed: seed of the look (clothes, skin, room) and texture noise.
    """

    def __init__(self, clip: SynthClip, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.clip = clip
        self.camera = clip.camera
        self.look = Look.random(rng)
        self.scale = clip.body.height_m / 1.72
        self.girth = self.scale * clip.body.build
        light = np.array([0.35, 1.0, 0.55])
        self.light = light / np.linalg.norm(light)
        cam_light = self.camera.rotation @ self.light
        self.light2d = cam_light[:2] / max(float(np.linalg.norm(cam_light[:2])), 1e-9)
        self.background = render_room(
            self.camera,
            RoomLook.random(rng),
            clip.joints3d,
            wall_x=clip.props.get("wall_x"),
            mat=clip.exercise in _FLOOR_EXERCISES,
            light=self.light,
            rng=rng,
        )
        self._points = self._skeleton_points()
        flat = self._points.reshape(-1, 3)
        cam = self.camera.to_camera(flat)
        self._depth = cam[:, 2].reshape(self._points.shape[:2])
        self._px = self.camera.project_px(flat).reshape(*self._points.shape[:2], 2)
        self._hair = _hair_directions()

    def _skeleton_points(self) -> np.ndarray:
        j = self.clip.joints3d
        extra = {
            "hip_centre": 0.5 * (j[:, INDEX["left_hip"]] + j[:, INDEX["right_hip"]]),
            "shoulder_centre": 0.5 * (j[:, INDEX["left_shoulder"]] + j[:, INDEX["right_shoulder"]]),
            "neck": self.clip.rig["neck"],
            "head_centre": self.clip.rig["head_centre"],
        }
        for side in ("left", "right"):
            shoulder, elbow = j[:, INDEX[f"{side}_shoulder"]], j[:, INDEX[f"{side}_elbow"]]
            extra[f"{side}_sleeve"] = shoulder + SLEEVE * (elbow - shoulder)
            hand = 0.5 * (j[:, INDEX[f"{side}_index"]] + j[:, INDEX[f"{side}_pinky"]])
            extra[f"{side}_hand"] = j[:, INDEX[f"{side}_wrist"]] + 0.75 * (
                hand - j[:, INDEX[f"{side}_wrist"]]
            )
        self._names = {name: i for i, name in enumerate(INDEX)} | {
            name: len(INDEX) + k for k, name in enumerate(extra)
        }
        return np.concatenate([j, np.stack(list(extra.values()), axis=1)], axis=1)

    def __len__(self) -> int:
        return len(self.clip.t_s)

    def frame(self, i: int) -> np.ndarray:
        """Frame ``i`` as an (H, W, 3) uint8 RGB image."""
        img = self._shadowed_background(i)
        names, depth = self._names, self._depth[i]
        torso_depth = float(np.mean([depth[names[n]] for n in ("hip_centre", "shoulder_centre")]))
        jobs: list[tuple[float, Callable[[], None]]] = []
        for a, b, ra, rb, material in _LIMBS:
            d = 0.5 * (depth[names[a]] + depth[names[b]])
            dim = 0.82 if d > torso_depth + 0.03 else 1.0
            jobs.append((d, self._capsule_job(img, i, a, b, ra, rb, material, dim)))
        jobs.append((torso_depth, lambda: self._torso(img, i)))
        jobs.append((float(depth[names["head_centre"]]), lambda: self._head(img, i)))
        for _, job in sorted(jobs, key=lambda x: -x[0]):
            job()
        return img

    def _shadowed_background(self, i: int) -> np.ndarray:
        """The room with a soft contact shadow below the body (light from above)."""
        h, w = self.camera.height, self.camera.width
        points = self._points[i].copy()
        height = points[:, 1].copy()
        points[:, 1] = 0.0
        px = self.camera.project_px(points) / _SHADOW_DOWNSCALE
        depth = self.camera.to_camera(points)[:, 2]
        mask: np.ndarray = np.zeros((h // _SHADOW_DOWNSCALE, w // _SHADOW_DOWNSCALE), np.float32)
        for a, b, ra, rb, _ in (*_LIMBS, _PELVIS, *_SHIRT):
            ia, ib = self._names[a], self._names[b]
            strength = 0.45 * float(np.clip(1.0 - 0.5 * (height[ia] + height[ib]) / 1.2, 0, 1))
            radius = 0.5 * (ra + rb) * self.girth * self.camera.focal_px / depth[ia]
            thickness = max(int(2 * radius / _SHADOW_DOWNSCALE), 1)
            pa = tuple(int(v) for v in np.round(px[ia]))
            pb = tuple(int(v) for v in np.round(px[ib]))
            cv2.line(mask, pa, pb, (strength,), thickness)
        mask = cv2.GaussianBlur(mask, (0, 0), 2.5)
        img = self.background.copy()
        rows, cols = np.nonzero(mask > 0.004)
        if rows.size == 0:
            return img
        d = _SHADOW_DOWNSCALE
        r0, r1, c0, c1 = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
        crop = cv2.resize(mask[r0:r1, c0:c1], ((c1 - c0) * d, (r1 - r0) * d))
        region = img[r0 * d : r1 * d, c0 * d : c1 * d]
        crop = crop[: region.shape[0], : region.shape[1], None]
        region[:] = (region * (1.0 - crop)).astype(np.uint8)
        return img

    def _radius_px(self, i: int, name: str, radius_m: float) -> float:
        return radius_m * self.girth * self.camera.focal_px / self._depth[i, self._names[name]]

    def _capsule_job(
        self,
        img: np.ndarray,
        i: int,
        a: str,
        b: str,
        ra: float,
        rb: float,
        material: str,
        dim: float,
    ) -> Callable[[], None]:
        def draw() -> None:
            colour = np.array(getattr(self.look, material)) * dim
            _capsule(
                img,
                self._px[i, self._names[a]],
                self._px[i, self._names[b]],
                self._radius_px(i, a, ra),
                self._radius_px(i, b, rb),
                colour,
                self.light2d,
            )

        return draw

    def _torso(self, img: np.ndarray, i: int) -> None:
        """Pelvis, shirt (layer by layer, so no seams show between capsules), neck."""
        names, px = self._names, self._px[i]
        self._capsule_job(img, i, *_PELVIS, 1.0)()
        for layer in _LAYERS:
            for a, b, ra, rb, material in _SHIRT:
                _capsule(
                    img,
                    px[names[a]],
                    px[names[b]],
                    self._radius_px(i, a, ra),
                    self._radius_px(i, b, rb),
                    np.array(getattr(self.look, material)),
                    self.light2d,
                    layers=(layer,),
                )
        self._capsule_job(img, i, *_NECK, 1.0)()

    def _head(self, img: np.ndarray, i: int) -> None:
        cam = self.camera
        centre = self.clip.rig["head_centre"][i]
        rot = self.clip.rig["head_rot"][i]
        k = self.scale
        skin = np.array(self.look.skin)

        def visible(point: np.ndarray, normal: np.ndarray) -> bool:
            return float(np.dot(normal, cam.position - point)) > 0.0

        def px(point: np.ndarray) -> np.ndarray:
            return cam.project_px(point)

        def r_px(point: np.ndarray, radius_m: float) -> float:
            return radius_m * cam.focal_px / float(cam.to_camera(point)[2])

        ears = []
        for side in ("left", "right"):
            ear = self.clip.joints3d[i, INDEX[f"{side}_ear"]]
            normal = (ear - centre) / np.linalg.norm(ear - centre)
            ears.append((visible(ear, normal), ear + normal * 0.012 * k))
        for seen, ear in ears:
            if not seen:
                _sphere(img, px(ear), r_px(ear, 0.024 * k), skin * 0.85, self.light2d)
        cranium = centre + rot @ (k * np.array([-0.008, 0.012, 0.0]))
        jaw = centre + rot @ (k * np.array([0.03, -0.045, 0.0]))
        _sphere(img, px(jaw), r_px(jaw, 0.068 * k), skin, self.light2d)
        _sphere(img, px(cranium), r_px(cranium, 0.094 * k), skin, self.light2d)

        tufts = cranium + (self._hair @ rot.T) * 0.08 * k
        normals = tufts - cranium
        seen = np.einsum("ij,ij->i", normals, cam.position - tufts) > -0.3 * 0.08 * k
        if seen.any():
            hair_rgb = np.array(self.look.hair)
            tuft_px = _fixed_r(r_px(cranium, 0.024 * k))
            centres = _fixed(cam.project_px(tufts[seen]))
            shade = 0.65 + 0.35 * np.clip((normals[seen] / (0.08 * k)) @ self.light, 0, 1)
            order = np.argsort(-cam.to_camera(tufts[seen])[:, 2])
            for j in order:
                col = _rgb(hair_rgb * shade[j])
                cv2.circle(
                    img, tuple(int(v) for v in centres[j]), tuft_px, col, -1, cv2.LINE_AA, _SHIFT
                )
        for seen_ear, ear in ears:
            if seen_ear:
                _sphere(img, px(ear), r_px(ear, 0.024 * k), skin * 0.9, self.light2d)

        def face_point(name: str) -> tuple[bool, np.ndarray]:
            p = self.clip.joints3d[i, INDEX[name]]
            return visible(p, rot[:, 0] * 0.6 + (p - centre) / np.linalg.norm(p - centre)), p

        for side in ("left", "right"):
            seen_eye, eye = face_point(f"{side}_eye")
            if not seen_eye:
                continue
            brow = eye + rot @ (k * np.array([0.004, 0.02, 0.0]))
            inner = self.clip.joints3d[i, INDEX[f"{side}_eye_inner"]] + rot[:, 1] * 0.02 * k
            outer = self.clip.joints3d[i, INDEX[f"{side}_eye_outer"]] + rot[:, 1] * 0.018 * k
            _line(img, px(inner), px(brow), px(outer), r_px(eye, 0.005 * k), self.look.hair)
            cv2.circle(
                img,
                _fixed_pt(px(eye)),
                _fixed_r(r_px(eye, 0.012 * k)),
                (250, 250, 250),
                -1,
                cv2.LINE_AA,
                _SHIFT,
            )
            cv2.circle(
                img,
                _fixed_pt(px(eye)),
                _fixed_r(r_px(eye, 0.0075 * k)),
                (40, 30, 30),
                -1,
                cv2.LINE_AA,
                _SHIFT,
            )
        seen_nose, nose = face_point("nose")
        if seen_nose:
            _sphere(img, px(nose), r_px(nose, 0.017 * k), skin * 0.95, self.light2d)
        seen_l, mouth_l = face_point("mouth_left")
        seen_r, mouth_r = face_point("mouth_right")
        if seen_l or seen_r:
            mid = 0.5 * (mouth_l + mouth_r) + rot[:, 0] * 0.004 * k
            a = mouth_l if seen_l else mid
            b = mouth_r if seen_r else mid
            _line(img, px(a), px(mid), px(b), r_px(mid, 0.005 * k), (150, 60, 60))


def _rgb(colour: np.ndarray) -> tuple[float, float, float]:
    c = np.clip(colour, 0, 255)
    return (float(c[0]), float(c[1]), float(c[2]))


def _fixed(p: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(p) * _ONE).astype(np.int32)


def _fixed_pt(p: np.ndarray) -> tuple[int, int]:
    """One point in fixed point, as the (x, y) ints cv2's drawing functions take."""
    x, y = _fixed(p)
    return int(x), int(y)


def _fixed_r(r: float) -> int:
    return max(int(round(r * _ONE)), 1)


def _capsule(
    img: np.ndarray,
    p0: np.ndarray,
    p1: np.ndarray,
    r0: float,
    r1: float,
    colour: np.ndarray,
    light2d: np.ndarray,
    layers: tuple[tuple[float, float], ...] = _LAYERS,
) -> None:
    """A tapered capsule shaded as a cylinder lit from ``light2d`` (image direction)."""
    d = p1 - p0
    length = float(np.hypot(*d))
    if length < 1e-6:
        _sphere(img, p0, max(r0, r1), colour, light2d)
        return
    n = np.array([-d[1], d[0]]) / length
    toward = float(np.dot(light2d, n)) * n
    for scale, bright in layers:
        off = toward * (1.0 - scale) * 0.55 * 0.5 * (r0 + r1)
        a0, a1 = r0 * scale, r1 * scale
        q0, q1 = p0 + off, p1 + off
        col = _rgb(colour * bright)
        quad = np.array([q0 + n * a0, q1 + n * a1, q1 - n * a1, q0 - n * a0])
        cv2.fillConvexPoly(img, _fixed(quad), col, cv2.LINE_AA, _SHIFT)
        cv2.circle(img, _fixed_pt(q0), _fixed_r(a0), col, -1, cv2.LINE_AA, _SHIFT)
        cv2.circle(img, _fixed_pt(q1), _fixed_r(a1), col, -1, cv2.LINE_AA, _SHIFT)


def _sphere(
    img: np.ndarray, p: np.ndarray, r: float, colour: np.ndarray, light2d: np.ndarray
) -> None:
    """A sphere shaded by concentric discs shifted towards the light."""
    for scale, bright in _LAYERS:
        off = light2d * (1.0 - scale) * 0.5 * r
        cv2.circle(
            img,
            _fixed_pt(p + off),
            _fixed_r(r * scale),
            _rgb(colour * bright),
            -1,
            cv2.LINE_AA,
            _SHIFT,
        )


def _line(
    img: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    c: np.ndarray,
    width_px: float,
    colour: tuple[float, float, float],
) -> None:
    """A two-segment polyline a–b–c (brows, mouth)."""
    pts = _fixed(np.array([a, b, c]))[:, None, :]
    thickness = max(int(round(width_px)), 1)
    cv2.polylines(img, [pts], False, colour, thickness, cv2.LINE_AA, _SHIFT)


def render_frames(clip: SynthClip, seed: int = 0) -> list[np.ndarray]:
    """All frames of ``clip`` (kept in memory: use ``MannequinRenderer`` to stream)."""
    renderer = MannequinRenderer(clip, seed)
    return [renderer.frame(i) for i in range(len(renderer))]
