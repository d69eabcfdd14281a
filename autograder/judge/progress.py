"""How a batch advances, on stderr while it runs: a tqdm bar (count, rate, ETA) on a
terminal, otherwise (a log, CI) one line per finished submission."""
import sys

from . import report

try:
    from tqdm import tqdm
except ImportError:       # the students' copy of the package has no tqdm: lines only
    tqdm = None


class Progress:
    def __init__(self, total, stream=None):
        self.stream = stream or sys.stderr
        self.total, self.count = total, 0
        self.bar = None
        if tqdm is not None and total and _is_terminal(self.stream):
            self.bar = tqdm(total=total, file=self.stream, unit="submission",
                            dynamic_ncols=True, desc="grading")

    def note(self, line):
        """A line of its own (above the bar, when there is one)."""
        if self.bar is not None:
            self.bar.write(line, file=self.stream)
        else:
            print(line, file=self.stream, flush=True)

    def finished(self, rep):
        """``rep`` was just graded (or failed to be)."""
        self.count += 1
        if self.bar is not None:
            self.bar.update(1)
            return
        width = len(str(self.total))
        self.note("[%*d/%d] %s  %s" % (width, self.count, self.total, rep.path,
                                       report.describe(rep)))

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _is_terminal(stream):
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
