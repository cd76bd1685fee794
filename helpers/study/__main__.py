"""python -m helpers.study: run the converged study (helpers/study/converged.py) and write data/study.npz."""
import os

for variable in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ[variable] = "1"        # one thread, as notebook 06 runs: the same sums in the same order

import argparse  # noqa: E402
import time  # noqa: E402

from helpers.study import converged  # noqa: E402

parser = argparse.ArgumentParser(prog="python -m helpers.study", description=converged.__doc__.splitlines()[0])
parser.add_argument("--seeds", type=int, default=10)
parser.add_argument("--data", nargs="+", default=list(converged.DATA_SETS))
parser.add_argument("--out", default=str(converged.STUDY_PATH))
args = parser.parse_args()
began = time.perf_counter()
arrays, meta = converged.study(args.seeds, args.data)
converged.write(arrays, meta, args.out)
print(f"wrote {args.out} ({os.path.getsize(args.out):,} bytes) in {time.perf_counter() - began:.0f} s")
