"""Checks of the detection assignment (catalog: SPEC.md, "detection"): the d2l chapters
on bounding boxes, anchor boxes and non-maximum suppression.

Boxes are graded as arrays (n, 4), d2l's own ``boxes[:, 0]`` form (other leading shapes
are taught, not graded). Generated boxes have positive width and height; scenes for the
anchor assignment and NMS are drawn without IoU ties, without scores ties and with every
IoU away from the threshold, so that each has one right answer. The threshold's own
convention (an IoU equal to it assigns an anchor and does not suppress a box) has a
small test of its own, on boxes whose IoU is exactly the threshold in floating point.
"""
import numpy as np
from hypothesis import strategies as st


from ..cases import cases, sizes
from ..compare import check_array, check_labels
from ..context import Call
from ..errors import CheckFailed, StudentError
from ..registry import STRUCTURE, Assignment

ASSIGNMENT = Assignment("detection", "Object detection: boxes, anchors, NMS")
ASSIGNMENT.function("box_corner_to_center", ("boxes",))
ASSIGNMENT.function("box_center_to_corner", ("boxes",))
ASSIGNMENT.function("box_iou", ("boxes1", "boxes2"))
ASSIGNMENT.function("multibox_prior", ("height", "width", "sizes", "ratios"))
ASSIGNMENT.function("assign_anchor_to_bbox", ("ground_truth", "anchors", "iou_threshold"))
ASSIGNMENT.function("nms", ("boxes", "scores", "iou_threshold"))

GAP = 1e-6          # distinct IoUs / scores differ by this much, and IoUs miss the threshold by it
LINE_SLACK = 2      # Python lines more boxes may add (one more loop pass adds >= 1 each)

# d2l's examples: the dog and the cat of the bounding-box chapter, and the ground truth
# and five anchors of the anchor chapter (without its class column).
DOG_CAT = np.array([[60.0, 45.0, 378.0, 516.0], [400.0, 112.0, 655.0, 493.0]])
D2L_TRUTH = np.array([[0.1, 0.08, 0.52, 0.92], [0.55, 0.2, 0.9, 0.88]])
D2L_ANCHORS = np.array([[0.0, 0.1, 0.2, 0.3], [0.15, 0.2, 0.4, 0.4], [0.63, 0.05, 0.88, 0.98],
                        [0.66, 0.45, 0.8, 0.8], [0.57, 0.3, 0.92, 0.9]])


def _corner_boxes(rng, shape, scale=1.0):
    """Corner boxes of ``shape + (4,)`` with sides in [0.05, 0.6] * scale."""
    xy = rng.uniform(0.0, 1.0, shape + (2,)) * scale                  # (..., 2)
    wh = rng.uniform(0.05, 0.6, shape + (2,)) * scale                 # (..., 2)
    return np.concatenate([xy, xy + wh], axis=-1)                     # (..., 4)


# ------------------------------------------------------------------ conversions

def _check_boxes(t, fn, boxes, expected, what):
    got = t.call(fn, boxes)
    check_array("%s(boxes)%s" % (fn, what), got, expected)


def _declare_conversion_tests(fn, inverse, other_form):
    def d2l_example(t):
        boxes = DOG_CAT if fn == "box_corner_to_center" else \
            t.reference("box_corner_to_center", DOG_CAT)
        _check_boxes(t, fn, boxes, t.reference(fn, boxes), " (d2l's dog and cat, shape (2, 4))")
        boxes = _corner_boxes(t.rng, (5,), 10.0)
        if fn == "box_center_to_corner":
            boxes = t.reference("box_corner_to_center", boxes)
        _check_boxes(t, fn, boxes, t.reference(fn, boxes), " (5 boxes, shape (5, 4))")
    d2l_example.__doc__ = ("d2l's dog and cat boxes and 5 random boxes in %s form, as the "
                           "reference." % other_form)
    ASSIGNMENT.test(fn, points=1, name="d2l_example")(d2l_example)



_declare_conversion_tests("box_corner_to_center", "box_center_to_corner", "corner")
_declare_conversion_tests("box_center_to_corner", "box_corner_to_center", "center")


