"""Testing the tester: a corpus of realistic buggy answers to the detection assignment.

Each case is the correct solution (tests/submissions/detection_solution.py) with ONE
function re-defined the way students translating d2l's object-detection chapters to
NumPy get it wrong; most are a one-line edit of the solution's own code (``_edit``), the
others are written out.

Each case is graded ONCE, in full (every function of the assignment), and:

* its own function loses exactly the tests named, with the status and a verbatim
  feedback substring; the structure tests a gate withholds (a value test of the same
  function failed) score 0; every other test of the function keeps full marks;
* every OTHER function keeps full marks (SPEC, catalog intro: "A bug costs points only
  under the function that has it"), except the ones the SPEC allows by nature, which
  the case names with the feedback every test they lose must show:
  - assign_anchor_to_bbox and nms, which the solution (as d2l) builds on its own
    box_iou: the feedback says that box_iou is wrong on those boxes.

Together the cases catch every test of the assignment failing at least once
(test_every_test_catches_a_bug); the correct solution keeps full marks on a few seeds,
and so do a few correct answers in other styles (d2l's own code in NumPy, loops).
"""
import pytest

from tests.corpus import (ANY, E, F, check_case, check_well_formed, edit,
                          solution_def, uncaught_tests)
from tests.helpers import lost_points, solution_source, with_replacement

A = "detection"
IOU, ASSIGN, NMS, PRIOR = "box_iou", "assign_anchor_to_bbox", "nms", "multibox_prior"
IOU_USERS = (ASSIGN, NMS)


def _solution_def(name):
    return solution_def(A, name)


def _edit(name, *edits):
    return edit(A, name, *edits)


IOU_HINT = "; your box_iou gives wrong values on these boxes (see its own checks)"


def _iou_hint(*users):
    """SPEC: the assignment and NMS are built on the student's box_iou; the tests they
    lose name it."""
    return {user: IOU_HINT for user in users}


CLAMP = ("every wrong entry is a pair of boxes that do not overlap (IoU 0): clamp the "
         "intersection's width and height at 0, np.clip(bottom_right - top_left, 0, None)")
ANCHORS_3x5 = "multibox_prior(3, 5, sizes=(0.75, 0.5, 0.25), ratios=(1.0, 2.0, 0.5))"
ASSIGN_D2L = ("anchors_bbox_map assign_anchor_to_bbox(ground_truth, anchors, "
              "iou_threshold=0.5) (d2l's example)")
GREEDY = ("anchors_bbox_map assign_anchor_to_bbox(ground_truth, anchors, iou_threshold=0.5) "
          "(3 boxes, 6 anchors)")
ALSO_KEEPS = ("; it also keeps boxes that overlap a kept, higher-scoring box by more than the "
              "threshold: those must be dropped")
SWAPPED = ("; the anchors' widths and heights are swapped: width s * sqrt(r) * height / "
           "width, height s / sqrt(r)")
NMS_05 = "keep nms(boxes, scores, iou_threshold=0.5) (6 boxes)"
EXACT_ASSIGN = ("anchors_bbox_map assign_anchor_to_bbox(ground_truth, anchors, "
                "iou_threshold=0.5) (2 boxes, 6 anchors, IoUs of exactly 0.5)")
EXACT_NMS = "keep nms(boxes, scores, iou_threshold=0.5) (5 boxes, IoUs of exactly 0.5)"


BOX_IOU_LOOP = '''
def box_iou(boxes1, boxes2):
    boxes1 = np.asarray(boxes1, dtype=float)
    boxes2 = np.asarray(boxes2, dtype=float)
    iou = np.zeros((len(boxes1), len(boxes2)))
    for i, a in enumerate(boxes1):
        for j, b in enumerate(boxes2):
            iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
            ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
            inter = iw * ih
            union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
            iou[i, j] = inter / union if union > 0 else 0.0
    return iou
'''


