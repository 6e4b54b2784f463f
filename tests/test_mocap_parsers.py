"""BVH and ASF/AMC readers on small hand-written files: values, errors naming file + line, fuzzing."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from posebench.data.mocap.asfamc import amc_joint_transforms, parse_amc_text, parse_asf_text, read_amc, read_asf
from posebench.data.mocap.bvh import bvh_global_positions, parse_bvh_text, read_bvh
from posebench.errors import DataFormatError

BVH = """HIERARCHY\r
ROOT Hips\r
{\r
\tOFFSET 0 0 0\r
\tCHANNELS 6 Xposition Yposition Zposition Zrotation Yrotation Xrotation\r
\tJOINT Arm\r
\t{\r
\t\tOFFSET 1 0 0   # comment\r
\t\tCHANNELS 3 Zrotation Xrotation Yrotation\r
\t\tEnd Site\r
\t\t{\r
\t\t\tOFFSET 0 2 0\r
\t\t}\r
\t}\r
}\r
\r
MOTION\r
Frames:\t2\r
Frame Time: .0333333\r
0 1 0 0 0 0 90 0 0\r
\r
1 1 0 90 0 0 0 0 0\r
"""

ASF = """# test skeleton
:version 1.10
:units
  mass 1.0
  length 0.45
  angle deg
:root
   order TX TY TZ RX RY RZ
   axis XYZ
   position 0 0 0
   orientation 0 0 0
:bonedata
  begin
     id 1
     name lfemur
     direction 0 -1 0
     length 2
     axis 0 0 0  XYZ
    dof rx ry rz
    limits (-160.0 20.0)
           (-70.0 70.0)
           (-60.0 70.0)
  end
  begin
     id 2
     name ltibia
     direction 0 -1 0
     length 3
     axis 0 0 90  XYZ
    dof rx
  end
:hierarchy
  begin
    root lfemur
    lfemur ltibia
  end
