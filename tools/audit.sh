#!/usr/bin/env bash
# Security checks run by `make test`: bandit on the code, pip-audit on the installed,
# pinned dependencies. pip-audit needs PyPI's JSON API (or OSV); where neither can be
# reached it says so loudly instead of passing on no data.
set -euo pipefail
bin=.venv/bin
"$bin/bandit" -q -r encyclopedia -ll
echo "bandit: no medium or high severity findings"
if curl -fsS -m 10 -o /dev/null https://pypi.org/pypi/flask/3.1.3/json 2>/dev/null; then
  "$bin/pip-audit" --strict --skip-editable --progress-spinner off
else
  echo "pip-audit: SKIPPED: PyPI's vulnerability API (pypi.org/pypi/<name>/json) is not" \
       "reachable from this machine, so known vulnerabilities cannot be checked here."
fi