# ------------------------------------------------------------------------- IoU

def _check_iou(t, boxes1, boxes2, expected, what=""):
    label = "box_iou(boxes1, boxes2)%s" % what
    got = t.call("box_iou", boxes1, boxes2)
    if isinstance(got, np.ndarray) and got.shape == expected.shape[::-1] != expected.shape:
        raise CheckFailed("%s: expected shape %s (n1, n2), got the transposed shape %s"
                          % (label, expected.shape, got.shape))
    try:
        check_array(label, got, expected)
    except CheckFailed as exc:
        if isinstance(got, np.ndarray) and got.shape == expected.shape and \
                got.dtype.kind in "iuf":
            wrong = ~np.isclose(got, expected, rtol=1e-6, atol=1e-8)
            if np.all(expected[wrong] == 0):
                raise CheckFailed("%s; every wrong entry is a pair of boxes that do not "
                                  "overlap (IoU 0): clamp the intersection's width and height "
                                  "at 0, np.clip(bottom_right - top_left, 0, None)" % exc) \
                    from None
        raise


def _special_pairs(rng):
    """Pairs of each kind (rows of boxes1 against rows of boxes2): disjoint, touching
    (sharing an edge or a corner), nested, identical, overlapping."""
    a = _corner_boxes(rng, (1,), 1.0)[0]                                # (4,)
    w, h = a[2] - a[0], a[3] - a[1]
    boxes1 = np.array([a, a, a, a, a, a])
    boxes2 = np.array([a + [2 * w, 0, 2 * w, 0],                       # disjoint, to the right
                       a + [w, 0, w, 0],                               # touching an edge
                       a + [w, h, w, h],                               # touching a corner
                       a + [0.2 * w, 0.3 * h, -0.1 * w, -0.2 * h],     # nested inside a
                       a.copy(),                                       # identical
                       a + [0.5 * w, -0.25 * h, 0.5 * w, -0.25 * h]])  # overlapping
    return boxes1, boxes2


@ASSIGNMENT.test("box_iou", points=2)
def special_cases(t):
    """d2l's anchors against its ground truth; then disjoint and touching boxes (0), a
    nested box, identical boxes (1), an overlap; and symmetry, box_iou(b, a) = box_iou(a,
    b).T."""
    _check_iou(t, D2L_ANCHORS, D2L_TRUTH, t.reference("box_iou", D2L_ANCHORS, D2L_TRUTH),
               " (d2l's 5 anchors and 2 ground-truth boxes)")
    boxes1, boxes2 = _special_pairs(t.rng)
    expected = t.reference("box_iou", boxes1, boxes2)
    what = (" (boxes1[i] and boxes2[i] are: 0 disjoint, 1 touching along an edge, 2 touching "
            "at a corner, 3 nested, 4 identical, 5 overlapping)")
    _check_iou(t, boxes1, boxes2, expected, what)
    _check_iou(t, boxes2, boxes1, expected.T, " with the arguments swapped" + what)




def _iou_lines(t, n1, n2, seed):
    rng = np.random.default_rng(seed)
    args = (_corner_boxes(rng, (n1,)), _corner_boxes(rng, (n2,)))
    lines = t.calls([Call("box_iou", args, ret="none", count_lines=True)])[0].python_lines
    if lines is None:
        raise CheckFailed("the submission's process did not report how many Python lines "
                          "box_iou ran")
    return lines


@ASSIGNMENT.test("box_iou", points=1, kind=STRUCTURE)
def vectorized(t):
    """No Python loop over the boxes or their pairs: the work in Python does not grow
    with n1 or n2 (broadcast (n1, 1, 2) against (1, n2, 2))."""
    seed = int(t.rng.integers(2**31))
    small = _iou_lines(t, 3, 4, seed)
    for n1, n2, which in ((25, 4, "boxes1"), (3, 30, "boxes2")):
        more = _iou_lines(t, n1, n2, seed)
        if more > small + LINE_SLACK:
            raise CheckFailed(
                "box_iou is not vectorized: it runs %d Python lines for 3 x 4 boxes, but %d "
                "for %d x %d: a Python loop over %s. Compute every pair at once by "
                "broadcasting: boxes1[:, None, :2] against boxes2[None, :, :2]"
                % (small, more, n1, n2, which))


