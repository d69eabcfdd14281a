"""reference.detection against d2l's worked examples, d2l's own torch code (transcribed
below, float64), brute-force loops and the properties SPEC names."""
import sys

import numpy as np
import pytest
import torch

from reference import detection as dt

DOG = [60.0, 45.0, 378.0, 516.0]          # d2l's bounding-box example, pixel corners
CAT = [400.0, 112.0, 655.0, 493.0]
GROUND_TRUTH = np.array([[0.1, 0.08, 0.52, 0.92], [0.55, 0.2, 0.9, 0.88]])   # d2l, anchors
ANCHORS = np.array([[0.0, 0.1, 0.2, 0.3], [0.15, 0.2, 0.4, 0.4], [0.63, 0.05, 0.88, 0.98],
                    [0.66, 0.45, 0.8, 0.8], [0.57, 0.3, 0.92, 0.9]])
NMS_BOXES = np.array([[0.1, 0.08, 0.52, 0.92], [0.08, 0.2, 0.56, 0.95],        # d2l, nms
                      [0.15, 0.3, 0.62, 0.91], [0.55, 0.2, 0.9, 0.88]])
NMS_SCORES = np.array([0.9, 0.8, 0.7, 0.9])   # d2l: best non-background class of each


def close(name, got, want, rtol=1e-12, atol=1e-12):
    assert np.shape(got) == np.shape(want), f"{name}: shape {np.shape(got)} != {np.shape(want)}"
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=name)


def random_boxes(rng, n, scale=1.0):
    """n corner boxes (n, 4) in [0, scale]^2 with positive sides."""
    xy = rng.uniform(0, 0.8 * scale, (n, 2))
    wh = rng.uniform(0.02 * scale, 0.4 * scale, (n, 2))
    return np.concatenate([xy, xy + wh], axis=1)


# ---------------------------------------------------- d2l's code, float64 (oracle)

def d2l_box_iou(boxes1, boxes2):
    box_area = lambda boxes: ((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]))
    areas1, areas2 = box_area(boxes1), box_area(boxes2)
    inter_upperlefts = torch.max(boxes1[:, None, :2], boxes2[:, :2])
    inter_lowerrights = torch.min(boxes1[:, None, 2:], boxes2[:, 2:])
    inters = (inter_lowerrights - inter_upperlefts).clamp(min=0)
    inter_areas = inters[:, :, 0] * inters[:, :, 1]
    union_areas = areas1[:, None] + areas2 - inter_areas
    return inter_areas / union_areas


def d2l_multibox_prior(in_height, in_width, sizes, ratios):
    num_sizes, num_ratios = len(sizes), len(ratios)
    boxes_per_pixel = (num_sizes + num_ratios - 1)
    size_tensor = torch.tensor(sizes, dtype=torch.float64)
    ratio_tensor = torch.tensor(ratios, dtype=torch.float64)
    steps_h, steps_w = 1.0 / in_height, 1.0 / in_width
    center_h = (torch.arange(in_height, dtype=torch.float64) + 0.5) * steps_h
    center_w = (torch.arange(in_width, dtype=torch.float64) + 0.5) * steps_w
    shift_y, shift_x = torch.meshgrid(center_h, center_w, indexing='ij')
    shift_y, shift_x = shift_y.reshape(-1), shift_x.reshape(-1)
    w = torch.cat((size_tensor * torch.sqrt(ratio_tensor[0]),
                   sizes[0] * torch.sqrt(ratio_tensor[1:]))) * in_height / in_width
    h = torch.cat((size_tensor / torch.sqrt(ratio_tensor[0]),
                   sizes[0] / torch.sqrt(ratio_tensor[1:])))
    anchor_manipulations = torch.stack((-w, -h, w, h)).T.repeat(in_height * in_width, 1) / 2
    out_grid = torch.stack([shift_x, shift_y, shift_x, shift_y],
                           dim=1).repeat_interleave(boxes_per_pixel, dim=0)
    output = out_grid + anchor_manipulations
    return output.unsqueeze(0)


