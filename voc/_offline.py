"""Forbid hub downloads before any model library is imported.

voc's users include air-gapped sites: every model comes from a pip package.
Importing this module first (voc/__init__ does) makes a missing model fail fast
instead of hanging on a network call.
"""

import os

for _var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
    os.environ[_var] = "1"
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
