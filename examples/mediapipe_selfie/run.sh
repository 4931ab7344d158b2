#!/usr/bin/env bash
# MediaPipe Selfie Segmentation, made stable by tempcons, composited over a blurred background.
#
#   bash examples/mediapipe_selfie/run.sh VIDEO OUT_DIR
#
# Two environments, because mediapipe 0.10.21 (the newest release that bundles its model) pins
# numpy < 2 and installs its own OpenCV: .venv-mediapipe segments (the light install, ~410 MB,
# byte-identical output to the full one), the project's .venv stabilizes. Needs network once.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
video=${1:?usage: run.sh VIDEO OUT_DIR}
out=${2:?usage: run.sh VIDEO OUT_DIR}
mp_env="$root/.venv-mediapipe"
if [ ! -x "$mp_env/bin/python" ]; then
  python3.11 -m venv "$mp_env"
  "$mp_env/bin/pip" install -q --no-deps mediapipe==0.10.21
  "$mp_env/bin/pip" install -q 'numpy<2' opencv-python-headless 'protobuf>=4.25.3,<5' absl-py attrs flatbuffers \
    matplotlib pillow
fi
if [ ! -x "$root/.venv/bin/tempcons" ]; then
  python3 -m venv "$root/.venv" && "$root/.venv/bin/pip" install -q "$root"
fi
"$mp_env/bin/python" "$here/segment.py" "$video" "$out/raw"
"$root/.venv/bin/tempcons" stabilize "$video" "$out/raw" -o "$out/stable" --latency 2 \
  --composite blur --composite-out "$out/call.mp4"
for masks in raw stable; do  # flicker before and after; no ground truth needed
  "$root/.venv/bin/tempcons" eval "$out/$masks" --frames "$video" --metrics warping_error flip_rate area_jitter
done
echo "raw masks: $out/raw  stable masks: $out/stable  composite: $out/call.mp4"
