#!/usr/bin/env bash
# The perturbation check: nbval on the notebooks under perturbed floating-point rounding.
#
# A checked output (a cell tagged nbval-check-output) must be the same on every machine, and
# every assert must hold there (CONTRIBUTING.md, "Checked outputs are the same on every
# machine"). Long fits amplify the last bit of rounding, and the rounding depends on the vector
# instructions ATen and oneDNN dispatch to and on the number of threads. This script changes
# each of them on THIS machine and runs nbval (--nbval-lax: checked outputs compared, every
# cell executed, every assert evaluated) once per perturbation, one after the other:
#
#   aten     ATEN_CPU_CAPABILITY=default     ATen's scalar kernels instead of AVX2/AVX512
#   onednn   ONEDNN_MAX_CPU_ISA=<one below>  oneDNN (the convolutions) capped one instruction
#                                            set below the machine's: AVX512 -> AVX2 (this also
#                                            makes bfloat16 non-native), AVX2 -> SSE41
#   threads  OMP_NUM_THREADS=1 MKL_NUM_THREADS=1   one thread (other reduction orders)
#
# Each of them changes the result of a 300-step 64x64 deep-decoder fit (measured, see
# CONTRIBUTING.md). The variables reach the nbval kernel (it inherits the environment) and the
# worker processes of dd.fit_many (spawned from the kernel; they inherit it too).
#
# Usage (from anywhere; under the course's CPU lock, like every command that runs torch):
#   OMP_WAIT_POLICY=PASSIVE flock /tmp/dd_cpu.lock bash tests/perturbed.sh              # every TOC notebook
#   OMP_WAIT_POLICY=PASSIVE flock /tmp/dd_cpu.lock bash tests/perturbed.sh chapters/04_two_layer_dynamics.ipynb
#   PERTURB="threads" ... bash tests/perturbed.sh [NB ...]                         # a subset
# Options (environment): PERTURB (space- or comma-separated subset of "aten onednn threads",
# default all three); ONEDNN_CAP (override the oneDNN cap, e.g. SSE41); VENV (default .venv).
# Exit status 0 only if nbval passed under every selected perturbation.
# The script takes no lock itself (a lock taken inside would deadlock under the documented
# outer flock); never run it next to another torch process.
set -uo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PY="$VENV/bin/python"
# Never set MPLBACKEND: the kernels inherit it and Agg removes every figure (CONTRIBUTING.md,
# "Figures"). Unset it so that a value from the caller's shell does not reach the kernels either.
unset MPLBACKEND

if [ $# -gt 0 ]; then
  NOTEBOOKS=("$@")
else
  mapfile -t NOTEBOOKS < <("$PY" -c "import sys; sys.path.insert(0, 'book/tools'); import nbtools; print('\n'.join(str(p.relative_to(nbtools.ROOT)) for p in nbtools.toc_notebooks()))")
fi
[ ${#NOTEBOOKS[@]} -gt 0 ] || { echo "perturbed.sh: no notebooks" >&2; exit 2; }

PERTURB=${PERTURB:-aten onednn threads}
read -r -a SELECTED <<< "${PERTURB//,/ }"
for p in "${SELECTED[@]}"; do
  case "$p" in aten|onednn|threads) ;; *) echo "perturbed.sh: unknown perturbation '$p' (aten, onednn, threads)" >&2; exit 2;; esac
done

# The machine's instruction set as ATen sees it (with the caller's ATEN_CPU_CAPABILITY removed).
machine_isa() { env -u ATEN_CPU_CAPABILITY -u ONEDNN_MAX_CPU_ISA "$PY" -c "import torch; print(torch.backends.cpu.get_cpu_capability())"; }

# What a kernel started in this environment will use: ATen's capability, oneDNN's ISA (from
# oneDNN's own verbose report on a 64-channel 3x3 convolution, large enough for ATen to hand it
# to oneDNN) and the thread count. Printed so that the log shows the perturbation really took effect.
effective() {
  env "$@" ONEDNN_VERBOSE=1 "$PY" -c "
import torch
torch.nn.functional.conv2d(torch.randn(1, 64, 64, 64), torch.randn(64, 64, 3, 3))
print('#', 'ATen', torch.backends.cpu.get_cpu_capability(), '| threads', torch.get_num_threads())
" 2>&1 | sed -n -e 's/^onednn_verbose.*info,cpu,isa:\(.*\)$/oneDNN \1 |/p' -e 's/^# //p' | tr '\n' ' '
}

ISA=$(machine_isa)
case "$ISA" in
  AVX512*) CAP=AVX2 ;;
  AVX2) CAP=SSE41 ;;
  *) CAP="" ;;
esac
CAP=${ONEDNN_CAP:-$CAP}
echo "== perturbation check: ${#NOTEBOOKS[@]} notebook(s), perturbations: ${SELECTED[*]}"
echo "== machine: ATen capability $ISA; oneDNN will be capped at ${CAP:-(nothing lower known: skipped)}"

declare -a SUMMARY
status=0
for p in "${SELECTED[@]}"; do
  case "$p" in
    aten) VARS=(ATEN_CPU_CAPABILITY=default) ;;
    onednn)
      if [ -z "$CAP" ]; then
        SUMMARY+=("onednn   skipped (no x86 instruction set below '$ISA' known; set ONEDNN_CAP)")
        continue
      fi
      VARS=(ONEDNN_MAX_CPU_ISA="$CAP") ;;
    threads) VARS=(OMP_NUM_THREADS=1 MKL_NUM_THREADS=1) ;;
  esac
  echo "== [$p] ${VARS[*]}"
  echo "   in effect: $(effective "${VARS[@]}")"
  t0=$(date +%s)
  env "${VARS[@]}" "$PY" -m pytest -q --nbval-lax --nbval-current-env "${NOTEBOOKS[@]}"
  rc=$?
  dt=$(( $(date +%s) - t0 ))
  if [ $rc -eq 0 ]; then verdict=passed; else verdict="FAILED (pytest exit $rc)"; status=1; fi
  echo "== [$p] $verdict in ${dt} s"
  SUMMARY+=("$(printf '%-8s %-44s %5d s  %s' "$p" "${VARS[*]}" "$dt" "$verdict")")
done

echo "== summary (wall time of each perturbation)"
printf '   %s\n' "${SUMMARY[@]}"
[ $status -eq 0 ] && echo "== every checked output identical, every assert held" || echo "== the perturbation check FAILED"
exit $status