# ----------------------------------------------------------------------- anchors

def _check_anchors(t, height, width, sizes_, ratios, expected):
    label = "multibox_prior(%d, %d, sizes=%s, ratios=%s)" % (height, width, sizes_, ratios)
    got = t.call("multibox_prior", height, width, list(sizes_), list(ratios))
    if isinstance(got, np.ndarray) and got.shape == (1,) + expected.shape:
        raise CheckFailed("%s: expected shape %s, got %s: return the anchors without d2l's "
                          "leading batch axis" % (label, expected.shape, got.shape))
    try:
        check_array(label, got, expected)
    except CheckFailed as exc:
        hint = _anchor_hint(got, expected, height, width)
        raise CheckFailed("%s%s" % (exc, hint)) from None


def _anchor_hint(got, expected, height, width):
    """Name a known mistake when ``got`` is ``expected`` with it (shapes already agree)."""
    if not (isinstance(got, np.ndarray) and got.shape == expected.shape and
            got.dtype.kind in "iuf"):
        return ""
    shift = np.array([0.5 / width, 0.5 / height, 0.5 / width, 0.5 / height])

    def same(a, b):
        return np.allclose(a, b, rtol=1e-6, atol=1e-9)
    if same(got, expected - shift):
        return ("; these anchors are centred on the pixels' corners: the centre of pixel "
                "(i, j) is ((j + 0.5) / width, (i + 0.5) / height)")
    gw, gh = got[:, 2] - got[:, 0], got[:, 3] - got[:, 1]
    ew, eh = expected[:, 2] - expected[:, 0], expected[:, 3] - expected[:, 1]
    if same(gw, eh) and same(gh, ew) and not same(gw, ew):
        return ("; the anchors' widths and heights are swapped: width s * sqrt(r) * height / "
                "width, height s / sqrt(r)")
    if same(np.sort(got.view([("", got.dtype)] * 4), axis=0).view(got.dtype),
            np.sort(expected.view([("", expected.dtype)] * 4), axis=0).view(expected.dtype)):
        return ("; the anchors are right but in another order: pixel by pixel, row-major, "
                "and per pixel (s1, r1), ..., (sn, r1), (s1, r2), ..., (s1, rm)")
    return ""


@ASSIGNMENT.test("multibox_prior", points=2)
def anchors(t):
    """(height * width * (n + m - 1), 4) anchors as the reference: d2l's sizes and
    ratios on a 3 x 5 image, then one size and one ratio on a 4 x 4 image."""
    for height, width, sizes_, ratios in ((3, 5, (0.75, 0.5, 0.25), (1.0, 2.0, 0.5)),
                                          (4, 4, (0.4,), (1.0,)),
                                          (2, 3, (0.3, 0.6), (1.5, 0.8, 3.0))):
        got_expected = np.asarray(t.reference("multibox_prior", height, width, list(sizes_),
                                              list(ratios)))
        _check_anchors(t, height, width, sizes_, ratios, got_expected)




# ----------------------------------------------------------- anchor assignment

def _check_assignment(t, ground_truth, anchors_, threshold, expected, what):
    label = "assign_anchor_to_bbox(ground_truth, anchors, iou_threshold=%g)%s" % (
        threshold, what)
    try:
        got = t.call("assign_anchor_to_bbox", ground_truth, anchors_, threshold)
        check_labels("anchors_bbox_map %s" % label, got, expected)
    except (CheckFailed, StudentError) as exc:
        raise type(exc)("%s%s" % (exc, _iou_hint(t, anchors_, ground_truth))) from None


