"""Reference for the detection assignment (SPEC.md, "detection"): the d2l chapters on
bounding boxes, anchor boxes and non-maximum suppression, in NumPy float64.

Boxes are arrays (..., 4): corner form (x1, y1, x2, y2) with x1 <= x2, y1 <= y2, or
center form (cx, cy, w, h). Areas are w * h (continuous coordinates, no +1 pixel).
Anchors are in coordinates scaled to [0, 1] by the image's width and height, and are
not clipped: an anchor near the border may reach outside [0, 1], as in d2l.
Ties are broken towards the lower index everywhere (stable, reproducible).
Inputs are never modified.
"""
import numpy as np


# ------------------------------------------------------------------------- boxes

def box_corner_to_center(boxes):
    """(..., 4) corners (x1, y1, x2, y2) -> (..., 4) centers (cx, cy, w, h)."""
    boxes = np.asarray(boxes, dtype=np.float64)
    x1, y1, x2, y2 = boxes[..., 0], boxes[..., 1], boxes[..., 2], boxes[..., 3]
    return np.stack([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1], axis=-1)  # (..., 4)


def box_center_to_corner(boxes):
    """(..., 4) centers (cx, cy, w, h) -> (..., 4) corners (x1, y1, x2, y2)."""
    boxes = np.asarray(boxes, dtype=np.float64)
    cx, cy, w, h = boxes[..., 0], boxes[..., 1], boxes[..., 2], boxes[..., 3]
    return np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=-1)  # (..., 4)


def box_area(boxes):
    """(n, 4) corner boxes -> (n,) areas w * h."""
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def box_iou(boxes1, boxes2):
    """IoU (Jaccard index) of every pair of corner boxes: (n1, 4), (n2, 4) -> (n1, n2).

    Broadcast, no loop: the intersection is the box between the larger top-left and
    the smaller bottom-right corners, its sides clamped at 0 (disjoint or touching boxes
    meet in 0 area). Two zero-area boxes have a union of 0: their IoU is 0, not NaN.
    """
    boxes1 = np.asarray(boxes1, dtype=np.float64).reshape(-1, 4)   # (n1, 4)
    boxes2 = np.asarray(boxes2, dtype=np.float64).reshape(-1, 4)   # (n2, 4)
    top_left = np.maximum(boxes1[:, None, :2], boxes2[None, :, :2])       # (n1, n2, 2)
    bottom_right = np.minimum(boxes1[:, None, 2:], boxes2[None, :, 2:])   # (n1, n2, 2)
    sides = np.clip(bottom_right - top_left, 0.0, None)                  # (n1, n2, 2)
    inter = sides[..., 0] * sides[..., 1]                                # (n1, n2)
    union = box_area(boxes1)[:, None] + box_area(boxes2)[None, :] - inter  # (n1, n2)
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


# ----------------------------------------------------------------------- anchors

def multibox_prior(height, width, sizes, ratios):
    """Anchors centred on every pixel of a height x width image, d2l's multibox_prior
    without its leading batch axis: (height * width * (n + m - 1), 4) corners in [0, 1]
    scaled coordinates.

    Per pixel, n + m - 1 anchors: (s1, r1), ..., (sn, r1), (s1, r2), ..., (s1, rm), of
    width s * sqrt(r) * height / width and height s / sqrt(r) (so that s and r refer to
    the image's own aspect, d2l's convention); pixels in row-major order, (i, j) centred
    at ((j + 0.5) / width, (i + 0.5) / height).
    """
    sizes = np.asarray(sizes, dtype=np.float64)          # (n,)
    ratios = np.asarray(ratios, dtype=np.float64)        # (m,)
    s = np.concatenate([sizes, np.full(ratios.size - 1, sizes[0])])   # (k,) k = n + m - 1
    r = np.concatenate([np.full(sizes.size, ratios[0]), ratios[1:]])  # (k,)
    w = s * np.sqrt(r) * height / width                  # (k,)
    h = s / np.sqrt(r)                                   # (k,)
    half = np.stack([-w, -h, w, h], axis=1) / 2          # (k, 4) offsets from the centre
    cy = (np.arange(height) + 0.5) / height              # (height,)
    cx = (np.arange(width) + 0.5) / width                # (width,)
    grid_y, grid_x = np.meshgrid(cy, cx, indexing="ij")  # (height, width) each
    centres = np.stack([grid_x, grid_y, grid_x, grid_y], axis=-1).reshape(-1, 1, 4)  # (HW, 1, 4)
    return (centres + half[None]).reshape(-1, 4)        # (HW * k, 4)


def assign_anchor_to_bbox(ground_truth, anchors, iou_threshold=0.5):
    """Index of the ground-truth box each anchor is assigned to, -1 for background:
    (num_gt, 4), (num_anchors, 4) corners -> (num_anchors,) int64.

    1. Greedy: take the largest IoU left in the (num_anchors, num_gt) matrix, assign that
       anchor to that box, discard the anchor's row and the box's column; repeat until
       every box has an anchor (or the anchors run out). Every box gets one, however
       small its best IoU. Ties: the first maximum in row-major order (lower anchor, then
       lower box index).
    2. Every anchor not taken in step 1 gets the box with its largest IoU (over ALL boxes;
       ties: the lower index) if that IoU is >= iou_threshold.
    d2l does step 2 first and lets step 1 overwrite; the result is the same.
    """
    iou = box_iou(anchors, ground_truth)                 # (num_anchors, num_gt)
    num_anchors, num_gt = iou.shape
    assigned = np.full(num_anchors, -1, dtype=np.int64)  # (num_anchors,)
    if num_anchors == 0 or num_gt == 0:
        return assigned
    left = iou.copy()                                    # discarded entries become -1
    for _ in range(min(num_anchors, num_gt)):            # one box per round
        anchor, box = np.unravel_index(np.argmax(left), left.shape)
        assigned[anchor] = box
        left[anchor, :] = -1.0
        left[:, box] = -1.0
    best = np.argmax(iou, axis=1)                        # (num_anchors,) first maximum
    rest = (assigned == -1) & (iou[np.arange(num_anchors), best] >= iou_threshold)
    assigned[rest] = best[rest]
    return assigned


# ------------------------------------------------------------------------- NMS

def nms(boxes, scores, iou_threshold):
    """Non-maximum suppression: indices (int64) of the kept boxes, highest score first.

    Keep the best remaining box, drop every remaining box whose IoU with it EXCEEDS
    iou_threshold (an IoU equal to it survives), repeat. Equal scores: the lower index
    first (a stable sort). The loop runs once per KEPT box; each round is vectorized.
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)   # (n, 4)
    order = np.argsort(-np.asarray(scores, dtype=np.float64).reshape(-1), kind="stable")
    keep = []
    while order.size > 0:
        best, order = order[0], order[1:]
        keep.append(best)
        overlap = box_iou(boxes[best], boxes[order])[0]   # (len(order),)
        order = order[overlap <= iou_threshold]
    return np.array(keep, dtype=np.int64)
