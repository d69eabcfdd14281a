"""The student's copy of the checks has no command line: grading is the instructor's."""
import sys

sys.stderr.write("autograder: this is the student's copy of the checks (check cells "
                 "only); run check(\"<function>\") in your notebook. Grading with hidden "
                 "tests happens on your instructor's side.\n")
sys.exit(2)