# (case id, function, buggy source, {failing test of the function: (status, feedback)},
#  {other function allowed to lose by nature: feedback substring of its lost tests})
CASES = [
    # ==================================================== box_corner_to_center
    ("corner_to_center_sizes_first", "box_corner_to_center", _edit(
        "box_corner_to_center",
        ("np.stack((cx, cy, w, h), axis=-1)", "np.stack((w, h, cx, cy), axis=-1)")), {
        "box_corner_to_center.d2l_example":
            (F, "box_corner_to_center(boxes) (d2l's dog and cat, shape (2, 4))"),
        "box_corner_to_center.round_trip": (F, "box_corner_to_center(boxes) [box_center_to_"
                                               "corner(boxes) of "),
    }, {}),
    ("corner_to_center_half_sizes", "box_corner_to_center", _edit(
        "box_corner_to_center", ("w = x2 - x1", "w = (x2 - x1) / 2"),
        ("h = y2 - y1", "h = (y2 - y1) / 2")), {
        "box_corner_to_center.d2l_example":
            (F, "box_corner_to_center(boxes) (d2l's dog and cat, shape (2, 4))"),
        "box_corner_to_center.round_trip": (F, "box_corner_to_center(boxes) ["),
    }, {}),
    # ==================================================== box_center_to_corner
    ("center_to_corner_full_sizes", "box_center_to_corner", _edit(
        "box_center_to_corner", ("x1 = cx - 0.5 * w", "x1 = cx - w"),
        ("y1 = cy - 0.5 * h", "y1 = cy - h"), ("x2 = cx + 0.5 * w", "x2 = cx + w"),
        ("y2 = cy + 0.5 * h", "y2 = cy + h")), {
        "box_center_to_corner.d2l_example":
            (F, "box_center_to_corner(boxes) (d2l's dog and cat, shape (2, 4))"),
        "box_center_to_corner.round_trip": (F, "box_center_to_corner(boxes) ["),
    }, {}),
    # ================================================================= box_iou
    ("iou_areas_plus_one", IOU, _edit(
        IOU, ("return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])",
              "return (boxes[:, 2] - boxes[:, 0] + 1) * (boxes[:, 3] - boxes[:, 1] + 1)")), {
        "box_iou.special_cases":
            (F, "box_iou(boxes1, boxes2) (d2l's 5 anchors and 2 ground-truth boxes)[4, 1]: "
                "expected 0.745908, got 0.0451777"),
        "box_iou.matches_reference": (F, "box_iou(boxes1, boxes2) ["),
    }, _iou_hint(ASSIGN, NMS)),
    ("iou_intersection_not_clamped", IOU, _edit(
        IOU, ("inters = np.clip(inter_lowerrights - inter_upperlefts, 0, None)",
              "inters = inter_lowerrights - inter_upperlefts")), {
        "box_iou.special_cases": (F, CLAMP),
        "box_iou.matches_reference": (F, CLAMP),
    }, _iou_hint(ASSIGN, NMS)),
    ("iou_union_counts_intersection_twice", IOU, _edit(
        IOU, ("union_areas = areas1[:, None] + areas2 - inter_areas",
              "union_areas = areas1[:, None] + areas2")), {
        "box_iou.special_cases":
            (F, "box_iou(boxes1, boxes2) (d2l's 5 anchors and 2 ground-truth boxes)[4, 1]: "
                "expected 0.745908, got 0.427232"),
        "box_iou.matches_reference": (F, "box_iou(boxes1, boxes2) ["),
    }, _iou_hint(ASSIGN, NMS)),
    ("iou_transposed", IOU, _edit(IOU, ("    return iou\n", "    return iou.T\n")), {
        "box_iou.special_cases":
            (F, "box_iou(boxes1, boxes2) (d2l's 5 anchors and 2 ground-truth boxes): expected "
                "shape (5, 2) (n1, n2), got the transposed shape (2, 5)"),
        "box_iou.matches_reference": (ANY, "box_iou(boxes1, boxes2)"),
    }, _iou_hint(ASSIGN)),    # NMS reshapes its one row of IoUs: (1, k) or (k, 1) alike
    ("iou_python_loop_over_pairs", IOU, BOX_IOU_LOOP, {
        "box_iou.vectorized": (F, ("box_iou is not vectorized: it runs ",
                                   " Python lines for 3 x 4 boxes, but ",
                                   "for 25 x 4: a Python loop over boxes1. Compute every pair "
                                   "at once by broadcasting")),
    }, {}),
    # ========================================================== multibox_prior
    ("anchors_width_height_swapped", PRIOR, _edit(
        PRIOR, ("np.stack((-w, -h, w, h))", "np.stack((-h, -w, h, w))")), {
        "multibox_prior.anchors":
            (F, (ANCHORS_3x5 + "[", SWAPPED)),
        "multibox_prior.matches_reference": (F, SWAPPED),
    }, {}),
    ("anchors_centred_on_pixel_corners", PRIOR, _edit(
        PRIOR, ("center_h = (np.arange(height) + 0.5) / height",
                "center_h = np.arange(height) / height"),
        ("center_w = (np.arange(width) + 0.5) / width", "center_w = np.arange(width) / width")),
     {
        "multibox_prior.anchors":
            (F, "; these anchors are centred on the pixels' corners: the centre of pixel "
                "(i, j) is ((j + 0.5) / width, (i + 0.5) / height)"),
        "multibox_prior.matches_reference": (F, "centred on the pixels' corners"),
    }, {}),
    ("anchors_meshgrid_xy_indexing", PRIOR, _edit(
        PRIOR, ("np.meshgrid(center_h, center_w, indexing='ij')",
                "np.meshgrid(center_h, center_w)")), {
        "multibox_prior.anchors":
            (F, "; the anchors are right but in another order: pixel by pixel, row-major, "
                "and per pixel (s1, r1), ..., (sn, r1), (s1, r2), ..., (s1, rm)"),
        "multibox_prior.matches_reference": (F, "right but in another order"),
    }, {}),
    ("anchors_d2l_batch_axis", PRIOR, _edit(
        PRIOR, ("    return out_grid + anchor_manipulations\n",
                "    output = out_grid + anchor_manipulations\n"
                "    return np.expand_dims(output, axis=0)\n")), {
        "multibox_prior.anchors":
            (F, ANCHORS_3x5 + ": expected shape (75, 4), got (1, 75, 4): return the anchors "
                "without d2l's leading batch axis"),
        "multibox_prior.matches_reference": (F, "without d2l's leading batch axis"),
    }, {}),
    ("anchors_every_size_with_every_ratio", PRIOR, '''
def multibox_prior(height, width, sizes, ratios):
    center_h = (np.arange(height) + 0.5) / height
    center_w = (np.arange(width) + 0.5) / width
    shift_y, shift_x = np.meshgrid(center_h, center_w, indexing='ij')
    s, r = np.meshgrid(np.array(sizes, dtype=float), np.array(ratios, dtype=float),
                       indexing='ij')
    w = (s * np.sqrt(r)).reshape(-1) * height / width
    h = (s / np.sqrt(r)).reshape(-1)
    half = np.stack((-w, -h, w, h), axis=1) / 2
    centres = np.stack([shift_x, shift_y, shift_x, shift_y], axis=-1).reshape(-1, 1, 4)
    return (centres + half[None]).reshape(-1, 4)
''', {
        "multibox_prior.anchors":
            (F, ANCHORS_3x5 + ": expected shape (75, 4), got shape (135, 4)"),
        "multibox_prior.matches_reference": (F, "multibox_prior("),
    }, {}),
    # =================================================== assign_anchor_to_bbox
    ("assign_threshold_only", ASSIGN, _edit(
        ASSIGN, ('''    for _ in range(min(num_anchors, num_gt_boxes)):
        max_idx = np.argmax(left)
        anc_idx, box_idx = max_idx // num_gt_boxes, max_idx % num_gt_boxes
        anchors_bbox_map[anc_idx] = box_idx
        left[:, box_idx] = -1
        left[anc_idx, :] = -1
''', "")), {
        "assign_anchor_to_bbox.d2l_example":
            (F, ASSIGN_D2L + ": 1 of 5 labels differ: anchors_bbox_map[1] expected 0, got -1"),
        "assign_anchor_to_bbox.greedy_then_threshold":
            (F, GREEDY + ": 2 of 6 labels differ: anchors_bbox_map[0] expected 2, got -1; "
                "anchors_bbox_map[3] expected 1, got 0; ground-truth boxes 1, 2 got no anchor: "
                "the greedy step gives every box one, even when its best IoU is below the "
                "threshold (box 2's best is 0.2383)"),
        "assign_anchor_to_bbox.matches_reference": (F, "anchors_bbox_map assign_anchor_to_bbox("),
    }, {}),
    ("assign_best_anchor_per_box_without_discarding", ASSIGN, _edit(
        ASSIGN, ('''    left = jaccard.copy()
    for _ in range(min(num_anchors, num_gt_boxes)):
        max_idx = np.argmax(left)
        anc_idx, box_idx = max_idx // num_gt_boxes, max_idx % num_gt_boxes
        anchors_bbox_map[anc_idx] = box_idx
        left[:, box_idx] = -1
        left[anc_idx, :] = -1
''', '''    best_anchor = np.argmax(jaccard, axis=0)           # each box takes its best anchor
    anchors_bbox_map[best_anchor] = np.arange(num_gt_boxes)
''')), {
        "assign_anchor_to_bbox.greedy_then_threshold":
            (F, GREEDY + ": 2 of 6 labels differ: anchors_bbox_map[1] expected 0, got 1; "
                "anchors_bbox_map[3] expected 1, got 0; anchor 3 belongs to box 1: the greedy "
                "step gave anchor 1 to box 0 (IoU 0.907), so box 1 took its best remaining "
                "anchor, 3 (0.5385)"),
        "assign_anchor_to_bbox.matches_reference": (F, "anchors_bbox_map assign_anchor_to_bbox("),
    }, {}),
    ("assign_threshold_overwrites_greedy", ASSIGN, _edit(
        ASSIGN, ("rest = (anchors_bbox_map == -1) & (max_ious >= iou_threshold)",
                 "rest = max_ious >= iou_threshold")), {
        "assign_anchor_to_bbox.greedy_then_threshold":
            (F, GREEDY + ": 1 of 6 labels differ: anchors_bbox_map[3] expected 1, got 0"),
        "assign_anchor_to_bbox.matches_reference": (F, "anchors_bbox_map assign_anchor_to_bbox("),
    }, {}),
    # d2l's max_ious >= iou_threshold written as >: an IoU equal to the threshold is lost
    ("assign_strictly_above_threshold", ASSIGN, _edit(
        ASSIGN, ("rest = (anchors_bbox_map == -1) & (max_ious >= iou_threshold)",
                 "rest = (anchors_bbox_map == -1) & (max_ious > iou_threshold)")), {
        "assign_anchor_to_bbox.iou_equal_to_threshold":
            (F, (EXACT_ASSIGN + ": 3 of 6 labels differ: anchors_bbox_map[1] expected 0, got -1",
                 "; anchors 1, 2, 5 have a best IoU of exactly 0.5, the threshold, and must be "
                 "assigned: the threshold step takes IoU >= iou_threshold, not only above it")),
    }, {}),
    ("assign_threshold_on_discarded_matrix", ASSIGN, _edit(
        ASSIGN, ("left = jaccard.copy()", "left = jaccard")), {
        "assign_anchor_to_bbox.d2l_example": (F, ASSIGN_D2L),
        # the greedy scene has no anchor beyond the greedy step's at threshold 0.5
        "assign_anchor_to_bbox.matches_reference": (F, "anchors_bbox_map assign_anchor_to_bbox("),
        # anchors 1, 2 and 5 lose their IoU to the discarded column (not the threshold's
        # fault: no hint about >=)
        "assign_anchor_to_bbox.iou_equal_to_threshold":
            (F, EXACT_ASSIGN + ": 3 of 6 labels differ: anchors_bbox_map[1] expected 0, got -1"),
    }, {}),
    # ===================================================================== nms
    ("nms_ascending_scores", NMS, _edit(
        NMS, ("np.argsort(-np.asarray(scores, dtype=float), kind='stable')",
              "np.argsort(np.asarray(scores, dtype=float), kind='stable')")), {
        "nms.d2l_like_example":
            (F, NMS_05 + ": 3 of 3 labels differ: keep[0] expected 0, got 5"),
        "nms.matches_reference": (F, "keep nms(boxes, scores, iou_threshold="),
        "nms.iou_equal_to_threshold": (F, EXACT_NMS + ": expected shape (4,), got shape (3,)"),
    }, {}),
    # d2l's iou <= iou_threshold written as <: a box at exactly the threshold is dropped
    ("nms_drops_iou_equal_to_threshold", NMS, _edit(
        NMS, ("B = B[1:][iou <= iou_threshold]", "B = B[1:][iou < iou_threshold]")), {
        "nms.iou_equal_to_threshold":
            (F, (EXACT_NMS + ": expected shape (4,), got shape (2,)",
                 "; boxes 1 and 2 overlap box 0 by exactly 0.5, the threshold, and must stay: "
                 "drop a box only when its IoU is ABOVE the threshold (keep iou <= "
                 "iou_threshold)")),
    }, {}),
    # "Fast NMS" (YOLACT): a box falls to ANY higher-scoring box, kept or not
    ("nms_fast_nms_matrix", NMS, '''
def nms(boxes, scores, iou_threshold):
    order = np.argsort(-scores, kind="stable")
    iou = np.triu(box_iou(boxes[order], boxes[order]), 1)
    return order[iou.max(axis=0) <= iou_threshold]
''', {
        "nms.d2l_like_example":
            (F, "keep nms(boxes, scores, iou_threshold=0.5) (a chain of 3 boxes): expected "
                "shape (2,), got shape (1,); box 1 is dropped by box 0, so it cannot drop box "
                "2: only KEPT boxes suppress others"),
        "nms.matches_reference": (ANY, "keep nms(boxes, scores, iou_threshold="),
    }, {}),
    ("nms_single_round", NMS, '''
def nms(boxes, scores, iou_threshold):
    boxes = np.asarray(boxes, dtype=float)
    order = np.argsort(-scores)
    best = order[0]
    iou = box_iou(boxes[best:best + 1], boxes)[0]   # IoU with the best box only
    return np.array([i for i in order if i == best or iou[i] <= iou_threshold])
''', {
        "nms.d2l_like_example": (F, NMS_05 + ": expected shape (3,), got shape (4,)" + ALSO_KEEPS),
        "nms.matches_reference": (F, ALSO_KEEPS),
    }, {}),
    ("nms_keeps_the_overlapping_boxes", NMS, _edit(
        NMS, ("B = B[1:][iou <= iou_threshold]", "B = B[1:][iou > iou_threshold]")), {
        "nms.d2l_like_example": (F, NMS_05 + ": 2 of 3 labels differ: keep[1] expected 3, got 1"),
        "nms.matches_reference": (F, "keep nms(boxes, scores, iou_threshold="),
        "nms.iou_equal_to_threshold": (F, EXACT_NMS + ": expected shape (4,), got shape (2,)"),
    }, {}),
    ("nms_kept_lowest_score_first", NMS, _edit(
        NMS, ("return np.array(keep, dtype=int)", "return np.array(keep[::-1], dtype=int)")),
     {
        "nms.d2l_like_example":
            (F, NMS_05 + ": 2 of 3 labels differ: keep[0] expected 0, got 5; keep[2] expected "
                "5, got 0; the kept boxes are right but in ascending score order: start from "
                "the highest score (np.argsort(-scores))"),
        "nms.matches_reference": (F, "keep nms(boxes, scores, iou_threshold="),
        "nms.iou_equal_to_threshold":
            (F, (EXACT_NMS + ": 4 of 4 labels differ: keep[0] expected 0, got 4",
                 "the kept boxes are right but in ascending score order")),
    }, {}),
    ("nms_kept_in_index_order", NMS, _edit(
        NMS, ("return np.array(keep, dtype=int)", "return np.sort(np.array(keep, dtype=int))")),
     {
        "nms.d2l_like_example":         # [0, 3, 5] at 0.5 is in index order already
            (F, "keep nms(boxes, scores, iou_threshold=0.7) (6 boxes): 2 of 4 labels differ: "
                "keep[1] expected 3, got 2; keep[2] expected 2, got 3; the kept boxes are "
                "right but in another order: highest score first"),
        "nms.matches_reference": (F, "right but in "),
    }, {}),
]


