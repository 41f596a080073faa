"""The models the simulated platform calls, and the reference tables it shares with dbt.

The fixed FX table lives in ``dbt/seeds/fx_rates.csv`` and is read from there, so the simulator's
MRR truth and the warehouse's MRR use one table. The price catalog (``model_prices.csv``, also a
seed) is not needed to simulate: ``Model.priced`` says which models it lists, and a test checks
that the two agree.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from pipelines.settings import DBT_PROJECT_DIR

SEEDS_DIR = DBT_PROJECT_DIR / "seeds"
FX_RATES_CSV = SEEDS_DIR / "fx_rates.csv"
MODEL_PRICES_CSV = SEEDS_DIR / "model_prices.csv"


@dataclass(frozen=True)
class Model:
    """One model as the platform calls it; ``name`` is the price catalog's key with ``provider``."""

    provider: str  # OpenTelemetry gen_ai.provider.name well-known value
    name: str  # gen_ai.request.model
    response_name: str  # gen_ai.response.model (a dated snapshot, as providers report)
    in_house: bool
    priced: bool  # False: absent from the price catalog, the cost stage must flag it
    response_id_prefix: str
    decode_tokens_per_s: float
    ttfc_median_s: float  # time to first chunk
    reasoning: bool  # reports gen_ai.usage.reasoning.output_tokens
    cache_writes: bool  # bills prompt-cache creation separately (explicit caching)
    max_output_tokens: int


CLAUDE = Model("anthropic", "claude-sonnet-4-5", "claude-sonnet-4-5-20250929", False, True, "msg_01",
               72.0, 1.1, False, True, 16384)
GPT5 = Model("openai", "gpt-5", "gpt-5-2025-08-07", False, True, "chatcmpl-", 95.0, 4.0, True, False, 32768)
GEMINI = Model("gcp.gemini", "gemini-2.5-pro", "gemini-2.5-pro", False, True, "gem-", 110.0, 2.5, True,
               False, 32768)
IN_HOUSE = Model("flywheel", "flywheel-coder-7b", "flywheel-coder-7b-ft-20261028", True, True, "fw-",
                 160.0, 0.35, False, False, 8192)
# An early-access snapshot an old client still requests; nobody added it to the price catalog.
UNPRICED = Model("openai", "gpt-5-preview-0925", "gpt-5-preview-0925", False, False, "chatcmpl-", 90.0,
                 4.5, True, False, 32768)

MODELS: tuple[Model, ...] = (CLAUDE, GPT5, GEMINI, IN_HOUSE, UNPRICED)
MODELS_BY_NAME = {m.name: m for m in MODELS}
# Share of generations per model before plan adjustments (the unpriced one is drawn separately).
BASE_MODEL_WEIGHTS = {CLAUDE.name: 0.38, GPT5.name: 0.25, GEMINI.name: 0.15, IN_HOUSE.name: 0.22}
UNPRICED_SHARE = 0.003


@functools.cache
def fx_rates(path: Path = FX_RATES_CSV) -> dict[str, Decimal]:
    """USD per unit of each billing currency, exactly as written in the seed."""
    with path.open(newline="") as handle:
        rates = {row["currency"]: Decimal(row["usd_per_unit"]) for row in csv.DictReader(handle)}
    missing = {"USD", "EUR", "GBP"} - rates.keys()
    if missing:
        raise ValueError(f"{path} has no rate for {sorted(missing)}: add a row per billing currency")
    return rates