def _iou_hint(t, boxes1, boxes2):
    """The assignment and NMS are built on the student's box_iou (SPEC): name it when it
    is wrong on these boxes."""
    from ..expected import StaleExpectations

    try:
        expected = t.reference("box_iou", boxes1, boxes2)
    except StaleExpectations:       # a student's copy: no reference for this call
        return ""
    try:
        check_array("box_iou", t.call("box_iou", boxes1, boxes2), expected)
    except (CheckFailed, StudentError):
        return "; your box_iou gives wrong values on these boxes (see its own checks)"
    return ""


# A scene where the greedy step matters: anchor 1 is the best anchor of both boxes and
# goes to box 0 (IoU 0.907); box 1 then takes anchor 3 (0.5385), whose own best box is 0
# (0.6203); no anchor reaches 0.5 with box 2 (0.2383 at best, anchor 0), which still
# gets one.
GREEDY_TRUTH = np.array([[0.10, 0.10, 0.50, 0.50], [0.13, 0.10, 0.53, 0.50],
                         [0.70, 0.62, 0.78, 0.95]])
GREEDY_ANCHORS = np.array([[0.60, 0.60, 0.90, 0.90], [0.11, 0.10, 0.51, 0.52],
                           [0.30, 0.12, 0.70, 0.50], [0.05, 0.05, 0.45, 0.45],
                           [0.11, 0.20, 0.20, 0.30], [0.62, 0.55, 0.95, 0.75]])


@ASSIGNMENT.test("assign_anchor_to_bbox", points=1)
def d2l_example(t):    # noqa: F811
    """d2l's five anchors and two ground-truth boxes: [-1, 0, 1, -1, 1]."""
    _check_assignment(t, D2L_TRUTH, D2L_ANCHORS, 0.5,
                      t.reference("assign_anchor_to_bbox", D2L_TRUTH, D2L_ANCHORS, 0.5),
                      " (d2l's example)")


@ASSIGNMENT.test("assign_anchor_to_bbox", points=2)
def greedy_then_threshold(t):
    """The greedy step first: the largest IoU left takes its anchor and box out, until
    every box has one (however small its IoU); then the threshold for the other anchors."""
    expected = t.reference("assign_anchor_to_bbox", GREEDY_TRUTH, GREEDY_ANCHORS, 0.5)
    label = ("anchors_bbox_map assign_anchor_to_bbox(ground_truth, anchors, "
             "iou_threshold=0.5) (3 boxes, 6 anchors)")
    got = None
    try:
        got = t.call("assign_anchor_to_bbox", GREEDY_TRUTH, GREEDY_ANCHORS, 0.5)
        check_labels(label, got, expected)
    except (CheckFailed, StudentError) as exc:
        raise type(exc)("%s%s%s" % (exc, _greedy_hint(got, expected),
                                    _iou_hint(t, GREEDY_ANCHORS, GREEDY_TRUTH))) from None


def _greedy_hint(got, expected):
    """Name the greedy step's rules that this scene's labels break."""
    got = np.asarray(got) if isinstance(got, (list, tuple)) else got
    if not (isinstance(got, np.ndarray) and got.shape == expected.shape and
            got.dtype.kind in "iuf"):
        return ""
    hints = []
    missing = [j for j in range(len(GREEDY_TRUTH)) if not np.any(got == j)]
    if missing:
        hints.append("ground-truth box%s %s got no anchor: the greedy step gives every box "
                     "one, even when its best IoU is below the threshold%s"
                     % ("es" if len(missing) > 1 else "", ", ".join(map(str, missing)),
                        " (box 2's best is 0.2383)" if 2 in missing else ""))
    if got[3] == 0:
        hints.append("anchor 3 belongs to box 1: the greedy step gave anchor 1 to box 0 "
                     "(IoU 0.907), so box 1 took its best remaining anchor, 3 (0.5385), and "
                     "keeps it; only anchors left after the greedy step go to their best box")
    return "".join("; " + h for h in hints)


