"""A correct student-style detection submission (the solution notebook's code)."""
import numpy as np


def box_corner_to_center(boxes):
    boxes = np.asarray(boxes, dtype=float)
    x1, y1, x2, y2 = boxes[..., 0], boxes[..., 1], boxes[..., 2], boxes[..., 3]
    cx = (x1 + x2) / 2
    cy = (y1 + y2) / 2
    w = x2 - x1
    h = y2 - y1
    return np.stack((cx, cy, w, h), axis=-1)


def box_center_to_corner(boxes):
    boxes = np.asarray(boxes, dtype=float)
    cx, cy, w, h = boxes[..., 0], boxes[..., 1], boxes[..., 2], boxes[..., 3]
    x1 = cx - 0.5 * w
    y1 = cy - 0.5 * h
    x2 = cx + 0.5 * w
    y2 = cy + 0.5 * h
    return np.stack((x1, y1, x2, y2), axis=-1)


def box_iou(boxes1, boxes2):
    boxes1 = np.asarray(boxes1, dtype=float)
    boxes2 = np.asarray(boxes2, dtype=float)

    def box_area(boxes):
        return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])

    areas1 = box_area(boxes1)                                          # (n1,)
    areas2 = box_area(boxes2)                                          # (n2,)
    inter_upperlefts = np.maximum(boxes1[:, None, :2], boxes2[:, :2])  # (n1, n2, 2)
    inter_lowerrights = np.minimum(boxes1[:, None, 2:], boxes2[:, 2:])
    inters = np.clip(inter_lowerrights - inter_upperlefts, 0, None)   # (n1, n2, 2)
    inter_areas = inters[:, :, 0] * inters[:, :, 1]                    # (n1, n2)
    union_areas = areas1[:, None] + areas2 - inter_areas               # (n1, n2)
    iou = np.zeros_like(inter_areas)
    nonempty = union_areas > 0                 # two points have no union: IoU 0
    iou[nonempty] = inter_areas[nonempty] / union_areas[nonempty]
    return iou


def multibox_prior(height, width, sizes, ratios):
    num_sizes, num_ratios = len(sizes), len(ratios)
    size_arr = np.array(sizes, dtype=float)
    ratio_arr = np.array(ratios, dtype=float)
    # centres of the pixels, scaled to [0, 1]
    center_h = (np.arange(height) + 0.5) / height
    center_w = (np.arange(width) + 0.5) / width
    shift_y, shift_x = np.meshgrid(center_h, center_w, indexing='ij')
    shift_y, shift_x = shift_y.reshape(-1), shift_x.reshape(-1)      # (height * width,)
    # (s1, r1), ..., (sn, r1), then (s1, r2), ..., (s1, rm)
    w = np.concatenate((size_arr * np.sqrt(ratio_arr[0]),
                        sizes[0] * np.sqrt(ratio_arr[1:]))) * height / width
    h = np.concatenate((size_arr / np.sqrt(ratio_arr[0]),
                        sizes[0] / np.sqrt(ratio_arr[1:])))
    boxes_per_pixel = num_sizes + num_ratios - 1
    anchor_manipulations = np.tile(np.stack((-w, -h, w, h)).T, (height * width, 1)) / 2
    out_grid = np.repeat(np.stack([shift_x, shift_y, shift_x, shift_y], axis=1),
                         boxes_per_pixel, axis=0)
    return out_grid + anchor_manipulations


def assign_anchor_to_bbox(ground_truth, anchors, iou_threshold=0.5):
    num_anchors, num_gt_boxes = len(anchors), len(ground_truth)
    anchors_bbox_map = np.full(num_anchors, -1, dtype=int)
    if num_anchors == 0 or num_gt_boxes == 0:
        return anchors_bbox_map
    jaccard = box_iou(anchors, ground_truth)            # (num_anchors, num_gt_boxes)
    # 1. greedy: the largest IoU left, then discard its row and its column
    left = jaccard.copy()
    for _ in range(min(num_anchors, num_gt_boxes)):
        max_idx = np.argmax(left)
        anc_idx, box_idx = max_idx // num_gt_boxes, max_idx % num_gt_boxes
        anchors_bbox_map[anc_idx] = box_idx
        left[:, box_idx] = -1
        left[anc_idx, :] = -1
    # 2. every other anchor: its best box, if the IoU is large enough
    indices = np.argmax(jaccard, axis=1)
    max_ious = np.max(jaccard, axis=1)
    rest = (anchors_bbox_map == -1) & (max_ious >= iou_threshold)
    anchors_bbox_map[rest] = indices[rest]
    return anchors_bbox_map


def nms(boxes, scores, iou_threshold):
    boxes = np.asarray(boxes, dtype=float).reshape(-1, 4)
    B = np.argsort(-np.asarray(scores, dtype=float), kind='stable')   # best first
    keep = []
    while B.size > 0:
        i = B[0]
        keep.append(i)
        iou = box_iou(boxes[i].reshape(-1, 4), boxes[B[1:]]).reshape(-1)
        B = B[1:][iou <= iou_threshold]
    return np.array(keep, dtype=int)