def d2l_assign_anchor_to_bbox(ground_truth, anchors, iou_threshold=0.5):
    """d2l's order: the threshold step first, then the greedy step overwrites."""
    num_anchors, num_gt_boxes = anchors.shape[0], ground_truth.shape[0]
    jaccard = d2l_box_iou(anchors, ground_truth)
    anchors_bbox_map = torch.full((num_anchors,), -1, dtype=torch.long)
    max_ious, indices = torch.max(jaccard, dim=1)
    anc_i = torch.nonzero(max_ious >= iou_threshold).reshape(-1)
    box_j = indices[max_ious >= iou_threshold]
    anchors_bbox_map[anc_i] = box_j
    col_discard = torch.full((num_anchors,), -1)
    row_discard = torch.full((num_gt_boxes,), -1)
    for _ in range(num_gt_boxes):
        max_idx = torch.argmax(jaccard)
        box_idx = (max_idx % num_gt_boxes).long()
        anc_idx = torch.div(max_idx, num_gt_boxes, rounding_mode='floor')
        anchors_bbox_map[anc_idx] = box_idx
        jaccard[:, box_idx] = col_discard
        jaccard[anc_idx, :] = row_discard
    return anchors_bbox_map


def d2l_nms(boxes, scores, iou_threshold):
    B = torch.argsort(scores, dim=-1, descending=True, stable=True)
    keep = []
    while B.numel() > 0:
        i = B[0]
        keep.append(i)
        if B.numel() == 1:
            break
        iou = d2l_box_iou(boxes[i, :].reshape(-1, 4), boxes[B[1:], :].reshape(-1, 4)).reshape(-1)
        inds = torch.nonzero(iou <= iou_threshold).reshape(-1)
        B = B[inds + 1]
    return torch.tensor(keep, dtype=torch.long)


def python_lines(fn, *args):
    """How many lines of reference/detection.py run while fn(*args) runs."""
    count = 0

    def local(frame, event, arg):
        nonlocal count
        count += event == "line"
        return local

    def tracer(frame, event, arg):
        return local if frame.f_code.co_filename == dt.__file__ else None

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        fn(*args)
    finally:
        sys.settrace(previous)
    return count


# ------------------------------------------------------------------- conversions

def test_d2l_dog_and_cat_round_trip():
    boxes = np.array([DOG, CAT])
    close("dog center", dt.box_corner_to_center(boxes)[0], [219.0, 280.5, 318.0, 471.0])
    close("round trip", dt.box_center_to_corner(dt.box_corner_to_center(boxes)), boxes)


@pytest.mark.parametrize("shape", [(4,), (7, 4), (2, 3, 4), (0, 4)])
def test_round_trips_any_leading_shape(shape):
    rng = np.random.default_rng(0)
    corners = random_boxes(rng, int(np.prod(shape[:-1]))).reshape(shape)
    corners0 = corners.copy()
    centers = dt.box_corner_to_center(corners)
    assert centers.shape == shape and centers.dtype == np.float64
    close("corner -> center -> corner", dt.box_center_to_corner(centers), corners, atol=1e-15)
    close("center -> corner -> center", dt.box_corner_to_center(dt.box_center_to_corner(centers)),
          centers, atol=1e-15)
    np.testing.assert_array_equal(corners, corners0)
    close("integers in, floats out", dt.box_center_to_corner([[2, 3, 3, 4]]), [[0.5, 1, 3.5, 5]])


# ------------------------------------------------------------------------ box_iou

