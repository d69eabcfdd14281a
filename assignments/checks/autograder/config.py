"""Every default of the grader in one visible place."""

# Isolation limits (the README states these; the CLI can override the first two).
TIMEOUT_S = 10.0          # wall-clock limit of one test, all its calls together
MEMORY_MB = 2048          # data-segment limit of the worker process (RLIMIT_DATA)
LOAD_TIMEOUT_S = 60.0     # executing the submission's cells once, at worker start
OUTPUT_LIMIT_BYTES = 64 * 1024   # student stdout/stderr kept for feedback; rest dropped
FILE_SIZE_LIMIT_BYTES = 256 * 1024 * 1024   # largest file the worker may write
MAX_WORKERS = 2           # submissions graded at once (one worker process each)

# Numerical comparison (float64 everywhere).
RTOL = 1e-6               # relative tolerance against the reference
ATOL = 1e-8               # absolute floor, scaled by the largest expected magnitude
GRAD_EPS = 1e-6           # central-difference step
GRAD_RTOL = 1e-5          # numerical vs analytic gradient
HYPOTHESIS_EXAMPLES = 8   # generated cases per property-based test

# Feedback.
MAX_LISTED_ELEMENTS = 3   # wrong elements named in one message
SEED = 0                  # default --seed