# Boxes whose IoUs are exact in floating point (multiples of 0.25: every area, sum and
# intersection is exact, and 0.0625 / 0.125 is 0.5 exactly). Anchor 0 is box 0 itself and
# anchor 4 box 1's best (IoU 2/3): the greedy step; anchors 1, 2 and 5 then have a best
# IoU of exactly 0.5 (assigned at threshold 0.5), anchor 3 of 0.4 (background).
EXACT_TRUTH = np.array([[0.0, 0.0, 1.0, 1.0], [2.0, 2.0, 3.0, 3.0]]) * 0.25
EXACT_ANCHORS = np.array([[0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 1.0, 2.0], [0.0, 0.0, 2.0, 1.0],
                          [0.0, 0.0, 1.0, 2.5], [2.0, 2.0, 3.0, 3.5],
                          [2.0, 2.0, 4.0, 3.0]]) * 0.25
EXACT_HALF = (1, 2, 5)      # the anchors whose best IoU is exactly 0.5
NUDGE = 1e-9                # a threshold this far from 0.5 has the same right answer


def _right_at(t, fn, expected, *args):
    """True when the submission's ``fn(*args)`` gives ``expected`` (the scene's answer at
    the threshold itself): then only the threshold's own convention is wrong."""
    try:
        check_labels(fn, t.call(fn, *args), expected)
    except (CheckFailed, StudentError):
        return False
    return True


@ASSIGNMENT.test("assign_anchor_to_bbox", points=1)
def iou_equal_to_threshold(t):
    """An anchor whose best IoU EQUALS the threshold is assigned (IoU >= threshold, as
    d2l's max_ious >= iou_threshold): boxes whose IoU is exactly 0.5 in floating point."""
    expected = t.reference("assign_anchor_to_bbox", EXACT_TRUTH, EXACT_ANCHORS, 0.5)
    label = ("anchors_bbox_map assign_anchor_to_bbox(ground_truth, anchors, "
             "iou_threshold=0.5) (2 boxes, 6 anchors, IoUs of exactly 0.5)")
    got = None
    try:
        got = t.call("assign_anchor_to_bbox", EXACT_TRUTH, EXACT_ANCHORS, 0.5)
        check_labels(label, got, expected)
    except (CheckFailed, StudentError) as exc:
        hint = ""
        got = np.asarray(got) if isinstance(got, (list, tuple)) else got
        if isinstance(got, np.ndarray) and got.shape == expected.shape and \
                got.dtype.kind in "iuf" and \
                _right_at(t, "assign_anchor_to_bbox", expected, EXACT_TRUTH, EXACT_ANCHORS,
                          0.5 - NUDGE):
            missed = [i for i in EXACT_HALF if got[i] == -1] or list(EXACT_HALF)
            hint = ("; anchor%s %s ha%s a best IoU of exactly 0.5, the threshold, and must "
                    "be assigned: the threshold step takes IoU >= iou_threshold, not only "
                    "above it" % ("s" if len(missed) > 1 else "", ", ".join(map(str, missed)),
                                  "ve" if len(missed) > 1 else "s"))
        raise type(exc)("%s%s%s" % (exc, hint,
                                    _iou_hint(t, EXACT_ANCHORS, EXACT_TRUTH))) from None


def _untied(values):
    """True when the positive values differ pairwise by more than GAP."""
    positive = np.sort(values[values > 0])
    return bool(np.all(np.diff(positive) > GAP))




# ---------------------------------------------------------------------------- NMS

def _check_nms(t, boxes, scores, threshold, expected, what, hint=None):
    """``hint(got)`` adds a scene's own feedback to the general one."""
    label = "keep nms(boxes, scores, iou_threshold=%g)%s" % (threshold, what)
    got = None
    try:
        got = t.call("nms", boxes, scores, threshold)
        check_labels(label, got, expected)
    except (CheckFailed, StudentError) as exc:
        own = hint(got) if hint is not None and got is not None else ""
        raise type(exc)("%s%s%s%s" % (exc, _nms_hint(got, expected, scores), own,
                                      _iou_hint(t, boxes, boxes))) from None


