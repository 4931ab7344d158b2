"""The ``tempcons`` command."""

from __future__ import annotations

import argparse
import sys

from . import __version__


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tempcons", description="Temporally consistent video segmentation masks.")
    parser.add_argument("--version", action="version", version=f"tempcons {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="stabilize a built-in synthetic clip and print flicker before/after")
    demo.add_argument("--out", default="tempcons_demo.png",
                      help="side-by-side PNG strip to write (never overwritten; default: %(default)s)")
    demo.add_argument("--no-image", action="store_true", help="do not write the PNG strip")
    demo.add_argument("--frames", type=int, default=48, help="clip length (default: %(default)s)")
    demo.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.command == "demo":
        from .demo import run_demo

        if args.frames < 3:
            parser.error("--frames must be at least 3")
        run_demo(None if args.no_image else args.out, n_frames=args.frames, seed=args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