@pytest.mark.parametrize("a, b, iou", [
    ([0, 0, 2, 2], [1, 1, 3, 3], 1 / 7),            # overlap 1, union 7
    ([0, 0, 2, 2], [0, 0, 2, 2], 1.0),              # identical
    ([0, 0, 1, 1], [2, 2, 3, 3], 0.0),              # disjoint
    ([0, 0, 1, 1], [1, 0, 2, 1], 0.0),              # share an edge
    ([0, 0, 1, 1], [1, 1, 2, 2], 0.0),              # share a corner
    ([0, 0, 4, 4], [1, 1, 2, 2], 1 / 16),           # nested: area ratio
    ([0, 0, 2, 1], [0, 0, 1, 1], 0.5),
    ([0, 0, 1, 4], [0, 2, 1, 3], 0.25),             # nested in one direction
    ([0, 0, 4, 1], [1, -1, 2, 3], 1 / 7),           # a cross: 1 / (4 + 4 - 1)
    (DOG, CAT, 0.0),                                # d2l's dog and cat do not overlap
])
def test_iou_hand_computed(a, b, iou):
    close("iou", dt.box_iou(np.array([a], float), np.array([b], float)), [[iou]], atol=1e-15)
    close("swapped", dt.box_iou(np.array([b], float), np.array([a], float)), [[iou]], atol=1e-15)


def test_iou_matrix_vs_loops_and_d2l():
    rng = np.random.default_rng(1)
    b1, b2 = random_boxes(rng, 9), random_boxes(rng, 13)
    b1_0, b2_0 = b1.copy(), b2.copy()
    iou = dt.box_iou(b1, b2)
    assert iou.shape == (9, 13) and iou.dtype == np.float64
    loops = np.zeros((9, 13))
    for i, (ax1, ay1, ax2, ay2) in enumerate(b1):
        for j, (bx1, by1, bx2, by2) in enumerate(b2):
            w = max(0.0, min(ax2, bx2) - max(ax1, bx1))
            h = max(0.0, min(ay2, by2) - max(ay1, by1))
            union = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - w * h
            loops[i, j] = w * h / union
    close("loops", iou, loops)
    close("d2l", iou, d2l_box_iou(torch.from_numpy(b1), torch.from_numpy(b2)).numpy())
    close("symmetric", dt.box_iou(b2, b1), iou.T, atol=0)
    close("identical", np.diag(dt.box_iou(b1, b1)), np.ones(9))
    assert np.all((iou >= 0) & (iou <= 1)) and (iou > 0).any() and (iou == 0).any()
    np.testing.assert_array_equal(b1, b1_0)
    np.testing.assert_array_equal(b2, b2_0)


def test_iou_scale_invariant_and_edge_shapes():
    rng = np.random.default_rng(2)
    b1, b2 = random_boxes(rng, 5), random_boxes(rng, 6)
    close("pixels vs [0, 1]", dt.box_iou(b1 * 640 + 3, b2 * 640 + 3), dt.box_iou(b1, b2),
          rtol=1e-9, atol=1e-12)
    assert dt.box_iou(b1, np.zeros((0, 4))).shape == (5, 0)
    assert dt.box_iou(np.zeros((0, 4)), b2).shape == (0, 6)
    point = np.array([[1.0, 1.0, 1.0, 1.0]])       # zero area: union 0 -> 0, not NaN
    close("degenerate", dt.box_iou(point, np.vstack([point, b1])), np.zeros((1, 6)), atol=0)


def test_iou_has_no_python_loop_over_pairs():
    rng = np.random.default_rng(3)
    small = python_lines(dt.box_iou, random_boxes(rng, 2), random_boxes(rng, 3))
    large = python_lines(dt.box_iou, random_boxes(rng, 200), random_boxes(rng, 300))
    assert small == large


# ----------------------------------------------------------------- multibox_prior

def test_multibox_prior_d2l_example():
    """d2l: a 561 x 728 image, sizes (0.75, 0.5, 0.25), ratios (1, 2, 0.5): 2,042,040
    anchors; pixel (250, 250)'s first anchor is about (0.06, 0.07, 0.63, 0.82)."""
    h, w = 561, 728
    anchors = dt.multibox_prior(h, w, [0.75, 0.5, 0.25], [1, 2, 0.5])
    assert anchors.shape == (2042040, 4) and anchors.dtype == np.float64
    boxes = anchors.reshape(h, w, 5, 4)
    close("d2l's rounding", boxes[250, 250, 0], [0.06, 0.07, 0.63, 0.82], rtol=0, atol=0.005)
    cx, cy, half_w = 250.5 / w, 250.5 / h, 0.75 * h / w / 2
    close("exact", boxes[250, 250, 0], [cx - half_w, cy - 0.375, cx + half_w, cy + 0.375])