"""

AMC = """# comment
:FULLY-SPECIFIED
:DEGREES
1
root 1 2 3 0 0 0
lfemur 0 0 0
ltibia 0
2
root 1 2 3 0 0 90
lfemur 90 0 0
ltibia 90
"""


def test_bvh_values_and_kinematics(tmp_path):
    p = tmp_path / "a.bvh"
    p.write_bytes(BVH.encode())
    m = read_bvh(p)
    assert m.names == ["Hips", "Arm", "Arm_end"]
    assert m.parents == [-1, 0, 1]
    assert m.rotation_orders == ["ZYX", "ZXY", ""]
    assert m.frames.shape == (2, 9) and m.frame_time == pytest.approx(1 / 30, rel=1e-5)
    pos = bvh_global_positions(m, unit_scale=2.0)
    # frame 0: root at (0,2,0); Arm rotated 90 deg about Z -> end site (0,2,0)*R_z90 = (-2,0,0) units
    np.testing.assert_allclose(pos[0], [[0, 2, 0], [2, 2, 0], [-2, 2, 0]], atol=1e-12)
    # frame 1: root rotated 90 about Z: Arm offset (1,0,0) -> (0,1,0)
    np.testing.assert_allclose(pos[1, 1], [2, 4, 0], atol=1e-12)


def test_asf_amc_values_and_kinematics(tmp_path):
    (tmp_path / "s.asf").write_text(ASF.replace("\n", "\r\n"))
    (tmp_path / "s_01.amc").write_text(AMC)
    asf = read_asf(tmp_path / "s.asf")
    assert asf.length_unit == 0.45 and asf.bones["lfemur"].limits[2] == (-60.0, 70.0)
    amc = read_amc(tmp_path / "s_01.amc", asf)
    assert amc.num_frames == 2 and amc.values["root"].shape == (2, 6)
    names, parents, pos, rot = amc_joint_transforms(asf, amc)
    assert names == ["root", "lfemur", "ltibia", "ltibia_end"]
    u = 0.0254 / 0.45
    np.testing.assert_allclose(pos[0, 0], np.array([1, 2, 3]) * u)
    np.testing.assert_allclose(pos[0, 3], np.array([1, -3, 3]) * u, atol=1e-12)
    # frame 2: root +90 about Z, femur +90 about X, tibia 90 about its local x (axis Z90 makes it world y)
    Rz = np.array([[0, -1, 0], [1, 0, 0], [0, 0, 1]])
    Rx = np.array([[1, 0, 0], [0, 0, -1], [0, 1, 0]])
    knee = pos[1, 0] + Rz @ Rx @ np.array([0, -2, 0]) * u
    np.testing.assert_allclose(pos[1, 2], knee, atol=1e-12)
    C = Rz  # tibia axis 0 0 90
    Ry = np.array([[0, 0, 1], [0, 1, 0], [-1, 0, 0]])
    np.testing.assert_allclose(C @ Rx @ C.T, Ry, atol=1e-12)  # about the local x axis = world +y
    ankle = knee + Rz @ Rx @ (C @ Rx @ C.T) @ np.array([0, -3, 0]) * u
    np.testing.assert_allclose(pos[1, 3], ankle, atol=1e-12)


BAD_BVH = {
    "truncated motion": (BVH.rsplit("\r\n", 2)[0] + "\r\n", 20, "motion block has 1 lines"),
    "wrong channel count": (BVH.replace("1 1 0 90 0 0 0 0 0", "1 1 0 90 0 0 0 0"), 22, "expected 9 channel values"),
    "non numeric": (BVH.replace("1 1 0 90 0 0 0 0 0", "1 1 0 90 x 0 0 0 0"), 22, "expected a number"),
    "no hierarchy": (BVH.replace("HIERARCHY", "HIERARCHX"), 1, "HIERARCHY"),
    "no motion": (BVH.split("MOTION")[0], 15, "MOTION"),
    "frames mismatch": (BVH.replace("Frames:\t2", "Frames:\t3"), 22, "'Frames: 3'"),
}


@pytest.mark.parametrize("case", sorted(BAD_BVH))
def test_bad_bvh_names_file_and_line(tmp_path, case):
    text, line, what = BAD_BVH[case]
    p = tmp_path / "bad.bvh"
    p.write_bytes(text.encode())
    with pytest.raises(DataFormatError) as ei:
        read_bvh(p)
    msg = str(ei.value)
    assert str(p) in msg and f"line {line}" in msg and what in msg, msg


def test_bad_amc_names_file_and_line(tmp_path):
    asf_path = tmp_path / "s.asf"
    asf_path.write_text(ASF)
    asf = read_asf(asf_path)
    p = tmp_path / "bad.amc"
    p.write_text(AMC.replace("ltibia 90", "lknee 90"))
    with pytest.raises(DataFormatError, match=r"bad\.amc, line 11: unknown bone 'lknee'"):
        read_amc(p, asf)
    p.write_text(AMC.replace("lfemur 90 0 0", "lfemur 90 0"))
    with pytest.raises(DataFormatError, match=r"line 10: expected 3 numbers for bone 'lfemur', got 2"):
        read_amc(p, asf)
    p.write_text(AMC.replace("ltibia 90\n", ""))
    with pytest.raises(DataFormatError, match=r"lacks bones \['ltibia'\]"):
        read_amc(p, asf)
    bad_asf = tmp_path / "bad.asf"
    bad_asf.write_text(ASF.replace("length 3", "length three"))
    with pytest.raises(DataFormatError, match=r"bad\.asf, line 28: expected a number for length"):
        read_asf(bad_asf)
    bad_asf.write_text(ASF.replace("    lfemur ltibia\n", ""))
    with pytest.raises(DataFormatError, match="not reachable from root"):
        read_asf(bad_asf)


def _mutations():
    tokens = st.sampled_from(["", " ", "{", "}", "x", "1e400", "nan", "-", "\n", "\t", "End Site", "JOINT", "CHANNELS 3",
                              "OFFSET", "MOTION", "Frames:", ":", "(", ")", "begin", "end", "root", "9", "#"])
    return st.lists(st.tuples(st.floats(0, 1), st.integers(0, 3), tokens), min_size=1, max_size=4)


def _mutate(text: str, edits, cut: float) -> str:
    for where, kind, tok in edits:
        i = int(where * len(text))
        if kind == 0:
            text = text[:i] + tok + text[i:]
        elif kind == 1:
            text = text[:i] + text[i + 1 + len(tok):]
        elif kind == 2:
            text = text[:i] + tok + text[i + len(tok):]
        else:
            lines = text.split("\n")
            k = int(where * len(lines)) % len(lines)
            lines.insert(k, lines[k])
            text = "\n".join(lines)
    return text[: max(1, int(cut * len(text)))] if cut < 1 else text


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(_mutations(), st.one_of(st.just(1.0), st.floats(0, 1)))
def test_fuzz_bvh_raises_only_dataformaterror(edits, cut):
    text = _mutate(BVH, edits, cut)
    try:
        m = parse_bvh_text(text, "fuzz.bvh")
        bvh_global_positions(m)
    except DataFormatError:
        pass


@FUZZ
@given(_mutations(), st.one_of(st.just(1.0), st.floats(0, 1)), st.booleans())
def test_fuzz_asf_amc_raise_only_dataformaterror(edits, cut, mutate_asf):
    try:
        asf = parse_asf_text(_mutate(ASF, edits, cut) if mutate_asf else ASF, "fuzz.asf")
        amc = parse_amc_text(AMC if mutate_asf else _mutate(AMC, edits, cut), asf, "fuzz.amc")
        amc_joint_transforms(asf, amc)
    except DataFormatError:
        pass