def _nms_hint(got, expected, scores):
    got = np.asarray(got) if isinstance(got, (list, tuple)) else got
    if not isinstance(got, np.ndarray) or got.ndim != 1 or got.dtype.kind not in "iuf":
        return ""
    got_set, kept = set(got.tolist()), set(expected.tolist())
    if got_set == kept:
        if got.size > 1 and np.all(np.diff(scores[got.astype(np.int64)]) > 0):  # in range
            return ("; the kept boxes are right but in ascending score order: start from the "
                    "highest score (np.argsort(-scores))")
        return "; the kept boxes are right but in another order: highest score first"
    if kept < got_set:
        return ("; it also keeps boxes that overlap a kept, higher-scoring box by more than "
                "the threshold: those must be dropped")
    return ""


NMS_BOXES = np.array([[0.10, 0.08, 0.52, 0.92], [0.08, 0.20, 0.56, 0.95],
                      [0.15, 0.30, 0.62, 0.91], [0.55, 0.20, 0.90, 0.88],
                      [0.58, 0.25, 0.92, 0.80], [0.05, 0.05, 0.15, 0.15]])
NMS_SCORES = np.array([0.9, 0.8, 0.7, 0.85, 0.6, 0.3])
# A chain: box 1 overlaps boxes 0 and 2 (IoU 0.538 each), boxes 0 and 2 overlap less
# (0.25). Box 1 falls to box 0, and once dropped it suppresses nothing: box 2 stays.
CHAIN_BOXES = np.array([[0.0, 0.0, 1.0, 1.0], [0.3, 0.0, 1.3, 1.0], [0.6, 0.0, 1.6, 1.0]])
CHAIN_SCORES = np.array([0.9, 0.8, 0.7])


@ASSIGNMENT.test("nms", points=1)
def d2l_like_example(t):
    """d2l's four predicted boxes (a dog, twice more, and a cat) with a second cat and a
    small box apart: kept [0, 3, 5] at threshold 0.5, [0, 3, 2, 5] at 0.7; and a chain
    of three boxes, where a dropped box suppresses nothing: kept [0, 2]."""
    for threshold in (0.5, 0.7):
        _check_nms(t, NMS_BOXES, NMS_SCORES, threshold,
                   t.reference("nms", NMS_BOXES, NMS_SCORES, threshold), " (6 boxes)")
    expected = t.reference("nms", CHAIN_BOXES, CHAIN_SCORES, 0.5)
    try:
        _check_nms(t, CHAIN_BOXES, CHAIN_SCORES, 0.5, expected, " (a chain of 3 boxes)")
    except CheckFailed as exc:
        raise CheckFailed("%s; box 1 is dropped by box 0, so it cannot drop box 2: only "
                          "KEPT boxes suppress others (one kept box at a time)" % exc) from None


# Exact IoUs again (multiples of 0.25): boxes 1 and 2 overlap box 0 by exactly 0.5 (and
# each other by 1/3), box 3 overlaps box 0 by 2/3, box 4 lies apart.
EXACT_NMS_BOXES = np.array([[0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 1.0, 2.0], [0.0, 0.0, 2.0, 1.0],
                            [0.0, 0.0, 1.0, 1.5], [3.0, 3.0, 4.0, 4.0]]) * 0.25
EXACT_NMS_SCORES = np.array([0.9, 0.8, 0.7, 0.6, 0.5])


@ASSIGNMENT.test("nms", points=1)
def iou_equal_to_threshold(t):    # noqa: F811
    """A box whose IoU with a kept box EQUALS the threshold is kept: only an IoU above it
    suppresses (d2l keeps iou <= iou_threshold); boxes whose IoU is exactly 0.5."""
    expected = t.reference("nms", EXACT_NMS_BOXES, EXACT_NMS_SCORES, 0.5)

    def hint(got):
        if not _right_at(t, "nms", expected, EXACT_NMS_BOXES, EXACT_NMS_SCORES, 0.5 + NUDGE):
            return ""
        return ("; boxes 1 and 2 overlap box 0 by exactly 0.5, the threshold, and must stay: "
                "drop a box only when its IoU is ABOVE the threshold (keep iou <= "
                "iou_threshold)")
    _check_nms(t, EXACT_NMS_BOXES, EXACT_NMS_SCORES, 0.5, expected,
               " (5 boxes, IoUs of exactly 0.5)", hint)