# Correct answers in other styles than the solution's: they lose nothing.
CORRECT_VARIANTS = [
    # d2l's own code (torch) translated line by line to NumPy: the conversions on
    # boxes[:, 0] (boxes are graded as (n, 4)), box_iou with its box_area lambda and no
    # guard for an empty union, the threshold step first and the greedy loop overwriting
    # it, NMS indexing B with inds + 1
    ("d2l_translated", '''
def box_corner_to_center(boxes):
    """Convert from (upper-left, lower-right) to (center, width, height)."""
    x1, y1, x2, y2 = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]
    cx = (x1 + x2) / 2
    cy = (y1 + y2) / 2
    w = x2 - x1
    h = y2 - y1
    boxes = np.stack((cx, cy, w, h), axis=-1)
    return boxes


def box_center_to_corner(boxes):
    """Convert from (center, width, height) to (upper-left, lower-right)."""
    cx, cy, w, h = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]
    x1 = cx - 0.5 * w
    y1 = cy - 0.5 * h
    x2 = cx + 0.5 * w
    y2 = cy + 0.5 * h
    boxes = np.stack((x1, y1, x2, y2), axis=-1)
    return boxes


def box_iou(boxes1, boxes2):
    box_area = lambda boxes: ((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]))
    areas1 = box_area(boxes1)
    areas2 = box_area(boxes2)
    inter_upperlefts = np.maximum(boxes1[:, None, :2], boxes2[:, :2])
    inter_lowerrights = np.minimum(boxes1[:, None, 2:], boxes2[:, 2:])
    inters = np.clip(inter_lowerrights - inter_upperlefts, a_min=0, a_max=None)
    inter_areas = inters[:, :, 0] * inters[:, :, 1]
    union_areas = areas1[:, None] + areas2 - inter_areas
    return inter_areas / union_areas


def assign_anchor_to_bbox(ground_truth, anchors, iou_threshold=0.5):
    num_anchors, num_gt_boxes = anchors.shape[0], ground_truth.shape[0]
    jaccard = box_iou(anchors, ground_truth)
    anchors_bbox_map = np.full((num_anchors,), -1, dtype=np.int64)
    max_ious, indices = np.max(jaccard, axis=1), np.argmax(jaccard, axis=1)
    anc_i = np.nonzero(max_ious >= iou_threshold)[0]
    box_j = indices[max_ious >= iou_threshold]
    anchors_bbox_map[anc_i] = box_j
    col_discard = np.full((num_anchors,), -1)
    row_discard = np.full((num_gt_boxes,), -1)
    for _ in range(num_gt_boxes):
        max_idx = np.argmax(jaccard)
        box_idx = max_idx % num_gt_boxes
        anc_idx = max_idx // num_gt_boxes
        anchors_bbox_map[anc_idx] = box_idx
        jaccard[:, box_idx] = col_discard
        jaccard[anc_idx, :] = row_discard
    return anchors_bbox_map


def nms(boxes, scores, iou_threshold):
    B = np.argsort(-scores)
    keep = []
    while B.size > 0:
        i = B[0]
        keep.append(i)
        if B.size == 1:
            break
        iou = box_iou(boxes[i, :].reshape(-1, 4), boxes[B[1:], :].reshape(-1, 4)).reshape(-1)
        inds = np.nonzero(iou <= iou_threshold)[0]
        B = B[inds + 1]
    return np.array(keep)
'''),
    # loops where no test asks for vectorization, a box_area helper, np.unravel_index
    ("explicit_loops", '''
def box_area(boxes):
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def box_center_to_corner(boxes):
    boxes = np.asarray(boxes, dtype=float)
    centers, sizes = boxes[..., :2], boxes[..., 2:]
    return np.concatenate([centers - sizes / 2, centers + sizes / 2], axis=-1)


def box_iou(boxes1, boxes2):
    top_left = np.maximum(boxes1[:, None, :2], boxes2[None, :, :2])
    bottom_right = np.minimum(boxes1[:, None, 2:], boxes2[None, :, 2:])
    wh = np.maximum(bottom_right - top_left, 0)
    inter = wh[..., 0] * wh[..., 1]
    return inter / (box_area(boxes1)[:, None] + box_area(boxes2)[None, :] - inter)


def multibox_prior(height, width, sizes, ratios):
    pairs = [(s, ratios[0]) for s in sizes] + [(sizes[0], r) for r in ratios[1:]]
    anchors = []
    for i in range(height):
        for j in range(width):
            cx, cy = (j + 0.5) / width, (i + 0.5) / height
            for s, r in pairs:
                w = s * np.sqrt(r) * height / width
                h = s / np.sqrt(r)
                anchors.append([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])
    return np.array(anchors)


def assign_anchor_to_bbox(ground_truth, anchors, iou_threshold=0.5):
    iou = box_iou(anchors, ground_truth)
    result = -np.ones(len(anchors), dtype=int)
    left = iou.copy()
    for _ in range(min(left.shape)):
        a, g = np.unravel_index(np.argmax(left), left.shape)
        result[a] = g
        left[a, :] = -1
        left[:, g] = -1
    for a in range(len(anchors)):
        g = int(np.argmax(iou[a]))
        if result[a] == -1 and iou[a, g] >= iou_threshold:
            result[a] = g
    return result


def nms(boxes, scores, iou_threshold):
    keep = []
    for i in np.argsort(scores)[::-1]:
        if all(box_iou(boxes[[i]], boxes[[k]])[0, 0] <= iou_threshold for k in keep):
            keep.append(int(i))
    return keep
'''),
]


@pytest.mark.parametrize("case_id,function,source,expected,dependents", CASES,
                         ids=[c[0] for c in CASES])
def test_bug_costs_points_only_under_its_function(case_id, function, source, expected,
                                                  dependents):
    check_case(A, function, source, expected, dependents)


@pytest.mark.parametrize("case_id,source", CORRECT_VARIANTS,
                         ids=[c[0] for c in CORRECT_VARIANTS])
def test_correct_variant_full_marks(case_id, source):
    lost, report = lost_points(with_replacement(A, source), A)
    assert lost == []
    assert report.score == report.max_score > 0


def test_corpus_is_well_formed():
    check_well_formed(A, CASES, 14)
    for case_id, function, _, _, dependents in CASES:
        for fn, feedback in dependents.items():
            # SPEC: the assignment and NMS are built on the student's own box_iou
            assert fn in IOU_USERS and function == IOU, (case_id, fn)


def test_every_test_catches_a_bug():
    assert uncaught_tests(A, CASES) == set(), "tests no buggy answer exercises"


@pytest.mark.parametrize("seed", range(3))
def test_correct_solution_full_marks(seed):
    lost, report = lost_points(solution_source(A), A, seed=seed)
    assert lost == []
    assert report.score == report.max_score > 0
