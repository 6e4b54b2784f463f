"""The BVH reader fills a preallocated frame array block by block: a ``Frames:`` count the file
cannot hold is refused before allocation, and values and line numbers are exact across blocks."""
import numpy as np
import pytest

from posebench.data.mocap import bvh
from posebench.data.mocap.bvh import parse_bvh_text, read_bvh
from posebench.errors import DataFormatError

HIERARCHY = """HIERARCHY
ROOT Hips
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
  JOINT Spine
  {
    OFFSET 0 10 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    End Site
    {
      OFFSET 0 5 0
    }
  }
}
MOTION
"""
HEADER_LINES = HIERARCHY.count("\n") + 2  # + Frames, Frame Time


def bvh_text(frames: np.ndarray, declared: int | None = None) -> str:
    rows = "\n".join(" ".join(f"{v:.3f}" for v in row) for row in frames)
    n = len(frames) if declared is None else declared
    return HIERARCHY + f"Frames: {n}\nFrame Time: 0.01\n" + rows + "\n"


def test_frames_count_larger_than_the_file_is_refused_before_allocation(tmp_path):
    path = tmp_path / "lie.bvh"
    path.write_text(bvh_text(np.zeros((2, 9)), declared=10**12))
    with pytest.raises(DataFormatError, match=rf"lie\.bvh, line {HEADER_LINES - 1}: 'Frames: 1000000000000' x 9 "
                                              r"channels is more values than the file can hold"):
        read_bvh(path)


@pytest.mark.parametrize("rows_per_block", [1, 7, 4096])
def test_values_and_lines_are_exact_across_blocks(tmp_path, monkeypatch, rows_per_block):
    monkeypatch.setattr(bvh, "ROWS_PER_BLOCK", rows_per_block)
    frames = np.round(np.random.default_rng(0).uniform(-90, 90, size=(50, 9)), 3)
    path = tmp_path / "ok.bvh"
    path.write_text(bvh_text(frames))
    motion = read_bvh(path)
    np.testing.assert_array_equal(motion.frames, frames)
    assert motion.frames.dtype == np.float64 and motion.frame_time == 0.01
    np.testing.assert_array_equal(parse_bvh_text(bvh_text(frames)).frames, frames)

    lines = bvh_text(frames).splitlines()
    lines[HEADER_LINES + 30] = lines[HEADER_LINES + 30].replace(" ", " 1e400 ", 1).rsplit(" ", 1)[0]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataFormatError, match=rf"ok\.bvh, line {HEADER_LINES + 31}: expected finite"):
        read_bvh(path)
    lines[HEADER_LINES + 30] = lines[HEADER_LINES + 30].replace("1e400", "abc")
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataFormatError, match=rf"ok\.bvh, line {HEADER_LINES + 31}: expected a number"):
        read_bvh(path)


def test_more_rows_than_declared_names_the_count(tmp_path):
    path = tmp_path / "long.bvh"
    path.write_text(bvh_text(np.zeros((5, 9)), declared=3))
    with pytest.raises(DataFormatError, match=rf"line {HEADER_LINES + 5}: 'Frames: 3' but the motion block has 5 lines"):
        read_bvh(path)