@pytest.mark.parametrize("case", [
    (561 // 40, 728 // 40, (0.75, 0.5, 0.25), (1, 2, 0.5)),
    (4, 4, (0.15,), (1, 2, 0.5)),                   # d2l's multiscale display: one size
    (2, 3, (0.4, 0.2), (1,)),                       # one ratio
    (1, 1, (0.5,), (1,)),                           # one anchor
    (3, 5, (0.3, 0.6), (0.5, 1.5, 3)),              # ratios[0] != 1
])
def test_multibox_prior_matches_d2l(case):
    h, w, sizes, ratios = case
    got = dt.multibox_prior(h, w, sizes, ratios)
    want = d2l_multibox_prior(h, w, list(sizes), list(ratios))[0].numpy()
    close("d2l", got, want)
    assert got.shape == (h * w * (len(sizes) + len(ratios) - 1), 4)


def test_multibox_prior_order_centres_and_shapes():
    h, w, sizes, ratios = 3, 5, [0.6, 0.3], [1.0, 4.0, 0.25]
    boxes = dt.box_corner_to_center(dt.multibox_prior(h, w, sizes, ratios)).reshape(h, w, 4, 4)
    for i in range(h):
        for j in range(w):
            close("cx", boxes[i, j, :, 0], np.full(4, (j + 0.5) / w))
            close("cy", boxes[i, j, :, 1], np.full(4, (i + 0.5) / h))
    pairs = [(0.6, 1.0), (0.3, 1.0), (0.6, 4.0), (0.6, 0.25)]   # (s1,r1),(s2,r1),(s1,r2),(s1,r3)
    close("w", boxes[0, 0, :, 2], [s * np.sqrt(r) * h / w for s, r in pairs])
    close("h", boxes[0, 0, :, 3], [s / np.sqrt(r) for s, r in pairs])
    close("same anchors at every pixel", boxes[..., 2:], np.broadcast_to(boxes[0, 0, :, 2:],
                                                                          (h, w, 4, 2)))


def test_multibox_prior_is_vectorized():
    assert python_lines(dt.multibox_prior, 2, 3, [0.5], [1]) == \
        python_lines(dt.multibox_prior, 60, 80, [0.5, 0.3, 0.1], [1, 2, 0.5, 3])


# ---------------------------------------------------------- assign_anchor_to_bbox

def test_assign_d2l_example():
    """d2l's labelled anchors: class labels [0, 1, 2, 0, 2] (0 = background, box + 1)."""
    gt0, an0 = GROUND_TRUTH.copy(), ANCHORS.copy()
    got = dt.assign_anchor_to_bbox(GROUND_TRUTH, ANCHORS)
    np.testing.assert_array_equal(got, [-1, 0, 1, -1, 1])
    assert got.dtype.kind == "i"
    np.testing.assert_array_equal(GROUND_TRUTH, gt0)
    np.testing.assert_array_equal(ANCHORS, an0)


def test_greedy_step_wins_over_the_threshold_step():
    """Anchor 0's best box is box 0 (IoU 0.74 >= 0.5), but the greedy step gives box 0 to
    anchor 1 (IoU 0.95, the largest) and then box 1 to anchor 0 (IoU 0.6)."""
    gt = np.array([[0.0, 0, 10, 1], [4, 0, 14, 1]])
    anchors = np.array([[1.5, 0, 11.5, 1], [0, 0, 9.5, 1]])
    close("ious", dt.box_iou(anchors, gt), [[8.5 / 11.5, 7.5 / 12.5], [0.95, 5.5 / 14]])
    np.testing.assert_array_equal(dt.assign_anchor_to_bbox(gt, anchors), [1, 0])


def test_every_ground_truth_box_gets_an_anchor_below_the_threshold():
    rng = np.random.default_rng(4)
    anchors = dt.multibox_prior(4, 4, [0.3, 0.15], [1, 2])          # (48, 4)
    gt = np.array([[0.02, 0.02, 0.07, 0.05], [0.9, 0.4, 0.98, 0.5],  # small: best IoU < 0.5
                   [0.3, 0.3, 0.6, 0.6]])
    best = dt.box_iou(anchors, gt).max(axis=0)
    assert best[0] < 0.5 and best[1] < 0.5
    got = dt.assign_anchor_to_bbox(gt, anchors)
    assert set(got[got >= 0]) == {0, 1, 2}
    far = np.array([[5.0, 5.0, 6.0, 6.0]])                           # IoU 0 with every anchor
    got = dt.assign_anchor_to_bbox(far, anchors[rng.permutation(48)])
    assert np.sum(got == 0) == 1 and np.sum(got == -1) == 47


def test_threshold_is_inclusive():
    gt = np.array([[0.0, 0, 1, 0.5]])
    anchors = np.array([[0.0, 0, 1, 0.5], [0.0, 0, 1, 1], [0.0, 0, 1, 2]])   # IoU 1, 0.5, 0.25
    np.testing.assert_array_equal(dt.assign_anchor_to_bbox(gt, anchors, 0.5), [0, 0, -1])
    np.testing.assert_array_equal(dt.assign_anchor_to_bbox(gt, anchors, 0.5 + 1e-9), [0, -1, -1])
    np.testing.assert_array_equal(dt.assign_anchor_to_bbox(gt, anchors, 0.2), [0, 0, 0])


@pytest.mark.parametrize("seed", range(6))
def test_assign_greedy_first_equals_d2l_threshold_first(seed):
    """SPEC's order (greedy, then threshold for the rest) and d2l's (threshold, then greedy
    overwriting) agree: the threshold step reads the full IoU matrix either way."""
    rng = np.random.default_rng(10 + seed)
    gt = random_boxes(rng, int(rng.integers(1, 6)))
    anchors = np.vstack([random_boxes(rng, 30), gt + rng.normal(0, 0.03, gt.shape)])
    for threshold in (0.3, 0.5, 0.7):
        want = d2l_assign_anchor_to_bbox(torch.from_numpy(gt), torch.from_numpy(anchors),
                                         threshold).numpy()
        np.testing.assert_array_equal(dt.assign_anchor_to_bbox(gt, anchors, threshold), want)


def test_assign_with_ties_equals_d2l():
    """Ties (anchors from a grid, identical ground-truth boxes): lower indices first, as
    torch's argmax / max."""
    anchors = dt.multibox_prior(3, 3, [0.4], [1, 2, 0.5])             # (27, 4)
    gt = np.array([[0.1, 0.1, 0.5, 0.5], [0.1, 0.1, 0.5, 0.5], [0.3, 0.3, 0.7, 0.7]])
    want = d2l_assign_anchor_to_bbox(torch.from_numpy(gt), torch.from_numpy(anchors)).numpy()
    np.testing.assert_array_equal(dt.assign_anchor_to_bbox(gt, anchors), want)


def test_assign_edge_cases():
    anchors = ANCHORS
    np.testing.assert_array_equal(dt.assign_anchor_to_bbox(np.zeros((0, 4)), anchors),
                                  np.full(5, -1))
    assert dt.assign_anchor_to_bbox(GROUND_TRUTH, np.zeros((0, 4))).shape == (0,)
    got = dt.assign_anchor_to_bbox(np.vstack([GROUND_TRUTH] * 4), anchors[:3])   # 8 boxes
    assert sorted(set(got)) == sorted(got) and np.all(got >= 0)   # 3 distinct boxes, no crash


# ---------------------------------------------------------------------------- nms

def test_nms_d2l_example():
    """d2l: boxes 1 and 2 overlap box 0 (IoU 0.74, 0.55 > 0.5); box 3 is apart. Boxes 0
    and 3 tie at 0.9: the lower index first, as d2l's output lists them."""
    boxes0, scores0 = NMS_BOXES.copy(), NMS_SCORES.copy()
    keep = dt.nms(NMS_BOXES, NMS_SCORES, 0.5)
    np.testing.assert_array_equal(keep, [0, 3])
    assert keep.dtype.kind == "i"
    np.testing.assert_array_equal(NMS_BOXES, boxes0)
    np.testing.assert_array_equal(NMS_SCORES, scores0)
    iou = dt.box_iou(NMS_BOXES, NMS_BOXES)
    assert 0.5 < iou[0, 2] < 0.6 < iou[0, 1] and iou[2, 3] < 0.1 and iou[0, 3] == 0
    np.testing.assert_array_equal(dt.nms(NMS_BOXES, NMS_SCORES, 0.6), [0, 3, 2])


def test_nms_drops_only_above_the_threshold():
    boxes = np.array([[0.0, 0, 2, 1], [0.0, 0, 1, 1]])             # IoU exactly 0.5
    np.testing.assert_array_equal(dt.nms(boxes, np.array([0.2, 0.9]), 0.5), [1, 0])
    np.testing.assert_array_equal(dt.nms(boxes, np.array([0.2, 0.9]), 0.49), [1])
    np.testing.assert_array_equal(dt.nms(boxes, np.array([0.2, 0.9]), 1.0), [1, 0])


def test_nms_edge_cases():
    rng = np.random.default_rng(5)
    disjoint = np.array([[3.0 * k, 0, 3.0 * k + 1, 1] for k in range(5)])
    scores = rng.permutation(5) / 5
    np.testing.assert_array_equal(dt.nms(disjoint, scores, 0.0), np.argsort(-scores))
    same = np.tile([[0.1, 0.1, 0.4, 0.3]], (4, 1))
    np.testing.assert_array_equal(dt.nms(same, np.array([0.5, 0.7, 0.7, 0.1]), 0.9), [1])
    many = np.array([[3.0 * k, 0, 3.0 * k + 1, 1] for k in range(50)])   # ties in a sort
    tied = np.tile([0.5, 0.9], 25)                                        # past numpy's small
    np.testing.assert_array_equal(dt.nms(many, tied, 0.5),               # (stable) sorts
                                  np.r_[np.arange(1, 50, 2), np.arange(0, 50, 2)])
    assert dt.nms(np.zeros((0, 4)), np.zeros(0), 0.5).shape == (0,)
    np.testing.assert_array_equal(dt.nms(disjoint[:1], [0.3], 0.5), [0])


@pytest.mark.parametrize("seed", range(8))
def test_nms_properties_and_d2l(seed):
    rng = np.random.default_rng(20 + seed)
    boxes = np.repeat(random_boxes(rng, 8), 5, axis=0) + rng.normal(0, 0.03, (40, 4))  # clusters
    boxes[:, 2:] = np.maximum(boxes[:, 2:], boxes[:, :2] + 0.01)
    scores = rng.uniform(0, 1, 40)
    threshold = float(rng.choice([0.2, 0.4, 0.5, 0.7]))
    keep = dt.nms(boxes, scores, threshold)
    want = d2l_nms(torch.from_numpy(boxes), torch.from_numpy(scores), threshold).numpy()
    np.testing.assert_array_equal(keep, want)
    assert len(set(keep)) == len(keep) and 0 < len(keep) < 40
    assert np.all(np.diff(scores[keep]) <= 0), "highest score first"
    iou = dt.box_iou(boxes, boxes)
    pairwise = iou[np.ix_(keep, keep)][~np.eye(len(keep), dtype=bool)]
    assert np.all(pairwise <= threshold), "kept boxes overlap too much"
    for i in sorted(set(range(40)) - set(keep)):
        stronger = keep[scores[keep] > scores[i]]
        assert np.any(iou[i, stronger] > threshold), f"box {i} suppressed by no stronger box"
