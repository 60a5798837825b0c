#!/usr/bin/env python
"""Benchmark the hand-written backward pass of lesson 03's 784-50-1 network against autograd from the command line.

Times forward + backward of the 784-50-1 MNIST net done by hand (`backprop_course.perf.forward_and_backward_inplace`,
the in-place version of `backprop_course.mlp.forward_and_backward`, which is timed too) against the same forward pass
differentiated by autograd, on seeded synthetic data of full MNIST size (50,000 x 784; the MNIST file is not needed:
the cost depends only on the shapes). The versions run alternately and the fastest runs are compared; peak memory comes
from PyTorch's profiler (see `backprop_course.perf.peak_memory` and the appendix notebook `nbs/06_appendix_speed.ipynb`).

    .venv/bin/python tools/bench_mlp.py                 # PyTorch's default threads, 15 repeats
    .venv/bin/python tools/bench_mlp.py --threads 1 --check

With --check the exit status is 1 when the time ratio exceeds --max-ratio or the hand-written
version's peak memory exceeds autograd's.
"""
import argparse, os, sys
import torch
from backprop_course.perf import benchmark_backward

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=50_000, help="rows of the synthetic input (default: 50,000, full MNIST)")
    p.add_argument("--hidden", type=int, default=50, help="hidden units (default: 50)")
    p.add_argument("--repeats", type=int, default=15, help="timed runs of each version (default: 15)")
    p.add_argument("--seed", type=int, default=0, help="seed of the data and weights (default: 0)")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: PyTorch's default)")
    p.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    p.add_argument("--max-ratio", type=float, default=1.05, help="time target for --check (default: 1.05)")
    args = p.parse_args(argv)
    if args.threads: torch.set_num_threads(args.threads)
    r = benchmark_backward(n=args.n, n_hidden=args.hidden, repeats=args.repeats, seed=args.seed)
    print(f"forward + backward, 784-{args.hidden}-1, {args.n:,} x 784 float32, {r['threads']} thread(s), "
          f"torch {torch.__version__}, fastest of {args.repeats}:")
    print(f"  hand-written, in place        : {r['hand_s']*1e3:8.1f} ms   peak {r['hand_peak_bytes']/1e6:7.1f} MB")
    print(f"  autograd                      : {r['autograd_s']*1e3:8.1f} ms   peak {r['autograd_peak_bytes']/1e6:7.1f} MB")
    print(f"  hand-written reference (03)   : {r['reference_s']*1e3:8.1f} ms   peak {r['reference_peak_bytes']/1e6:7.1f} MB")
    if hasattr(os, "getloadavg"):
        print(f"  machine load (1-minute average): {os.getloadavg()[0]:.1f} for {os.cpu_count()} cores"
              + (" -- busy: the time ratio is unreliable" if os.getloadavg()[0] > os.cpu_count() else ""))
    print(f"  in place / autograd           : time {r['time_ratio']:.3f} (target <= {args.max_ratio}), "
          f"peak memory {r['peak_ratio']:.3f} (target <= 1)")
    ok = r["time_ratio"] <= args.max_ratio and r["peak_ratio"] <= 1
    if args.check and not ok:
        print("FAIL: a target was missed", file=sys.stderr)
        return 1
    return 0

if __name__ == "__main__":
    sys.exit(main())
